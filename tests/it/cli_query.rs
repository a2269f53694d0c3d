//! The query commands through the real binary: exit codes, JSON shapes,
//! batch answers in order, and the compiled document's determinism.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;

use assert_cmd::Command;
use common::POLICIES;
use predicates::prelude::*;
use serde_json::Value;

/// The binary on the shipped policies.
fn rolegraph() -> Command {
    common::rolegraph(Path::new(POLICIES))
}

fn stdout_json(cmd: &mut Command) -> Value {
    let out = cmd.output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn can_exits_0_on_allow_1_on_deny_2_on_usage_errors() {
    rolegraph()
        .args([
            "can",
            "john@acme.com",
            "use_case:adapt",
            "use_case/support-bot",
        ])
        .assert()
        .code(0)
        .stdout("allow\n");
    rolegraph()
        .args([
            "can",
            "carol@acme.com",
            "use_case:adapt",
            "use_case/support-bot",
        ])
        .assert()
        .code(1)
        .stdout("deny\n");
    // unknown permission, team, resource: usage errors with a suggestion
    rolegraph()
        .args([
            "can",
            "carol@acme.com",
            "use_case:adaptt",
            "use_case/support-bot",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("use_case:adapt"));
    rolegraph()
        .args(["can", "ken@acme.com", "dataset:create", "team/ml-teem"])
        .assert()
        .code(2);
    rolegraph()
        .args(["can", "ken@acme.com", "use_case:read", "use_case/nope"])
        .assert()
        .code(2);
    // a target team missing, or given where none is taken
    rolegraph()
        .args([
            "can",
            "maria@acme.com",
            "use_case:share",
            "use_case/fraud-detector",
        ])
        .assert()
        .code(2);
    rolegraph()
        .args([
            "can",
            "maria@acme.com",
            "use_case:read",
            "use_case/fraud-detector",
        ])
        .args(["--to", "team/ml-team"])
        .assert()
        .code(2);
}

#[test]
fn can_json_and_target_team() {
    rolegraph()
        .args([
            "--format",
            "json",
            "can",
            "maria@acme.com",
            "use_case:share",
        ])
        .args([
            "use_case/fraud-detector",
            "--to",
            "team/customer-support-team",
        ])
        .assert()
        .code(0)
        .stdout("{\"decision\":\"allow\"}\n");
    rolegraph()
        .args(["--format", "json", "can", "ken@acme.com", "use_case:share"])
        .args([
            "use_case/fraud-detector",
            "--to",
            "team/customer-support-team",
        ])
        .assert()
        .code(1)
        .stdout("{\"decision\":\"deny\"}\n");
    // a new login is evaluated with the defaults, and the answer says so
    rolegraph()
        .args([
            "--format",
            "json",
            "can",
            "Newcomer@Acme.com",
            "use_case:read",
        ])
        .arg("use_case/doc-search")
        .assert()
        .code(0)
        .stdout("{\"decision\":\"allow\",\"new_login\":true}\n");
    // scope absent means global
    rolegraph()
        .args(["can", "ALICE@acme.com", "model:manage_models"])
        .assert()
        .code(0);
}

const BATCH: &str = r#"{"user":"maria@acme.com","permission":"use_case:read","scope":"use_case/fraud-detector"}
not json
{"user":"carol@acme.com"}
{"permission":"use_case:read"}
{"user":"carol@acme.com","permission":"use_case:reed","scope":"use_case/support-bot"}
{"user":"maria@acme.com","permission":"use_case:share","scope":"use_case/fraud-detector"}
{"user":"carol@acme.com","permission":"use_case:adapt","scope":"use_case/support-bot"}
{"user":"maria@acme.com","permission":"use_case:share","scope":"use_case/fraud-detector","to":"team/customer-support-team"}
{"user":"alice@acme.com","permission":"model:manage_models"}
{"user":"newcomer@acme.com","permission":"use_case:read","scope":"use_case/support-bot"}
"#;

fn check_batch_answers(stdout: &[u8]) {
    let lines: Vec<Value> = std::str::from_utf8(stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let decisions: Vec<&str> = lines
        .iter()
        .map(|l| l["decision"].as_str().unwrap())
        .collect();
    assert_eq!(
        decisions,
        ["allow", "error", "error", "error", "error", "error", "deny", "allow", "allow", "deny"]
    );
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(
            line.get("error").is_some(),
            decisions[i] == "error",
            "line {i}: {line}"
        );
    }
    assert!(lines[1]["error"].as_str().unwrap().contains("invalid"));
    assert!(lines[2]["error"].as_str().unwrap().contains("permission"));
    assert!(lines[3]["error"].as_str().unwrap().contains("user"));
    assert!(lines[4]["error"]
        .as_str()
        .unwrap()
        .contains("use_case:reed"));
    assert!(lines[5]["error"].as_str().unwrap().contains("target team"));
    assert_eq!(lines[9]["new_login"], Value::Bool(true));
}

#[test]
fn batch_from_a_file_answers_every_line_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("queries.jsonl");
    std::fs::write(&file, BATCH).unwrap();
    let out = rolegraph()
        .args(["can", "--batch"])
        .arg(&file)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    check_batch_answers(&out);
}

#[test]
fn batch_from_stdin_answers_every_line_in_order() {
    let out = rolegraph()
        .args(["can", "--batch", "-"])
        .write_stdin(BATCH)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    check_batch_answers(&out);
}

#[test]
fn batch_with_an_unreadable_file_is_an_io_error() {
    rolegraph()
        .args(["can", "--batch", "/nonexistent/queries.jsonl"])
        .assert()
        .code(2);
}

#[test]
fn who_lists_users_with_the_team_and_role_it_comes_through() {
    let v = stdout_json(rolegraph().args([
        "--format",
        "json",
        "who",
        "use_case:adapt",
        "use_case/support-bot",
    ]));
    let users = v["users"].as_array().unwrap();
    let names: Vec<&str> = users.iter().map(|u| u["user"].as_str().unwrap()).collect();
    assert_eq!(names, ["john@acme.com", "ken@acme.com", "maria@acme.com"]);
    let maria = &users[2]["via"][0];
    assert_eq!(maria["team"], "ml-team");
    assert_eq!(maria["role"], "power_user");
    assert_eq!(maria["share_role"], "power_user");
    // global powers that reach down
    let v = stdout_json(rolegraph().args([
        "--format",
        "json",
        "who",
        "admin:manage_users",
        "team/ml-team",
    ]));
    assert_eq!(
        v["users"][0]["via"][0],
        serde_json::json!({"team": "admin", "role": "admin", "through": "global"})
    );
    // new logins are the user `*`
    let v = stdout_json(rolegraph().args([
        "--format",
        "json",
        "who",
        "use_case:read",
        "use_case/doc-search",
    ]));
    assert_eq!(v["users"][0]["user"], "*");
}

#[test]
fn what_lists_everything_by_scope() {
    let v = stdout_json(rolegraph().args(["--format", "json", "what", "Li@acme.com"]));
    assert_eq!(
        v,
        serde_json::json!({
            "user": "li@acme.com",
            "scopes": [
                {"scope": "use_case/doc-search", "permissions": ["use_case:read"]},
                {"scope": "use_case/fraud-detector", "permissions": ["use_case:read"]},
                {"scope": "use_case/support-bot", "permissions": ["use_case:read"]},
            ]
        })
    );
    // A new login is said as `can` says it: `"new_login": true`, else absent.
    let v = stdout_json(rolegraph().args(["--format", "json", "what", "newcomer@acme.com"]));
    assert_eq!(v["new_login"], true);
    rolegraph()
        .args(["what", "newcomer@acme.com"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("new login"))
        .stdout(predicate::str::contains(
            "use_case/doc-search\n  use_case:read\n",
        ));
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn compile_json_has_the_documented_keys_and_is_deterministic() {
    let first = rolegraph()
        .arg("compile")
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&first).unwrap();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "grants",
            "permissions",
            "resources",
            "roles",
            "schema_version",
            "source_digest",
            "teams"
        ]
    );
    assert_eq!(v["schema_version"], 1);
    assert!(v["source_digest"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(
        v["roles"]["inference"]["permissions"],
        serde_json::json!(["use_case:interact", "use_case:read"])
    );
    assert_eq!(
        v["resources"]["use_case/support-bot"]["shares"]["customer-support-team"],
        serde_json::json!({"role": "admin", "owner": true})
    );
    assert!(v["grants"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!({"user": "carol@acme.com", "scope": "use_case/support-bot", "permissions": ["use_case:interact", "use_case:read"]})));

    // The same files in another layout (flattened, renamed so that they
    // sort in another order) give the same bytes.
    let dir = tempfile::tempdir().unwrap();
    let names = [
        ("adaptive.policy", "z-builtins.policy"),
        ("example/tests.policy", "a/a.policy"),
        ("example/use_cases.policy", "b.policy"),
        ("example/users.policy", "a/c.policy"),
        ("example/teams.policy", "d/e/f.policy"),
        ("example/escalation.policy", "a/b/escalation.policy"),
    ];
    for (from, to) in names {
        let target = dir.path().join(to);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(Path::new(POLICIES).join(from), target).unwrap();
    }
    let again = Command::cargo_bin("rolegraph")
        .unwrap()
        .arg("--policy")
        .arg(dir.path())
        .arg("compile")
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8(first).unwrap(),
        String::from_utf8(again).unwrap()
    );

    // and a plain copy compiles identically too
    let copy = tempfile::tempdir().unwrap();
    copy_tree(Path::new(POLICIES), copy.path());
    let out = copy.path().join("matrix.json");
    Command::cargo_bin("rolegraph")
        .unwrap()
        .arg("--policy")
        .arg(copy.path())
        .args(["compile", "-o"])
        .arg(&out)
        .assert()
        .code(0)
        .stdout("");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(written, v);
}

#[test]
fn compile_lines_are_sorted_user_scope_permission() {
    let out = rolegraph()
        .args(["--format", "lines", "compile"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
    assert!(lines.iter().all(|l| l.split('\t').count() == 3));
    assert!(lines.contains(&"*\tuse_case/doc-search\tuse_case:read"));
    assert!(lines.contains(&"alice@acme.com\tteam/ml-team\tadmin:manage_users"));
    assert!(lines.contains(&"alice@acme.com\tglobal\tmodel:manage_models"));
    assert!(!lines.contains(&"alice@acme.com\tuse_case/support-bot\tuse_case:read"));
    // target-team permissions appear where held before the target check
    assert!(lines.contains(&"ken@acme.com\tuse_case/fraud-detector\tuse_case:share"));
}

#[test]
fn explain_exits_like_can_and_writes_json() {
    let v = stdout_json(rolegraph().args([
        "--format",
        "json",
        "explain",
        "john@acme.com",
        "use_case:adapt",
        "use_case/doc-search",
    ]));
    assert_eq!(v["decision"], "deny");
    let failures: Vec<&str> = v["paths"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["failure"].as_str())
        .collect();
    assert!(
        failures.iter().any(|f| f.contains("the share caps it")),
        "{failures:?}"
    );
    rolegraph()
        .args([
            "explain",
            "john@acme.com",
            "use_case:adapt",
            "use_case/doc-search",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("DENY: john@acme.com"));
    rolegraph()
        .args([
            "explain",
            "newcomer@acme.com",
            "use_case:read",
            "use_case/doc-search",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("new login"));
    rolegraph()
        .args([
            "explain",
            "ken@acme.com",
            "use_case:share",
            "use_case/fraud-detector",
        ])
        .assert()
        .code(2);
}

#[test]
fn who_and_what_reject_unknown_names() {
    rolegraph()
        .args(["who", "use_case:read", "use_case/nope"])
        .assert()
        .code(2);
    rolegraph().args(["who", "use_case:reed"]).assert().code(2);
}

/// A client that writes one question and waits gets its answer before it
/// writes the next: `can --batch -` streams, it does not wait for a block.
#[test]
fn batch_on_stdin_answers_each_line_as_it_arrives() {
    use std::io::{BufRead, BufReader, Write};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rolegraph"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["can", "--batch", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut answers = BufReader::new(child.stdout.take().unwrap());
    for (question, expected) in [
        (
            r#"{"user":"john@acme.com","permission":"use_case:adapt","scope":"use_case/support-bot"}"#,
            r#"{"decision":"allow"}"#,
        ),
        (
            r#"{"user":"carol@acme.com","permission":"use_case:adapt","scope":"use_case/support-bot"}"#,
            r#"{"decision":"deny"}"#,
        ),
    ] {
        writeln!(stdin, "{question}").unwrap();
        stdin.flush().unwrap();
        // With stdin still open, this read only returns if the answer was
        // written for this one line.
        let mut line = String::new();
        answers.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), expected);
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}
