//! Help that teaches (issue 20): every argument of every command says what
//! it is, every command's `--help` ends with examples and exit codes, each
//! `--format` offers exactly the values its command writes, and every
//! command gets its man page.

use std::path::Path;

use clap::CommandFactory;
use rolegraph::cli::{examples, Cli};

use crate::common::{rolegraph, POLICIES};

/// Every command and subcommand but clap's own `help`, with its path
/// (`["import", "helm"]`).
fn commands() -> Vec<(Vec<String>, clap::Command)> {
    fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<(Vec<String>, clap::Command)>) {
        out.push((path.clone(), cmd.clone()));
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let mut p = path.clone();
            p.push(sub.get_name().to_owned());
            walk(sub, p, out);
        }
    }
    let mut root = Cli::command();
    root.build();
    let mut out = Vec::new();
    walk(&root, Vec::new(), &mut out);
    out
}

fn name(path: &[String]) -> String {
    if path.is_empty() {
        "rolegraph".into()
    } else {
        format!("rolegraph {}", path.join(" "))
    }
}

/// The lines under `heading` in a command's closing help, up to a blank line.
fn block<'a>(after_help: &'a str, heading: &str) -> Vec<&'a str> {
    after_help
        .lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect()
}

#[test]
fn every_argument_has_a_description() {
    let mut missing = Vec::new();
    for (path, cmd) in commands() {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            if help.trim().is_empty() {
                missing.push(format!("{}: {id}", name(&path)));
            }
        }
    }
    assert!(missing.is_empty(), "arguments without help: {missing:#?}");
    assert!(commands().len() > 20, "the walk found the commands");
}

