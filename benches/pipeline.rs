//! The pipeline at enterprise scale (issue 6): parse, resolve, compile,
//! loading a bundle, the questions (`can` hit and miss, `explain`, `who`) and
//! `diff` of a 1% change, on generated Adaptive-shaped orgs.
//!
//! ```text
//! cargo bench --bench pipeline                      # S and M
//! ROLEGRAPH_BENCH_L=1 cargo bench --bench pipeline  # and L (slow: minutes per stage)
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/orgen.rs"]
mod orgen;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rolegraph::eval::Query;
use rolegraph::{compile, resolve, syntax, Policy};

struct Case {
    name: &'static str,
    size: orgen::Size,
    /// Criterion's minimum is 10 samples; big orgs get the minimum.
    samples: usize,
}

fn cases() -> Vec<Case> {
    let mut cases = vec![
        Case {
            name: "S",
            size: orgen::Size::S,
            samples: 50,
        },
        Case {
            name: "M",
            size: orgen::Size::M,
            samples: 10,
        },
    ];
    if std::env::var_os("ROLEGRAPH_BENCH_L").is_some() {
        cases.push(Case {
            name: "L",
            size: orgen::Size::L,
            samples: 10,
        });
    }
    cases
}

/// Resolved queries split by the decision, so hits and misses are timed apart.
/// A resolved question and the user's email (for `explain`).
type Asked = Vec<(Query, String)>;

fn queries(policy: &Policy, org: &orgen::Org) -> (Asked, Asked) {
    let (mut hits, mut misses) = (Vec::new(), Vec::new());
    for q in org.queries(20_000, 7) {
        let Ok(resolved) = policy.query(&q.user, q.permission, q.scope.as_deref(), q.to.as_deref())
        else {
            continue;
        };
        if policy.check(&resolved) {
            hits.push((resolved, q.user));
        } else {
            misses.push((resolved, q.user));
        }
    }
    (hits, misses)
}

fn pipeline(c: &mut Criterion) {
    for case in cases() {
        let org = orgen::generate(case.size, 42);
        let sources = orgen::sources(&org);
        let bytes: usize = sources.files.iter().map(|f| f.text.len()).sum();
        let mut g = c.benchmark_group(format!("{}/build", case.name));
        g.sample_size(case.samples);
        if case.name != "S" {
            g.measurement_time(Duration::from_secs(20));
            g.warm_up_time(Duration::from_secs(1));
        }
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function("parse", |b| {
            b.iter(|| {
                for (id, file) in sources.iter() {
                    black_box(syntax::parse_file(id, &file.text).unwrap());
                }
            })
        });
        g.bench_function("parse+resolve+lint", |b| {
            b.iter_batched(
                || sources.clone(),
                |s| black_box(resolve::check(s)),
                BatchSize::LargeInput,
            )
        });
        let model = resolve::check(sources.clone()).model.unwrap();
        g.bench_function("compile", |b| {
            b.iter(|| black_box(compile::compile(&model)))
        });
        drop(model);
        let policy = Policy::from_sources(sources).unwrap();
        let bundle = policy.to_bundle().unwrap();
        g.bench_function("load_bundle", |b| {
            b.iter(|| black_box(Policy::from_bundle(&bundle).unwrap()))
        });
        g.finish();
        drop(bundle);

        let changed =
            Policy::from_sources(orgen::sources(&orgen::one_percent_changed(&org))).unwrap();
        let mut g = c.benchmark_group(format!("{}/diff", case.name));
        g.sample_size(10);
        g.bench_function("one_percent_of_memberships", |b| {
            b.iter(|| black_box(rolegraph::diff::diff(&policy, &changed)))
        });
        g.finish();
        drop(changed);

        let (hits, misses) = queries(&policy, &org);
        let mut g = c.benchmark_group(format!("{}/query", case.name));
        g.sample_size(50);
        g.measurement_time(Duration::from_secs(3));
        g.warm_up_time(Duration::from_secs(1));
        for (what, set) in [("can_hit", &hits), ("can_miss", &misses)] {
            g.bench_function(what, |b| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % set.len();
                    black_box(policy.check(black_box(&set[i].0)))
                })
            });
        }
        g.bench_function("explain", |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % misses.len();
                let (q, user) = &misses[i];
                black_box(policy.explain(q, user))
            })
        });
        let read = policy.model.perm("use_case:read").unwrap();
        g.bench_function("who_use_case", |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % hits.len();
                black_box(policy.who(read, hits[i].0.scope))
            })
        });
        g.finish();
    }
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
