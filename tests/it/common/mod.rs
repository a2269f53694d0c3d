//! Helpers shared by the integration tests. Each test file is a crate of
//! its own and takes what it needs (`mod common;`).
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;

use assert_cmd::Command;

/// The shipped policies.
pub const POLICIES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/policies");

/// The binary, reading the policy at `policy`, without colour.
pub fn rolegraph(policy: &Path) -> Command {
    let mut cmd = Command::cargo_bin("rolegraph").unwrap();
    cmd.arg("--policy").arg(policy).env("NO_COLOR", "1");
    cmd
}

/// Copies a directory tree (a policy to change in a test).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let dest = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).unwrap();
        }
    }
}
