//! The planner's rules (SPEC §9), each on the small org of `plan_support`:
//! the target, the order of operations, manual, unmanaged, notes, the
//! preflight, aliases, `--prune`, the lockout guard, drift, determinism.

use rolegraph::adaptive::ops::{Operation, ProjectShare, TeamRole};
use rolegraph::adaptive::plan::{closest_permission, Action};
use rolegraph::adaptive::{plan, Plan, PlanError, PlanOptions, State, Target};
use rolegraph::source::Sources;
use rolegraph::Policy;

use super::plan_support::*;

fn ops(plan: &Plan) -> Vec<Operation> {
    plan.operations
        .iter()
        .map(|o| o.operation.clone())
        .collect()
}

#[test]
fn a_deployment_in_sync_has_no_drift() {
    let p = plan_of(&org(), &org_state().build());
    assert!(p.operations.is_empty(), "{:#?}", p.operations);
    assert!(p.manual.is_empty() && p.unmanaged.is_empty());
    assert!(!p.has_drift() && !p.summary.drift);
    // The dataset is the only note: its kind is not synced.
    assert_eq!(p.notes.len(), 1, "{:?}", p.notes);
    assert!(p.notes[0].contains("kind `dataset` are not synced"));
}

#[test]
fn the_target_flattens_roles_and_takes_exact_memberships_and_shares() {
    let live = org_state().build();
    let org = org();
    let t = Target::new(&org, &live);
    let state = t.to_state(&live);
    assert_eq!(
        state, live,
        "the deployment of the org is the target of its policy"
    );
    assert_eq!(
        t.roles["builder"].permissions,
        ["project:adapt", "project:read", "project:share"],
        "includes are expanded"
    );
    assert_eq!(
        t.roles["admin"].permissions, PERMISSIONS,
        "`*` is every declared permission"
    );
    assert_eq!(t.roles["viewer"].name, "Viewer", "titles become names");
    // `admins` are members of the admin team as `admin`; `member` lines count too.
    assert_eq!(state.users["root@acme.com"].teams["admin"], "admin");
    assert_eq!(state.users["ana@acme.com"].teams["ml"], "builder");
    assert_eq!(
        state.users["ana@acme.com"].name, "ana@acme.com",
        "no title: the key"
    );
    assert_eq!(state.projects["bot"].shares.len(), 2);
    assert!(
        !state.projects.contains_key("corpus"),
        "datasets are not synced"
    );
    assert_eq!(t.project_kind.as_deref(), Some("project"));
    assert_eq!(
        t.default_membership,
        Some(("default".into(), "viewer".into()))
    );
}

#[test]
fn the_project_kind_is_use_case_when_the_policy_has_no_project_kind() {
    let p = policy(
        "kind use_case\nkind project_like\npermission use_case:read on use_case\nrole r { grant use_case:read }\nteam t\nuse_case a { share t as r owner }\nproject_like b { share t as r owner }",
    );
    let t = Target::new(&p, &State::new());
    assert_eq!(t.project_kind.as_deref(), Some("use_case"));
    let keys: Vec<&str> = t.projects().map(|(k, _)| k).collect();
    assert_eq!(keys, ["a"]);
    assert!(t.has_project("a") && !t.has_project("b"));
    assert_eq!(t.unsynced["project_like"], 1);
}

