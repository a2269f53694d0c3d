//! `rolegraph apply` end to end against the stand-in: plan, confirm, run,
//! read again, "in sync"; the text account and the `--format json` report;
//! saved plans (`apply PLAN.json`), fresh and stale; usage errors.

use rolegraph::adaptive::client::Connection;
use rolegraph::adaptive::{Operation, Plan, PlanOptions, Target};

use super::apply_support::{
    apply, assert_has, drifted, operations, ops_of, org, org_file, plan_for, policy_file, run,
    save_plan, with_applied,
};
use super::plan_support::ORG;
use super::standin::{self, Standin};

#[test]
fn apply_yes_takes_the_deployment_to_the_policy_and_says_in_sync() {
    let policy = org_file();
    let s = Standin::start(&drifted());
    let planned = plan_for(&org(), &drifted(), None, PlanOptions::default());
    assert_eq!(planned.operations.len(), 8);

    let r = apply(&policy.path, &s, &["--yes"]);
    assert_eq!(r.code, 0, "{r:?}");
    // The plan, then each operation before it runs and its outcome after.
    assert_has(
        &r.stdout,
        &[
            "rolegraph will perform the following operations",
            "[1/8] + teams.create ops \"Ops\"",
            "[1/8] done: teams.create ops \"Ops\"",
            "[8/8] done: users.remove_from_team bo@acme.com from default",
        ],
    );
    assert!(r
        .stdout
        .trim_end()
        .ends_with("in sync: the deployment matches the policy"));
    let sent = r.stdout.find("[1/8] +").unwrap();
    let done = r.stdout.find("[1/8] done").unwrap();
    assert!(sent < done);

    // The deployment is what the plan said it would be, and the target.
    let after = s.state();
    assert_eq!(after, with_applied(&drifted(), &ops_of(&planned)));
    let fresh = plan_for(&org(), &after, None, PlanOptions::default());
    assert!(!fresh.has_drift(), "{fresh:#?}");
    let policy_value = org();
    let target = Target::new(&policy_value, &after).to_state(&after);
    assert_eq!(after.roles, target.roles);
    for (email, user) in &target.users {
        assert_eq!(after.users[email].teams, user.teams, "{email}");
    }
    assert_eq!(after.projects["bot"].shares, target.projects["bot"].shares);

    // Again: nothing to do, nothing sent.
    let mutations = s.mutations();
    let r = apply(&policy.path, &s, &["--yes"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_has(&r.stdout, &["No changes", "in sync"]);
    assert_eq!(s.mutations(), mutations);
}

#[test]
fn the_json_report_lists_every_operation_and_progress_goes_to_stderr() {
    let policy = org_file();
    let s = Standin::start(&drifted());
    let r = apply(&policy.path, &s, &["--yes", "--format", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let report = r.report();
    assert_eq!(report["in_sync"], true);
    assert_eq!(operations(&report, "done").len(), 8);
    for list in ["failed", "unconfirmed", "remaining"] {
        assert_eq!(report[list], serde_json::json!([]), "{list}");
    }
    assert_eq!(report["error"], serde_json::Value::Null);
    assert_eq!(report["left"]["operations"], serde_json::json!([]));
    // Each entry is as in the plan JSON: op, args, reason.
    let first = &report["done"][0];
    assert_eq!(first["op"], "teams.create");
    assert_eq!(
        first["args"],
        serde_json::json!({"key": "ops", "name": "Ops"})
    );
    assert!(first["reason"].as_str().unwrap().contains("`ops`"));
    assert!(
        r.stderr.contains("[1/8] done: teams.create"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("in sync"), "{}", r.stderr);
}

#[test]
fn a_saved_plan_runs_exactly_its_operations() {
    let policy = org_file();
    let s = Standin::start(&drifted());
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("plan.json");
    save_plan(&policy.path, &s, &saved, &[]);
    assert_eq!(s.mutations(), 0);

    let r = apply(
        &policy.path,
        &s,
        &["--yes", "--format", "json", saved.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let ops = ops_of(&Plan::from_json(&std::fs::read(&saved).unwrap()).unwrap());
    assert_eq!(operations(&r.report(), "done"), ops);
    assert_eq!(s.state(), with_applied(&drifted(), &ops));
}

#[test]
fn a_stale_saved_plan_is_refused_before_anything_is_sent() {
    let policy = org_file();
    let s = Standin::start(&drifted());
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("plan.json");
    let saved_arg = saved.to_str().unwrap();
    save_plan(&policy.path, &s, &saved, &[]);

    // Someone changes the deployment after the plan was made.
    let c = Connection::new(s.url(), standin::KEY).unwrap();
    let change = [Operation::AddToTeam {
        email: "li@acme.com".into(),
        team: "admin".into(),
        role: "admin".into(),
    }];
    assert!(c.execute(&change, 1, &mut |_| {}).is_complete());
    let (mutations, state) = (s.mutations(), s.state());

    let r = apply(&policy.path, &s, &["--yes", saved_arg]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_has(
        &r.stderr,
        &["has changed since", "plan again", "nothing was sent"],
    );
    assert_eq!(s.mutations(), mutations, "a mutation was sent");
    assert_eq!(s.state(), state);

    // Planned again, it runs.
    save_plan(&policy.path, &s, &saved, &[]);
    let r = apply(&policy.path, &s, &["--yes", saved_arg]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("in sync"), "{}", r.stdout);
}

#[test]
fn usage_errors_exit_2_before_anything_is_sent() {
    let policy = org_file();
    let s = Standin::start(&drifted());
    for (args, says) in [
        (
            &["--yes", "--batch-size", "0"][..],
            "at least one operation",
        ),
        (&["--yes", "--batch-size", "many"][..], "not a whole number"),
        (
            &["--yes", "--prune", "plan.json"][..],
            "cannot be used with",
        ),
        (
            &["--yes", "--format", "markdown"][..],
            "does not write `--format markdown`",
        ),
        (
            &["--yes", "missing-plan.json"][..],
            "cannot read `missing-plan.json`",
        ),
    ] {
        let r = apply(&policy.path, &s, args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
    }
    // Not a plan.
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("plan.json");
    std::fs::write(&bogus, "{\"operations\": 3}").unwrap();
    let r = apply(&policy.path, &s, &["--yes", bogus.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("not a rolegraph plan"), "{}", r.stderr);
    // No URL at all.
    let r = run(&policy.path, &["apply", "--yes"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--url URL"), "{}", r.stderr);
    assert_eq!(s.mutations(), 0);
}

#[test]
fn a_preflight_error_exits_1_before_anything_is_sent() {
    // A role holds a permission the deployment does not list.
    let text = format!(
        "{ORG}\npermission project:evaluate on project\nrole judge {{ grant project:evaluate }}\n"
    );
    let policy = policy_file(&text);
    let s = Standin::start(&drifted());
    let r = apply(&policy.path, &s, &["--yes"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("no permission `project:evaluate`"),
        "{}",
        r.stderr
    );
    assert_eq!(s.mutations(), 0);
    assert_eq!(s.state(), drifted());
}
