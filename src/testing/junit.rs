//! `test --format junit`: the test report as JUnit XML, for CI test reports.
//!
//! In: a [`Report`]. Out: one `<testsuite>` per `test` block (a `<testcase>`
//! per line) and one named `invariants` (a `<testcase>` per invariant), each
//! failure carrying the explanation `test` prints. The XML and its escaping
//! are `quick-junit`'s, which also drops the control characters XML cannot
//! hold; [`xml_safe`] replaces the two non-characters it lets through.
#![cfg(feature = "cli")]

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::{InvariantResult, LineResult, Report, TestResult};
use crate::eval::Decision;
use crate::resolve::Expect;

/// Text XML 1.0 can hold. `quick-junit` drops control characters but keeps
/// U+FFFE and U+FFFF, which XML forbids too (a policy string may hold them):
/// they become U+FFFD.
fn xml_safe(text: &str) -> String {
    text.replace(['\u{fffe}', '\u{ffff}'], "\u{fffd}")
}

/// The name of the suite that holds the invariants.
pub const INVARIANTS: &str = "invariants";

/// The JUnit XML document.
pub fn render(report: &Report) -> String {
    let mut junit = quick_junit::Report::new("rolegraph");
    junit.add_test_suites(report.tests.iter().map(test_suite));
    if !report.invariants.is_empty() {
        let mut suite = TestSuite::new(INVARIANTS);
        suite.add_test_cases(report.invariants.iter().map(invariant_case));
        junit.add_test_suite(suite);
    }
    // Writing into memory fails only on a bug in the serializer; say so in
    // the document rather than print nothing.
    match junit.to_string() {
        Ok(xml) => whitespace_in_attributes_kept(&xml),
        Err(e) => format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- cannot write the report: {e} -->\n<testsuites/>\n"),
    }
}

/// The document with every newline, carriage return and tab inside an
/// attribute value written as a character reference. `quick-junit` writes
/// them as they are, and an XML parser normalises them to spaces (XML 1.0
/// §3.3.3), so a test named over two lines (`"…\n…"`) would come back
/// under another name.
///
/// Outside a tag `<` is always escaped, and inside one a value is quoted
/// with `"` (a `"` in it escaped), so the quotes are found by scanning.
fn whitespace_in_attributes_kept(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let (mut in_tag, mut in_value) = (false, false);
    for c in xml.chars() {
        match c {
            '<' if !in_value => in_tag = true,
            '>' if !in_value => in_tag = false,
            '"' if in_tag => in_value = !in_value,
            '\n' if in_value => {
                out.push_str("&#10;");
                continue;
            }
            '\r' if in_value => {
                out.push_str("&#13;");
                continue;
            }
            '\t' if in_value => {
                out.push_str("&#9;");
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

fn test_suite(test: &TestResult) -> TestSuite {
    let mut suite = TestSuite::new(xml_safe(&test.name));
    suite.add_test_cases(test.lines.iter().map(|line| line_case(test, line)));
    suite
}

fn word(expect: Expect) -> &'static str {
    match expect {
        Expect::Allow => "allow",
        Expect::Deny => "deny",
    }
}

fn decision_word(decision: Decision) -> &'static str {
    match decision {
        Decision::Allow => "allow",
        Decision::Deny => "deny",
    }
}

/// `file` and `line` attributes from a `file:line` location (GitLab shows
/// them; other readers ignore unknown attributes).
fn locate(case: &mut TestCase, at: &str) {
    if let Some((file, line)) = at.rsplit_once(':') {
        case.extra.insert("file".into(), xml_safe(file).into());
        case.extra.insert("line".into(), line.into());
    }
}

fn line_case(test: &TestResult, line: &LineResult) -> TestCase {
    let status = if line.passed {
        TestCaseStatus::success()
    } else {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_message(format!(
                "expected {}, got {}",
                word(line.expect),
                decision_word(line.decision)
            ))
            .set_type("rolegraph::test::failed");
        let mut description = format!(
            "{}: expected {}, got {}: {}\n",
            line.at,
            word(line.expect),
            decision_word(line.decision),
            line.text.trim()
        );
        if let Some(e) = &line.explanation {
            description.push_str(&e.to_text());
        }
        status.set_description(xml_safe(&description));
        status
    };
    // The line as written, its alignment spaces collapsed.
    let name: Vec<&str> = line.text.split_whitespace().collect();
    let mut case = TestCase::new(xml_safe(&name.join(" ")), status);
    case.set_classname(xml_safe(&test.name));
    locate(&mut case, &line.at);
    case
}

fn invariant_case(inv: &InvariantResult) -> TestCase {
    let status = if inv.passed {
        TestCaseStatus::success()
    } else {
        let failing: Vec<_> = inv.rules.iter().filter(|r| !r.passed).collect();
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        let message: Vec<String> = failing
            .iter()
            .map(|r| format!("`{}` does not hold", r.rule))
            .collect();
        status
            .set_message(xml_safe(&message.join("; ")))
            .set_type("rolegraph::invariant::failed");
        let mut description = String::new();
        for rule in failing {
            description.push_str(&format!("{}: `{}` does not hold\n", rule.at, rule.rule));
            if let Some(message) = &rule.message {
                description.push_str(&format!("  {message}\n"));
            }
            for c in &rule.counterexamples {
                description.push_str(&format!("  {}\n", c.to_text()));
            }
            if rule.more > 0 {
                description.push_str(&format!("  … and {} more\n", rule.more));
            }
        }
        status.set_description(xml_safe(&description));
        status
    };
    let mut case = TestCase::new(xml_safe(&inv.name), status);
    case.set_classname(INVARIANTS);
    locate(&mut case, &inv.at);
    case
}

/// The report for a policy that did not compile: one errored case, so a CI
/// test report says why there are no results instead of finding no file.
pub fn render_policy_errors() -> String {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status
        .set_message("the policy has errors: no test ran")
        .set_type("rolegraph::policy::invalid")
        .set_description("run `rolegraph validate` for the diagnostics\n");
    let mut suite = TestSuite::new("validate");
    suite.add_test_case(TestCase::new("the policy compiles", status));
    let mut junit = quick_junit::Report::new("rolegraph");
    junit.add_test_suite(suite);
    junit.to_string().unwrap_or_default()
}
