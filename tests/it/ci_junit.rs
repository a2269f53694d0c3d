//! `test --format junit` (SPEC §12): well-formed XML (a strict `quick-xml`
//! pass), a `<testsuite>` per `test` block and one for invariants, a
//! `<testcase>` per line and invariant, failures carrying the explanation
//! `test` prints; read back by `quick-junit`'s parser and by a reader that
//! CI test reporters use (Python's `junitparser`, when installed).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use quick_junit::{NonSuccessKind, TestCaseStatus};
use quick_xml::events::Event;
use serde_json::Value;

use crate::ci_support::{python_has, root, run, tool_available, FAILING, SHIPPED, UNICODE};

/// Every event of the document, strictly (end names checked, no dangling
/// `&`); returns the number of `<testcase>` elements.
fn well_formed(xml: &str) -> usize {
    // XML 1.0's `Char` production: quick-xml does not check it.
    let bad = xml.chars().find(|&c| {
        !matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
    });
    assert_eq!(bad, None, "a character XML cannot hold");
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut cases = 0;
    let mut depth = 0i32;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) => {
                depth += 1;
                cases += usize::from(e.name().as_ref() == b"testcase");
            }
            Ok(Event::Empty(e)) => cases += usize::from(e.name().as_ref() == b"testcase"),
            Ok(Event::End(_)) => depth -= 1,
            Ok(_) => {}
            Err(e) => panic!(
                "not well-formed XML at {}: {e}\n{xml}",
                reader.buffer_position()
            ),
        }
    }
    assert_eq!(depth, 0, "unclosed elements");
    cases
}

fn junit(policy: &str) -> (i32, String, quick_junit::Report) {
    let (code, stdout, stderr) = run(policy, &["test", "--format", "junit"]);
    assert!(stdout.starts_with("<?xml"), "{stdout}\n{stderr}");
    well_formed(&stdout);
    let report = quick_junit::Report::deserialize_from_str(&stdout)
        .unwrap_or_else(|e| panic!("quick-junit cannot read it: {e}\n{stdout}"));
    (code, stdout, report)
}

fn report_json(policy: &str) -> Value {
    let (_, stdout, _) = run(policy, &["test", "--format", "json"]);
    serde_json::from_str(&stdout).unwrap()
}

/// The JUnit report says what `test --format json` says: the same suites,
/// cases, names and verdicts.
fn assert_matches_json(policy: &str) {
    let (code, xml, report) = junit(policy);
    let json = report_json(policy);
    let tests = json["tests"].as_array().unwrap();
    let invariants = json["invariants"].as_array().unwrap();
    let failed = json["failed"].as_u64().unwrap();
    assert_eq!(code, i32::from(failed > 0), "{policy}");
    let suites = &report.test_suites;
    assert_eq!(
        suites.len(),
        tests.len() + usize::from(!invariants.is_empty())
    );
    let mut expected_cases = 0;
    for (suite, test) in suites.iter().zip(tests) {
        assert_eq!(suite.name.as_str(), test["name"].as_str().unwrap());
        let lines = test["lines"].as_array().unwrap();
        assert_eq!(suite.test_cases.len(), lines.len());
        for (case, line) in suite.test_cases.iter().zip(lines) {
            let words: Vec<&str> = line["text"].as_str().unwrap().split_whitespace().collect();
            assert_eq!(case.name.as_str(), words.join(" "));
            assert_eq!(case.classname.as_deref(), test["name"].as_str());
            let (file, number) = line["at"].as_str().unwrap().rsplit_once(':').unwrap();
            assert_eq!(case.extra.get("file").map(|f| f.as_str()), Some(file));
            assert_eq!(case.extra.get("line").map(|f| f.as_str()), Some(number));
            let passed = line["passed"].as_bool().unwrap();
            assert_eq!(
                matches!(case.status, TestCaseStatus::Success { .. }),
                passed
            );
        }
        expected_cases += lines.len();
    }
    if let Some(suite) = suites.get(tests.len()) {
        assert_eq!(suite.name.as_str(), "invariants");
        assert_eq!(suite.test_cases.len(), invariants.len());
        for (case, inv) in suite.test_cases.iter().zip(invariants) {
            assert_eq!(case.name.as_str(), inv["name"].as_str().unwrap());
            let passed = inv["passed"].as_bool().unwrap();
            assert_eq!(
                matches!(case.status, TestCaseStatus::Success { .. }),
                passed
            );
        }
        expected_cases += invariants.len();
    }
    assert_eq!(report.tests, expected_cases);
    assert_eq!(well_formed(&xml), expected_cases);
}

