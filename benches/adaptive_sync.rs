//! Scale figures for the deployment sync against the stand-in (a test
//! fixture, included by path), run as a benchmark in release mode:
//!
//! ```text
//! cargo bench --bench adaptive_sync            # every figure
//! cargo bench --bench adaptive_sync -- pull    # only `pull`
//! cargo bench --bench adaptive_sync -- execute # only the executor
//! cargo bench --bench adaptive_sync -- apply   # only `apply`
//! ```
//!
//! - `pull`: a deployment of 100,000 users, 5,000 teams and 50,000 projects
//!   (orgen's size M) served by the stand-in in this process; the release
//!   `rolegraph pull -o FILE` is timed as a child under `/usr/bin/time -v`
//!   (wall time and its peak RSS; the stand-in's own work is in the wall
//!   time, not in the RSS).
//! - `execute`: 10,000 `users.add_to_team` operations through
//!   `Connection::execute` with 5 ms of latency added to every request, at
//!   batch sizes 1 and 50 (wall time).
//! - `apply`: the same 10,000 membership changes, as a policy and a
//!   deployment that lacks them, through the release `rolegraph apply --yes`
//!   (read, plan, every operation printed before and after, read again, "in
//!   sync"), 5 ms of latency per request, batch sizes 1 and 50 (wall time of
//!   the child, from start to exit).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/orgen.rs"]
mod orgen;
#[path = "../tests/it/standin/mod.rs"]
mod standin;

use std::process::Command;
use std::time::{Duration, Instant};

use rolegraph::adaptive::client::Connection;
use rolegraph::adaptive::ops::Operation;
use rolegraph::adaptive::state::{
    ProjectState, RoleState, ShareState, State, TeamState, UserState,
};

use standin::Standin;

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wants = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    if wants("pull") {
        pull();
    }
    if wants("execute") {
        execute();
    }
    if wants("apply") {
        apply();
    }
}

/// orgen's organisation as a deployment's state: its roles with their
/// flattened permissions, teams, users and their memberships, use cases as
/// projects with their shares.
fn deployment(size: orgen::Size) -> State {
    let org = orgen::generate(size, 42);
    let mut state = State::new();
    let mut perms: Vec<String> = orgen::USE_CASE_PERMS
        .iter()
        .chain(orgen::TEAM_PERMS.iter())
        .chain(orgen::GLOBAL_PERMS.iter())
        .map(|p| p.to_string())
        .collect();
    perms.sort();
    perms.dedup();
    state.permissions = perms;
    for (r, key) in orgen::ROLES.iter().enumerate() {
        let mut permissions: Vec<String> =
            orgen::role_perms(r).iter().map(|p| p.to_string()).collect();
        permissions.sort();
        permissions.dedup();
        state.roles.insert(
            key.to_string(),
            RoleState {
                name: key.to_string(),
                permissions,
            },
        );
    }
    for t in 0..org.teams {
        let key = orgen::team_key(t);
        state.teams.insert(key.clone(), TeamState { name: key });
    }
    for (u, memberships) in org.users.iter().enumerate() {
        let teams = memberships
            .iter()
            .map(|&(t, r)| (orgen::team_key(t), orgen::ROLES[r].to_string()))
            .collect();
        state.users.insert(
            orgen::user_email(u),
            UserState {
                name: format!("User {u}"),
                teams,
            },
        );
    }
    for (p, shares) in org.use_cases.iter().enumerate() {
        let shares = shares
            .iter()
            .map(|s| {
                (
                    orgen::team_key(s.team),
                    ShareState {
                        role: orgen::ROLES[s.role].to_string(),
                        owner: s.owner,
                    },
                )
            })
            .collect();
        state.projects.insert(
            orgen::use_case_key(p),
            ProjectState {
                name: format!("Use case {p}"),
                shares,
            },
        );
    }
    state.validate().unwrap();
    state
}

fn pull() {
    let state = deployment(orgen::Size::M);
    let memberships: usize = state.users.values().map(|u| u.teams.len()).sum();
    let shares: usize = state.projects.values().map(|p| p.shares.len()).sum();
    println!(
        "pull: {} users ({memberships} memberships), {} teams, {} projects ({shares} shares), {} roles",
        state.users.len(),
        state.teams.len(),
        state.projects.len(),
        state.roles.len()
    );
    let expected = state.to_json();
    let server = Standin::start(&state);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json");
    for run in 1..=3 {
        let out = Command::new("/usr/bin/time")
            .arg("-v")
            .arg(env!("CARGO_BIN_EXE_rolegraph"))
            .args(["pull", "--url", server.url(), "-o"])
            .arg(&file)
            .env("ADAPTIVE_API_KEY", standin::KEY)
            .env_remove("ADAPTIVE_URL")
            .env_remove("HTTPS_PROXY")
            .env_remove("HTTP_PROXY")
            .env_remove("ALL_PROXY")
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{report}");
        let field = |name: &str| {
            report
                .lines()
                .find_map(|l| l.trim().strip_prefix(name))
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        let written = std::fs::read(&file).unwrap();
        assert!(written == expected, "pull did not give the seeded state");
        println!(
            "pull run {run}: wall {}, rolegraph's CPU user {} s + system {} s, peak RSS {} KiB, state file {:.1} MB",
            field("Elapsed (wall clock) time (h:mm:ss or m:ss):"),
            field("User time (seconds):"),
            field("System time (seconds):"),
            field("Maximum resident set size (kbytes):"),
            written.len() as f64 / 1e6
        );
    }
}

/// Operations of the `execute` and `apply` figures: one membership each.
const OPS: usize = 10_000;
/// Teams the memberships are spread over.
const TEAMS: usize = 100;

/// The role of user `u`'s one membership.
fn role_of(u: usize) -> &'static str {
    if u.is_multiple_of(2) {
        "read-only"
    } else {
        "power_user"
    }
}

