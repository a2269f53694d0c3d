//! The policy's own tests and invariants, and what they cover.
//!
//! In: a compiled [`Policy`]. Out: a [`Report`]: each test line checked
//! against the matrix (with the explanation of any failure), each invariant
//! checked over the matrix rows (with its counterexamples), and coverage.

mod coverage;
mod invariants;
pub mod junit;
pub mod lcov;

use serde::Serialize;

pub use coverage::{Coverage, CoverageKind, LineHits};
pub use invariants::{Counterexample, RuleResult};

use crate::compile::Subject;
use crate::escape::text as esc;
use crate::eval::{Decision, Explanation, Named, Query};
use crate::resolve::Expect;
use crate::Policy;

#[derive(Clone, Debug, Serialize)]
pub struct LineResult<'p> {
    /// The line as written.
    pub text: String,
    pub at: String,
    pub expect: Expect,
    pub decision: Decision,
    pub passed: bool,
    /// Why the decision came out as it did (failing lines only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Named<'p, Explanation>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TestResult<'p> {
    pub name: String,
    pub at: String,
    pub passed: bool,
    pub lines: Vec<LineResult<'p>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct InvariantResult {
    pub name: String,
    pub at: String,
    pub passed: bool,
    pub rules: Vec<RuleResult>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report<'p> {
    pub tests: Vec<TestResult<'p>>,
    pub invariants: Vec<InvariantResult>,
    pub passed: usize,
    pub failed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
}

impl Report<'_> {
    pub fn success(&self) -> bool {
        self.failed == 0
    }
}

/// Runs every test and invariant; with `coverage`, also measures what the
/// tests exercised.
pub fn run(policy: &Policy, with_coverage: bool) -> Report<'_> {
    let model = &policy.model;
    let mut explanations = Vec::new();
    let tests: Vec<TestResult> = model
        .tests
        .iter()
        .map(|test| {
            let lines: Vec<LineResult> = test
                .lines
                .iter()
                .map(|line| {
                    let subject = Subject::of(model, &line.user);
                    let q = Query {
                        subject,
                        perm: line.perm,
                        scope: line.scope,
                        to: line.to,
                    };
                    let allowed = policy.check(&q);
                    let decision = if allowed {
                        Decision::Allow
                    } else {
                        Decision::Deny
                    };
                    let passed = (line.expect == Expect::Allow) == allowed;
                    let explanation = policy.explain(&q, &line.user);
                    if with_coverage {
                        explanations.push(explanation.value.clone());
                    }
                    LineResult {
                        text: model.sources.slice(line.span).to_string(),
                        at: model.sources.location(line.span),
                        expect: line.expect,
                        decision,
                        passed,
                        explanation: (!passed).then_some(explanation),
                    }
                })
                .collect();
            TestResult {
                name: test.name.clone(),
                at: model.sources.location(test.span),
                passed: lines.iter().all(|l| l.passed),
                lines,
            }
        })
        .collect();
    let invariants: Vec<InvariantResult> = model
        .invariants
        .iter()
        .map(|inv| {
            let rules: Vec<RuleResult> = inv
                .rules
                .iter()
                .map(|rule| invariants::check(policy, rule))
                .collect();
            InvariantResult {
                name: inv.name.clone(),
                at: model.sources.location(inv.span),
                passed: rules.iter().all(|r| r.passed),
                rules,
            }
        })
        .collect();
    let failed = tests.iter().filter(|t| !t.passed).count()
        + invariants.iter().filter(|i| !i.passed).count();
    let passed = tests.len() + invariants.len() - failed;
    Report {
        tests,
        invariants,
        passed,
        failed,
        coverage: with_coverage.then(|| coverage::measure(policy, &explanations)),
    }
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}\n")).collect()
}

impl Report<'_> {
    /// Text for people; ends with the `N passed, N failed` line. Names, test
    /// lines and paths are escaped ([`crate::escape`]).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for t in &self.tests {
            let status = if t.passed { "ok" } else { "FAILED" };
            out.push_str(&format!("test \"{}\" ... {status}\n", esc(&t.name)));
            for line in t.lines.iter().filter(|l| !l.passed) {
                let expected = match line.expect {
                    Expect::Allow => "allow",
                    Expect::Deny => "deny",
                };
                let got = match line.decision {
                    Decision::Allow => "allow",
                    Decision::Deny => "deny",
                };
                out.push_str(&format!(
                    "  {}: expected {expected}, got {got}: {}\n",
                    esc(&line.at),
                    esc(line.text.trim())
                ));
                if let Some(e) = &line.explanation {
                    out.push_str(&indent(&e.to_text(), "    "));
                }
            }
        }
        for inv in &self.invariants {
            let status = if inv.passed { "ok" } else { "FAILED" };
            out.push_str(&format!("invariant \"{}\" ... {status}\n", esc(&inv.name)));
            for rule in inv.rules.iter().filter(|r| !r.passed) {
                out.push_str(&format!(
                    "  {}: `{}` does not hold\n",
                    esc(&rule.at),
                    esc(&rule.rule)
                ));
                if let Some(message) = &rule.message {
                    out.push_str(&format!("    {}\n", esc(message)));
                }
                for c in &rule.counterexamples {
                    out.push_str(&format!("    {}\n", c.to_text()));
                }
                if rule.more > 0 {
                    out.push_str(&format!("    … and {} more\n", rule.more));
                }
            }
        }
        if let Some(c) = &self.coverage {
            out.push('\n');
            out.push_str(&c.to_text());
        }
        out.push('\n');
        out.push_str(&format!("{} passed, {} failed\n", self.passed, self.failed));
        out
    }
}
