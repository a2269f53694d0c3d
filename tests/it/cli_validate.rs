//! `rolegraph validate` and `rolegraph init`, run as a user runs them: the
//! real binary, its exit code, stdout and stderr (SPEC §4, §5).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const CLEAN: &str = "tests/fixtures/resolve/ok/forward_references.policy";
const ERRORS: &str = "tests/fixtures/resolve/err/unknown_role.member.policy";
const WARNINGS: &str = "tests/fixtures/lint/err/unused_role.policy";
const SYNTAX: &str = "tests/fixtures/syntax/err/error.missing_as.policy";

fn rolegraph() -> Command {
    let mut cmd = Command::cargo_bin("rolegraph").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd.env_remove("NO_COLOR");
    cmd
}

fn validate(policy: &str) -> Command {
    let mut cmd = rolegraph();
    cmd.args(["--policy", policy, "validate"]);
    cmd
}

fn stdout_json(cmd: &mut Command) -> Value {
    let out = cmd.output().unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", out.stdout))
}

// ------------------------------------------------------------ exit codes

#[test]
fn clean_policy_exits_0_and_says_valid() {
    validate(CLEAN).assert().code(0).stdout("").stderr(
        predicate::str::contains("valid").and(predicate::str::contains("0 errors, 0 warnings")),
    );
}

#[test]
fn errors_exit_1_with_the_report() {
    validate(ERRORS).assert().code(1).stderr(
        predicate::str::contains("rolegraph::resolve::unknown_role")
            .and(predicate::str::contains("unknown role `power-user`"))
            .and(predicate::str::contains("did you mean `power_user`?"))
            .and(predicate::str::contains("invalid"))
            .and(predicate::str::contains("1 error, 0 warnings")),
    );
}

#[test]
fn syntax_errors_exit_1() {
    validate(SYNTAX)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("expected `as`, found `viewer`"));
}

#[test]
fn warnings_alone_exit_0() {
    validate(WARNINGS).assert().code(0).stderr(
        predicate::str::contains("role `auditor` is never used")
            .and(predicate::str::contains("0 errors, 1 warning")),
    );
}

#[test]
fn warnings_exit_1_with_deny_warnings() {
    validate(WARNINGS)
        .arg("--deny-warnings")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("rolegraph::lint::unused_role"));
}

#[test]
fn deny_warnings_on_a_clean_policy_exits_0() {
    validate(CLEAN).arg("--deny-warnings").assert().code(0);
}

#[test]
fn missing_path_exits_2() {
    validate("tests/fixtures/no-such-dir")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "error: cannot read `tests/fixtures/no-such-dir`",
        ));
}

#[test]
fn empty_directory_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a policy").unwrap();
    let path = dir.path().to_str().unwrap();
    validate(path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no `.policy` files found"));
}

#[test]
fn non_utf8_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("latin1.policy");
    std::fs::write(&file, b"team caf\xe9 \"Caf\xe9\"\n").unwrap();
    validate(file.to_str().unwrap())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not valid UTF-8"));
}

// ------------------------------------------------------------ formats

#[test]
fn json_has_exactly_the_keys_of_the_spec() {
    let doc = stdout_json(validate(ERRORS).args(["--format", "json"]));
    let obj = doc.as_object().unwrap();
    assert_eq!(obj.keys().collect::<Vec<_>>(), ["diagnostics"]);
    let diags = doc["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1);
    let d = diags[0].as_object().unwrap();
    let mut keys: Vec<&str> = d.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "code",
            "column",
            "end_column",
            "end_line",
            "file",
            "help",
            "line",
            "message",
            "severity"
        ]
    );
    assert_eq!(d["severity"], "error");
    assert_eq!(d["code"], "rolegraph::resolve::unknown_role");
    assert_eq!(d["message"], "unknown role `power-user`");
    assert_eq!(d["file"], ERRORS);
    // `  member ana@acme.com as power-user` on line 10: the role name.
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(10), Some(26))
    );
    assert_eq!(
        (d["end_line"].as_u64(), d["end_column"].as_u64()),
        (Some(10), Some(36))
    );
    assert_eq!(d["help"], "did you mean `power_user`?");
}

