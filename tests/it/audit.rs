#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `audit`: each kind of step, chains, `only in`, users who cannot escalate,
//! and the report on the example org.

use assert_cmd::Command;
use rolegraph::audit::{self, actions::Actions, reach::Reach, Escalation, Report};
use rolegraph::compile::{subject_grants, Subject};
use rolegraph::Policy;

const PRELUDE: &str = r#"
auth { admin_team admin }
team admin
kind use_case
permission use_case:read  on use_case "read"
permission use_case:adapt on use_case "adapt"
permission use_case:share on use_case requires owner, target team "share"
permission team:manage    on team "manage"
permission admin:manage_users on team, global "users"
permission admin:manage_roles on team, global "roles"
permission admin:manage_teams on team, global "teams"
role admin  { grant * }
role reader { grant use_case:read }
role lead   { grant use_case:read, team:manage }
"#;

fn policy(org: &str) -> Policy {
    // An org that puts people in the admin team declares it itself.
    let prelude = if org.contains("team admin") {
        PRELUDE.replace("team admin\n", "")
    } else {
        PRELUDE.to_string()
    };
    match Policy::from_text("org.policy", &format!("{prelude}\n{org}")) {
        Ok(p) => p,
        Err(e) => panic!("invalid test policy: {e:?}"),
    }
}

fn report(org: &str) -> Report {
    let p = policy(org);
    audit::audit(&p.model, &p.matrix)
}

/// The user's finding, trusted or not.
fn only<'a>(r: &'a Report, user: &str) -> &'a Escalation {
    r.escalations
        .iter()
        .chain(&r.trusted)
        .find(|e| e.user == user)
        .unwrap_or_else(|| panic!("no escalation for {user}: {}", r.to_text()))
}

/// (action, team, resource, role, enabled_by) per step, for short asserts.
fn steps(e: &Escalation) -> Vec<String> {
    e.steps
        .iter()
        .map(|s| {
            format!(
                "{} {} {} {} <- {} on {}",
                s.action,
                s.team.as_deref().unwrap_or("-"),
                s.resource.as_deref().unwrap_or("-"),
                s.role.as_deref().unwrap_or("-"),
                s.enabled_by.permission,
                s.enabled_by.scope
            )
        })
        .collect()
}

fn gained(e: &Escalation, perm: &str, scope: &str) -> bool {
    e.gains
        .iter()
        .any(|g| g.permission == perm && g.scope == scope)
}

#[test]
fn self_promotion_through_team_manage() {
    let r = report(
        r#"
        team t1 { member ana@x.com as lead }
        use_case bot { share t1 as admin owner }
        "#,
    );
    let e = only(&r, "ana@x.com");
    assert!(!e.reaches_everything);
    assert_eq!(steps(e), ["set_role t1 - admin <- team:manage on team/t1"]);
    assert!(gained(e, "use_case:adapt", "use_case/bot"));
    assert!(gained(e, "use_case:share", "use_case/bot"));
    assert!(gained(e, "admin:manage_users", "team/t1"));
    // What she holds today is not a gain.
    assert!(!gained(e, "use_case:read", "use_case/bot"));
    assert_eq!(r.escalations.len(), 1, "{}", r.to_text());
}

#[test]
fn self_promotion_through_manage_users_on_the_team() {
    let r = report(
        r#"
        role usermgr { grant use_case:read, admin:manage_users }
        team t1 { member ana@x.com as usermgr }
        use_case bot { share t1 as admin owner }
        "#,
    );
    let e = only(&r, "ana@x.com");
    assert_eq!(
        steps(e),
        ["set_role t1 - admin <- admin:manage_users on team/t1"]
    );
    assert!(gained(e, "use_case:adapt", "use_case/bot"));
}