#[test]
fn shipped_policies_all_pass() {
    assert_matches_json(SHIPPED);
    let (code, _, report) = junit(SHIPPED);
    assert_eq!(code, 0);
    assert_eq!(report.failures, 0);
    assert!(report.tests > 20);
}

#[test]
fn failures_carry_the_explanation_test_prints() {
    assert_matches_json(FAILING);
    let (code, _, report) = junit(FAILING);
    assert_eq!(code, 1);
    let (_, text, _) = run(FAILING, &["test"]);
    let mut failures = 0;
    for case in report.test_suites.iter().flat_map(|s| &s.test_cases) {
        let TestCaseStatus::NonSuccess {
            kind,
            message,
            description,
            ..
        } = &case.status
        else {
            continue;
        };
        failures += 1;
        assert_eq!(*kind, NonSuccessKind::Failure);
        let message = message.as_deref().unwrap();
        let description = description.as_deref().unwrap();
        assert!(
            message.starts_with("expected ") || message.ends_with("does not hold"),
            "{message}"
        );
        // Every line of the failure is a line `test` prints (indented there).
        for line in description.lines().filter(|l| !l.trim().is_empty()) {
            assert!(text.contains(line.trim()), "`{line}` is not in:\n{text}");
        }
    }
    assert_eq!(failures, report.failures);
    assert!(failures >= 5);
}

#[test]
fn non_ascii_and_xml_special_characters_survive() {
    assert_matches_json(UNICODE);
    let (code, xml, report) = junit(UNICODE);
    assert_eq!(code, 1);
    assert!(
        xml.contains("&lt;règle&gt; &amp; &quot;affine&quot; ✓"),
        "{xml}"
    );
    let suite = &report.test_suites[0];
    assert_eq!(suite.name.as_str(), "l'équipe <règle> & \"affine\" ✓");
    assert_eq!(
        suite.test_cases[0].name.as_str(),
        "allow \"josé@acme.com\" use_case:adapt on use_case/robot"
    );
    assert_eq!(
        suite.test_cases[0].extra.get("file").map(|f| f.as_str()),
        Some("tests/fixtures/ci/équipe ünïcode.policy")
    );
    let invariants = &report.test_suites[1];
    assert!(invariants.test_cases[0].name.contains("à la légère"));
}

/// A name over two lines keeps its newline for every XML parser: in an
/// attribute it is written `&#10;`, since a parser turns a raw newline there
/// into a space (XML 1.0 §3.3.3).
#[test]
fn a_newline_in_a_name_is_a_character_reference() {
    let (_, xml, report) = junit(UNICODE);
    assert!(xml.contains("à la légère&#10;sur deux lignes"), "{xml}");
    let mut reader = quick_xml::Reader::from_str(&xml);
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                for a in e.attributes() {
                    let raw = a.unwrap().value;
                    assert!(
                        !raw.iter().any(|b| matches!(b, b'\n' | b'\r' | b'\t')),
                        "raw whitespace in an attribute: {}",
                        String::from_utf8_lossy(&raw)
                    );
                }
            }
            _ => {}
        }
    }
    let invariants = &report.test_suites[1];
    assert!(invariants.test_cases[0]
        .name
        .ends_with("à la légère\nsur deux lignes"));
}

/// A policy whose test name holds control characters, an ANSI escape and
/// the non-characters U+FFFE and U+FFFF.
fn awkward_characters(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("ctl.policy");
    std::fs::write(
        &path,
        "kind use_case\npermission use_case:read on use_case\nrole r { grant use_case:read }\n\
         team t { member a@b.c as r }\nuse_case u { share t as r owner }\n\
         test \"bell \u{7} escape \u{1b}[31m non-characters \u{fffe}\u{ffff} end\" {\n\
         deny a@b.c use_case:read on use_case/u\n}\n",
    )
    .unwrap();
    path
}

#[test]
fn characters_xml_cannot_hold_are_replaced_or_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let path = awkward_characters(dir.path());
    let (code, _, report) = junit(path.to_str().unwrap());
    assert_eq!(code, 1);
    let name = report.test_suites[0].name.as_str();
    assert!(name.starts_with("bell  escape "), "{name:?}");
    assert!(
        name.ends_with("non-characters \u{fffd}\u{fffd} end"),
        "{name:?}"
    );
}

