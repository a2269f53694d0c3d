//! Every fixture under `tests/fixtures/<stage>/{ok,err}/` is checked and its
//! diagnostics snapshotted twice: as the miette report a person reads, and as
//! the JSON of `validate --format json`.
//!
//! Naming: an `err` fixture is named after the one code it triggers, with an
//! optional `.variant` (`only_in_violation.inherited.policy`); a directory is
//! one multi-file policy. An `ok` fixture must produce no diagnostic at all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use rolegraph::diagnostics::{render_json, render_text, Code};
use rolegraph::resolve::{self, Checked};
use rolegraph::source::Sources;

const FIXTURES: &str = "tests/fixtures";

/// The fixture's path relative to the crate root, so that file names in the
/// snapshots do not depend on where the repository is checked out.
fn relative(path: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

fn check(path: &Path) -> Checked {
    let sources = Sources::load(&relative(path))
        .unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()));
    resolve::check(sources)
}

/// (stage, ok|err, code name) from `…/<stage>/<ok|err>/<code>[.variant][.policy]`.
fn classify(path: &Path) -> (String, String, String) {
    let rel = relative(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let [.., stage, outcome, name] = parts.as_slice() else {
        panic!("fixture outside <stage>/<ok|err>/: {}", rel.display());
    };
    let code = name.split('.').next().unwrap_or_default().to_string();
    (stage.clone(), outcome.clone(), code)
}

#[test]
fn fixtures() {
    let mut wrong = Vec::new();
    insta::glob!("..", "fixtures/*/*/*", |path| {
        let (stage, outcome, code) = classify(path);
        let checked = check(path);
        let text = render_text(&checked.diagnostics, &checked.sources, false);
        let json = render_json(&checked.diagnostics, &checked.sources);
        insta::assert_snapshot!(format!("{text}---- json ----\n{json}"));
        let codes: Vec<&str> = checked
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        let right = match outcome.as_str() {
            "ok" => codes.is_empty(),
            "err" => {
                let expected = format!("rolegraph::{stage}::{code}");
                !codes.is_empty() && codes.iter().all(|c| *c == expected)
            }
            _ => false,
        };
        if !right {
            wrong.push(format!("{}: {codes:?}", relative(path).display()));
        }
    });
    assert!(
        wrong.is_empty(),
        "fixtures whose diagnostics do not match their name (an `ok` fixture \
         must be clean, an `err` one must raise only the code it is named after):\n{}",
        wrong.join("\n")
    );
}

/// Every code a user can meet is shown by at least one fixture: adding a code
/// without one fails here.
#[test]
fn every_code_has_an_err_fixture() {
    // A fixture for these would be megabytes of text: 65,537 declarations.
    // `tests/it/model_ids.rs` builds them in memory instead.
    let generated = [Code::TooMany];
    let mut missing = Vec::new();
    for code in Code::ALL.iter().filter(|c| !generated.contains(c)) {
        let parts: Vec<&str> = code.as_str().split("::").collect();
        let ["rolegraph", stage, name] = parts.as_slice() else {
            panic!("code `{code}` is not `rolegraph::<stage>::<name>`");
        };
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(FIXTURES)
            .join(stage)
            .join("err");
        let found = std::fs::read_dir(&dir)
            .map(|entries| {
                entries.flatten().any(|e| {
                    let file = e.file_name().to_string_lossy().into_owned();
                    file.split('.').next() == Some(*name)
                })
            })
            .unwrap_or(false);
        if !found {
            missing.push(code.as_str());
        }
    }
    assert!(
        missing.is_empty(),
        "codes without an err fixture: {missing:?}"
    );
}

/// Fixture names must be codes: a typo would silently leave a code uncovered.
#[test]
fn every_err_fixture_is_named_after_a_code() {
    let codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    for stage in ["syntax", "resolve", "lint"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(FIXTURES)
            .join(stage)
            .join("err");
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            let name = file.split('.').next().unwrap_or_default();
            let code = format!("rolegraph::{stage}::{name}");
            assert!(
                codes.contains(&code.as_str()),
                "{stage}/err/{file} is not named after a code ({code})"
            );
        }
    }
}
