//! `action.yml` (SPEC §12): well-formed, consistent with the docs that use
//! it, and run. GitHub cannot be reached from here, so a small stand-in
//! runner executes the composite action's own `run:` scripts the way a
//! runner does (`bash -eo pipefail`, `GITHUB_OUTPUT`/`GITHUB_PATH`/
//! `GITHUB_STEP_SUMMARY`, the step's `env:` with its `${{ }}` expressions)
//! in a scratch repository, with a stand-in `gh` that keeps pull request
//! comments in a file. Only the cache steps and `cargo install` are not
//! exercised (the built binary stands in the cache).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value as Json};
use serde_yaml::Value as Yaml;

use crate::ci_support::{python_has, root, tool_available, which};

fn action() -> Yaml {
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

fn names(map: &Yaml) -> BTreeSet<String> {
    map.as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect()
}

/// Every `${{ … }}` expression in a text.
fn expressions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let end = rest[start..].find("}}").expect("an unclosed ${{") + start;
        out.push(rest[start + 3..end].trim().to_string());
        rest = &rest[end + 2..];
    }
    out
}

/// The dotted names an expression reads (`inputs.policy`, `steps.x.outputs.y`).
fn references(expr: &str, prefix: &str) -> Vec<String> {
    expr.split(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c)))
        .filter(|w| w.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_action_is_a_consistent_composite_action() {
    let action = action();
    assert_eq!(action["runs"]["using"], "composite");
    for key in ["name", "description"] {
        assert!(action[key].as_str().is_some_and(|s| !s.is_empty()), "{key}");
    }
    let inputs = names(&action["inputs"]);
    for name in ["policy", "fail-on-grant", "comment", "version"] {
        assert!(inputs.contains(name), "input `{name}`");
    }
    for (name, input) in action["inputs"].as_mapping().unwrap() {
        assert!(
            input["description"].as_str().is_some(),
            "{name:?} has no description"
        );
    }
    let steps = action["runs"]["steps"].as_sequence().unwrap();
    let mut ids = BTreeSet::new();
    for step in steps {
        let name = step["name"].as_str().expect("every step is named");
        if let Some(script) = step["run"].as_str() {
            // A composite action's `run:` step must name its shell.
            assert_eq!(step["shell"], "bash", "{name}");
            // Inputs reach scripts through `env:`, never spliced into shell.
            assert!(
                !script.contains("${{"),
                "{name}: an expression inside the script"
            );
            // The scripts decide for themselves: the stand-in runner below
            // runs every `run:` step, so a condition would go untested.
            assert!(step.get("if").is_none(), "{name}: `if:` on a run step");
        } else {
            assert!(
                step["uses"].as_str().is_some(),
                "{name}: neither run nor uses"
            );
        }
        // What the step reads exists: inputs, and outputs of earlier steps.
        let text = serde_yaml::to_string(step).unwrap();
        for expr in expressions(&text) {
            for r in references(&expr, "inputs.") {
                assert!(
                    inputs.contains(&r["inputs.".len()..]),
                    "{name}: unknown {r}"
                );
            }
            for r in references(&expr, "steps.") {
                let id = r.split('.').nth(1).unwrap();
                assert!(ids.contains(id), "{name}: {r} before step `{id}`");
            }
        }
        if let Some(id) = step["id"].as_str() {
            assert!(ids.insert(id.to_string()), "two steps with id `{id}`");
        }
    }
    for (name, output) in action["outputs"].as_mapping().unwrap() {
        let value = output["value"].as_str().unwrap();
        for r in expressions(value)
            .iter()
            .flat_map(|e| references(e, "steps."))
        {
            let id = r.split('.').nth(1).unwrap();
            assert!(
                ids.contains(id),
                "output {name:?} reads unknown step `{id}`"
            );
        }
    }
}

/// The fenced ```yaml blocks of a Markdown file.
fn yaml_blocks(path: &str) -> Vec<Yaml> {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None if line.trim_start().starts_with("```yaml") => current = Some(String::new()),
            Some(block) if line.trim_start().starts_with("```") => {
                blocks.push(serde_yaml::from_str(block).unwrap_or_else(|e| {
                    panic!("{path}: a yaml block does not parse: {e}\n{block}")
                }));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    assert!(current.is_none(), "{path}: an unclosed block");
    blocks
}

/// Whether a `uses:` names this action (`OWNER/rolegraph@REF` or `./`).
fn is_this_action(uses: &str) -> bool {
    uses == "./"
        || uses
            .split('@')
            .next()
            .is_some_and(|r| r.ends_with("/rolegraph"))
}

#[test]
fn the_docs_use_only_inputs_and_outputs_the_action_has() {
    let action = action();
    let inputs = names(&action["inputs"]);
    let outputs = names(&action["outputs"]);
    let hook_ids = hook_ids();
    let mut uses_seen = 0;
    let mut hooks_seen = 0;
    for doc in ["docs/ci.md", "README.md"] {
        for block in yaml_blocks(doc) {
            // A workflow's jobs, or a bare list of steps (a snippet).
            let jobs: Vec<Yaml> = match (&block["jobs"], &block) {
                (Yaml::Mapping(jobs), _) => jobs.values().cloned().collect(),
                (_, Yaml::Sequence(steps)) if steps.iter().any(|s| s.get("uses").is_some()) => {
                    let mut job = serde_yaml::Mapping::new();
                    job.insert("steps".into(), block.clone());
                    vec![Yaml::Mapping(job)]
                }
                _ => vec![],
            };
            for job in &jobs {
                let mut our_ids = BTreeSet::new();
                for step in job["steps"].as_sequence().unwrap() {
                    let Some(uses) = step["uses"].as_str() else {
                        continue;
                    };
                    if !is_this_action(uses) {
                        continue;
                    }
                    uses_seen += 1;
                    if let Some(id) = step["id"].as_str() {
                        our_ids.insert(id.to_string());
                    }
                    for key in step["with"].as_mapping().into_iter().flat_map(|m| m.keys()) {
                        let key = key.as_str().unwrap();
                        assert!(
                            inputs.contains(key),
                            "{doc}: the action has no input `{key}`"
                        );
                    }
                }
                let text = serde_yaml::to_string(&job).unwrap();
                for expr in expressions(&text) {
                    for r in references(&expr, "steps.") {
                        let parts: Vec<&str> = r.split('.').collect();
                        if our_ids.contains(parts[1]) && parts.get(2) == Some(&"outputs") {
                            assert!(
                                outputs.contains(parts[3]),
                                "{doc}: no output `{}`",
                                parts[3]
                            );
                        }
                    }
                }
            }
            for repo in block["repos"].as_sequence().into_iter().flatten() {
                if repo["repo"]
                    .as_str()
                    .is_some_and(|r| r.contains("rolegraph"))
                {
                    for hook in repo["hooks"].as_sequence().unwrap() {
                        let id = hook["id"].as_str().unwrap();
                        assert!(hook_ids.contains(id), "{doc}: no hook `{id}`");
                        hooks_seen += 1;
                    }
                }
            }
        }
    }
    // docs/ci.md's tables name every input and output.
    let ci = std::fs::read_to_string(root().join("docs/ci.md")).unwrap();
    for name in inputs.iter().chain(&outputs) {
        assert!(
            ci.contains(&format!("`{name}`")),
            "docs/ci.md does not name `{name}`"
        );
    }
    assert!(uses_seen >= 3, "the docs show the action");
    assert!(hooks_seen >= 6, "the docs show the hooks");
}

fn hook_ids() -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks: Yaml = serde_yaml::from_str(&text).unwrap();
    hooks
        .as_sequence()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_pre_commit_hooks_are_declared() {
    let text = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks: Yaml = serde_yaml::from_str(&text).unwrap();
    let hooks = hooks.as_sequence().unwrap();
    let ids: Vec<&str> = hooks.iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["rolegraph-validate", "rolegraph-fmt", "rolegraph-test"]
    );
    for hook in hooks {
        let entry = hook["entry"].as_str().unwrap();
        let command = hook["id"]
            .as_str()
            .unwrap()
            .trim_start_matches("rolegraph-");
        assert_eq!(entry, format!("rolegraph {command}"));
        assert_eq!(hook["language"], "system");
        // The commands read `--policy`, not file names.
        assert_eq!(hook["pass_filenames"], false);
        assert_eq!(hook["files"], "\\.policy$");
    }
}

// ------------------------------------------------------------- the runner

/// What a run of the action gave: each step's outputs, the step that failed
/// (if one did) and the job summary.
struct Run {
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    failed: Option<String>,
    summary: String,
    log: String,
}

impl Run {
    fn output(&self, step: &str, key: &str) -> &str {
        self.outputs
            .get(step)
            .and_then(|o| o.get(key))
            .map_or("", String::as_str)
    }
}

struct Runner {
    workspace: PathBuf,
    scratch: tempfile::TempDir,
    bin_dir: PathBuf,
}

impl Runner {
    fn new(workspace: &Path) -> Runner {
        let scratch = tempfile::tempdir().unwrap();
        // The cache, restored: the built binary where the install step puts it.
        let root = scratch.path().join("home/.cache/rolegraph-action/bin");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::copy(
            assert_cmd::cargo::cargo_bin("rolegraph"),
            root.join("rolegraph"),
        )
        .unwrap();
        // `gh`, standing in for GitHub's API: comments live in a JSON file.
        let bin_dir = scratch.path().join("fakebin");
        std::fs::create_dir_all(&bin_dir).unwrap();
        let gh = bin_dir.join("gh");
        std::fs::write(&gh, FAKE_GH).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::write(scratch.path().join("comments.json"), "[]").unwrap();
        Runner {
            workspace: workspace.to_path_buf(),
            scratch,
            bin_dir,
        }
    }

    fn comments(&self) -> Vec<Json> {
        let text = std::fs::read_to_string(self.scratch.path().join("comments.json")).unwrap();
        serde_json::from_str::<Json>(&text)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    fn gh_calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.scratch.path().join("gh.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Runs the action with these inputs, in this event context.
    fn run(&self, inputs: &[(&str, &str)], github: Json) -> Run {
        let action = action();
        let inputs: BTreeMap<&str, &str> = inputs.iter().copied().collect();
        let temp = tempfile::tempdir_in(self.scratch.path()).unwrap();
        let summary = temp.path().join("summary.md");
        let path_file = temp.path().join("path");
        std::fs::write(&summary, "").unwrap();
        std::fs::write(&path_file, "").unwrap();
        let context = json!({
            "github": github,
            "runner": {"os": "Linux", "arch": "X64", "temp": temp.path()},
        });
        let mut run = Run {
            outputs: BTreeMap::new(),
            failed: None,
            summary: String::new(),
            log: String::new(),
        };
        for (i, step) in action["runs"]["steps"]
            .as_sequence()
            .unwrap()
            .iter()
            .enumerate()
        {
            let id = step["id"]
                .as_str()
                .map_or(format!("step{i}"), str::to_string);
            let eval = |expr: &str| evaluate(expr, &action, &inputs, &context, &run.outputs);
            if let Some(uses) = step["uses"].as_str() {
                match uses {
                    "actions/cache/restore@v4" => {
                        let key = eval("steps.install-key.outputs.key");
                        assert!(key.starts_with("rolegraph-Linux-X64-"), "{key}");
                        run.outputs
                            .insert(id, BTreeMap::from([("cache-hit".into(), "true".into())]));
                    }
                    "actions/cache/save@v4" => {}
                    other => panic!("the stand-in runner does not know `{other}`"),
                }
                continue;
            }
            let output_file = temp.path().join(format!("output-{i}"));
            std::fs::write(&output_file, "").unwrap();
            let script = temp.path().join(format!("step-{i}.sh"));
            std::fs::write(&script, step["run"].as_str().unwrap()).unwrap();
            // PATH: what earlier steps added to GITHUB_PATH, then the stand-ins.
            let mut path: Vec<PathBuf> = std::fs::read_to_string(&path_file)
                .unwrap()
                .lines()
                .rev()
                .map(PathBuf::from)
                .collect();
            path.push(self.bin_dir.clone());
            path.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap()));
            let mut cmd = Command::new("bash");
            cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&script)
                .current_dir(&self.workspace)
                .env_clear()
                .env("PATH", std::env::join_paths(path).unwrap())
                .env("HOME", self.scratch.path().join("home"))
                .env("RUNNER_TEMP", temp.path())
                .env("GITHUB_OUTPUT", &output_file)
                .env("GITHUB_PATH", &path_file)
                .env("GITHUB_STEP_SUMMARY", &summary)
                .env("FAKE_GH_DIR", self.scratch.path())
                .env("NO_COLOR", "1");
            for (key, value) in step["env"].as_mapping().into_iter().flatten() {
                let value = value.as_str().unwrap_or_default();
                let mut text = value.to_string();
                for expr in expressions(value) {
                    text = text.replacen(&format!("${{{{ {expr} }}}}"), &eval(&expr), 1);
                }
                cmd.env(key.as_str().unwrap(), text);
            }
            let out = cmd.output().unwrap();
            run.log.push_str(&format!(
                "--- {id}\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
            let written = std::fs::read_to_string(&output_file).unwrap();
            assert!(
                !written.contains("<<"),
                "multi-line outputs are not read here"
            );
            let outputs: BTreeMap<String, String> = written
                .lines()
                .map(|l| {
                    let (k, v) = l.split_once('=').unwrap();
                    (k.to_string(), v.to_string())
                })
                .collect();
            run.outputs.insert(id.clone(), outputs);
            if !out.status.success() {
                run.failed = Some(id);
                break;
            }
        }
        run.summary = std::fs::read_to_string(&summary).unwrap();
        run
    }
}

/// The few expression forms the action may use: a dotted name, looked up in
/// the inputs (or their defaults), earlier steps' outputs, or the context.
fn evaluate(
    expr: &str,
    action: &Yaml,
    inputs: &BTreeMap<&str, &str>,
    context: &Json,
    outputs: &BTreeMap<String, BTreeMap<String, String>>,
) -> String {
    let parts: Vec<&str> = expr.split('.').collect();
    assert!(
        parts.iter().all(|p| p
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))),
        "the stand-in runner reads only dotted names, not `{expr}`"
    );
    match parts.as_slice() {
        ["inputs", name] => match inputs.get(name) {
            Some(v) => v.to_string(),
            None => {
                let default = action["inputs"][*name]["default"]
                    .as_str()
                    .unwrap_or_default();
                match expressions(default).as_slice() {
                    [inner] => evaluate(inner, action, inputs, context, outputs),
                    _ => default.to_string(),
                }
            }
        },
        ["steps", id, "outputs", key] => outputs
            .get(*id)
            .and_then(|o| o.get(*key))
            .cloned()
            .unwrap_or_default(),
        ["github", "action_path"] => root().display().to_string(),
        ["github", "token"] => "a-token".to_string(),
        [first @ ("github" | "runner"), rest @ ..] => {
            let mut v = &context[*first];
            for p in rest {
                v = &v[*p];
            }
            match v {
                Json::Null => String::new(),
                Json::String(s) => s.clone(),
                other => other.to_string(),
            }
        }
        _ => panic!("the stand-in runner cannot evaluate `{expr}`"),
    }
}

