//! `plan --url` (and `ADAPTIVE_URL`): the plan of the live deployment is the
//! plan of its pulled state, with the API key's own user from the read (so
//! the lockout guard knows whose key it is); `--url` and `--state` are
//! exclusive, and with neither the error says what to pass.

use std::path::Path;

use rolegraph::adaptive::{Plan, PlanOptions};

use super::adaptive_pull::live_command;
use super::apply_support::{drifted, lowering_root, org, org_file, plan_for, run, run_by_root};
use super::standin::{self, Standin};

/// `rolegraph plan --url STANDIN --format json` (and `extra`): what it
/// printed, read back.
fn live_plan(policy: &Path, s: &Standin, extra: &[&str]) -> (String, Plan) {
    let mut args = vec!["plan", "--url", s.url(), "--format", "json"];
    args.extend(extra);
    let r = run(policy, &args);
    assert_eq!(r.code, 0, "{r:?}");
    let plan = Plan::from_json(r.stdout.as_bytes()).unwrap();
    (r.stdout, plan)
}

#[test]
fn plan_url_is_the_plan_of_the_pulled_state() {
    let policy = org_file();
    let s = Standin::start(&drifted());
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("plan.json");
    let (printed, _) = live_plan(&policy.path, &s, &["-o", saved.to_str().unwrap()]);
    let expected = plan_for(&org(), &drifted(), None, PlanOptions::default());
    assert_eq!(printed, expected.to_json());
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), expected.to_json());
    assert_eq!(expected.state_digest, drifted().digest());
    assert_eq!(s.mutations(), 0);
}

#[test]
fn plan_reads_adaptive_url_when_no_source_is_given() {
    let policy = org_file();
    let s = Standin::start(&drifted());
    let out = live_command(Some(standin::KEY))
        .env("ADAPTIVE_URL", s.url())
        .arg("--policy")
        .arg(&policy.path)
        .args(["plan", "--fail-on-drift"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Plan: "), "{stdout}");

    // `--state` wins over `ADAPTIVE_URL`.
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    std::fs::write(&state, drifted().to_json()).unwrap();
    let before = s.requests();
    let out = live_command(Some(standin::KEY))
        .env("ADAPTIVE_URL", s.url())
        .arg("--policy")
        .arg(&policy.path)
        .args(["plan", "--state", state.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(s.requests(), before);
}

#[test]
fn the_live_read_says_whose_key_it_is() {
    let policy = lowering_root();
    let s = run_by_root();
    let (_, plan) = live_plan(&policy.path, &s, &[]);
    assert_eq!(plan.manual.len(), 1, "{plan:#?}");
    assert!(plan.manual[0].why.contains("root@acme.com"), "{plan:#?}");
    // Allowed, it is the last operation.
    let (_, plan) = live_plan(&policy.path, &s, &["--allow-self-lockout"]);
    let last = plan.operations.last().unwrap();
    assert!(last.reason.contains("runs last"), "{last:?}");
}

#[test]
fn sources_are_exclusive_and_one_is_needed() {
    let policy = org_file();
    let s = Standin::start(&drifted());
    let r = run(
        &policy.path,
        &["plan", "--url", s.url(), "--state", "s.json"],
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("cannot be used with"), "{}", r.stderr);
    let r = run(&policy.path, &["plan", "--url", s.url(), "--me", "a@b.c"]);
    assert_eq!(r.code, 2, "{r:?}");
    let r = run(&policy.path, &["plan"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("pass `--url URL` (or set `ADAPTIVE_URL`)")
            && r.stderr.contains("`--state FILE`"),
        "{}",
        r.stderr
    );
    // `--me` is for state files: a live deployment says who it is.
    let out = live_command(Some(standin::KEY))
        .env("ADAPTIVE_URL", s.url())
        .arg("--policy")
        .arg(&policy.path)
        .args(["plan", "--me", "root@acme.com"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`--me` goes with `--state FILE`"));
    // A deployment that cannot be read is a usage error, naming the query.
    let r = run(&policy.path, &["plan", "--url", "http://127.0.0.1:1"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("query `Me` failed: cannot reach"),
        "{}",
        r.stderr
    );
}
