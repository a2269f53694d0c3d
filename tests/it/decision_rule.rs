//! One focused test per rule of SPEC §2, each on a small policy written for
//! it, through the library's public API (`Policy::query`, `check`, `explain`).
//! Each test pairs an allow with the deny that the rule alone explains.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rolegraph::eval::{Decision, Reason};
use rolegraph::{Policy, PolicyError, QueryError};

const ORG: &str = r#"
auth {
  admin_team   admin
  default_team lobby
  default_role viewer
  admins       root@x.com
}
kind doc
permission doc:read   on doc
permission doc:edit   on doc
permission doc:purge  on doc requires owner
permission doc:share  on doc requires owner, target team
permission doc:any    on doc, global
permission team:manage on team
permission org:audit  on team, global
permission org:deploy on global

role viewer { grant doc:read }
role editor { includes viewer  grant doc:edit, doc:purge, doc:share, team:manage }
role boss   { grant org:*, doc:any }
role admin  { grant * }

team admin { member ops@x.com as boss }
team lobby
team red {
  member ann@x.com as editor
  member bob@x.com as viewer
  member ops@x.com as editor
  member eve@x.com as boss
  member Dan@X.COM as editor
}
team blue {
  member ann@x.com as viewer
  member cat@x.com as editor
}
doc d1  { share red as editor owner  share blue as viewer }
doc d2  { share blue as editor owner  share red as viewer }
doc d3  { share red as viewer owner  share blue as editor }
doc pub { share lobby as viewer owner }
"#;

fn org() -> Policy {
    Policy::from_text("org.policy", ORG).unwrap()
}

fn can(p: &Policy, user: &str, perm: &str, scope: Option<&str>, to: Option<&str>) -> bool {
    let q = p.query(user, perm, scope, to).unwrap();
    p.check(&q)
}

