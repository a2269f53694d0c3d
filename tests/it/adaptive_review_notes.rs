//! `diff adaptive:`'s notes (a permission the policy does not declare, a
//! name the policy gives otherwise) reach every format: stderr for text as
//! before, a `notes` array in JSON (only when there are notes), a Notes list
//! in Markdown, so that a pull-request comment shows them.

use super::adaptive_review_support::{no_live_markup, run_on, run_with};
use super::plan_support::{org_state, ORG};

/// The small org without its `dataset` kind, which is always named in a
/// note (the API cannot share datasets).
fn org_without_datasets() -> String {
    let org = ORG
        .replace("kind dataset \"Dataset\"\n", "")
        .replace("dataset corpus {\n  share ml as viewer owner\n}\n", "");
    assert!(!org.contains("dataset"), "{org}");
    org
}

const UNDECLARED: &str = "project:<img/src=x/onerror=alert(1)>";

fn state_with_undeclared() -> rolegraph::adaptive::State {
    let mut state = org_state().build();
    state.permissions.push(UNDECLARED.to_string());
    state
        .roles
        .get_mut("viewer")
        .unwrap()
        .permissions
        .push(UNDECLARED.to_string());
    state.validate().unwrap();
    state
}

const DIFF: [&str; 3] = ["diff", "adaptive:STATE", "POLICY"];

#[test]
fn json_holds_the_notes() {
    let (code, out, err) = run_on(
        &state_with_undeclared(),
        &[&DIFF[..], &["--format", "json"]].concat(),
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let notes = v["notes"]
        .as_array()
        .unwrap_or_else(|| panic!("no notes: {out}"));
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains(UNDECLARED)),
        "{out}"
    );
    assert_eq!(v["granted"], serde_json::json!([]), "{out}");
}

#[test]
fn json_has_no_notes_key_without_notes() {
    let (code, out, err) = run_with(
        &org_without_datasets(),
        &org_state().build(),
        &[&DIFF[..], &["--format", "json"]].concat(),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(err, "", "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v.get("notes").is_none(), "{out}");
}

#[test]
fn markdown_lists_the_notes_as_code() {
    let (code, md, err) = run_on(
        &state_with_undeclared(),
        &[&DIFF[..], &["--format", "markdown"]].concat(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(md.contains("No access changes."), "{md}");
    assert!(md.contains("#### Notes"), "{md}");
    assert!(md.contains(UNDECLARED), "{md}");
    no_live_markup(&md);
    let (_, md, _) = run_with(
        &org_without_datasets(),
        &org_state().build(),
        &[&DIFF[..], &["--format", "markdown"]].concat(),
    );
    assert!(!md.contains("Notes"), "{md}");
}

#[test]
fn text_keeps_the_notes_on_stderr() {
    let (code, out, err) = run_on(&state_with_undeclared(), &DIFF);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(UNDECLARED), "{err}");
    assert!(!out.contains(UNDECLARED), "{out}");
}