#[test]
fn zero_tests_is_an_empty_valid_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("none.policy");
    std::fs::write(
        &path,
        "kind use_case\npermission use_case:read on use_case\nrole r { grant use_case:read }\n",
    )
    .unwrap();
    let (code, xml, report) = junit(path.to_str().unwrap());
    assert_eq!(code, 0);
    assert_eq!(report.tests, 0);
    assert!(report.test_suites.is_empty());
    assert_eq!(well_formed(&xml), 0);
}

#[test]
fn a_policy_with_errors_is_one_errored_case() {
    let (code, stdout, stderr) = run(
        "tests/fixtures/resolve/err/unknown_role.member.policy",
        &["test", "--format", "junit"],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("unknown role"), "{stderr}");
    well_formed(&stdout);
    let report = quick_junit::Report::deserialize_from_str(&stdout).unwrap();
    assert_eq!(report.errors, 1);
    let case = &report.test_suites[0].test_cases[0];
    assert!(matches!(
        case.status,
        TestCaseStatus::NonSuccess {
            kind: NonSuccessKind::Error,
            ..
        }
    ));
}

#[test]
fn junit_is_only_for_test() {
    for args in [
        &["validate", "--format", "junit"][..],
        &["compile", "--format", "junit"],
        &["diff", "policies", "policies", "--format", "junit"],
    ] {
        let (code, stdout, stderr) = run(SHIPPED, args);
        assert_eq!(code, 2, "{args:?}");
        assert!(stdout.is_empty());
        assert!(
            stderr.contains("does not write `--format junit`"),
            "{stderr}"
        );
    }
}

#[test]
fn failing_snapshot() {
    let (_, xml, _) = junit(FAILING);
    insta::assert_snapshot!(xml);
}

/// What Python's `junitparser` (used by CI test-report tools) reads: per
/// suite, its name and each case's name and result.
const JUNITPARSER: &str = r#"
import json, sys
from junitparser import JUnitXml, Failure, Error
xml = JUnitXml.fromfile(sys.argv[1])
out = []
for suite in xml:
    cases = []
    for case in suite:
        kinds = [type(r).__name__ for r in case.result]
        messages = [r.message for r in case.result]
        texts = [r.text for r in case.result]
        cases.append({"name": case.name, "kinds": kinds, "messages": messages, "texts": texts})
    out.append({"name": suite.name, "tests": suite.tests, "failures": suite.failures, "cases": cases})
print(json.dumps(out))
"#;

#[test]
fn junitparser_reads_what_quick_junit_reads() {
    if !tool_available(
        "junitparser",
        python_has("junitparser"),
        "python3 -m pip install junitparser",
    ) {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let awkward = awkward_characters(scratch.path());
    for policy in [SHIPPED, FAILING, UNICODE, awkward.to_str().unwrap()] {
        let (_, xml, report) = junit(policy);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("report.xml");
        std::fs::write(&file, &xml).unwrap();
        let out = Command::new("python3")
            .current_dir(root())
            .args(["-c", JUNITPARSER])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "junitparser cannot read the report of {policy}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let read: Value = serde_json::from_slice(&out.stdout).unwrap();
        let read = read.as_array().unwrap();
        assert_eq!(read.len(), report.test_suites.len(), "{policy}");
        for (theirs, ours) in read.iter().zip(&report.test_suites) {
            assert_eq!(theirs["name"], ours.name.as_str());
            assert_eq!(theirs["tests"], ours.tests);
            assert_eq!(theirs["failures"], ours.failures);
            for (case, mine) in theirs["cases"]
                .as_array()
                .unwrap()
                .iter()
                .zip(&ours.test_cases)
            {
                // A line break in a name is `&#10;`: read back as itself.
                assert_eq!(case["name"], mine.name.as_str());
                match &mine.status {
                    TestCaseStatus::Success { .. } => {
                        assert_eq!(case["kinds"], serde_json::json!([]))
                    }
                    TestCaseStatus::NonSuccess {
                        message,
                        description,
                        ..
                    } => {
                        assert_eq!(case["kinds"], serde_json::json!(["Failure"]));
                        assert_eq!(case["messages"][0], message.as_deref().unwrap());
                        let text = case["texts"][0].as_str().unwrap();
                        assert_eq!(text.trim_end(), description.as_deref().unwrap().trim_end());
                    }
                    TestCaseStatus::Skipped { .. } => unreachable!(),
                }
            }
        }
    }
}