fn error_codes(text: &str) -> Vec<String> {
    match Policy::from_text("t.policy", text) {
        Ok(_) => vec![],
        Err(PolicyError::Invalid { diagnostics, .. }) => diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code.as_str().to_string())
            .collect(),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn global_is_held_through_the_admin_team_only() {
    let p = org();
    assert!(can(&p, "ops@x.com", "org:deploy", None, None)); // boss in admin
    assert!(can(&p, "root@x.com", "org:deploy", None, None)); // `admins`, role admin
                                                              // eve holds the same role, but in `red`: no global power from it.
    assert!(!can(&p, "eve@x.com", "org:deploy", None, None));
    assert!(!can(&p, "eve@x.com", "org:audit", Some("global"), None));
}

#[test]
fn team_permission_needs_membership_of_that_team() {
    let p = org();
    assert!(can(&p, "ann@x.com", "team:manage", Some("team/red"), None));
    assert!(!can(
        &p,
        "ann@x.com",
        "team:manage",
        Some("team/blue"),
        None
    )); // viewer there
    assert!(!can(&p, "cat@x.com", "team:manage", Some("team/red"), None)); // not a member
    assert!(can(&p, "eve@x.com", "org:audit", Some("team/red"), None));
}

#[test]
fn global_reaches_down_only_for_permissions_declared_with_both_scopes() {
    let p = org();
    // org:audit is `on team, global`: ops holds it globally, so in every team.
    assert!(can(&p, "ops@x.com", "org:audit", Some("team/blue"), None));
    // doc:any is `on doc, global`: reaches every doc.
    assert!(can(&p, "ops@x.com", "doc:any", Some("doc/pub"), None));
    // root holds `*` in admin, but team:manage is `on team` only and doc:read
    // `on doc` only: nothing reaches down.
    assert!(!can(
        &p,
        "root@x.com",
        "team:manage",
        Some("team/blue"),
        None
    ));
    assert!(!can(&p, "root@x.com", "doc:read", Some("doc/d1"), None));
}

#[test]
fn a_share_caps_what_members_can_do() {
    let p = org();
    // ann is an editor in red; d2 is shared with red as viewer.
    assert!(can(&p, "ann@x.com", "doc:read", Some("doc/d2"), None));
    assert!(!can(&p, "ann@x.com", "doc:edit", Some("doc/d2"), None));
    // the member's role caps too: bob is a viewer in red, d1 shared as editor.
    assert!(!can(&p, "bob@x.com", "doc:edit", Some("doc/d1"), None));
    assert!(can(&p, "ann@x.com", "doc:edit", Some("doc/d1"), None));
    // and the explanation names the cap.
    let q = p
        .query("ann@x.com", "doc:edit", Some("doc/d2"), None)
        .unwrap();
    let text = p.explain(&q, "ann@x.com").to_text();
    assert!(text.contains("the share caps it"), "{text}");
}

#[test]
fn requires_owner_needs_an_owner_share() {
    let p = org();
    // cat is an editor in blue; d3 is shared with blue as editor, not owner.
    assert!(can(&p, "cat@x.com", "doc:edit", Some("doc/d3"), None));
    assert!(!can(&p, "cat@x.com", "doc:purge", Some("doc/d3"), None));
    // on d2, blue's share is the owner share.
    assert!(can(&p, "cat@x.com", "doc:purge", Some("doc/d2"), None));
}

#[test]
fn target_team_needs_membership_of_the_target_too() {
    let p = org();
    assert!(can(
        &p,
        "ann@x.com",
        "doc:share",
        Some("doc/d1"),
        Some("team/blue")
    ));
    assert!(!can(
        &p,
        "ann@x.com",
        "doc:share",
        Some("doc/d1"),
        Some("team/lobby")
    ));
    assert!(can(
        &p,
        "ops@x.com",
        "doc:share",
        Some("doc/d1"),
        Some("team/admin")
    ));
    assert!(!can(
        &p,
        "ops@x.com",
        "doc:share",
        Some("doc/d1"),
        Some("team/blue")
    ));
    // the rules above must still allow: cat is in both teams but blue's
    // share of d1 is not an owner share.
    assert!(!can(
        &p,
        "cat@x.com",
        "doc:share",
        Some("doc/d1"),
        Some("team/blue")
    ));
}

#[test]
fn only_in_is_a_compile_error_even_when_inherited() {
    let base = "permission x:y on team\nrole locked { grant x:y  only in admin }\n";
    let code = "rolegraph::resolve::only_in_violation".to_string();
    assert!(error_codes(&format!(
        "{base}team admin\nteam red {{ member a@x.com as locked }}"
    ))
    .contains(&code));
    assert!(error_codes(&format!(
        "{base}team red\nteam admin {{ member a@x.com as locked }}"
    ))
    .is_empty());
    // A role that includes a restricted role inherits the restriction.
    let wrapper = "role wrapper { includes locked }\n";
    assert!(error_codes(&format!(
        "{base}{wrapper}team admin\nteam red {{ member a@x.com as wrapper }}"
    ))
    .contains(&code));
    // A share's role is a cap, not an assignment.
    let shared = format!(
        "{base}kind doc\npermission doc:r on doc\nrole reader {{ grant doc:r }}\n\
         team admin\nteam red {{ member a@x.com as reader }}\ndoc d {{ share red as locked owner }}"
    );
    assert!(
        error_codes(&shared).is_empty(),
        "{:?}",
        error_codes(&shared)
    );
}

#[test]
fn a_new_login_gets_the_defaults_and_explain_says_so() {
    let p = org();
    assert!(can(&p, "newbie@x.com", "doc:read", Some("doc/pub"), None));
    assert!(!can(&p, "newbie@x.com", "doc:read", Some("doc/d1"), None));
    let q = p
        .query("Newbie@X.com", "doc:read", Some("doc/pub"), None)
        .unwrap();
    let e = p.explain(&q, "Newbie@X.com");
    assert_eq!(e.decision, Decision::Allow);
    assert!(e.new_login());
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["new_login"], true);
    assert_eq!(json["defaults"]["team"], "lobby");
    assert!(e.to_text().contains("new login"), "{}", e.to_text());
}