/// `gh api` for issue comments, over `$FAKE_GH_DIR/comments.json`.
const FAKE_GH: &str = r#"#!/usr/bin/env python3
import json, os, sys
state = os.path.join(os.environ["FAKE_GH_DIR"], "comments.json")
with open(os.path.join(os.environ["FAKE_GH_DIR"], "gh.log"), "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\n")
if not os.environ.get("GH_TOKEN"):
    sys.exit("gh: no GH_TOKEN")
args = sys.argv[1:]
assert args[0] == "api", args
method, body, jq, paths = "GET", None, None, []
i = 1
while i < len(args):
    a = args[i]
    if a == "--method": method = args[i + 1]; i += 2
    elif a == "-F": k, v = args[i + 1].split("=", 1); assert k == "body" and v.startswith("@"); body = open(v[1:]).read(); i += 2
    elif a == "--jq": jq = args[i + 1]; i += 2
    elif a == "--paginate": i += 1
    else: paths.append(a); i += 1
comments = json.load(open(state))
parts = paths[0].split("/")
if method == "GET":
    # Two pages, as --paginate prints them: concatenated arrays.
    print(json.dumps(comments[:1])); print(json.dumps(comments[1:])); sys.exit(0)
if method == "POST":
    c = {"id": 1000 + len(comments), "body": body}
    comments.append(c)
