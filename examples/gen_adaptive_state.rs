//! Writes a generated Adaptive-shaped org (issue 6) as a policy directory,
//! and the state files (SPEC §9) of a deployment of it: one in sync with the
//! policy and one with about 1% drifted, for `plan --state` and
//! `diff adaptive:` at scale:
//!
//! ```text
//! cargo run --release --example gen_adaptive_state -- M bench-data/M
//! ```
//!
//! writes `bench-data/M/*.policy`, `bench-data/M.state.json` (1% drift) and
//! `bench-data/M.in-sync.state.json`. Same arguments, same bytes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../benches/support/orgen.rs"]
mod orgen;
#[path = "../benches/support/stategen.rs"]
mod stategen;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(size), Some(dir)) = (args.first(), args.get(1)) else {
        eprintln!("usage: gen_adaptive_state S|M|L DIR");
        std::process::exit(2);
    };
    let Some(size) = orgen::Size::named(size) else {
        eprintln!("size must be S, M or L");
        std::process::exit(2);
    };
    let org = orgen::generate(size, 42);
    let dir = std::path::Path::new(dir);
    orgen::write_dir(&org, dir).expect("writing the policy");
    let drifted = stategen::drifted(&org);
    std::fs::write(dir.with_extension("state.json"), drifted.to_json()).expect("state file");
    let in_sync = stategen::state(&org);
    std::fs::write(dir.with_extension("in-sync.state.json"), in_sync.to_json())
        .expect("state file");
    eprintln!(
        "wrote {} ({} users, {} teams, {} projects) and its state files",
        dir.display(),
        drifted.users.len(),
        drifted.teams.len(),
        drifted.projects.len()
    );
}
