//! Output that could not be written is an error. With standard output on
//! `/dev/full` (every write fails with "no space left on device"), each
//! command used to exit 0 having written nothing: a CI step reading `who`
//! from a full disk saw nobody, and passed. Now it is exit 2 with the reason
//! on stderr. A reader that goes away (`| head`) is still not an error.

use std::fs::OpenOptions;
use std::path::Path;
use std::process::Stdio;

use crate::common::POLICIES;

/// Runs rolegraph on `policy` with standard output on `/dev/full`; the
/// exit code and standard error.
fn to_full_disk(policy: &Path, args: &[&str], more: &[&Path]) -> (Option<i32>, String) {
    let full = OpenOptions::new().write(true).open("/dev/full").unwrap();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("rolegraph"))
        .arg("--policy")
        .arg(policy)
        .args(args)
        .args(more)
        .env("NO_COLOR", "1")
        .stdout(full)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every command that prints a report, as a CI job would run it.
const COMMANDS: &[&[&str]] = &[
    &["--format", "json", "validate"],
    &["who", "use_case:read", "use_case/support-bot"],
    &[
        "--format",
        "json",
        "who",
        "use_case:read",
        "use_case/support-bot",
    ],
    &["what", "maria@acme.com"],
    &["audit"],
    &["test"],
    &["test", "--coverage"],
    &[
        "can",
        "john@acme.com",
        "use_case:adapt",
        "use_case/support-bot",
    ],
    &[
        "can",
        "carol@acme.com",
        "use_case:adapt",
        "use_case/support-bot",
    ],
    &[
        "explain",
        "carol@acme.com",
        "use_case:adapt",
        "use_case/support-bot",
    ],
    &["graph"],
    &["compile"],
    &["compile", "--format", "lines"],
    &["completions", "bash"],
];

#[test]
fn a_full_disk_on_stdout_is_exit_2_for_every_command() {
    if !Path::new("/dev/full").exists() {
        return; // not Linux
    }
    for args in COMMANDS {
        let (code, stderr) = to_full_disk(Path::new(POLICIES), args, &[]);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("standard output") && stderr.contains("No space left on device"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn a_full_disk_on_stdout_is_exit_2_for_diff() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new");
    crate::common::copy_dir(Path::new(POLICIES), &new);
    std::fs::write(
        new.join("more.policy"),
        "team more \"More\" {\n  member zed@acme.com as admin\n}\n",
    )
    .unwrap();
    for format in ["text", "json", "markdown"] {
        let args = ["--format", format, "diff", POLICIES];
        let (code, stderr) = to_full_disk(Path::new(POLICIES), &args, &[&new]);
        assert_eq!(code, Some(2), "{format}: {stderr}");
        assert!(
            stderr.contains("cannot write to standard output"),
            "{format}: {stderr}"
        );
    }
}

/// A reader that closes its end first (`rolegraph what … | head -0`) gets
/// the ordinary exit status and no error message.
#[test]
fn a_closed_pipe_is_not_an_error() {
    let bin = assert_cmd::cargo::cargo_bin("rolegraph");
    for (args, code) in [
        (&["what", "maria@acme.com"][..], 0),
        (
            &[
                "can",
                "carol@acme.com",
                "use_case:adapt",
                "use_case/support-bot",
            ],
            1,
        ),
    ] {
        // The shell waits before starting rolegraph, so the read end is
        // closed (dropped below) before the first write.
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg("sleep 0.3; exec \"$0\" \"$@\"")
            .arg(&bin)
            .arg("--policy")
            .arg(POLICIES)
            .args(args)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("error"), "{args:?}: {stderr}");
    }
}