elif method == "PATCH":
    c = next(c for c in comments if c["id"] == int(parts[-1]))
    c["body"] = body
json.dump(comments, open(state, "w"))
c["html_url"] = "https://example.invalid/pull/1#issuecomment-%d" % c["id"]
print(c["html_url"] if jq == ".html_url" else json.dumps(c))
"#;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=ci",
            "-c",
            "user.email=ci@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn pull_request(base: &str) -> Json {
    json!({
        "event_name": "pull_request",
        "repository": "acme/access",
        "event": {"pull_request": {"number": 7, "base": {"sha": base}}},
    })
}

/// A repository whose first commit holds the shipped policies.
fn scratch_repo() -> (tempfile::TempDir, String) {
    let repo = tempfile::tempdir().unwrap();
    git(repo.path(), &["init", "-q"]);
    crate::common::copy_dir(&root().join("policies"), &repo.path().join("policies"));
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-qm", "base"]);
    let base = git(repo.path(), &["rev-parse", "HEAD"]);
    (repo, base)
}

fn tools_for_the_runner() -> bool {
    tool_available("jq", which("jq").is_some(), "apt-get install jq")
        && tool_available("python3", python_has("json"), "python3")
}

#[test]
fn a_pull_request_gets_checks_files_and_one_updated_comment() {
    if !tools_for_the_runner() {
        return;
    }
    let (repo, base) = scratch_repo();
    let dir = repo.path();
    let runner = Runner::new(dir);

    // A change that makes carol an admin: validate passes, one test fails
    // (it says carol cannot manage models), and the diff grants `admin:*`.
    edit(
        &dir.join("policies/example/teams.policy"),
        "admins alice@acme.com",
        "admins alice@acme.com, carol@acme.com",
    );
    git(dir, &["commit", "-qam", "carol becomes an admin"]);
    let inputs = [
        ("fail-on-grant", "admin:*"),
        ("sarif-file", "rolegraph.sarif"),
        ("junit-file", "rolegraph.xml"),
        ("lcov-file", "rolegraph.lcov"),
    ];
    let run = runner.run(&inputs, pull_request(&base));
    assert_eq!(
        run.failed.as_deref(),
        Some("verdict"),
        "only the verdict fails:\n{}",
        run.log
    );
    assert_eq!(run.output("validate", "status"), "0", "{}", run.log);
    assert_eq!(run.output("test", "status"), "1");
    assert_eq!(run.output("diff", "status"), "1");
    assert_eq!(run.output("diff", "granted"), "26");
    assert_eq!(run.output("diff", "revoked"), "0");
    assert!(run.log.contains("rolegraph test failed"));
    assert!(run.log.contains("matching `admin:*`"));
    // The diff is in the job summary and in one comment, under its marker.
    assert!(
        run.summary.contains("26 granted, 0 revoked"),
        "{}",
        run.summary
    );
    let comments = runner.comments();
    assert_eq!(comments.len(), 1);
    let body = comments[0]["body"].as_str().unwrap();
    assert!(
        body.starts_with(
            "<!-- rolegraph-access-diff: policies -->\n**rolegraph diff**: 26 granted"
        ),
        "{body}"
    );
    assert!(body.contains("matches `admin:*`"));
    assert!(run.output("comment", "url").ends_with("#issuecomment-1000"));
    // The files for code scanning, the test report and coverage.
    let sarif: Json =
        serde_json::from_str(&std::fs::read_to_string(dir.join("rolegraph.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let junit = quick_junit::Report::deserialize_from_str(
        &std::fs::read_to_string(dir.join("rolegraph.xml")).unwrap(),
    )
    .unwrap();
    assert_eq!(junit.failures, 1);
    let lcov = std::fs::read_to_string(dir.join("rolegraph.lcov")).unwrap();
    assert!(lcov.starts_with("TN:rolegraph\nSF:policies/"), "{lcov}");

    // The next push: the same comment is updated, not a second one posted.
    edit(
        &dir.join("policies/example/teams.policy"),
        "admins alice@acme.com, carol@acme.com",
        "admins alice@acme.com",
    );
    edit(
        &dir.join("policies/example/teams.policy"),
        "member li@acme.com    as read-only",
        "member li@acme.com    as inference",
    );
    git(dir, &["commit", "-qam", "not carol; li runs inference"]);
    let run = runner.run(&inputs, pull_request(&base));
    assert_eq!(run.failed, None, "{}", run.log);
    assert_eq!(run.output("diff", "status"), "0");
    let comments = runner.comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    let body = comments[0]["body"].as_str().unwrap();
    assert!(
        body.contains("`li@acme.com`") && !body.contains("carol"),
        "{body}"
    );
    let calls = runner.gh_calls();
    assert_eq!(
        calls.iter().filter(|c| c.contains("--method POST")).count(),
        1,
        "{calls:?}"
    );
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.contains("--method PATCH"))
            .count(),
        1,
        "{calls:?}"
    );
    assert!(calls
        .iter()
        .any(|c| c.contains("repos/acme/access/issues/comments/1000")));
}

