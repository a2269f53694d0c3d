//! A rough scale figure for `diff`: an org of 100,000 users with 1% of its
//! member lines changed, run as a benchmark (release mode):
//!
//! ```text
//! cargo bench --bench diff_scale
//! ```
//!
//! It prints the time to load both policies and the time of the diff itself,
//! and leaves nothing behind unless `ROLEGRAPH_SCALE_DIR` names a directory to
//! write the two policies to (to time the binary by hand).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write;
use std::path::Path;
use std::time::Instant;

use rolegraph::Policy;

const USERS: usize = 100_000;
const TEAMS: usize = 1_000;
const USE_CASES: usize = 2_000;
const ROLES: [&str; 4] = ["read-only", "inference", "annotator", "power_user"];

/// A small deterministic generator (no data committed, no seed to keep).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// Writes the org to `dir`; every `change_every`-th member line gets another
/// role when `change` is set.
fn write_org(dir: &Path, change: bool) -> usize {
    let change_every = 100;
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/policies/adaptive.policy"),
        dir.join("adaptive.policy"),
    )
    .unwrap();
    let mut rng = Lcg(7);
    let mut members: Vec<Vec<String>> = vec![Vec::new(); TEAMS];
    let mut line = 0;
    let mut changed = 0;
    for u in 0..USERS {
        let teams = 1 + rng.next(2);
        let first = rng.next(TEAMS);
        for k in 0..teams {
            let team = (first + k * 37) % TEAMS;
            let mut role = rng.next(ROLES.len());
            line += 1;
            if change && line % change_every == 0 {
                role = (role + 1) % ROLES.len();
                changed += 1;
            }
            members[team].push(format!("  member u{u}@org.example as {}\n", ROLES[role]));
        }
    }
    let mut teams = String::new();
    for (t, lines) in members.iter().enumerate() {
        let _ = writeln!(teams, "team t{t} {{");
        for l in lines {
            teams.push_str(l);
        }
        teams.push_str("}\n");
    }
    std::fs::write(dir.join("teams.policy"), teams).unwrap();
    let mut use_cases = String::from("auth {\n  admins root@org.example\n}\n");
    for c in 0..USE_CASES {
        let owner = rng.next(TEAMS);
        let _ = writeln!(
            use_cases,
            "use_case uc{c} {{\n  share t{owner} as admin owner"
        );
        let other = (owner + 1 + rng.next(TEAMS - 1)) % TEAMS;
        let role = ROLES[rng.next(ROLES.len())];
        let _ = writeln!(use_cases, "  share t{other} as {role}\n}}");
    }
    std::fs::write(dir.join("use_cases.policy"), use_cases).unwrap();
    changed
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let root = std::env::var_os("ROLEGRAPH_SCALE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    let (old_dir, new_dir) = (root.join("old"), root.join("new"));
    write_org(&old_dir, false);
    let changed = write_org(&new_dir, true);

    let start = Instant::now();
    let old = Policy::load(&old_dir).unwrap();
    let new = Policy::load(&new_dir).unwrap();
    let loaded = start.elapsed();

    let start = Instant::now();
    let d = rolegraph::diff::diff(&old, &new);
    let diffed = start.elapsed();
    let start = Instant::now();
    let affected = rolegraph::diff::affected_subjects(&old.model, &new.model).len();
    let finding = start.elapsed();
    let start = Instant::now();
    let _ = rolegraph::diff::changes(&old.model, &new.model);
    let summing = start.elapsed();

    println!(
        "{} users, {changed} member lines changed: {affected} subjects expanded, \
         {} granted, {} revoked; load both {loaded:?}, diff {diffed:?} \
         (of which finding the subjects {finding:?}, the definitions summary {summing:?})",
        old.model.users.len(),
        d.granted.len(),
        d.revoked.len()
    );
    assert!(
        affected < USERS / 10,
        "the diff expanded {affected} subjects"
    );
    assert_eq!(d.changes.len(), changed);
}
