//! `apply --yes`, the real binary against the stand-in, takes any
//! deployment to any policy: from random starting states (extra users,
//! teams and roles, wrong roles, missing and extra shares, wrong owner
//! flags, roles with missing and extra permissions) and random policies —
//! `plan_property`'s generators —, with or without `--prune`, whoever the
//! key's user is, at several batch sizes, the report lists every planned
//! operation as done, the stand-in holds exactly what the plan said, a
//! fresh plan has no operation left, and the deployment is the policy's
//! target (but for what the lockout guard refused, which stays a manual
//! step, and then `apply` exits 1).

use proptest::prelude::*;
use rolegraph::adaptive::state::ProjectState;
use rolegraph::adaptive::{plan, PlanOptions, Target};
use rolegraph::Policy;

use super::apply_support::{apply, operations, ops_of, policy_file, with_applied};
use super::plan_property::{spec, state, whats, PROJECTS, USERS};
use super::standin::Standin;

proptest! {
    // Each case starts a stand-in and runs the binary: a few seconds in all.
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn apply_takes_any_deployment_to_the_policy(
        spec in spec(),
        live in state(),
        prune in any::<bool>(),
        allow_self_lockout in any::<bool>(),
        me in prop::option::of(0usize..3),
        batch in prop::sample::select(vec![1usize, 2, 50]),
    ) {
        let text = spec.text();
        let policy = Policy::from_text("random.policy", &text).unwrap();
        // Every project exists: rolegraph does not create projects (a
        // missing one is a manual step, tested with the plan).
        let mut live = live;
        for p in PROJECTS {
            live.projects.entry(p.to_string()).or_insert_with(|| ProjectState {
                name: p.to_string(),
                shares: Default::default(),
            });
        }
        let me = me.map(|i| format!("{}@acme.com", USERS[i]));
        let options = PlanOptions { prune, allow_self_lockout };
        let first = plan(&policy, &live, me.as_deref(), &options).unwrap();
        let planned = ops_of(&first);

        let file = policy_file(&text);
        let s = Standin::start(&live);
        s.set_me(me.as_deref());
        let batch = batch.to_string();
        let mut args = vec!["--yes", "--format", "json", "--batch-size", &batch];
        if prune {
            args.push("--prune");
        }
        if allow_self_lockout {
            args.push("--allow-self-lockout");
        }
        let r = apply(&file.path, &s, &args);
        let report = r.report();
        let after = s.state();

        // Everything planned was done, in the plan's order, and nothing else.
        prop_assert_eq!(operations(&report, "done"), planned.clone(), "{:?}\npolicy:\n{}", r, text);
        for list in ["failed", "unconfirmed", "remaining"] {
            prop_assert_eq!(&report[list], &serde_json::json!([]));
        }
        prop_assert_eq!(&after, &with_applied(&live, &planned));
        prop_assert_eq!(after.users.len(), live.users.len() + planned.iter().filter(|o| o.name() == "users.create").count());

        // Nothing is left but what only a person can do; exit 0 iff nothing.
        let fresh = plan(&policy, &after, me.as_deref(), &options).unwrap();
        prop_assert!(fresh.operations.is_empty(), "left: {:#?}\npolicy:\n{}", fresh.operations, text);
        prop_assert_eq!(whats(&fresh.manual), whats(&first.manual));
        let in_sync = fresh.manual.is_empty();
        prop_assert_eq!(r.code, if in_sync { 0 } else { 1 }, "{:?}", r);
        prop_assert_eq!(&report["in_sync"], &serde_json::json!(in_sync));

        // The deployment is the policy's target.
        if in_sync {
            let target = Target::new(&policy, &after).to_state(&after);
            for (key, role) in &target.roles {
                prop_assert_eq!(&after.roles[key], role);
            }
            for key in target.teams.keys() {
                prop_assert!(after.teams.contains_key(key));
            }
            for (email, user) in &target.users {
                prop_assert_eq!(&after.users[email].teams, &user.teams);
            }
            for (key, project) in &target.projects {
                prop_assert_eq!(&after.projects[key].shares, &project.shares);
            }
        }
    }
}
