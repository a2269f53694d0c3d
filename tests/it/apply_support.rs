//! Shared by the `apply_*` modules: the real binary run against the
//! stand-in deployment, a drifted deployment of `plan_support`'s org, and
//! checks that what `apply` reports is what the deployment holds.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rolegraph::adaptive::simulate::apply_to_state;
use rolegraph::adaptive::{plan, Operation, Plan, PlanOptions, State};
use rolegraph::Policy;
use serde_json::Value;

use super::adaptive_pull::live_command;
use super::plan_support::{Builder, ORG, PERMISSIONS};
use super::standin::{self, Standin};

/// What a run of the binary gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The `--format json` report on standard output.
    pub fn report(&self) -> Value {
        match serde_json::from_str(&self.stdout) {
            Ok(v) => v,
            Err(e) => panic!("not a JSON report ({e}):\n{self:?}"),
        }
    }
}

/// `rolegraph --policy POLICY ARGS…` with the stand-in's key (and nothing
/// else of the environment that steers a live command); stdin is empty, not
/// a terminal. The key never shows in what it prints.
pub fn run(policy: &Path, args: &[&str]) -> Run {
    let out = live_command(Some(standin::KEY))
        .arg("--policy")
        .arg(policy)
        .args(args)
        .output()
        .unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !run.stdout.contains(standin::KEY) && !run.stderr.contains(standin::KEY),
        "the key was printed: {run:?}"
    );
    run
}

/// `rolegraph apply --url STANDIN ARGS…`.
pub fn apply(policy: &Path, s: &Standin, args: &[&str]) -> Run {
    let mut all = vec!["apply", "--url", s.url()];
    all.extend(args);
    run(policy, &all)
}

/// A policy text written to a file in a new temporary directory.
pub struct PolicyFile {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

pub fn policy_file(text: &str) -> PolicyFile {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("org.policy");
    std::fs::write(&path, text).unwrap();
    PolicyFile { _dir: dir, path }
}

/// `plan_support`'s org as a deployment that drifted from it: `viewer` has
/// an extra permission, `builder` and team `ops` are missing, `ana` is
/// missing, `bo` has a wrong role, a missing and an extra membership,
/// `bot`'s shares are wrong (owner flag on the wrong team), and `li` is not
/// declared by the policy. Its plan has eight operations, one of each kind
/// but one kind twice.
pub fn drifted() -> State {
    Builder::new(&PERMISSIONS)
        .role("admin", "Admin", &PERMISSIONS)
        .role("viewer", "Viewer", &["project:adapt", "project:read"])
        .team("admin", "Admin")
        .team("default", "Default")
        .team("ml", "ML")
        .user("root@acme.com", "root@acme.com", &[("admin", "admin")])
        .user(
            "bo@acme.com",
            "Bo",
            &[("ml", "admin"), ("default", "viewer")],
        )
        .user(
            "li@acme.com",
            "Li",
            &[("ml", "viewer"), ("default", "viewer")],
        )
        .project(
            "bot",
            "Bot",
            &[("ml", "viewer", false), ("default", "viewer", true)],
        )
        .build()
}

/// The org, but the policy moves `root@acme.com` (an admin, and the API
/// key's user in [`run_by_root`]) to `viewer` in the admin team.
pub fn lowering_root() -> PolicyFile {
    let text = ORG.replace("  admins       root@acme.com\n", "")
        + "user root@acme.com { in admin as viewer }\n";
    policy_file(&text)
}

/// The drifted deployment, whose API key is `root@acme.com`'s.
pub fn run_by_root() -> Standin {
    let s = Standin::start(&drifted());
    s.set_me(Some("root@acme.com"));
    s
}

/// The org's policy in a file.
pub fn org_file() -> PolicyFile {
    policy_file(ORG)
}

pub fn org() -> Policy {
    Policy::from_text("org.policy", ORG).unwrap()
}

/// The plan the library makes for `state`, with `me` and the options.
pub fn plan_for(policy: &Policy, state: &State, me: Option<&str>, options: PlanOptions) -> Plan {
    plan(policy, state, me, &options).unwrap()
}

/// The operations of a plan, in order.
pub fn ops_of(plan: &Plan) -> Vec<Operation> {
    plan.operations
        .iter()
        .map(|o| o.operation.clone())
        .collect()
}

/// Asserts that `text` holds each of `parts`, showing it when not.
pub fn assert_has(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "missing {part:?} in:\n{text}");
    }
}

/// `rolegraph plan --url STANDIN -o PATH` (and `extra`), which must succeed.
pub fn save_plan(policy: &Path, s: &Standin, path: &Path, extra: &[&str]) {
    let mut args = vec!["plan", "--url", s.url(), "-o", path.to_str().unwrap()];
    args.extend(extra);
    let r = run(policy, &args);
    assert_eq!(r.code, 0, "{r:?}");
}

/// An operation of a report (`{"op","args","reason",…}`) as an operation.
pub fn operation(entry: &Value) -> Operation {
    let mut entry = entry.clone();
    let map = entry.as_object_mut().unwrap();
    map.retain(|k, _| k == "op" || k == "args");
    serde_json::from_value(entry).unwrap()
}

/// The operations of one list of a report.
pub fn operations(report: &Value, list: &str) -> Vec<Operation> {
    report[list]
        .as_array()
        .unwrap_or_else(|| panic!("no list `{list}` in {report}"))
        .iter()
        .map(operation)
        .collect()
}

/// `state` with `ops` applied in order, as the API would.
pub fn with_applied(state: &State, ops: &[Operation]) -> State {
    let mut s = state.clone();
    for op in ops {
        if let Err(e) = apply_to_state(&mut s, op) {
            panic!("the API would refuse `{}`: {e}", op.name());
        }
    }
    s
}
