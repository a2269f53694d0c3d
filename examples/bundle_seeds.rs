//! Writes seeds for the `bundle` fuzz target: the payload (what the target
//! frames as a bundle) of the shipped policies and of every valid fixture
//! policy, one file each.
//!
//! ```text
//! cargo run --example bundle_seeds -- fuzz/corpus/bundle
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use rolegraph::{bundle, Policy};

fn main() {
    let Some(out) = std::env::args().nth(1) else {
        eprintln!("usage: bundle_seeds DIR");
        std::process::exit(2);
    };
    let out = Path::new(&out);
    std::fs::create_dir_all(out).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = vec![root.join("policies")];
    for dir in ["resolve/ok", "lint/ok", "lint/err", "fmt"] {
        let Ok(entries) = std::fs::read_dir(root.join("tests/fixtures").join(dir)) else {
            continue;
        };
        paths.extend(entries.map(|e| e.unwrap().path()));
    }
    let mut written = 0;
    for path in paths {
        let Ok(policy) = Policy::load(&path) else {
            continue;
        };
        let bytes = policy.to_bundle().unwrap();
        let payload = bundle::payload(&bytes).unwrap();
        std::fs::write(out.join(format!("seed-{written:03}")), payload).unwrap();
        written += 1;
    }
    eprintln!("wrote {written} seeds to `{}`", out.display());
}
