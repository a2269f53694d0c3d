//! A deployment user that is not an email (`*`, `ops`) is refused wherever a
//! state comes in: a state file (`plan`, `diff adaptive:`, `import
//! adaptive`) and what `pull` reads. `*` would otherwise be taken for the
//! matrix's new-login user and its access would vanish from the diff.

use rolegraph::adaptive::state::UserState;
use rolegraph::adaptive::State;

use super::adaptive_pull::pull;
use super::adaptive_review_support::run_on;
use super::common::rolegraph;
use super::plan_support::{org_state, ORG};
use super::standin::canned::Canned;
use super::standin::KEY;

/// The small org's state with `user` holding global admin.
fn state_with(user: &str) -> State {
    let mut state = org_state().build();
    state.users.insert(
        user.to_string(),
        UserState {
            name: "Who".to_string(),
            teams: [("admin".to_string(), "admin".to_string())].into(),
        },
    );
    state
}

/// Checks a refusal: exit 2, nothing on stdout, one line naming `user`.
fn refused(out: std::process::Output, user: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("user `{user}` is not an email")),
        "{stderr}"
    );
}

#[test]
fn state_files_with_a_user_that_is_not_an_email_are_refused() {
    for user in ["*", "ops", "@acme.com", "ana@"] {
        let dir = tempfile::tempdir().unwrap();
        let policy = dir.path().join("org.policy");
        std::fs::write(&policy, ORG).unwrap();
        let state = dir.path().join("state.json");
        std::fs::write(&state, state_with(user).to_json()).unwrap();
        let state = state.to_str().unwrap();

        let diff = rolegraph(&policy)
            .args(["diff", &format!("adaptive:{state}")])
            .arg(&policy)
            .args(["--format", "json"])
            .output()
            .unwrap();
        refused(diff, user);
        let plan = rolegraph(&policy)
            .args(["plan", "--state", state])
            .output()
            .unwrap();
        refused(plan, user);
        let import = rolegraph(&policy)
            .args(["import", "adaptive", state, "-o"])
            .arg(dir.path().join("imported"))
            .output()
            .unwrap();
        refused(import, user);
        assert!(!dir.path().join("imported").exists());
    }
}

#[test]
fn the_valid_state_still_reads() {
    let (code, _, err) = run_on(&state_with("eve@acme.com"), &["plan", "--state", "STATE"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn pull_refuses_a_deployment_user_that_is_not_an_email() {
    let users =
        r#"[{"email":"*","name":"Star","teams":[{"team":{"key":"ml"},"role":{"key":"admin"}}]}]"#;
    let body = format!(
        r#"{{"data":{{"me":null,"users":{users},"projects":[],"permissions":["project:read"],"roles":[{{"key":"admin","name":"Admin","permissions":["project:read"]}}],"teams":[{{"key":"ml","name":"ML"}}]}}}}"#
    );
    let canned = Canned::http("200 OK", "application/json", &body);
    let out = pull(Some(KEY))
        .args(["--url", canned.url()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(stderr.contains("user `*` is not an email"), "{stderr}");
    assert_eq!(
        stderr
            .lines()
            .filter(|l| !l.starts_with("warning:"))
            .count(),
        1,
        "{stderr}"
    );
}
