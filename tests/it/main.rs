//! The integration tests, gathered into one binary so that a fresh clone
//! builds and links one test executable, not one per file. Each module is
//! one concern; `common` and `reference` are shared helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// Sizes in tests are small; the product code keeps the truncation lint.
#![allow(clippy::cast_possible_truncation)]

mod common;
#[path = "../../benches/support/orgen.rs"]
mod orgen;
mod reference;
#[path = "../../benches/support/stategen.rs"]
mod stategen;

mod audit;
mod audit_baseline;
mod audit_diff;
mod audit_replay;
mod audit_trust;
mod bundle;
mod ci_action;
mod ci_junit;
mod ci_lcov;
mod ci_pre_commit;
mod ci_sarif;
mod ci_support;
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
mod help_examples;
mod help_papercuts;
mod hostile;
mod import;
mod input_batch;
mod input_files;
mod input_fmt;
mod input_git;
mod lsp_client;
mod lsp_features;
mod lsp_neovim;
mod lsp_robustness;
mod model_cycles;
mod model_diff_admins;
mod model_emails;
mod model_ids;
mod model_keywords;
mod model_permset;
mod model_rendering;
mod model_review;
mod model_scale;
mod model_suggestions;
mod never_panics;
mod output_bundle_forgery;
mod output_coverage_gate;
mod output_escaping;
mod output_helm;
mod output_write_errors;
mod plan_cli;
mod plan_diff;
mod plan_property;
mod plan_roundtrip;
mod plan_rules;
mod plan_support;
mod policy_tests;
mod readme_examples;
mod rule_reports;
mod scan;
mod serve_answers;
mod serve_errors;
mod serve_lifecycle;
mod serve_protocols;
mod serve_reload;
mod serve_support;
mod standin;

mod adaptive_errors;
mod adaptive_execute;
mod adaptive_pull;
mod adaptive_review_import;
mod adaptive_review_key;
mod adaptive_review_markdown;
mod adaptive_review_notes;
mod adaptive_review_proxy;
mod adaptive_review_support;
mod adaptive_review_users;
mod adaptive_standin;
mod apply_cli;
mod apply_failures;
mod apply_flow;
mod apply_plan_live;
mod apply_property;
mod apply_safety;
mod apply_scale;
mod apply_support;
mod fmt_ast_roundtrip;
mod syntax_keyword_table;
