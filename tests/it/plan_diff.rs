//! `diff adaptive:STATE.json NEW`: the access diff from the deployment as it
//! is to the policy, with every format and `--fail-on-grant`.

use std::path::Path;

use rolegraph::adaptive::State;

use super::common::{rolegraph, POLICIES};
use super::plan_support::{fixture, org_state, root, ORG};

type Row = (String, String, String);

/// A directory with the small org as `org.policy` and a state file.
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new(state: &State) -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("policy")).unwrap();
        std::fs::write(dir.path().join("policy/org.policy"), ORG).unwrap();
        std::fs::write(dir.path().join("state.json"), state.to_json()).unwrap();
        Case { dir }
    }

    fn diff(&self, extra: &[&str]) -> (i32, String, String) {
        let d = self.dir.path();
        let old = format!("adaptive:{}", d.join("state.json").display());
        let new = d.join("policy");
        let out = rolegraph(&new)
            .arg("diff")
            .arg(&old)
            .arg(&new)
            .args(extra)
            .output()
            .unwrap();
        let clean = |b: &[u8]| {
            String::from_utf8_lossy(b)
                .replace(&*d.to_string_lossy(), "<dir>")
                .replace(&*root().to_string_lossy(), "<root>")
        };
        (
            out.status.code().unwrap_or(-1),
            clean(&out.stdout),
            clean(&out.stderr),
        )
    }

    /// The granted and the revoked rows, as (user, permission, scope).
    fn rows(&self) -> (Vec<Row>, Vec<Row>) {
        let (code, out, err) = self.diff(&["--format", "json"]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let rows = |key: &str| {
            v[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["user"].as_str().unwrap().to_string(),
                        r["permission"].as_str().unwrap().to_string(),
                        r["scope"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        };
        (rows("granted"), rows("revoked"))
    }
}

fn row(user: &str, perm: &str, scope: &str) -> Row {
    (user.into(), perm.into(), scope.into())
}

#[test]
fn a_deployment_in_sync_has_no_access_drift() {
    let case = Case::new(&org_state().build());
    let (code, out, err) = case.diff(&[]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("0 granted, 0 revoked (0 user(s)), 0 definition(s) changed"),
        "{out}"
    );
    // The dataset is left out of both sides, and says so.
    assert!(
        err.contains("1 resource(s) of kind `dataset` are left out"),
        "{err}"
    );
}

/// The deployment: Bo is `admin` in ml (the policy says `viewer`), Eve is
/// not in the policy, Ana is not in the deployment, and the deployment's
/// viewer role holds a permission the policy does not declare.
fn crafted() -> State {
    let mut s = org_state()
        .user("bo@acme.com", "Bo", &[("ml", "admin"), ("ops", "builder")])
        .user("eve@acme.com", "Eve", &[("ops", "viewer")])
        .role("viewer", "Viewer", &["project:read", "project:export"])
        .0;
    s.users.remove("ana@acme.com");
    s.permissions.push("project:export".into());
    s.permissions.sort();
    s.validate().unwrap();
    s
}

#[test]
fn the_rows_granted_and_revoked_are_the_drift() {
    let case = Case::new(&crafted());
    let (granted, revoked) = case.rows();
    // Ana is in the policy only: everything she holds is granted.
    for perm in ["project:adapt", "project:read", "project:share"] {
        assert!(
            granted.contains(&row("ana@acme.com", perm, "project/bot")),
            "{granted:?}"
        );
    }
    // Bo keeps what `viewer` in ml and `builder` in ops give him (the ops
    // share caps him at reading); what `admin` in ml gave goes.
    assert!(
        revoked.contains(&row("bo@acme.com", "team:manage", "team/ml")),
        "{revoked:?}"
    );
    assert!(revoked.contains(&row("bo@acme.com", "admin:manage_users", "team/ml")));
    assert!(revoked.contains(&row("bo@acme.com", "project:adapt", "project/bot")));
    assert!(!revoked.contains(&row("bo@acme.com", "project:read", "project/bot")));
    // Eve is declared on the deployment's side only.
    assert!(revoked.contains(&row("eve@acme.com", "project:read", "project/bot")));
    // Nothing of the dataset, on either side.
    assert!(granted
        .iter()
        .chain(&revoked)
        .all(|r| !r.2.starts_with("dataset/")));
    // Only Ana, Bo and Eve moved.
    let users: std::collections::BTreeSet<&str> = granted
        .iter()
        .chain(&revoked)
        .map(|r| r.0.as_str())
        .collect();
    assert_eq!(
        users.into_iter().collect::<Vec<_>>(),
        ["ana@acme.com", "bo@acme.com", "eve@acme.com"]
    );
}

#[test]
fn formats_and_notes() {
    let case = Case::new(&crafted());
    for (name, format) in [("text", "text"), ("markdown", "markdown")] {
        let (code, out, err) = case.diff(&["--format", format]);
        insta::assert_snapshot!(
            format!("crafted_{name}"),
            format!("exit: {code}\n--- stdout\n{out}--- stderr\n{err}")
        );
    }
    let (_, _, err) = case.diff(&[]);
    assert!(
        err.contains("permission `project:export` is not declared in the new policy: it grants nothing to role `viewer`"),
        "{err}"
    );
}

#[test]
fn fail_on_grant_sees_the_rows_the_policy_would_grant() {
    let case = Case::new(&crafted());
    let (code, _, err) = case.diff(&["--fail-on-grant", "project:adapt"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("match `--fail-on-grant project:adapt`"),
        "{err}"
    );
    // Revoked rows never count.
    assert_eq!(case.diff(&["--fail-on-grant", "team:*"]).0, 0);
    assert_eq!(case.diff(&["--fail-on-grant", "admin:*"]).0, 0);
}

#[test]
fn the_shipped_example_against_its_drifted_deployment() {
    let state = format!("adaptive:{}", fixture("drifted.state.json").display());
    let out = rolegraph(Path::new(POLICIES))
        .args(["diff", &state, POLICIES, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let has = |key: &str, user: &str, perm: &str, scope: &str| {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["user"] == user && r["permission"] == perm && r["scope"] == scope)
    };
    // Carol is `read-only` in the deployment, `inference` in the policy.
    assert!(has(
        "granted",
        "carol@acme.com",
        "use_case:interact",
        "use_case/support-bot"
    ));
    // Eve is not in the policy: her admin access in ml-team goes.
    assert!(has(
        "revoked",
        "eve@acme.com",
        "team:manage",
        "team/ml-team"
    ));
    // The alias changes no row: Omar keeps his global powers.
    assert!(!has(
        "revoked",
        "omar@acme.com",
        "admin:manage_users",
        "global"
    ));
    let status = rolegraph(Path::new(POLICIES))
        .args([
            "diff",
            &state,
            POLICIES,
            "--fail-on-grant",
            "use_case:share",
        ])
        .output()
        .unwrap()
        .status;
    assert_eq!(
        status.code(),
        Some(1),
        "the policy grants use_case:share to power users"
    );
}

#[test]
fn usage_errors() {
    let policies = Path::new(POLICIES);
    let bad = format!("adaptive:{}", fixture("bad-unknown-team.json").display());
    let out = rolegraph(policies)
        .args(["diff", &bad, POLICIES])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown team `ml-team`"));
    let good = format!("adaptive:{}", fixture("in-sync.state.json").display());
    let out = rolegraph(policies)
        .args(["diff", POLICIES, &good])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a state is only OLD");
    let out = rolegraph(policies)
        .args(["diff", &good, &good])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NEW must be a policy"));
}