/// A deployment with [`OPS`] users in no team, [`TEAMS`] teams and the
/// roles of [`MEMBERSHIP_POLICY`].
fn users_in_no_team() -> State {
    let mut state = State::new();
    state.permissions = vec!["project:adapt".to_string(), "project:read".to_string()];
    for (role, permissions) in [
        ("admin", &["project:adapt", "project:read"][..]),
        ("read-only", &["project:read"][..]),
        ("power_user", &["project:adapt", "project:read"][..]),
    ] {
        state.roles.insert(
            role.to_string(),
            RoleState {
                name: role.to_string(),
                permissions: permissions.iter().map(|p| p.to_string()).collect(),
            },
        );
    }
    for key in std::iter::once("admin".to_string()).chain((0..TEAMS).map(|t| format!("team-{t}"))) {
        state.teams.insert(key.clone(), TeamState { name: key });
    }
    for u in 0..OPS {
        let email = orgen::user_email(u);
        state.users.insert(
            email.clone(),
            UserState {
                name: email,
                teams: Default::default(),
            },
        );
    }
    state
}

/// The policy that puts each user of [`users_in_no_team`] in one team.
const MEMBERSHIP_POLICY: &str = "kind project
permission project:read on project
permission project:adapt on project
role admin { grant * }
role read-only { grant project:read }
role power_user { grant project:read, project:adapt }
team admin
";

fn membership_policy() -> String {
    let mut text = MEMBERSHIP_POLICY.to_string();
    for t in 0..TEAMS {
        text.push_str(&format!("team team-{t} {{\n"));
        for u in (t..OPS).step_by(TEAMS) {
            text.push_str(&format!(
                "  member {} as {}\n",
                orgen::user_email(u),
                role_of(u)
            ));
        }
        text.push_str("}\n");
    }
    text
}

fn execute() {
    let state = users_in_no_team();
    let ops: Vec<Operation> = (0..OPS)
        .map(|u| Operation::AddToTeam {
            email: orgen::user_email(u),
            team: format!("team-{}", u % TEAMS),
            role: role_of(u).to_string(),
        })
        .collect();
    for batch in [50, 1] {
        let server = Standin::start(&state);
        server.set_latency(Duration::from_millis(5));
        let connection = Connection::new(server.url(), standin::KEY).unwrap();
        let start = Instant::now();
        let outcome = connection.execute(&ops, batch, &mut |_| {});
        let wall = start.elapsed();
        assert!(outcome.is_complete(), "{:?}", outcome.error);
        let after = server.state();
        assert!(after.users.values().all(|u| u.teams.len() == 1));
        println!(
            "execute: {OPS} users.add_to_team, 5 ms latency, batch size {batch}: {} requests, wall {:.2} s ({:.0} operations/s)",
            server.requests(),
            wall.as_secs_f64(),
            OPS as f64 / wall.as_secs_f64()
        );
    }
}

fn apply() {
    let state = users_in_no_team();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("org.policy");
    std::fs::write(&policy, membership_policy()).unwrap();
    for batch in [50, 1] {
        let server = Standin::start(&state);
        server.set_latency(Duration::from_millis(5));
        let start = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_rolegraph"))
            .arg("--policy")
            .arg(&policy)
            .args(["apply", "--yes", "--url", server.url(), "--batch-size"])
            .arg(batch.to_string())
            .env("ADAPTIVE_API_KEY", standin::KEY)
            .env_remove("ADAPTIVE_URL")
            .env_remove("HTTPS_PROXY")
            .env_remove("HTTP_PROXY")
            .env_remove("ALL_PROXY")
            .output()
            .unwrap();
        let wall = start.elapsed();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success()
                && stdout
                    .trim_end()
                    .ends_with("in sync: the deployment matches the policy"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(server.mutations(), OPS as u64);
        println!(
            "apply: {OPS} users.add_to_team, 5 ms latency, batch size {batch}: {} requests (two reads included), wall {:.2} s ({:.0} operations/s), {} lines of output",
            server.requests(),
            wall.as_secs_f64(),
            OPS as f64 / wall.as_secs_f64(),
            stdout.lines().count()
        );
    }
}