#[test]
fn a_push_is_checked_without_a_diff_or_comment() {
    if !tools_for_the_runner() {
        return;
    }
    let (repo, _) = scratch_repo();
    let runner = Runner::new(repo.path());
    let run = runner.run(
        &[],
        json!({"event_name": "push", "repository": "acme/access"}),
    );
    assert_eq!(run.failed, None, "{}", run.log);
    assert_eq!(run.output("validate", "status"), "0");
    assert_eq!(run.output("test", "status"), "0");
    assert_eq!(run.output("diff", "status"), "");
    assert!(run.log.contains("not a pull request (push)"));
    assert!(runner.gh_calls().is_empty());

    // A file out of the canonical layout fails the job, unless `fmt: false`.
    std::fs::write(
        repo.path().join("policies/example/extra.policy"),
        "role   extra   \"Extra\"{grant use_case:read}\nteam  extra-team {member zed@acme.com   as extra}\n",
    )
    .unwrap();
    let push = json!({"event_name": "push", "repository": "acme/access"});
    let run = runner.run(&[], push.clone());
    assert_eq!(run.failed.as_deref(), Some("verdict"), "{}", run.log);
    assert_eq!(run.output("fmt", "status"), "1");
    assert!(
        run.log.contains("not in the canonical layout"),
        "{}",
        run.log
    );
    let run = runner.run(&[("fmt", "false")], push);
    assert_eq!(run.failed, None, "{}", run.log);
}

