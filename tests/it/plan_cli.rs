//! `rolegraph plan --state FILE`: every format (snapshots), exit codes,
//! `-o PLAN.json`, and state files that must be refused.

use std::path::Path;

use rolegraph::adaptive::{Plan, State};

use super::common::{rolegraph, POLICIES};
use super::plan_support::{fixture, root};

/// Runs the binary; (exit code, stdout, stderr with the checkout's path
/// written `<root>`).
fn run(policy: &Path, args: &[&str]) -> (i32, String, String) {
    let out = rolegraph(policy).args(args).output().unwrap();
    let clean = |b: &[u8]| String::from_utf8_lossy(b).replace(&*root().to_string_lossy(), "<root>");
    (
        out.status.code().unwrap_or(-1),
        clean(&out.stdout),
        clean(&out.stderr),
    )
}

fn report(r: (i32, String, String)) -> String {
    format!("exit: {}\n--- stdout\n{}--- stderr\n{}", r.0, r.1, r.2)
}

fn state_arg(name: &str) -> String {
    fixture(name).display().to_string()
}

#[test]
fn formats() {
    let drifted = state_arg("drifted.state.json");
    let policies = Path::new(POLICIES);
    for (name, extra) in [
        ("text", &[][..]),
        ("json", &["--format", "json"][..]),
        ("markdown", &["--format", "markdown"][..]),
        ("text_prune", &["--prune"][..]),
        (
            "text_prune_me_root",
            &["--prune", "--me", "root@acme.com"][..],
        ),
        (
            "text_prune_me_root_allowed",
            &["--prune", "--me", "root@acme.com", "--allow-self-lockout"][..],
        ),
    ] {
        let mut args = vec!["plan", "--state", &drifted];
        args.extend(extra);
        insta::assert_snapshot!(format!("drifted_{name}"), report(run(policies, &args)));
    }
    let in_sync = state_arg("in-sync.state.json");
    for (name, format) in [("text", "text"), ("markdown", "markdown")] {
        insta::assert_snapshot!(
            format!("in_sync_{name}"),
            report(run(
                policies,
                &["plan", "--state", &in_sync, "--format", format]
            ))
        );
    }
}

#[test]
fn fail_on_drift_exits_1_only_on_drift() {
    let policies = Path::new(POLICIES);
    let drifted = state_arg("drifted.state.json");
    let in_sync = state_arg("in-sync.state.json");
    let (code, _, err) = run(policies, &["plan", "--state", &drifted, "--fail-on-drift"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("drifted from the policy"), "{err}");
    assert_eq!(
        run(policies, &["plan", "--state", &drifted]).0,
        0,
        "drift without the flag"
    );
    assert_eq!(
        run(policies, &["plan", "--state", &in_sync, "--fail-on-drift"]).0,
        0
    );

    // Unmanaged items and notes are not drift.
    let mut state =
        State::from_json(&std::fs::read(fixture("in-sync.state.json")).unwrap()).unwrap();
    state.teams.get_mut("ml-team").unwrap().name = "Renamed".into();
    state.users.insert(
        "eve@acme.com".into(),
        rolegraph::adaptive::state::UserState {
            name: "Eve".into(),
            teams: [("ml-team".to_string(), "admin".to_string())].into(),
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    std::fs::write(&path, state.to_json()).unwrap();
    let (code, out, _) = run(
        policies,
        &["plan", "--state", path.to_str().unwrap(), "--fail-on-drift"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("No changes") && out.contains("1 unmanaged"),
        "{out}"
    );
}

#[test]
fn the_preflight_stops_with_did_you_mean_and_exit_1() {
    let project_api = state_arg("project-api.state.json");
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("plan.json");
    let r = run(
        Path::new(POLICIES),
        &[
            "plan",
            "--state",
            &project_api,
            "-o",
            saved.to_str().unwrap(),
        ],
    );
    assert_eq!(r.0, 1);
    assert!(r.1.is_empty(), "nothing planned: {}", r.1);
    assert!(!saved.exists(), "no plan is saved");
    insta::assert_snapshot!("preflight", report(r));
}

#[test]
fn a_saved_plan_is_the_json_plan_with_the_state_digest() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("plan.json");
    let drifted = state_arg("drifted.state.json");
    let policies = Path::new(POLICIES);
    let (code, text, _) = run(
        policies,
        &["plan", "--state", &drifted, "-o", saved.to_str().unwrap()],
    );
    assert_eq!(code, 0);
    assert!(
        text.starts_with("rolegraph will perform"),
        "stdout keeps the chosen format"
    );
    let bytes = std::fs::read(&saved).unwrap();
    let (_, json, _) = run(policies, &["plan", "--state", &drifted, "--format", "json"]);
    assert_eq!(String::from_utf8_lossy(&bytes), json);
    let plan = Plan::from_json(&bytes).unwrap();
    let state = State::from_json(&std::fs::read(fixture("drifted.state.json")).unwrap()).unwrap();
    assert_eq!(plan.state_digest, state.digest());
    // Nothing but the plan in the directory: the temporary file was renamed.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    // An unwritable destination is a usage error, and leaves nothing.
    let missing = dir.path().join("no/such/dir/plan.json");
    let (code, _, err) = run(
        policies,
        &["plan", "--state", &drifted, "-o", missing.to_str().unwrap()],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot write"), "{err}");
}

#[test]
fn bad_state_files_are_refused_with_exit_2() {
    let policies = Path::new(POLICIES);
    let mut all = String::new();
    // `bad-*.json`, beside the good ones: one level down would make them
    // policy fixtures for `diagnostics::fixtures`.
    let mut names: Vec<_> = std::fs::read_dir(fixture(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("bad-"))
        .collect();
    names.sort();
    for path in names {
        let (code, out, err) = run(policies, &["plan", "--state", path.to_str().unwrap()]);
        assert_eq!(code, 2, "{}: {err}", path.display());
        assert!(out.is_empty());
        assert!(!err.contains("panicked"), "{err}");
        assert!(!err.contains("secret"), "{err}");
        all.push_str(&err);
    }
    insta::assert_snapshot!("bad_state_files", all);
}

#[test]
fn a_huge_state_file_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.json");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(100 * 1024 * 1024).unwrap(); // sparse: no 100 MB written
    let (code, _, err) = run(
        Path::new(POLICIES),
        &["plan", "--state", path.to_str().unwrap()],
    );
    assert_eq!(code, 2);
    assert!(err.contains("larger than 64 MiB"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    let policies = Path::new(POLICIES);
    let (code, _, err) = run(policies, &["plan"]);
    assert_eq!(code, 2);
    assert!(err.contains("--state FILE"), "{err}");
    let (code, _, err) = run(policies, &["plan", "--state", "/no/such/state.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read `/no/such/state.json`"), "{err}");
    let drifted = state_arg("drifted.state.json");
    let (code, _, _) = run(policies, &["plan", "--state", &drifted, "--format", "dot"]);
    assert_eq!(code, 2);
    // A policy with errors: exit 1, as for every command.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.policy"), "role r { grant nope:nope }").unwrap();
    assert_eq!(run(dir.path(), &["plan", "--state", &drifted]).0, 1);
}
