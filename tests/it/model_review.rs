//! What a spec review of the language found open, each now closed: a
//! restricted role given to every new login, an `auth` setting made twice in
//! one block, two invariants with one name, and questions about users that
//! are not emails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use rolegraph::diagnostics::Code;
use rolegraph::resolve;
use rolegraph::source::Sources;

use crate::common::{copy_dir, rolegraph, POLICIES};

fn diagnostics(text: &str) -> Vec<(Code, String, usize)> {
    let mut sources = Sources::default();
    sources.add("e.policy", text);
    resolve::check(sources)
        .diagnostics
        .iter()
        .map(|d| (d.code, d.message.clone(), d.labels.len()))
        .collect()
}

/// The shipped policies with their `auth` block's `default_role` replaced.
fn shipped_with_default_role(dir: &Path, role: &str) {
    copy_dir(Path::new(POLICIES), dir);
    let path = dir.join("adaptive.policy");
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("default_role "))
        .expect("the shipped policies set a default role");
    let changed = text.replace(line, &format!("  default_role {role}"));
    std::fs::write(&path, changed).unwrap();
}

#[test]
fn a_default_role_restricted_to_other_teams_is_an_only_in_violation() {
    let dir = tempfile::tempdir().unwrap();
    shipped_with_default_role(dir.path(), "platform-admin");
    let out = rolegraph(dir.path()).arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("only_in_violation"), "{err}");
    assert!(
        err.contains("every new login is assigned `platform-admin` in `default`"),
        "{err}"
    );
    // And no question about a new login is allowed: the policy does not load.
    let out = rolegraph(dir.path())
        .args([
            "can",
            "random@evil.com",
            "admin:manage_users",
            "team/default",
        ])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("allow"));
}

#[test]
fn a_default_role_its_team_allows_is_fine() {
    let dir = tempfile::tempdir().unwrap();
    shipped_with_default_role(dir.path(), "read-only");
    rolegraph(dir.path()).arg("validate").assert().code(0);
}

#[test]
fn an_auth_setting_made_twice_in_one_block_is_a_duplicate() {
    let base = "team ta\nteam tb\nrole admin { grant * }\n";
    for (setting, a, b) in [
        ("admin_team", "ta", "tb"),
        ("default_team", "ta", "tb"),
        ("default_role", "admin", "admin"),
    ] {
        let text = format!("{base}auth {{\n  {setting} {a}\n  {setting} {b}\n}}\n");
        let found = diagnostics(&text);
        assert!(
            found
                .iter()
                .any(|(code, message, labels)| *code == Code::Duplicate
                    && message == &format!("auth setting `{setting}` is defined twice")
                    && *labels == 2),
            "{setting}: {found:?}"
        );
    }
}

#[test]
fn fmt_refuses_a_repeated_setting_rather_than_dropping_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.policy");
    let text = "team ta\nteam tb\nauth {\n  admin_team ta\n  admin_team tb\n}\n";
    std::fs::write(&file, text).unwrap();
    let out = rolegraph(&file).arg("fmt").output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}

#[test]
fn two_invariants_with_one_name_are_a_duplicate() {
    let text = "kind doc\npermission doc:read on doc\n\
        invariant \"i\" { nobody may doc:read on doc/* }\n\
        invariant \"i\" { nobody may doc:read on doc/* }\n";
    let found = diagnostics(text);
    assert!(
        found
            .iter()
            .any(|(code, message, _)| *code == Code::Duplicate
                && message == "invariant `i` is defined twice"),
        "{found:?}"
    );
    // A test and an invariant may share a name: they are reported apart.
    let text = "kind doc\npermission doc:read on doc\n\
        test \"i\" { deny a@b.c doc:read on doc/d }\n\
        invariant \"i\" { nobody may doc:read on doc/* }\n";
    assert!(!diagnostics(text)
        .iter()
        .any(|(c, ..)| *c == Code::Duplicate));
}

#[test]
fn questions_about_users_that_are_not_emails_are_usage_errors() {
    let policies = Path::new(POLICIES);
    for user in ["", "nouser", "*", "@acme.com", "kim@"] {
        let out = rolegraph(policies)
            .args(["can", user, "use_case:read", "use_case/doc-search"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "can {user:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("is not an email"), "can {user:?}: {err}");
        for command in [&["what", user][..], &["explain", user, "use_case:read"]] {
            let out = rolegraph(policies).args(command).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{command:?}");
        }
    }
    // In a batch, an `error` answer for that line and the others answered.
    let out = rolegraph(policies)
        .args(["can", "--batch", "-"])
        .write_stdin(
            "{\"user\":\"\",\"permission\":\"use_case:read\",\"scope\":\"use_case/doc-search\"}\n\
             {\"user\":\"new@acme.com\",\"permission\":\"use_case:read\",\"scope\":\"use_case/doc-search\"}\n",
        )
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].contains("\"decision\":\"error\"") && lines[0].contains("not an email"));
    assert!(!lines[1].contains("error"), "{text}");
    // An undeclared email is still a new login.
    rolegraph(policies)
        .args([
            "can",
            "new@acme.com",
            "use_case:read",
            "use_case/doc-search",
        ])
        .assert()
        .code(0);
}

#[test]
fn a_declared_user_in_no_team_is_denied_and_the_warning_says_so() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(POLICIES), dir.path());
    std::fs::write(dir.path().join("lonely.policy"), "user lonely@acme.com\n").unwrap();
    let out = rolegraph(dir.path()).arg("validate").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("user `lonely@acme.com` is in no team"),
        "{err}"
    );
    assert!(err.contains("they can do nothing"), "{err}");
    assert!(!err.contains("treated as a new login"), "{err}");
    // What the warning says is what the evaluator does; a new login differs.
    rolegraph(dir.path())
        .args([
            "can",
            "lonely@acme.com",
            "use_case:read",
            "use_case/doc-search",
        ])
        .assert()
        .code(1);
    rolegraph(dir.path())
        .args([
            "can",
            "nobody-yet@acme.com",
            "use_case:read",
            "use_case/doc-search",
        ])
        .assert()
        .code(0);
}