#[test]
fn global_manage_users_joins_any_team() {
    // No role management declared here: joining is all it gives.
    let p = Policy::from_text(
        "org.policy",
        r#"
        auth { admin_team admin }
        kind use_case
        permission use_case:read  on use_case "read"
        permission use_case:adapt on use_case "adapt"
        permission admin:manage_users on team, global "users"
        role admin  { grant * }
        role ops    { grant admin:manage_users  only in admin }
        role reader { grant use_case:read }
        team admin  { member olga@x.com as ops }
        team t1     { member bo@x.com as reader }
        use_case bot { share t1 as admin owner }
        "#,
    )
    .unwrap();
    let r = audit::audit(&p.model, &p.matrix);
    let e = only(&r, "olga@x.com");
    assert_eq!(
        steps(e),
        ["join_team t1 - admin <- admin:manage_users on global"]
    );
    assert!(gained(e, "use_case:adapt", "use_case/bot"));
    assert!(!e.reaches_everything);
    assert_eq!(r.escalations.len(), 1, "{}", r.to_text());
}

#[test]
fn global_manage_users_then_role_creation_reaches_everything() {
    let r = report(
        r#"
        role ops { grant admin:manage_users  only in admin }
        team admin { member olga@x.com as ops }
        "#,
    );
    let e = only(&r, "olga@x.com");
    assert!(e.reaches_everything);
    assert!(e.gains.is_empty());
    assert_eq!(
        steps(e),
        [
            "set_role admin - admin <- admin:manage_users on global",
            "create_role - - - <- admin:manage_roles on global",
        ]
    );
}

#[test]
fn global_role_creation_reaches_everything() {
    let r = report("team admin { member alice@x.com as admin }");
    let e = only(&r, "alice@x.com");
    assert!(e.reaches_everything);
    assert_eq!(
        steps(e),
        ["create_role - - - <- admin:manage_roles on global"]
    );
    assert!(r.to_text().contains("alice@x.com can reach everything"));
}

#[test]
fn reshare_to_the_owner_team_lifts_the_cap() {
    let r = report(
        r#"
        role sharer { grant use_case:read, use_case:share }
        role power  { grant use_case:read, use_case:adapt, use_case:share }
        team t1 { member bob@x.com as power }
        use_case bot { share t1 as sharer owner }
        "#,
    );
    let e = only(&r, "bob@x.com");
    assert_eq!(
        steps(e),
        ["share t1 use_case/bot admin <- use_case:share on use_case/bot"]
    );
    assert_eq!(e.gains.len(), 1);
    assert!(gained(e, "use_case:adapt", "use_case/bot"));
}

#[test]
fn share_with_another_team_of_ones_own() {
    let r = report(
        r#"
        role sharer { grant use_case:read, use_case:share }
        team t1 { member bob@x.com as sharer }
        team t2 { member bob@x.com as admin }
        use_case bot { share t1 as admin owner }
        "#,
    );
    let e = only(&r, "bob@x.com");
    assert_eq!(
        steps(e),
        ["share t2 use_case/bot admin <- use_case:share on use_case/bot"]
    );
    assert!(gained(e, "use_case:adapt", "use_case/bot"));
}

#[test]
fn chain_promote_then_share() {
    // Carol can share the bot only with t2, where she is a lead: she first
    // makes herself admin of t2, then shares the bot with t2 at admin.
    let r = report(
        r#"
        role sharer { grant use_case:read, use_case:share }
        team t1 { member carol@x.com as sharer }
        team t2 { member carol@x.com as lead }
        use_case bot { share t1 as admin owner }
        "#,
    );
    let e = only(&r, "carol@x.com");
    assert_eq!(
        steps(e),
        [
            "set_role t2 - admin <- team:manage on team/t2",
            "share t2 use_case/bot admin <- use_case:share on use_case/bot",
        ]
    );
    assert!(gained(e, "use_case:adapt", "use_case/bot"));
}

#[test]
fn chain_promote_to_gain_the_right_to_share() {
    // In t1 Dan only reads the bot; as admin there he may share it (the
    // cap allows sharing, not adapting), and t2, where he is admin, gets the
    // bot at admin.
    let r = report(
        r#"
        role sharer { grant use_case:read, use_case:share }
        team t1 { member dan@x.com as lead }
        team t2 { member dan@x.com as admin }
        use_case bot { share t1 as sharer owner }
        "#,
    );
    let e = only(&r, "dan@x.com");
    assert_eq!(
        steps(e),
        [
            "set_role t1 - admin <- team:manage on team/t1",
            "share t2 use_case/bot admin <- use_case:share on use_case/bot",
        ]
    );
    assert!(gained(e, "use_case:adapt", "use_case/bot"));
}

