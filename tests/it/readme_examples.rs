//! The README's examples are run, so what it shows is what the binary
//! prints (issue 20: coverage JSON, digests and counts had gone stale).
//!
//! The README is read top to bottom in one scratch directory holding copies
//! of `policies/`, `examples/` and `tests/fixtures/`, with `rolegraph` on
//! `PATH`. An HTML comment right before a block marks what to do with it:
//!
//! - ```` ```console ````: each `$ COMMAND` (a line ending in `\` goes on
//!   to the next) runs in `sh` with stderr joined to stdout, and the lines
//!   after it up to the next `$` are what it must print. A line `…` stands
//!   for any lines; `…` inside a line for any text on it.
//! - `<!-- readme: skip REASON -->` before a console block: not run (it
//!   needs a live server or deployment).
//! - `<!-- readme: $ COMMAND -->` before another block: the block is what
//!   the command prints on stdout (`…` as in a console block); before a
//!   ```` ```json ```` block, an excerpt of the command's JSON output. Every key it shows
//!   must be there with the value shown; an array shows some of the real
//!   array's items in order, `"…"` standing for the rest; a string ending
//!   in `…` shows the start of the real one.
//! - `<!-- readme: file NAME -->` before any block: its text is written to
//!   NAME in the scratch directory, for the examples after it.
//!
//! Other blocks are not checked. The Tour, a ```` ```sh ```` block, is run
//! line by line by [`the_tour_runs_on_a_fresh_clone`].

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::copy_dir;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

struct Block {
    /// The line of the opening fence, 1-based.
    line: usize,
    lang: String,
    /// The text of `<!-- readme: … -->` just before the block.
    marker: Option<String>,
    text: String,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = markdown.lines().enumerate();
    let mut marker = None;
    while let Some((n, line)) = lines.next() {
        if let Some(lang) = line.strip_prefix("```") {
            let mut text = String::new();
            for (_, l) in lines.by_ref() {
                if l.starts_with("```") {
                    break;
                }
                text.push_str(l);
                text.push('\n');
            }
            out.push(Block {
                line: n + 1,
                lang: lang.trim().to_owned(),
                marker: marker.take(),
                text,
            });
        } else if let Some(m) = line
            .trim()
            .strip_prefix("<!-- readme:")
            .and_then(|m| m.strip_suffix("-->"))
        {
            marker = Some(m.trim().to_owned());
        } else if !line.trim().is_empty() {
            marker = None;
        }
    }
    out
}

/// A scratch directory laid out as a fresh clone's, the binary on `PATH`.
struct Scratch {
    dir: tempfile::TempDir,
    path: String,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["policies", "examples", "tests/fixtures"] {
            copy_dir(&Path::new(ROOT).join(sub), &dir.path().join(sub));
        }
        let bin: PathBuf = assert_cmd::cargo::cargo_bin("rolegraph");
        let path = format!(
            "{}:{}",
            bin.parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Scratch { dir, path }
    }

    fn sh(&self, command: &str) -> (Option<i32>, String) {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("exec 2>&1\n{command}"))
            .current_dir(self.dir.path())
            .env("PATH", &self.path)
            .env("NO_COLOR", "1")
            .env_remove("ADAPTIVE_URL")
            .env_remove("ADAPTIVE_API_KEY")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }
}

