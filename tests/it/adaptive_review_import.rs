//! `import adaptive` of a consistent deployment whose display names a policy
//! string cannot hold (a carriage return) writes a policy that validates,
//! with a comment saying what was changed; a key a policy cannot write is
//! still refused, with a message saying which key and why.

use super::adaptive_review_support::run_on;
use super::common::rolegraph;
use super::plan_support::org_state;

#[test]
fn a_carriage_return_in_a_name_is_cleaned_with_a_comment() {
    let mut state = org_state().build();
    state.teams.get_mut("ops").unwrap().name = "Ops\r\nTeam".to_string();
    state.roles.get_mut("viewer").unwrap().name = "View\rer".to_string();
    state.validate().unwrap();
    // Into a directory kept to read (run_on's goes with it).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json");
    std::fs::write(&file, state.to_json()).unwrap();
    let imported = dir.path().join("imported");
    rolegraph(&imported)
        .args(["import", "adaptive"])
        .arg(&file)
        .arg("-o")
        .arg(&imported)
        .assert()
        .success();
    let teams = std::fs::read_to_string(imported.join("teams.policy")).unwrap();
    assert!(teams.contains("carriage return"), "{teams}");
    assert!(!teams.contains('\r'), "{teams:?}");
    let roles = std::fs::read_to_string(imported.join("roles.policy")).unwrap();
    assert!(roles.contains("carriage return"), "{roles}");
    rolegraph(&imported).arg("validate").assert().success();
}

#[test]
fn a_key_a_policy_cannot_write_is_refused_naming_it_and_why() {
    let mut state = org_state().build();
    let viewer = state.roles["viewer"].clone();
    state.roles.insert("1viewer".to_string(), viewer);
    state.validate().unwrap();
    let (code, out, err) = run_on(
        &state,
        &["import", "adaptive", "STATE", "-o", "DIR/imported"],
    );
    assert_eq!(code, 2, "{err}{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("role `1viewer`"), "{err}");
    assert!(err.contains("starts with `1`"), "{err}");
    let mut state = org_state().build();
    state.teams.insert(
        "ml/ops".to_string(),
        rolegraph::adaptive::state::TeamState { name: "x".into() },
    );
    let (code, _, err) = run_on(
        &state,
        &["import", "adaptive", "STATE", "-o", "DIR/imported"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("team `ml/ops`") && err.contains("holds `/`"),
        "{err}"
    );
}
