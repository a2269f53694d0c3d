//! `explain` on the example org, as text and JSON: each snapshot is a
//! question a user would ask, and the answer they would read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use rolegraph::Policy;

fn explain(user: &str, perm: &str, scope: &str, to: Option<&str>) -> (String, String) {
    // Relative, so that the snapshots show `policies/…:LINE` on any machine.
    let policy = Policy::load(Path::new("policies")).unwrap();
    let q = policy.query(user, perm, Some(scope), to).unwrap();
    let e = policy.explain(&q, user);
    (e.to_text(), serde_json::to_string_pretty(&e).unwrap())
}

macro_rules! snapshot {
    ($name:ident, $user:expr, $perm:expr, $scope:expr, $to:expr) => {
        #[test]
        fn $name() {
            let (text, json) = explain($user, $perm, $scope, $to);
            insta::assert_snapshot!(concat!(stringify!($name), "_text"), text);
            insta::assert_snapshot!(concat!(stringify!($name), "_json"), json);
        }
    };
}

// maria reads the doc search through ml-team (owner) and through her
// inference role in customer-support-team.
snapshot!(
    allow_through_two_paths,
    "maria@acme.com",
    "use_case:read",
    "use_case/doc-search",
    None
);
// john is `admin` in customer-support-team, but the doc search is shared
// with that team as `inference`.
snapshot!(
    deny_by_share_cap,
    "john@acme.com",
    "use_case:adapt",
    "use_case/doc-search",
    None
);
// carol's own role, `inference`, does not fine-tune.
snapshot!(
    deny_by_role,
    "carol@acme.com",
    "use_case:adapt",
    "use_case/support-bot",
    None
);
snapshot!(
    new_login,
    "Newcomer@acme.com",
    "use_case:read",
    "use_case/doc-search",
    None
);
// ken owns the fraud detector through ml-team but is not in the target team.
snapshot!(
    target_team_miss,
    "ken@acme.com",
    "use_case:share",
    "use_case/fraud-detector",
    Some("team/customer-support-team")
);
snapshot!(
    global_admin_reaches_down,
    "alice@acme.com",
    "admin:manage_users",
    "team/ml-team",
    None
);
// ...but only for permissions declared on global too.
snapshot!(
    global_admin_does_not_reach_down,
    "alice@acme.com",
    "use_case:read",
    "use_case/support-bot",
    None
);
// a permission asked at a scope it is not declared on
snapshot!(
    undeclared_scope,
    "li@acme.com",
    "use_case:read",
    "team/ml-team",
    None
);