#[test]
fn a_broken_policy_fails_and_the_comment_says_why() {
    if !tools_for_the_runner() {
        return;
    }
    let (repo, base) = scratch_repo();
    let dir = repo.path();
    edit(
        &dir.join("policies/example/teams.policy"),
        "as inference",
        "as no-such-role",
    );
    git(dir, &["commit", "-qam", "a typo"]);
    let runner = Runner::new(dir);
    let run = runner.run(&[("test", "false")], pull_request(&base));
    assert_eq!(run.failed.as_deref(), Some("verdict"), "{}", run.log);
    assert_eq!(run.output("validate", "status"), "1");
    assert_eq!(run.output("test", "status"), "");
    assert_eq!(run.output("diff", "status"), "1");
    // The annotation names the line.
    assert!(
        run.log
            .contains("::error file=policies/example/teams.policy,line="),
        "{}",
        run.log
    );
    let body = runner.comments()[0]["body"].as_str().unwrap().to_string();
    assert!(
        body.contains("could not compare") && body.contains("no-such-role"),
        "{body}"
    );
}

#[test]
fn a_base_without_the_policy_is_said_so() {
    if !tools_for_the_runner() {
        return;
    }
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    git(dir, &["init", "-q"]);
    std::fs::write(dir.join("README"), "policies come next\n").unwrap();
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", "base"]);
    let base = git(dir, &["rev-parse", "HEAD"]);
    crate::common::copy_dir(&root().join("policies"), &dir.join("policies"));
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", "policies"]);
    let runner = Runner::new(dir);
    let run = runner.run(&[("comment", "false")], pull_request(&base));
    assert_eq!(run.failed, None, "{}", run.log);
    assert!(run.summary.contains("has no `policies`"), "{}", run.summary);
    assert!(runner.gh_calls().is_empty(), "comment: false");
}
