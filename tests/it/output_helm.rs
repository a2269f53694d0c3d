//! `import helm`: deep nesting answered at once, YAML merge keys honoured,
//! and a bad `admins` entry named.

use std::path::Path;
use std::time::{Duration, Instant};

use predicates::prelude::*;
use rolegraph::import::helm;

use crate::common::rolegraph;

/// 100,000 levels of flow nesting took 41 s (libyaml's scanner walks every
/// open level on every token); they are now refused before that. The bound
/// is generous: the point is "seconds, not minutes", whatever the machine.
#[test]
fn deep_nesting_is_refused_quickly() {
    for (what, yaml) in [
        (
            "sequences",
            format!(
                "auth:\n  admins: [a@x.io]\nx: {}{}\n",
                "[".repeat(100_000),
                "]".repeat(100_000)
            ),
        ),
        (
            "mappings",
            format!(
                "auth:\n  admins: [a@x.io]\nx: {}1{}\n",
                "{a: ".repeat(100_000),
                "}".repeat(100_000)
            ),
        ),
        (
            "inside auth",
            format!(
                "auth:\n  admins: {}{}\n",
                "[".repeat(100_000),
                "]".repeat(100_000)
            ),
        ),
    ] {
        let start = Instant::now();
        let err = helm::parse(&yaml).unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{what}: took {:?}",
            start.elapsed()
        );
        assert!(err.to_string().contains("nest"), "{what}: {err}");
    }
}

/// Nesting a values file really has, and brackets inside strings, comments
/// and block scalars, are not nesting.
#[test]
fn ordinary_nesting_and_brackets_in_text_are_fine() {
    let text_brackets = "[[[[".repeat(100);
    let yaml = format!(
        "# {text_brackets}\n\
         auth:\n  admins: [a@x.io, \"b@x.io\"]\n  default_team: default\n\
         tpl: \"{{{{ .Values.x }}}} {text_brackets}\"\n\
         single: '{text_brackets}'\n\
         plain: a{text_brackets}\n\
         script: |\n  {text_brackets}\n  more {text_brackets}\n\
         nested: {{a: [{{b: [[1, 2], {{c: d}}]}}]}}\n"
    );
    let auth = helm::parse(&yaml).unwrap();
    assert_eq!(
        auth.admins,
        Some(vec!["a@x.io".to_string(), "b@x.io".to_string()])
    );
    assert_eq!(auth.default_team.as_deref(), Some("default"));
}

/// `<<: *base` merges the anchored mapping (keys written beside it win), as
/// YAML 1.1 and Helm have it; it used to be dropped with a note.
#[test]
fn merge_keys_are_honoured() {
    let yaml = "\
defaults: &defaults
  admin_team: ops
  default_team: everyone
  default_role: reader
extra: &extra
  admins: [root@x.io]
auth:
  <<: [*defaults, *extra]
  default_role: viewer
";
    let auth = helm::parse(yaml).unwrap();
    assert_eq!(auth.admin_team.as_deref(), Some("ops"));
    assert_eq!(auth.default_team.as_deref(), Some("everyone"));
    assert_eq!(auth.default_role.as_deref(), Some("viewer"));
    assert_eq!(auth.admins, Some(vec!["root@x.io".to_string()]));
    assert!(auth.ignored.is_empty(), "{:?}", auth.ignored);
    // A merge key under `auth:` itself, and `auth:` as an alias.
    let yaml = "base: &b\n  default_team: t\n  default_role: r\nauth: *b\n";
    let auth = helm::parse(yaml).unwrap();
    assert_eq!(auth.default_team.as_deref(), Some("t"));
}

#[test]
fn a_bad_admins_entry_is_named() {
    for (entry, says) in [
        ("bob", "entry 2 (`bob`) is not `local@domain`"),
        ("[a@x.io]", "entry 2 is a list"),
        ("{a: 1}", "entry 2 is a mapping"),
        (
            "\"bo b@x.io\"",
            "entry 2 (`bo b@x.io`) holds a space or a control character",
        ),
    ] {
        let yaml = format!("auth:\n  admins: [alice@x.io, {entry}, carol@x.io]\n");
        let err = helm::parse(&yaml).unwrap_err().to_string();
        assert!(err.contains(says), "{entry}: {err}");
    }
    // And on the command line, with the file named.
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.yaml");
    std::fs::write(&values, "auth:\n  admins:\n    - alice@x.io\n    - 42\n").unwrap();
    rolegraph(&dir.path().join("none"))
        .args(["import", "helm"])
        .arg(&values)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "entry 2 (`42`) is not `local@domain`",
        ));
}

#[test]
fn a_merge_key_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.yaml");
    std::fs::write(
        &values,
        "common: &common\n  admins: [alice@acme.com]\nauth:\n  <<: *common\n  admin_team: admin\n",
    )
    .unwrap();
    rolegraph(Path::new("/nonexistent-policy"))
        .args(["import", "helm"])
        .arg(&values)
        .assert()
        .code(0)
        .stdout(predicate::str::is_match(r"admins +alice@acme.com").unwrap())
        .stderr(predicate::str::contains("<<").not());
}
