//! `rolegraph test`: each test line and each invariant form, failing and
//! holding, as a user sees the report (text and JSON), and coverage.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;

const FAILING: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/policy_tests/failing.policy"
);

fn rolegraph(args: &[&str]) -> (String, i32) {
    let out = Command::cargo_bin("rolegraph")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap(),
    )
}

const POLICY: &str = "tests/fixtures/policy_tests/failing.policy";

#[test]
fn failures_come_with_explanations_and_counterexamples() {
    assert!(std::path::Path::new(FAILING).exists());
    let (text, code) = rolegraph(&["--policy", POLICY, "test"]);
    assert_eq!(code, 1);
    assert!(text.ends_with("2 passed, 2 failed\n"), "{text}");
    insta::assert_snapshot!("failing_text", text);
}

#[test]
fn failures_as_json() {
    let (json, code) = rolegraph(&["--policy", POLICY, "--format", "json", "test"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["failed"], 2);
    assert_eq!(v["passed"], 2);
    let passed = |invariant: usize| -> Vec<bool> {
        v["invariants"][invariant]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["passed"].as_bool().unwrap())
            .collect()
    };
    assert_eq!(
        passed(0),
        [false; 5],
        "every form fails in the first invariant"
    );
    assert_eq!(
        passed(1),
        [true; 5],
        "every form holds in the second invariant"
    );
    insta::assert_json_snapshot!("failing_json", v);
}

#[test]
fn coverage_names_what_no_test_exercised() {
    let (text, _) = rolegraph(&["--policy", POLICY, "test", "--coverage"]);
    insta::assert_snapshot!("coverage_text", text);
    let (json, _) = rolegraph(&["--policy", POLICY, "--format", "json", "test", "--coverage"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let members: Vec<&str> = v["coverage"]["memberships"]["uncovered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(members, ["root@acme.com in admin", "bo@acme.com in ml"]);
}

#[test]
fn coverage_min_fails_below_the_threshold_only() {
    // The shipped example passes its tests; its coverage is below 100%.
    let (_, low) = rolegraph(&["test", "--coverage-min", "100"]);
    assert_eq!(low, 1);
    let (_, ok) = rolegraph(&["test", "--coverage-min", "10"]);
    assert_eq!(ok, 0);
}