#[test]
fn creating_a_team_matters_only_with_something_to_share() {
    let r = report(
        r#"
        role teamsmith { grant admin:manage_teams  only in admin }
        role sharer { grant use_case:read, use_case:share }
        team admin { member tess@x.com as teamsmith }
        team t1 { member tess@x.com as sharer
                  member tom@x.com as reader }
        team t9 { member tom@x.com as reader }
        role lone { grant admin:manage_teams  only in admin }
        use_case bot { share t1 as admin owner }
        "#,
    );
    let e = only(&r, "tess@x.com");
    assert_eq!(
        steps(e),
        [
            "create_team (new team) - admin <- admin:manage_teams on global",
            "share (new team) use_case/bot admin <- use_case:share on use_case/bot",
        ]
    );
    assert!(gained(e, "use_case:adapt", "use_case/bot"));
    assert_eq!(r.escalations.len(), 1, "{}", r.to_text());
}

#[test]
fn only_in_limits_the_roles_one_can_set() {
    let org = |allowed: &str| {
        format!(
            r#"
            role boss  {{ grant use_case:read, use_case:adapt  only in {allowed} }}
            role boss2 {{ includes boss }}
            team t1 {{ member ana@x.com as lead }}
            team t9 {{ member zed@x.com as boss }}
            use_case bot {{ share t1 as boss owner }}
            "#
        )
    };
    // No `admin` role may be set in t1 either: restrict it too.
    let prelude_admin_only = PRELUDE.replace(
        "role admin  { grant * }",
        "role admin { grant *  only in admin }",
    );
    let build = |org: String| {
        let p = Policy::from_text("org.policy", &format!("{prelude_admin_only}\n{org}")).unwrap();
        audit::audit(&p.model, &p.matrix)
    };
    // boss (and boss2, which inherits the restriction) only in t9: nothing to gain in t1.
    let r = build(org("t9"));
    assert!(
        r.escalations.iter().all(|e| e.user != "ana@x.com"),
        "{}",
        r.to_text()
    );
    // Allowed in t1: the lead can make herself boss.
    let r = build(org("t1, t9"));
    let e = only(&r, "ana@x.com");
    assert_eq!(steps(e), ["set_role t1 - boss <- team:manage on team/t1"]);
    assert!(gained(e, "use_case:adapt", "use_case/bot"));
}

#[test]
fn new_logins_are_audited_as_star() {
    let p = Policy::from_text(
        "org.policy",
        &format!(
            "{}\nteam default\nuse_case bot {{ share default as admin owner }}",
            PRELUDE.replace(
                "auth { admin_team admin }",
                "auth { admin_team admin\n default_team default\n default_role lead }"
            )
        ),
    )
    .unwrap();
    let r = audit::audit(&p.model, &p.matrix);
    let e = only(&r, "*");
    assert_eq!(
        steps(e),
        ["set_role default - admin <- team:manage on team/default"]
    );
    assert!(r
        .to_text()
        .contains("* (any new login) can raise their own access"));
}

#[test]
fn no_escalation_no_report() {
    let r = report(
        r#"
        role sharer { grant use_case:read, use_case:share }
        team t1 { member ana@x.com as reader
                  member bob@x.com as sharer }
        team t2 { member bob@x.com as reader }
        use_case bot { share t1 as sharer owner }
        "#,
    );
    // Bob may share the bot with t2, but as a reader there he gains nothing.
    assert!(r.escalations.is_empty(), "{}", r.to_text());
    assert_eq!(r.users_checked, 3); // ana, bob and `*`
    assert!(r.to_text().contains("\nno escalation paths"));
}

#[test]
fn the_fixpoint_starts_from_the_compiled_access() {
    let p = Policy::load(std::path::Path::new("policies")).unwrap();
    let actions = Actions::new(&p.model);
    let subjects = std::iter::once(Subject::NewLogin).chain(p.model.user_ids().map(Subject::User));
    for s in subjects {
        let reach = Reach::new(&p.model, &p.matrix, &actions, s);
        assert_eq!(
            reach.grants(),
            subject_grants(&p.model, &p.matrix, s),
            "{s:?}"
        );
    }
}