#[test]
fn operations_come_in_the_spec_order_and_the_api_accepts_them() {
    // Everything missing or wrong at once.
    let live = Builder::new(&PERMISSIONS)
        .role("admin", "Admin", &PERMISSIONS)
        .role("viewer", "Old viewer", &["project:read", "project:adapt"])
        .team("admin", "Admin")
        .team("default", "Default")
        .team("ml", "ML")
        .user("root@acme.com", "root@acme.com", &[("admin", "admin")])
        .user("bo@acme.com", "Bo", &[("ml", "admin"), ("admin", "viewer")])
        .project("bot", "Bot", &[("ml", "viewer", true)])
        .build();
    let p = plan_of(&org(), &live);
    assert_eq!(
        op_names(&p),
        [
            "teams.create",           // ops
            "roles.create",           // builder
            "roles.update",           // viewer: name and permissions
            "users.create",           // ana
            "users.add_to_team",      // bo in ml as viewer (a change)
            "users.add_to_team",      // bo in ops as builder (new)
            "projects.share",         // bot, the whole list
            "users.remove_from_team", // bo from admin
        ]
    );
    assert_eq!(
        ops(&p)[3],
        Operation::CreateUser {
            email: "ana@acme.com".into(),
            name: "ana@acme.com".into(),
            teams: vec![TeamRole {
                team: "ml".into(),
                role: "builder".into()
            }],
        }
    );
    assert_eq!(
        ops(&p)[6],
        Operation::ShareProject {
            project: "bot".into(),
            shares: vec![
                ProjectShare {
                    team: "ml".into(),
                    role: "builder".into(),
                    owner: true
                },
                ProjectShare {
                    team: "ops".into(),
                    role: "viewer".into(),
                    owner: false
                },
            ],
        }
    );
    let actions: Vec<Action> = p.operations.iter().map(|o| o.action).collect();
    assert_eq!(actions[4], Action::Change);
    assert_eq!(actions[5], Action::Create);
    assert_eq!(
        (p.summary.add, p.summary.change, p.summary.remove),
        (4, 3, 1)
    );
    assert!(p.operations.iter().all(|o| !o.reason.is_empty()));
    // Run in this order, nothing refers to what does not exist yet, and a
    // fresh plan has nothing left to do.
    let after = applied(&live, &p);
    assert!(plan_of(&org(), &after).operations.is_empty());
}

#[test]
fn a_policy_project_the_deployment_lacks_is_manual_and_drift() {
    let mut live = org_state().build();
    live.projects.remove("bot");
    let p = plan_of(&org(), &live);
    assert!(p.operations.is_empty());
    assert_eq!(p.manual.len(), 1);
    assert!(p.manual[0].what.contains("`bot`"), "{:?}", p.manual);
    assert!(p.has_drift() && p.summary.drift);
}

#[test]
fn what_the_policy_does_not_describe_is_unmanaged_and_left_alone() {
    let live = org_state()
        .role("legacy", "Legacy", &["project:read"])
        .team("old-team", "Old")
        .project("side", "Side", &[("old-team", "legacy", true)])
        .user("eve@acme.com", "Eve", &[("ml", "admin")])
        // Exactly the new-login default: not listed.
        .user("new@acme.com", "New", &[("default", "viewer")])
        .build();
    let p = plan_of(&org(), &live);
    assert!(p.operations.is_empty(), "{:#?}", p.operations);
    assert!(!p.has_drift(), "unmanaged items are not drift");
    let listed: Vec<(String, String)> = p
        .unmanaged
        .iter()
        .map(|u| (u.kind.clone(), u.key.clone()))
        .collect();
    assert_eq!(
        listed,
        [
            ("team".into(), "old-team".into()),
            ("role".into(), "legacy".into()),
            ("user".into(), "eve@acme.com".into()),
            ("project".into(), "side".into()),
        ]
    );
}

#[test]
fn memberships_in_unmanaged_teams_are_still_planned() {
    // Bo is declared, so his membership in a team the policy lacks goes.
    let live = org_state()
        .team("old-team", "Old")
        .role("legacy", "Legacy", &[])
        .user(
            "bo@acme.com",
            "Bo",
            &[("ml", "viewer"), ("ops", "builder"), ("old-team", "legacy")],
        )
        .build();
    let p = plan_of(&org(), &live);
    assert_eq!(
        ops(&p),
        [Operation::RemoveFromTeam {
            email: "bo@acme.com".into(),
            team: "old-team".into()
        }]
    );
}

#[test]
fn names_the_api_cannot_change_are_notes_and_role_names_are_updated() {
    let live = org_state()
        .team("ml", "Machine learning")
        .user(
            "bo@acme.com",
            "Robert",
            &[("ml", "viewer"), ("ops", "builder")],
        )
        .project(
            "bot",
            "The bot",
            &[("ml", "builder", true), ("ops", "viewer", false)],
        )
        .role("viewer", "Reader", &["project:read"])
        .build();
    let p = plan_of(&org(), &live);
    assert_eq!(
        ops(&p),
        [Operation::UpdateRole {
            key: "viewer".into(),
            name: "Viewer".into(),
            permissions: vec!["project:read".into()]
        }]
    );
    let notes = p.notes.join("\n");
    for what in ["team `ml`", "user `bo@acme.com`", "project `bot`"] {
        assert!(notes.contains(what), "no note on {what}: {notes}");
    }
    assert_eq!(p.summary.notes, p.notes.len());
}

