#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `graph`: the example org in Mermaid, DOT and JSON, filters, aggregation.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn policies() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")
}

fn graph(policy: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("rolegraph")
        .unwrap()
        .arg("--policy")
        .arg(policy)
        .arg("graph")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(policy: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = graph(policy, args);
    assert_eq!(code, 0, "{stderr}");
    stdout
}

#[test]
fn example_org_mermaid() {
    let out = ok(&policies(), &[]);
    assert_eq!(out, ok(&policies(), &["--format", "mermaid"]));
    // Every node id is a plain identifier; names only appear in quoted labels.
    for line in out.lines().skip(1) {
        let id: String = line
            .trim()
            .chars()
            .take_while(|c| *c != '(' && *c != '[' && *c != '{' && *c != ' ')
            .collect();
        assert!(
            id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "bad id in {line}"
        );
    }
    insta::assert_snapshot!(out);
}

#[test]
fn example_org_dot() {
    insta::assert_snapshot!(ok(&policies(), &["--format", "dot"]));
}

#[test]
fn example_org_json() {
    let out = ok(&policies(), &["--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(value["nodes"].as_array().is_some_and(|n| !n.is_empty()));
    insta::assert_snapshot!(out);
}

#[test]
fn filters() {
    insta::assert_snapshot!("team_ml", ok(&policies(), &["--team", "ml-team"]));
    insta::assert_snapshot!("role_inference", ok(&policies(), &["--role", "inference"]));
    insta::assert_snapshot!(
        "resource_support_bot",
        ok(&policies(), &["--resource", "use_case/support-bot"])
    );
}

#[test]
fn unknown_names_are_usage_errors_with_a_suggestion() {
    let (code, _, stderr) = graph(&policies(), &["--team", "ml-taem"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean `ml-team`?"), "{stderr}");
    let (code, _, stderr) = graph(&policies(), &["--role", "anotator"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("`annotator`"), "{stderr}");
    let (code, _, _) = graph(&policies(), &["--resource", "use_case/nope"]);
    assert_eq!(code, 2);
    let (code, _, _) = graph(&policies(), &["--resource", "team/ml-team"]);
    assert_eq!(code, 2);
    let (code, _, _) = graph(&policies(), &["--format", "lines"]);
    assert_eq!(code, 2);
}

#[test]
fn large_teams_are_aggregated_by_role() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "kind use_case\npermission use_case:read on use_case\nrole reader { grant use_case:read }\nrole lead { includes reader }\nteam big {\n",
    );
    for i in 0..10 {
        text.push_str(&format!("  member u{i}@x.io as reader\n"));
    }
    text.push_str("  member boss@x.io as lead\n}\nuse_case bot { share big as lead owner }\n");
    std::fs::write(dir.path().join("org.policy"), text).unwrap();
    let out = ok(dir.path(), &[]);
    assert!(out.contains("{{\"10 members\"}}"), "{out}");
    assert!(out.contains("{{\"1 member\"}}"), "{out}");
    assert!(!out.contains("u3@x.io"), "{out}");
    // Asking for the team shows every member.
    assert!(ok(dir.path(), &["--team", "big"]).contains("u3@x.io"));
}
