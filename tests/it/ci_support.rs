//! What the `ci_*` tests share: the fixtures with awkward input, and the rule
//! for tests that need an outside tool (`pre-commit`, `genhtml`, Python's
//! `junitparser`): run when it is there; skip with a note when it is not;
//! fail when it is not and `CI` is set, since `.ci/run` installs each.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Non-ASCII file name, titles, emails and test names, XML's special
/// characters and a line break in names; a failing test and invariant.
pub const UNICODE: &str = "tests/fixtures/ci/équipe ünïcode.policy";
/// A syntax error whose message quotes non-ASCII text.
pub const UNICODE_BROKEN: &str = "tests/fixtures/ci/règles cassées.policy";
/// Failing tests and invariants, with explanations and counterexamples.
pub const FAILING: &str = "tests/fixtures/policy_tests/failing.policy";
/// The shipped policies: every test passes.
pub const SHIPPED: &str = "policies";

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The binary, run from the crate root (so file names are relative), with
/// the policy at `policy` (relative to the crate root, or absolute).
pub fn rolegraph(policy: impl AsRef<Path>) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("rolegraph").unwrap();
    cmd.current_dir(root())
        .env("NO_COLOR", "1")
        .arg("--policy")
        .arg(policy.as_ref());
    cmd
}

/// Runs the binary; returns (exit code, stdout, stderr).
pub fn run(policy: impl AsRef<Path>, args: &[&str]) -> (i32, String, String) {
    let out = rolegraph(policy).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Where `program` is on `PATH`, if it is.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Whether a test that needs `what` (found by `present`) can run. Missing:
/// a panic under CI (`.ci/run` installs it), else a skip note and `false`.
pub fn tool_available(what: &str, present: bool, install: &str) -> bool {
    if present {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("`{what}` is missing and CI is set: `.ci/run` installs it ({install})");
    }
    eprintln!("note: skipping this test: `{what}` is not installed ({install})");
    false
}

/// Whether `python3` can import `module`.
pub fn python_has(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}