#[test]
fn the_preflight_stops_on_a_permission_the_deployment_lacks_with_a_suggestion() {
    let seed = Policy::load(&root().join("policies")).unwrap();
    let live = Builder::new(&[
        "project:adapt",
        "project:read",
        "project:share",
        "admin:manage_roles",
    ])
    .build();
    let Err(PlanError::UnknownPermissions(missing)) =
        plan(&seed, &live, None, &PlanOptions::default())
    else {
        panic!("the preflight let unknown permissions through");
    };
    let adapt = missing
        .iter()
        .find(|m| m.permission == "use_case:adapt")
        .unwrap();
    assert_eq!(adapt.suggestion.as_deref(), Some("project:adapt"));
    assert!(adapt.roles.contains(&"power_user".to_string()));
    assert!(adapt.roles.contains(&"admin".to_string()));
    let text = adapt.to_string();
    assert!(
        text.contains("`use_case:adapt`") && text.contains("did you mean `project:adapt`?"),
        "{text}"
    );
    // Sorted, one per permission.
    let names: Vec<&str> = missing.iter().map(|m| m.permission.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(names, sorted);
}

#[test]
fn did_you_mean_prefers_the_api_name_for_projects_then_the_nearest_name() {
    let known: Vec<String> = ["project:adapt", "project:read", "team:manage"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        closest_permission("use_case:adapt", &known).as_deref(),
        Some("project:adapt")
    );
    assert_eq!(
        closest_permission("project:raed", &known).as_deref(),
        Some("project:read")
    );
    assert_eq!(closest_permission("model:deploy_everything", &known), None);
    // Another prefix with the same action is no suggestion.
    assert_eq!(closest_permission("use_case:manage", &known), None);
}

#[test]
fn a_role_known_by_an_alias_is_that_role() {
    let live = org_state()
        .role(
            "builder_v1",
            "Builder",
            &["project:adapt", "project:read", "project:share"],
        )
        .build();
    let mut live = live;
    live.roles.remove("builder");
    for u in live.users.values_mut() {
        for r in u.teams.values_mut() {
            if r == "builder" {
                *r = "builder_v1".into();
            }
        }
    }
    for p in live.projects.values_mut() {
        for s in p.shares.values_mut() {
            if s.role == "builder" {
                s.role = "builder_v1".into();
            }
        }
    }
    let p = plan_of(&org(), &live);
    assert!(p.operations.is_empty(), "{:#?}", p.operations);
    assert!(p.unmanaged.is_empty());
    assert!(p
        .notes
        .iter()
        .any(|n| n.contains("`builder` is `builder_v1` in the deployment")));

    // A new member of the aliased role gets the deployment's key.
    let mut without_ana = live.clone();
    without_ana.users.remove("ana@acme.com");
    let p = plan_of(&org(), &without_ana);
    let Operation::CreateUser { teams, .. } = &ops(&p)[0] else {
        panic!("{:#?}", p.operations)
    };
    assert_eq!(teams[0].role, "builder_v1");
}

#[test]
fn prune_removes_undeclared_users_memberships_but_the_new_login_one() {
    let live = org_state()
        .user(
            "eve@acme.com",
            "Eve",
            &[("ml", "admin"), ("default", "viewer")],
        )
        .user("zed@acme.com", "Zed", &[("default", "admin")])
        .user("new@acme.com", "New", &[("default", "viewer")])
        .build();
    let options = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    let p = plan(&org(), &live, None, &options).unwrap();
    assert_eq!(
        ops(&p),
        [
            Operation::RemoveFromTeam {
                email: "eve@acme.com".into(),
                team: "ml".into()
            },
            Operation::RemoveFromTeam {
                email: "zed@acme.com".into(),
                team: "default".into()
            },
        ]
    );
    // Without --prune they are only listed.
    let p = plan_of(&org(), &live);
    assert!(p.operations.is_empty());
    assert_eq!(p.unmanaged.len(), 2);
    // After pruning, nobody is deleted and the plan is empty.
    let pruned = plan(&org(), &live, None, &options).unwrap();
    let after = applied(&live, &pruned);
    assert_eq!(after.users.len(), live.users.len());
    assert!(plan(&org(), &after, None, &options)
        .unwrap()
        .operations
        .is_empty());
}

/// The org with root declared, but no longer an admin.
fn without_root_admin() -> Policy {
    let text = ORG.replace("  admins       root@acme.com\n", "");
    policy(&format!(
        "{text}\nuser root@acme.com {{\n  in ops as viewer\n}}\n"
    ))
}

#[test]
fn the_lockout_guard_refuses_removing_me_from_the_admin_team() {
    let live = org_state().build();
    let strict = PlanOptions::default();
    let p = plan(&without_root_admin(), &live, Some("Root@Acme.com"), &strict).unwrap();
    assert_eq!(op_names(&p), ["users.add_to_team"], "{:#?}", p.operations);
    assert_eq!(p.manual.len(), 1);
    assert!(p.manual[0]
        .what
        .contains("users.remove_from_team root@acme.com from admin"));
    assert!(p.manual[0].why.contains("--allow-self-lockout"));
    assert!(p.has_drift());

    // Someone else's key: an ordinary removal.
    let p = plan(&without_root_admin(), &live, Some("ana@acme.com"), &strict).unwrap();
    assert_eq!(
        op_names(&p),
        ["users.add_to_team", "users.remove_from_team"]
    );

    // An undeclared me is pruned from the admin team only with the flag.
    let undeclared = policy(&ORG.replace("  admins       root@acme.com\n", ""));
    let prune = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    let p = plan(&undeclared, &live, Some("root@acme.com"), &prune).unwrap();
    assert!(p.operations.is_empty() && p.manual.len() == 1, "{p:#?}");
}

#[test]
fn allowed_lockouts_run_last() {
    // Root loses the admin team, and Bo needs a new membership: root's
    // removal must come after it even though removals come last anyway,
    // and after a share, which would otherwise follow it.
    let live = org_state()
        .user("bo@acme.com", "Bo", &[("ml", "viewer")])
        .project("bot", "Bot", &[("ml", "builder", true)])
        .user(
            "ana@acme.com",
            "ana@acme.com",
            &[("ml", "builder"), ("ops", "viewer")],
        )
        .build();
    let text = ORG.replace("  admins       root@acme.com\n", "").replace(
        "team admin \"Admin\"",
        "team admin \"Admin\" {\n  member root@acme.com as viewer\n}",
    );
    let options = PlanOptions {
        allow_self_lockout: true,
        ..PlanOptions::default()
    };
    let p = plan(&policy(&text), &live, Some("root@acme.com"), &options).unwrap();
    let last = p.operations.last().unwrap();
    assert_eq!(
        last.operation,
        Operation::AddToTeam {
            email: "root@acme.com".into(),
            team: "admin".into(),
            role: "viewer".into()
        },
        "{:#?}",
        p.operations
    );
    assert!(last.reason.contains("runs last"), "{}", last.reason);
    assert!(p.manual.is_empty());
    // Without the flag, it is refused and the rest still runs.
    let p = plan(
        &policy(&text),
        &live,
        Some("root@acme.com"),
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(p.manual.len(), 1);
    assert!(
        p.manual[0].why.contains("lowers your own role"),
        "{}",
        p.manual[0].why
    );
    assert!(!p.operations.is_empty());
}

#[test]
fn taking_permissions_from_my_admin_role_is_a_lockout_but_raising_it_is_not() {
    // The deployment's admin role holds a permission the policy does not
    // declare: the policy's `*` would take it away.
    let mut perms = PERMISSIONS.to_vec();
    perms.push("model:deploy");
    let live = org_state().role("admin", "Admin", &perms).build();
    let mut live = live;
    live.permissions.push("model:deploy".into());
    live.permissions.sort();
    let p = plan(
        &org(),
        &live,
        Some("root@acme.com"),
        &PlanOptions::default(),
    )
    .unwrap();
    assert!(p.operations.is_empty());
    assert!(p.manual[0].why.contains("`model:deploy`"), "{:?}", p.manual);
    assert!(p.notes.iter().any(|n| n.contains("`model:deploy`")));

    // Gaining permissions is no lockout.
    let live = org_state()
        .role("admin", "Admin", &["project:read"])
        .build();
    let p = plan(
        &org(),
        &live,
        Some("root@acme.com"),
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(op_names(&p), ["roles.update"]);
    assert!(p.manual.is_empty());
}

#[test]
fn the_plan_is_deterministic_whatever_the_order_of_files() {
    let live = org_state()
        .user("eve@acme.com", "Eve", &[("ml", "admin")])
        .team("ml", "Machine learning")
        .build();
    let mut forward = Sources::default();
    let mut backward = Sources::default();
    let items: Vec<&str> = ORG.split("\n\n").collect();
    for (i, item) in items.iter().enumerate() {
        forward.add(format!("f{i:02}.policy"), item);
    }
    for (i, item) in items.iter().rev().enumerate() {
        backward.add(format!("b{i:02}.policy"), item);
    }
    let a = Policy::from_sources(forward).unwrap();
    let b = Policy::from_sources(backward).unwrap();
    let options = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    let pa = plan(&a, &live, Some("root@acme.com"), &options).unwrap();
    let pb = plan(&b, &live, Some("root@acme.com"), &options).unwrap();
    assert_eq!(pa.to_json(), pb.to_json());
    assert_eq!(
        pa.to_json(),
        plan(&a, &live, Some("root@acme.com"), &options)
            .unwrap()
            .to_json()
    );
}

#[test]
fn state_files_are_canonical_bytes() {
    for name in [
        "in-sync.state.json",
        "drifted.state.json",
        "project-api.state.json",
    ] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let state = State::from_json(&bytes).unwrap();
        assert_eq!(
            String::from_utf8(state.to_json()).unwrap(),
            String::from_utf8(bytes).unwrap(),
            "{name}"
        );
    }
    // Permission lists are written sorted and once, however they are held.
    let mut messy = org_state().build();
    messy.permissions.reverse();
    messy.permissions.push("project:read".into());
    messy
        .roles
        .get_mut("builder")
        .unwrap()
        .permissions
        .reverse();
    let clean = org_state().build();
    assert_eq!(messy.to_json(), clean.to_json());
    assert_eq!(messy.digest(), clean.digest());
    let mut expected = serde_json::to_vec_pretty(&clean).unwrap();
    expected.push(b'\n');
    assert_eq!(clean.to_json(), expected);
    assert_ne!(
        clean.digest(),
        org_state().user("x@acme.com", "X", &[]).build().digest()
    );
}

#[test]
fn a_saved_plan_reads_back_with_the_digest_of_its_state() {
    let live = org_state()
        .user("bo@acme.com", "Bo", &[("ml", "admin")])
        .build();
    let p = plan_of(&org(), &live);
    assert_eq!(p.state_digest, live.digest());
    assert!(p.state_digest.starts_with("sha256:"));
    let json = p.to_json();
    let back = Plan::from_json(json.as_bytes()).unwrap();
    assert_eq!(back.to_json(), json);
    assert_eq!(back.operations.len(), p.operations.len());
    // The exact shape of SPEC §9.
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "manual",
            "notes",
            "operations",
            "state_digest",
            "summary",
            "unmanaged"
        ]
    );
    let op = v["operations"][0].as_object().unwrap();
    let mut op_keys: Vec<&str> = op.keys().map(String::as_str).collect();
    op_keys.sort();
    assert_eq!(op_keys, ["args", "op", "reason"]);
    assert!(Plan::from_json(b"{\"operations\": 1}").is_err());
}

