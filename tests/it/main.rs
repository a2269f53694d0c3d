//! The integration tests, gathered into one binary so that a fresh clone
//! builds and links one test executable, not one per file. Each module is
//! one concern; `common` and `reference` are shared helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "../../benches/support/orgen.rs"]
mod orgen;
mod reference;

mod audit;
mod bundle;
mod cli_query;
mod cli_validate;
mod decision_rule;
mod determinism;
mod diagnostics;
mod diff;
mod differential;
mod explain_snapshots;
mod fmt;
mod fuzz_regressions;
mod graph;
mod hostile;
mod import;
mod never_panics;
mod policy_tests;
mod scan;
mod serve_answers;
mod serve_errors;
mod serve_lifecycle;
mod serve_protocols;
mod serve_reload;
mod serve_support;