#[test]
fn every_command_has_examples_and_exit_codes() {
    let mut wrong = Vec::new();
    for (path, cmd) in commands() {
        let after = cmd
            .get_after_help()
            .map(ToString::to_string)
            .unwrap_or_default();
        let examples = block(&after, examples::EXAMPLES);
        if !(2..=3).contains(&examples.len()) {
            wrong.push(format!("{}: {} examples", name(&path), examples.len()));
        }
        if let Some(bad) = examples.iter().find(|l| {
            !l.trim_start().starts_with("rolegraph ") && !l.trim_start().starts_with("curl ")
        }) {
            wrong.push(format!(
                "{}: example `{bad}` runs no rolegraph",
                name(&path)
            ));
        }
        let codes: Vec<&str> = block(&after, examples::EXIT_STATUS)
            .iter()
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        if codes.is_empty() || !codes.iter().all(|c| ["0", "1", "2"].contains(c)) {
            wrong.push(format!("{}: exit status {codes:?}", name(&path)));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn help_shows_the_examples() {
    let out = rolegraph(Path::new(POLICIES))
        .args(["can", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Examples:\n  rolegraph can "), "{text}");
    assert!(text.contains("Exit status:\n  0  allow"), "{text}");
}

/// Each command with `--format`, how to run it here, and the formats its
/// code accepts. A command that gains `--format` must be added here.
fn format_runs(dir: &Path) -> Vec<(Vec<String>, Vec<&'static str>)> {
    let out = dir.join("out").display().to_string();
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let state = format!("{fixtures}/adaptive/in-sync.state.json");
    let values = format!("{fixtures}/helm/adaptive.yaml");
    let imported = dir.join("imported").display().to_string();
    let s = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
    vec![
        (s(&["validate"]), vec!["text", "json", "github", "sarif"]),
        (s(&["test"]), vec!["text", "json", "junit", "lcov"]),
        (s(&["compile", "-o", &out]), vec!["json", "lines", "bundle"]),
        (
            s(&[
                "can",
                "john@acme.com",
                "use_case:adapt",
                "use_case/support-bot",
            ]),
            vec!["text", "json"],
        ),
        (
            s(&[
                "explain",
                "john@acme.com",
                "use_case:adapt",
                "use_case/support-bot",
            ]),
            vec!["text", "json"],
        ),
        (
            s(&["who", "use_case:adapt", "use_case/support-bot"]),
            vec!["text", "json"],
        ),
        (s(&["what", "john@acme.com"]), vec!["text", "json"]),
        (
            s(&["diff", POLICIES, POLICIES]),
            vec!["text", "json", "markdown"],
        ),
        (s(&["fmt", "--check"]), vec!["text", "json"]),
        (s(&["graph"]), vec!["mermaid", "dot", "json"]),
        (s(&["audit"]), vec!["text", "json"]),
        (
            s(&["plan", "--state", &state]),
            vec!["text", "json", "markdown"],
        ),
        (s(&["pull", "--url", "http://127.0.0.1:9"]), vec!["json"]),
        (
            s(&["apply", "--yes", "--url", "http://127.0.0.1:9"]),
            vec!["text", "json"],
        ),
        (s(&["import", "helm", &values]), vec!["text", "json"]),
        (
            s(&["import", "adaptive", &state, "-o", &imported]),
            vec!["text"],
        ),
        (s(&["export", "helm"]), vec!["text"]),
    ]
}

#[test]
fn each_format_offered_is_one_the_command_writes() {
    let dir = tempfile::tempdir().unwrap();
    let runs = format_runs(dir.path());
    for (path, cmd) in commands() {
        let Some(arg) = cmd.get_arguments().find(|a| a.get_id() == "format") else {
            continue;
        };
        let offered: Vec<String> = arg
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_owned())
            .collect();
        let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
        assert!(
            help.contains(&format!("`{}` by default", offered[0])) || offered.len() == 1,
            "{}: the help names the default, the first value: {help}",
            name(&path)
        );
        let (args, accepted) = runs
            .iter()
            .find(|(args, _)| args.starts_with(&path))
            .unwrap_or_else(|| panic!("{}: add it to format_runs", name(&path)));
        assert_eq!(&offered, accepted, "{}", name(&path));
        for value in &offered {
            let _ = std::fs::remove_dir_all(dir.path().join("imported"));
            let out = rolegraph(Path::new(POLICIES))
                .args(args)
                .args(["--format", value])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                !stderr.contains("does not write") && !stderr.contains("invalid value"),
                "{} --format {value}: {stderr}",
                name(&path)
            );
            // Nothing listens on port 9: these end in a network error.
            if !["pull", "apply"].contains(&path[0].as_str()) {
                assert_ne!(
                    out.status.code(),
                    Some(2),
                    "{} --format {value}: {stderr}",
                    name(&path)
                );
            }
        }
    }
}

#[test]
fn a_format_the_command_does_not_write_is_refused_either_way() {
    let policy = Path::new(POLICIES);
    // After the command name or before it (the older spelling), the same
    // message names what the command writes.
    for args in [["audit", "--format", "dot"], ["--format", "dot", "audit"]] {
        let out = rolegraph(policy).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "error: this command does not write `--format dot`; it accepts text, json\n"
        );
    }
    // A value no command writes is clap's error, with its suggestion.
    let typo = rolegraph(policy)
        .args(["audit", "--format", "jsn"])
        .output()
        .unwrap();
    assert_eq!(typo.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&typo.stderr);
    assert!(stderr.contains("[possible values: text, json]"), "{stderr}");
    // Both spellings write the same answer.
    let q = [
        "can",
        "john@acme.com",
        "use_case:adapt",
        "use_case/support-bot",
    ];
    let a = rolegraph(policy)
        .args(q)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let b = rolegraph(policy)
        .args(["--format", "json"])
        .args(q)
        .output()
        .unwrap();
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.stdout, b"{\"decision\":\"allow\"}\n");
}

#[test]
fn policy_help_says_one_thing() {
    let mut root = Cli::command();
    root.build();
    let policy = root
        .get_arguments()
        .find(|a| a.get_id() == "policy")
        .unwrap();
    let help = policy
        .get_long_help()
        .or(policy.get_help())
        .unwrap()
        .to_string();
    assert!(
        help.contains("bundle") && help.contains("`validate`, `fmt` and `diff` read policy text"),
        "{help}"
    );
    assert!(!help.contains("read by every command but"), "{help}");
}

#[test]
fn every_command_has_its_man_page() {
    let dir = tempfile::tempdir().unwrap();
    let out = rolegraph(Path::new(POLICIES))
        .args(["man", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let index = std::fs::read_to_string(dir.path().join("rolegraph.1")).unwrap();
    for (path, cmd) in commands() {
        if cmd.is_hide_set() {
            continue;
        }
        let page = if path.is_empty() {
            "rolegraph".to_string()
        } else {
            format!("rolegraph-{}", path.join("-"))
        };
        let text = std::fs::read_to_string(dir.path().join(format!("{page}.1")))
            .unwrap_or_else(|e| panic!("{page}.1: {e}"));
        assert!(
            text.contains(&format!(".TH {} 1", page.to_uppercase())),
            "{page}"
        );
        assert!(text.contains(".SH EXAMPLES\n.nf\n"), "{page}: {text}");
        assert!(
            text.contains(".SH \"EXIT STATUS\"\n.nf\n0  "),
            "{page}: {text}"
        );
        assert!(!text.contains(".SH EXTRA"), "{page}");
        // The index names every top-level page, as `rolegraph-can(1)`.
        if path.len() == 1 {
            assert!(
                index.contains(&format!("{}(1)", page.replace('-', "\\-"))),
                "{page}"
            );
        }
        // One page printed is the same page.
        if !path.is_empty() {
            let one = rolegraph(Path::new(POLICIES))
                .arg("man")
                .args(&path)
                .output()
                .unwrap();
            assert!(one.status.success());
            assert_eq!(String::from_utf8(one.stdout).unwrap(), text, "{page}");
        }
    }
    assert!(
        !index.contains("rolegraph\\-help(1)"),
        "no page for clap's `help`"
    );
    let unknown = rolegraph(Path::new(POLICIES))
        .args(["man", "nope"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}