#[test]
fn names_cannot_forge_lines_of_the_plan() {
    // Keys are names: a state with a line break in one is refused.
    let evil_key = org_state().team("evil\n```\n+ teams.create pwned", "x").0;
    assert!(evil_key
        .validate()
        .unwrap_err()
        .to_string()
        .contains("is not a name"));
    // Display names may hold anything, and are printed escaped.
    let live = org_state()
        .role(
            "viewer",
            "Viewer\n```\n+ teams.create pwned",
            &["project:read"],
        )
        .user(
            "bo@acme.com",
            "Bo\u{1b}[31m",
            &[("ml", "viewer"), ("ops", "builder")],
        )
        .project(
            "bot",
            "Bot\r\n- users.remove_from_team everyone",
            &[("ml", "builder", true), ("ops", "viewer", false)],
        )
        .build();
    let p = plan_of(&org(), &live);
    assert_eq!(op_names(&p), ["roles.update"], "the name is set right");
    let text = rolegraph::adaptive::render::to_text(&p);
    let markdown = rolegraph::adaptive::render::to_markdown(&p);
    for out in [&text, &markdown] {
        assert!(!out.contains('\u{1b}') && !out.contains('\r'), "{out}");
        for forged in ["+ teams.create pwned", "- users.remove_from_team everyone"] {
            assert!(
                !out.lines().any(|l| l.trim_start().starts_with(forged)),
                "{out}"
            );
        }
    }
    let fences = |out: &str| out.lines().filter(|l| l.trim().starts_with("```")).count();
    assert_eq!(fences(&text), 0, "{text}");
    assert_eq!(
        fences(&markdown),
        2,
        "one code block, opened and closed: {markdown}"
    );
}
