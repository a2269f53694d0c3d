#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `import helm`: values.yaml `auth:` -> an `auth { … }` block.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/helm").join(name)
}

/// Runs `import helm`; `policy` None points `--policy` at a path that does not exist.
fn import(name: &str, policy: Option<&Path>, json: bool) -> (i32, String, String) {
    let mut cmd = Command::cargo_bin("rolegraph").unwrap();
    let missing = root().join("tests/fixtures/helm/no-such-policy");
    cmd.arg("--policy").arg(policy.unwrap_or(&missing));
    if json {
        cmd.args(["--format", "json"]);
    }
    let out = cmd
        .args(["import", "helm"])
        .arg(fixture(name))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).replace(&*root().to_string_lossy(), "<root>");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

fn report(r: (i32, String, String)) -> String {
    format!("exit: {}\n--- stdout\n{}--- stderr\n{}", r.0, r.1, r.2)
}

#[test]
fn snapshots() {
    let policies = root().join("policies");
    for (name, policy) in [
        ("adaptive.yaml", Some(policies.as_path())),
        ("adaptive.yaml", None),
        ("no-admins.yaml", Some(policies.as_path())),
        ("admin-team.yaml", Some(policies.as_path())),
        ("malformed.yaml", None),
        ("no-auth.yaml", None),
    ] {
        let suffix = if policy.is_some() { "policy" } else { "alone" };
        insta::assert_snapshot!(
            format!("{name}-{suffix}"),
            report(import(name, policy, false))
        );
    }
}

#[test]
fn exit_codes() {
    assert_eq!(import("adaptive.yaml", None, false).0, 0);
    assert_eq!(import("malformed.yaml", None, false).0, 2);
    assert_eq!(import("no-auth.yaml", None, false).0, 2);
    assert_eq!(import("missing.yaml", None, false).0, 2);
}

#[test]
fn malformed_yaml_names_its_line() {
    let (_, _, stderr) = import("malformed.yaml", None, false);
    assert!(stderr.contains("line 3"), "{stderr}");
}

#[test]
fn json_settings() {
    let (code, stdout, _) = import("adaptive.yaml", Some(&root().join("policies")), true);
    assert_eq!(code, 0);
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(value["default_role"], "platform-admin");
    assert_eq!(
        value["admins"],
        serde_json::json!(["alice@acme.com", "bob@acme.com"])
    );
    assert_eq!(
        value["ignored"],
        serde_json::json!(["oidc", "session_secret"])
    );
    insta::assert_snapshot!(stdout);
}

#[test]
fn the_printed_block_parses() {
    let (_, stdout, _) = import("adaptive.yaml", None, false);
    let text = format!("{stdout}\nrole platform_admin {{}}\nteam default\n");
    assert!(rolegraph::syntax::parse_file(rolegraph::source::FileId(0), &text).is_ok());
}

#[test]
fn completions_and_man() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = Command::cargo_bin("rolegraph")
            .unwrap()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&out.stdout).contains("rolegraph"));
    }
    let out = Command::cargo_bin("rolegraph")
        .unwrap()
        .arg("man")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with(".ie")
            || String::from_utf8_lossy(&out.stdout).contains(".TH rolegraph")
    );
    let out = Command::cargo_bin("rolegraph")
        .unwrap()
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
