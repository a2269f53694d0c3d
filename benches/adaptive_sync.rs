//! Scale figures for the deployment sync against the stand-in (a test
//! fixture, included by path), run as a benchmark in release mode:
//!
//! ```text
//! cargo bench --bench adaptive_sync            # both figures
//! cargo bench --bench adaptive_sync -- pull    # only `pull`
//! cargo bench --bench adaptive_sync -- execute # only the executor
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

fn execute() {
    const OPS: usize = 10_000;
    let mut state = State::new();
    state.permissions = vec!["project:read".to_string()];
    for role in ["read-only", "power_user"] {
        state.roles.insert(
            role.to_string(),
            RoleState {
                name: role.to_string(),
                permissions: vec!["project:read".to_string()],
            },
        );
    }
    for t in 0..100 {
        let key = format!("team-{t}");
        state.teams.insert(key.clone(), TeamState { name: key });
    }
    for u in 0..OPS {
        state.users.insert(
            orgen::user_email(u),
            UserState {
                name: format!("User {u}"),
                teams: Default::default(),
            },
        );
    }
    let ops: Vec<Operation> = (0..OPS)
        .map(|u| Operation::AddToTeam {
            email: orgen::user_email(u),
            team: format!("team-{}", u % 100),
            role: if u % 2 == 0 {
                "read-only"
            } else {
                "power_user"
            }
            .to_string(),
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