#[test]
fn json_exit_codes_match_text() {
    validate(ERRORS).args(["--format", "json"]).assert().code(1);
    validate(WARNINGS)
        .args(["--format", "json"])
        .assert()
        .code(0);
    validate(WARNINGS)
        .args(["--format", "json", "--deny-warnings"])
        .assert()
        .code(1);
}

#[test]
fn json_of_a_clean_policy_is_an_empty_list() {
    let doc = stdout_json(validate(CLEAN).args(["--format", "json"]));
    assert_eq!(doc, serde_json::json!({ "diagnostics": [] }));
}

#[test]
fn json_help_is_null_when_no_fix_is_known() {
    let doc = stdout_json(
        validate("tests/fixtures/resolve/err/unknown_scope.test_resource.policy")
            .args(["--format", "json"]),
    );
    assert_eq!(
        doc["diagnostics"][0]["help"],
        "did you mean `use_case/support-bot`?"
    );
    let doc = stdout_json(
        validate("tests/fixtures/syntax/err/error.missing_as.policy").args(["--format", "json"]),
    );
    assert!(doc["diagnostics"][0]["help"].is_null());
}

#[test]
fn github_format_writes_workflow_commands() {
    validate(ERRORS)
        .args(["--format", "github"])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with(format!(
            "::error file={ERRORS},line=10,col=26,"
        )))
        .stdout(predicate::str::contains(
            "::unknown role `power-user` (help: did you mean `power_user`?)\n",
        ));
    validate(WARNINGS)
        .args(["--format", "github"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("::warning file="));
}

#[test]
fn text_has_no_colour_off_a_terminal_or_with_no_color() {
    // Not a terminal (assert_cmd captures the streams): no escape codes.
    validate(ERRORS)
        .assert()
        .stderr(predicate::str::contains("\u{1b}[").not());
    validate(ERRORS)
        .env("NO_COLOR", "1")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("\u{1b}[").not());
}

#[test]
fn duplicate_across_files_names_both_files() {
    validate("tests/fixtures/resolve/err/duplicate.across_files")
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("duplicate.across_files/teams.policy:2:6").and(
                predicate::str::contains("duplicate.across_files/roles.policy:6:6"),
            ),
        );
}

// ------------------------------------------------------------ shipped policy

#[test]
fn shipped_policies_validate_without_warnings() {
    validate("policies")
        .arg("--deny-warnings")
        .assert()
        .code(0)
        .stderr(predicate::str::contains("0 errors, 0 warnings"));
}

#[test]
fn shipped_policies_tests_pass() {
    rolegraph()
        .args(["--policy", "policies", "test"])
        .assert()
        .code(0);
}

// ------------------------------------------------------------ init

fn files_under(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                files_under(&p)
            } else {
                1
            }
        })
        .sum()
}

#[test]
fn init_writes_a_starter_that_validates_and_passes_its_tests() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("acme-policies");
    let dir_str = dir.to_str().unwrap();
    rolegraph().args(["init", dir_str]).assert().code(0);
    assert!(files_under(&dir) >= 2, "init wrote too little");
    rolegraph()
        .args(["--policy", dir_str, "validate", "--deny-warnings"])
        .assert()
        .code(0);
    rolegraph()
        .args(["--policy", dir_str, "test"])
        .assert()
        .code(0);
}

#[test]
fn init_into_an_empty_existing_directory_works() {
    let tmp = tempfile::tempdir().unwrap();
    rolegraph()
        .args(["init", tmp.path().to_str().unwrap()])
        .assert()
        .code(0);
    rolegraph()
        .args(["--policy", tmp.path().to_str().unwrap(), "test"])
        .assert()
        .code(0);
}

#[test]
fn init_refuses_a_non_empty_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let mine = tmp.path().join("mine.policy");
    std::fs::write(&mine, "# my own policy\n").unwrap();
    rolegraph()
        .args(["init", tmp.path().to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not empty"));
    // Nothing was overwritten or added.
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "# my own policy\n");
    assert_eq!(files_under(tmp.path()), 1);
}