#[test]
fn thousands_of_users() {
    let mut org = String::from("role sharer { grant use_case:read, use_case:share }\n");
    for t in 0..300 {
        org.push_str(&format!("team t{t} {{\n"));
        for u in 0..10 {
            let role = if u == 0 { "lead" } else { "reader" };
            org.push_str(&format!("  member u{}@x.com as {role}\n", t * 10 + u));
            org.push_str(&format!(
                "  member v{}@x.com as sharer\n",
                (t * 10 + u) % 700
            ));
        }
        org.push_str("}\n");
        org.push_str(&format!(
            "use_case r{t} {{ share t{t} as admin owner\n share t{} as reader }}\n",
            (t + 1) % 300
        ));
    }
    let start = std::time::Instant::now();
    let r = report(&org);
    assert_eq!(r.users_checked, 3000 + 700 + 1);
    // Every lead promotes themselves; every sharer shares into their other teams.
    assert!(r.escalations.len() >= 300, "{}", r.escalations.len());
    assert!(start.elapsed().as_secs() < 30, "{:?}", start.elapsed());
}

fn cli() -> Command {
    let mut cmd = Command::cargo_bin("rolegraph").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd.env("NO_COLOR", "1");
    cmd
}

fn stdout(cmd: &mut Command, code: i32) -> String {
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn example_org_text() {
    insta::assert_snapshot!(stdout(cli().args(["--policy", "policies", "audit"]), 0));
}

#[test]
fn example_org_json() {
    let out = stdout(
        cli().args(["--policy", "policies", "--format", "json", "audit"]),
        0,
    );
    assert!(serde_json::from_str::<serde_json::Value>(&out).is_ok());
    insta::assert_snapshot!(out);
}

#[test]
fn fail_on_escalation() {
    stdout(
        cli().args(["--policy", "policies", "audit", "--fail-on-escalation"]),
        1,
    );
    // One user without a path: nothing reported, exit 0.
    let out = stdout(
        cli().args([
            "--policy",
            "policies",
            "audit",
            "--fail-on-escalation",
            "--user",
            "Maria@acme.com",
        ]),
        0,
    );
    assert_eq!(
        out,
        "trusted: `team admin`\nno escalation paths: nobody can raise their own access (1 user checked)\n"
    );
    let out = stdout(
        cli().args([
            "--policy",
            "policies",
            "--format",
            "json",
            "audit",
            "--user",
            "nina@acme.com",
            "--fail-on-escalation",
        ]),
        1,
    );
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["users_checked"], 1);
    assert_eq!(value["escalations"][0]["steps"][0]["action"], "set_role");
}

#[test]
fn org_without_escalation_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("org.policy");
    std::fs::write(
        &file,
        format!("{PRELUDE}\nteam t1 {{ member ana@x.com as reader }}\nuse_case bot {{ share t1 as admin owner }}\n"),
    )
    .unwrap();
    let out = stdout(
        cli().args([
            "--policy",
            file.to_str().unwrap(),
            "--format",
            "json",
            "audit",
            "--fail-on-escalation",
        ]),
        0,
    );
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        value,
        serde_json::json!({
            "escalations": [],
            "trusted": [],
            "trust": {"default": true, "principals": ["team admin as admin"]},
            "users_checked": 2
        })
    );
}

#[test]
fn unknown_format_is_a_usage_error() {
    stdout(
        cli().args(["--policy", "policies", "--format", "dot", "audit"]),
        2,
    );
}

#[test]
fn the_documented_fix_removes_the_example_path() {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir("policies/example").unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let fixed = text.replace("  grant team:manage  # the escalation: see above\n", "");
        if path.ends_with("escalation.policy") {
            assert_ne!(fixed, text, "the escalation line moved: update this test");
        }
        std::fs::write(dir.path().join(path.file_name().unwrap()), fixed).unwrap();
    }
    std::fs::copy(
        "policies/adaptive.policy",
        dir.path().join("adaptive.policy"),
    )
    .unwrap();
    let p = Policy::load(dir.path()).unwrap();
    let r = audit::audit(&p.model, &p.matrix);
    assert!(
        r.escalations.iter().all(|e| e.user != "nina@acme.com"),
        "{}",
        r.to_text()
    );
}
