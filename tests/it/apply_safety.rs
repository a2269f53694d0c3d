//! What `apply` refuses, and when: without `--yes` it asks on a terminal and
//! refuses anywhere else before any mutation; the lockout guard keeps the
//! API key's own user in the admin team unless `--allow-self-lockout`, and
//! then the operation runs last, alone, only after everything else was
//! confirmed; `--prune` removes undeclared users' memberships, never a user.

use rolegraph::adaptive::client::Connection;
use rolegraph::adaptive::PlanOptions;

use super::apply_support::{
    apply, assert_has, drifted, lowering_root, org_file, plan_for, run, run_by_root, PolicyFile,
};
use super::standin::{self, Standin};

/// HTTP requests one read of the deployment takes (`pull`, the start and
/// the end of `apply`).
fn requests_per_read(s: &Standin) -> u64 {
    let before = s.requests();
    Connection::new(s.url(), standin::KEY)
        .unwrap()
        .read()
        .unwrap();
    s.requests() - before
}

#[test]
fn without_yes_and_without_a_terminal_nothing_is_sent() {
    let policy = org_file();
    let s = Standin::start(&drifted());
    let per_read = requests_per_read(&s);
    let before = s.requests();
    let r = apply(&policy.path, &s, &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert_has(
        &r.stderr,
        &["not a terminal", "`--yes`", "nothing was sent"],
    );
    // The plan was shown; only the read went out.
    assert!(r.stdout.contains("teams.create ops"), "{}", r.stdout);
    assert_eq!(s.requests() - before, per_read);
    assert_eq!(s.mutations(), 0);
    assert_eq!(s.state(), drifted());
}

/// Runs `apply` (without `--yes`) with a terminal for its standard input,
/// typing `answer`.
#[cfg(unix)]
fn apply_on_a_terminal(policy: &PolicyFile, s: &Standin, answer: &str) -> (i32, String) {
    use std::io::Write;
    use std::os::fd::{FromRawFd, OwnedFd};

    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two new file descriptors into the pointers.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty failed");
    // SAFETY: both are open descriptors that nothing else owns.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("rolegraph"));
    cmd.env_clear()
        .env("ADAPTIVE_API_KEY", standin::KEY)
        .env("NO_COLOR", "1")
        .arg("--policy")
        .arg(&policy.path)
        .args(["apply", "--url", s.url()])
        .stdin(std::process::Stdio::from(slave))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let mut typing = std::fs::File::from(master);
    typing.write_all(answer.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains(standin::KEY));
    (out.status.code().unwrap_or(-1), stderr)
}

#[cfg(unix)]
#[test]
fn on_a_terminal_it_asks_and_only_yes_goes_on() {
    let policy = org_file();
    let s = Standin::start(&drifted());
    for answer in ["no\n", "y\n", "\n"] {
        let (code, err) = apply_on_a_terminal(&policy, &s, answer);
        assert_eq!(code, 1, "{answer:?}: {err}");
        assert_has(
            &err,
            &[
                "Apply these 8 operation(s)",
                "apply cancelled: nothing was sent",
            ],
        );
        assert_eq!(s.mutations(), 0);
    }
    let (code, err) = apply_on_a_terminal(&policy, &s, "yes\n");
    assert_eq!(code, 0, "{err}");
    assert_eq!(s.mutations(), 8);
}

#[test]
fn the_lockout_guard_refuses_to_lower_the_keys_own_user() {
    let policy = lowering_root();
    let s = run_by_root();
    let r = apply(&policy.path, &s, &["--yes", "--format", "json"]);
    // The rest ran; the lowering is a manual step, so not in sync.
    assert_eq!(r.code, 1, "{r:?}");
    let report = r.report();
    assert_eq!(report["done"].as_array().unwrap().len(), 8, "{report}");
    assert_eq!(report["in_sync"], false);
    assert_eq!(report["left"]["operations"], serde_json::json!([]));
    let manual = report["left"]["manual"].as_array().unwrap();
    assert_eq!(manual.len(), 1, "{report}");
    assert!(
        manual[0]["what"]
            .as_str()
            .unwrap()
            .contains("users.add_to_team root@acme.com to admin as viewer"),
        "{report}"
    );
    assert!(r.stderr.contains("--allow-self-lockout"), "{}", r.stderr);
    assert_eq!(s.state().users["root@acme.com"].teams["admin"], "admin");
}

#[test]
fn with_allow_self_lockout_the_lowering_runs_last_in_a_request_of_its_own() {
    let policy = lowering_root();
    let s = run_by_root();
    let per_read = requests_per_read(&s);
    let before = s.requests();
    let r = apply(&policy.path, &s, &["--yes", "--allow-self-lockout"]);
    assert_eq!(r.code, 0, "{r:?}");
    // One request for the eight others, one for it, and the two reads.
    assert_eq!(s.requests() - before, 2 * per_read + 2);
    assert_eq!(s.mutations(), 9);
    let last = "[9/9] ~ users.add_to_team root@acme.com to admin as viewer";
    let at = r
        .stdout
        .find(last)
        .unwrap_or_else(|| panic!("{}", r.stdout));
    // Sent only after the others were confirmed.
    let others_done = r.stdout.find("[8/9] done").unwrap();
    assert!(others_done < at, "{}", r.stdout);
    assert_eq!(s.state().users["root@acme.com"].teams["admin"], "viewer");
}

#[test]
fn the_lowering_is_not_sent_when_anything_before_it_failed() {
    let policy = lowering_root();
    let s = run_by_root();
    s.fail_nth_mutation(8);
    let r = apply(
        &policy.path,
        &s,
        &["--yes", "--allow-self-lockout", "--format", "json"],
    );
    assert_eq!(r.code, 1, "{r:?}");
    let report = r.report();
    let remaining = report["remaining"].as_array().unwrap();
    assert_eq!(remaining.len(), 1, "{report}");
    assert_eq!(remaining[0]["args"]["email"], "root@acme.com");
    assert_eq!(s.mutations(), 8);
    assert_eq!(s.state().users["root@acme.com"].teams["admin"], "admin");
}

#[test]
fn a_saved_plan_that_did_not_know_whose_key_runs_it_is_checked_again() {
    let policy = lowering_root();
    let s = run_by_root();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let saved = dir.path().join("plan.json");
    std::fs::write(&state, drifted().to_json()).unwrap();
    // Planned from a file without `--me`: no guard, the lowering is planned.
    let r = run(
        &policy.path,
        &[
            "plan",
            "--state",
            state.to_str().unwrap(),
            "-o",
            saved.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r
        .stdout
        .contains("users.add_to_team root@acme.com to admin as viewer"));

    let r = apply(&policy.path, &s, &["--yes", saved.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_has(&r.stderr, &["lowers your own access", "nothing was sent"]);
    assert_eq!(s.mutations(), 0);

    let r = apply(
        &policy.path,
        &s,
        &["--yes", "--allow-self-lockout", saved.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{r:?}");
    // Read back, a plan knows an operation's sign from its kind only.
    assert_has(
        &r.stdout,
        &["[9/9] + users.add_to_team root@acme.com to admin as viewer"],
    );
    assert_eq!(s.state().users["root@acme.com"].teams["admin"], "viewer");
}

#[test]
fn prune_removes_undeclared_memberships_and_never_a_user() {
    let policy = org_file();
    let s = Standin::start(&drifted());
    let users = s.state().users.len();
    // Without --prune, `li` (not in the policy) is left alone.
    let r = apply(&policy.path, &s, &["--yes"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(s.state().users["li@acme.com"].teams.len(), 2);
    assert_has(&r.stdout, &["user li@acme.com: not declared in the policy"]);

    let r = apply(&policy.path, &s, &["--yes", "--prune"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_has(&r.stdout, &["- users.remove_from_team li@acme.com from ml"]);
    let after = s.state();
    // The new-login membership (`default` as `viewer`) stays; the user stays.
    assert_eq!(
        after.users["li@acme.com"].teams,
        [("default".to_string(), "viewer".to_string())].into()
    );
    assert_eq!(after.users.len(), users + 1, "only `ana` was created");
    let fresh = plan_for(
        &super::apply_support::org(),
        &after,
        None,
        PlanOptions {
            prune: true,
            allow_self_lockout: false,
        },
    );
    assert!(!fresh.has_drift());
}