#[test]
fn a_new_login_without_defaults_is_denied_not_an_error() {
    let no_defaults = ORG
        .replace("default_team lobby", "")
        .replace("default_role viewer", "");
    let p = Policy::from_text("org.policy", &no_defaults).unwrap();
    let q = p
        .query("newbie@x.com", "doc:read", Some("doc/pub"), None)
        .unwrap();
    assert!(!p.check(&q));
    let e = p.explain(&q, "newbie@x.com");
    assert!(e.to_text().contains("new login"), "{}", e.to_text());
    // the declared users are unaffected.
    assert!(can(&p, "ann@x.com", "doc:read", Some("doc/d1"), None));
}

#[test]
fn a_permission_asked_at_an_undeclared_scope_is_a_deny() {
    let p = org();
    // doc:read is declared on doc only; ann holds it in red.
    let q = p
        .query("ann@x.com", "doc:read", Some("team/red"), None)
        .unwrap();
    assert!(!p.check(&q));
    let e = p.explain(&q, "ann@x.com");
    assert!(e.reasons.contains(&Reason::NotDeclared), "{:?}", e.reasons);
    assert!(
        e.to_text().contains("not declared on `team`"),
        "{}",
        e.to_text()
    );
    assert!(!can(&p, "root@x.com", "team:manage", None, None)); // `on team`, asked globally
}

#[test]
fn unknown_names_in_a_query_are_usage_errors() {
    let p = org();
    assert!(matches!(
        p.query("ann@x.com", "doc:reed", Some("doc/d1"), None),
        Err(QueryError::UnknownPermission(..))
    ));
    assert!(matches!(
        p.query("ann@x.com", "team:manage", Some("team/green"), None),
        Err(QueryError::UnknownTeam(..))
    ));
    assert!(matches!(
        p.query("ann@x.com", "doc:read", Some("doc/d9"), None),
        Err(QueryError::UnknownResource(..))
    ));
    assert!(matches!(
        p.query("ann@x.com", "doc:read", Some("file/d1"), None),
        Err(QueryError::UnknownKind(..))
    ));
}

#[test]
fn a_missing_or_unexpected_target_is_a_usage_error() {
    let p = org();
    assert!(matches!(
        p.query("ann@x.com", "doc:share", Some("doc/d1"), None),
        Err(QueryError::MissingTarget(_))
    ));
    assert!(matches!(
        p.query("ann@x.com", "doc:read", Some("doc/d1"), Some("team/blue")),
        Err(QueryError::UnexpectedTarget(_))
    ));
    assert!(matches!(
        p.query("ann@x.com", "doc:share", Some("doc/d1"), Some("doc/d2")),
        Err(QueryError::TargetNotTeam(_))
    ));
}

#[test]
fn emails_compare_case_insensitively() {
    let p = org();
    assert!(can(&p, "ANN@x.COM", "doc:edit", Some("doc/d1"), None));
    // written `Dan@X.COM` in the policy
    assert!(can(&p, "dan@x.com", "doc:edit", Some("doc/d1"), None));
    let q = p
        .query("DAN@x.com", "doc:edit", Some("doc/d1"), None)
        .unwrap();
    assert!(!p.explain(&q, "DAN@x.com").new_login());
    assert!(p.compiled_lines().contains("dan@x.com\tdoc/d1\tdoc:edit\n"));
}

#[test]
fn everything_else_is_denied() {
    let p = org();
    assert!(!can(&p, "cat@x.com", "org:audit", Some("team/blue"), None));
    assert!(!can(&p, "ann@x.com", "doc:read", Some("doc/pub"), None)); // not in lobby
}

#[test]
fn a_loaded_policy_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>(_: &T) {}
    let p = org();
    shareable(&p);
    let q = p
        .query("ann@x.com", "doc:edit", Some("doc/d1"), None)
        .unwrap();
    let answers: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2).map(|_| s.spawn(|| p.check(&q))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(answers, [true, true]);
}
