//! Writes a generated Adaptive-shaped org (issue 6) as a policy directory,
//! plus a query file for `can --batch`:
//!
//! ```text
//! cargo run --release --example gen_org -- M bench-data/M [QUERIES]
//! ```
//!
//! writes `bench-data/M/*.policy` and `bench-data/M.queries.jsonl`
//! (QUERIES lines, default 1,000,000). Same arguments, same bytes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../benches/support/orgen.rs"]
mod orgen;

use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(size), Some(dir)) = (args.first(), args.get(1)) else {
        eprintln!("usage: gen_org S|M|L DIR [QUERIES]");
        std::process::exit(2);
    };
    let Some(size) = orgen::Size::named(size) else {
        eprintln!("size must be S, M or L");
        std::process::exit(2);
    };
    let n: usize = args
        .get(2)
        .map_or(1_000_000, |s| s.parse().expect("a count"));
    let org = orgen::generate(size, 42);
    let dir = std::path::Path::new(dir);
    orgen::write_dir(&org, dir).expect("writing the policy");
    let queries = dir.with_extension("queries.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&queries).expect("query file"));
    for q in org.queries(n, 42) {
        writeln!(out, "{}", q.to_json_line()).expect("writing queries");
    }
    out.flush().expect("writing queries");
    eprintln!(
        "wrote {} ({} users, {} teams, {} use cases) and {} ({n} queries)",
        dir.display(),
        org.users.len(),
        org.teams,
        org.use_cases.len(),
        queries.display()
    );
}