/// One line against its pattern, `…` matching any text.
fn line_matches(pattern: &str, line: &str) -> bool {
    let (pattern, line) = (pattern.trim_end(), line.trim_end());
    let parts: Vec<&str> = pattern.split('…').collect();
    if parts.len() == 1 {
        return pattern == line;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !line.starts_with(first) || line.len() < first.len() + last.len() || !line.ends_with(last) {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// Output against the expected lines, a line `…` matching any lines.
fn output_matches(expected: &[&str], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first.trim() == "…" => {
            (0..=actual.len()).any(|skip| output_matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => match actual.split_first() {
            Some((line, more)) => line_matches(first, line) && output_matches(rest, more),
            None => false,
        },
    }
}

/// Whether the README's JSON excerpt shows only what `actual` holds.
fn json_excerpt(shown: &Value, actual: &Value) -> Result<(), String> {
    match (shown, actual) {
        (Value::Object(shown), Value::Object(actual)) => {
            for (key, value) in shown {
                let real = actual
                    .get(key)
                    .ok_or_else(|| format!("no key `{key}` in the output"))?;
                json_excerpt(value, real).map_err(|e| format!("{key}: {e}"))?;
            }
            Ok(())
        }
        (Value::Array(shown), Value::Array(actual)) => {
            let elided = shown.iter().any(|v| v == "…");
            let items: Vec<&Value> = shown.iter().filter(|v| *v != "…").collect();
            if !elided && items.len() != actual.len() {
                return Err(format!(
                    "{} items shown, {} in the output (add \"…\" to shorten)",
                    items.len(),
                    actual.len()
                ));
            }
            let mut from = 0;
            for item in items {
                let found = actual[from..]
                    .iter()
                    .position(|real| json_excerpt(item, real).is_ok());
                match found {
                    Some(i) => from += i + 1,
                    None => {
                        return Err(format!("{item} is not in {}", Value::Array(actual.clone())))
                    }
                }
            }
            Ok(())
        }
        (Value::String(shown), Value::String(actual)) if shown.ends_with('…') => {
            let start = shown.trim_end_matches('…');
            if actual.starts_with(start) {
                Ok(())
            } else {
                Err(format!("`{actual}` does not start with `{start}`"))
            }
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => Ok(()),
        _ if shown == actual => Ok(()),
        _ => Err(format!("shown {shown}, the output has {actual}")),
    }
}

/// The commands of a console block, each with the lines it must print.
fn console_steps(text: &str) -> Vec<(String, Vec<&str>)> {
    let mut steps: Vec<(String, Vec<&str>)> = Vec::new();
    let mut continued = false;
    for line in text.lines() {
        if continued {
            let (command, _) = steps.last_mut().unwrap();
            command.push('\n');
            command.push_str(line);
            continued = line.ends_with('\\');
        } else if let Some(command) = line.strip_prefix("$ ") {
            steps.push((command.to_owned(), Vec::new()));
            continued = command.ends_with('\\');
        } else if let Some((_, expected)) = steps.last_mut() {
            expected.push(line);
        }
    }
    // A blank line closes a block's last output, not part of it.
    for (_, expected) in &mut steps {
        while expected.last().is_some_and(|l| l.trim().is_empty()) {
            expected.pop();
        }
    }
    steps
}

/// Runs one document's examples; every difference is returned.
fn check(file: &str) -> (Vec<String>, usize) {
    let markdown = std::fs::read_to_string(Path::new(ROOT).join(file)).unwrap();
    let scratch = Scratch::new();
    let mut failures = Vec::new();
    let mut checked = 0;
    for block in blocks(&markdown) {
        let at = format!("{file}:{}", block.line);
        let marker = block.marker.as_deref().unwrap_or("");
        if let Some(name) = marker.strip_prefix("file ") {
            std::fs::write(scratch.dir.path().join(name.trim()), &block.text).unwrap();
            continue;
        }
        if block.lang == "console" {
            if marker.starts_with("skip") {
                continue;
            }
            for (command, expected) in console_steps(&block.text) {
                checked += 1;
                let (_, out) = scratch.sh(&command);
                let actual: Vec<&str> = out.lines().collect();
                if !output_matches(&expected, &actual) {
                    failures.push(format!(
                        "{at}: `{command}` printed:\n{out}\n--- the README shows:\n{}\n",
                        expected.join("\n")
                    ));
                }
            }
        } else if let Some(command) = marker.strip_prefix("$ ").filter(|_| block.lang != "json") {
            checked += 1;
            let (_, out) = scratch.sh(command);
            let expected: Vec<&str> = block.text.lines().collect();
            if !output_matches(&expected, &out.lines().collect::<Vec<_>>()) {
                failures.push(format!(
                    "{at}: `{command}` printed:\n{out}\n--- the README shows:\n{}\n",
                    block.text
                ));
            }
        } else if let Some(command) = marker.strip_prefix("$ ") {
            checked += 1;
            let shown: Value = match serde_json::from_str(&block.text) {
                Ok(v) => v,
                Err(e) => {
                    failures.push(format!("{at}: the README's JSON does not parse: {e}"));
                    continue;
                }
            };
            let (_, out) = scratch.sh(&format!("{command} 2>/dev/null"));
            let result = serde_json::from_str::<Value>(&out)
                .map_err(|e| format!("the output is not JSON ({e}): {out}"))
                .and_then(|actual| json_excerpt(&shown, &actual));
            if let Err(e) = result {
                failures.push(format!("{at}: `{command}`: {e}\n"));
            }
        }
    }
    (failures, checked)
}

#[test]
fn readme_examples_print_what_the_readme_shows() {
    let (failures, checked) = check("README.md");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("{checked} README examples checked");
    assert!(checked >= 25, "only {checked} README examples were found");
}

#[test]
fn docs_examples_print_what_the_docs_show() {
    let mut docs: Vec<String> = std::fs::read_dir(Path::new(ROOT).join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    docs.sort();
    let mut checked = 0;
    for doc in &docs {
        let (failures, n) = check(doc);
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        checked += n;
    }
    assert!(checked >= 1, "no examples found in {docs:?}");
}

/// The Tour's commands, in order, on a fresh clone (a git repository with
/// `origin/main`): each runs, and none is a usage error.
#[test]
fn the_tour_runs_on_a_fresh_clone() {
    let markdown = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let tour = markdown
        .split("\n## Tour\n")
        .nth(1)
        .and_then(|t| blocks(t).into_iter().next())
        .expect("the Tour's first block");
    let scratch = Scratch::new();
    let ignore = std::fs::read_to_string(Path::new(ROOT).join(".gitignore")).unwrap();
    std::fs::write(scratch.dir.path().join(".gitignore"), ignore).unwrap();
    let (code, out) = scratch.sh(
        "git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm t \
         && git update-ref refs/remotes/origin/main HEAD",
    );
    assert_eq!(code, Some(0), "{out}");
    let mut ran = 0;
    for line in tour.text.lines() {
        let command = line.split(" #").next().unwrap().trim();
        if !command.starts_with("rolegraph ") {
            continue;
        }
        ran += 1;
        let (code, out) = scratch.sh(command);
        assert!(
            matches!(code, Some(0 | 1)),
            "`{command}` (exit {code:?}):\n{out}"
        );
        assert!(!out.contains("error:"), "`{command}`:\n{out}");
    }
    assert!(ran >= 10, "{ran} Tour commands");
    // What the Tour writes is ignored by git: a fresh clone stays clean.
    let (_, status) = scratch.sh("git status --porcelain --untracked-files=all");
    assert!(status.trim().is_empty(), "the Tour left: {status}");
}

#[test]
fn the_matchers_can_fail() {
    assert!(line_matches("sha256:4c64…", "sha256:4c64de58"));
    assert!(!line_matches("sha256:4c65…", "sha256:4c64de58"));
    assert!(output_matches(&["a", "…", "d"], &["a", "b", "c", "d"]));
    assert!(!output_matches(&["a", "…", "d"], &["a", "b", "c"]));
    let real: Value = serde_json::json!({"n": 9, "xs": [1, 2, 3], "s": "abcdef"});
    assert!(json_excerpt(&serde_json::json!({"xs": [1, "…"], "s": "abc…"}), &real).is_ok());
    assert!(json_excerpt(&serde_json::json!({"n": 8}), &real).is_err());
    assert!(json_excerpt(&serde_json::json!({"xs": [1, 3]}), &real).is_err());
    assert!(json_excerpt(&serde_json::json!({"m": 1}), &real).is_err());
}
