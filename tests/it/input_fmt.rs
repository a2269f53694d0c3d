//! `fmt`'s writes (issue 14, finding 2): a failed write leaves the file as it
//! was, the file written is the file read (whatever its name's bytes), and
//! nothing is written through a symbolic link.
#![cfg(unix)]

use std::os::unix::fs::{symlink, PermissionsExt};

use crate::common::rolegraph;

/// A policy that `fmt` changes (its spacing), of a few kilobytes.
fn unformatted() -> String {
    let mut text = String::from("kind   use_case\npermission use_case:read on use_case\n");
    text.push_str("role  reader { grant use_case:read }\nteam   t {\n");
    for i in 0..100 {
        text.push_str(&format!("member   user{i}@acme.com   as reader\n"));
    }
    text.push_str("}\nuse_case u { share t as reader owner }\n");
    text
}

/// A write that fails half-way (here: over the file size limit of the
/// process, as a full disk would) used to leave the file truncated — and
/// what was left still validated. Now the file is untouched.
#[test]
fn a_failed_write_leaves_the_file_whole() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("org.policy");
    let text = unformatted();
    assert!(text.len() > 2048);
    std::fs::write(&file, &text).unwrap();
    let binary = assert_cmd::cargo::cargo_bin("rolegraph");
    // `ulimit -f 1`: no file may grow past 512 bytes; with SIGXFSZ ignored
    // the write fails with an error instead of killing the process.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 1; exec \"$0\" \"$@\"")
        .arg(&binary)
        .arg("--policy")
        .arg(dir.path())
        .arg("fmt")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot write"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// The rewrite keeps the file's permissions.
#[test]
fn a_rewrite_keeps_the_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("org.policy");
    std::fs::write(&file, unformatted()).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    rolegraph(dir.path()).arg("fmt").assert().success();
    let meta = std::fs::metadata(&file).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    assert_ne!(std::fs::read_to_string(&file).unwrap(), unformatted());
    rolegraph(dir.path())
        .args(["fmt", "--check"])
        .assert()
        .success();
}

/// A file name that is not UTF-8 was written under its lossy display name:
/// a second file appeared, or an unrelated file with that name was
/// overwritten. Now the file read is the file written.
#[test]
fn a_non_utf8_name_is_written_in_place() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let latin1 = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"caf\xe9.policy"));
    let lossy = dir.path().join("caf\u{fffd}.policy");
    let other = "kind dataset\n";
    std::fs::write(&latin1, unformatted()).unwrap();
    std::fs::write(&lossy, other).unwrap();
    rolegraph(dir.path()).arg("fmt").assert().success();
    assert_eq!(std::fs::read_to_string(&lossy).unwrap(), other);
    let formatted = std::fs::read_to_string(&latin1).unwrap();
    assert_ne!(formatted, unformatted());
    assert!(formatted.contains("member user0@acme.com"), "{formatted}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

/// A policy file reached through a link is not rewritten: the link stays a
/// link and its target is untouched; `fmt` says so and exits 1.
#[test]
fn nothing_is_written_through_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("org.txt");
    std::fs::write(&target, unformatted()).unwrap();
    let link = dir.path().join("org.policy");
    symlink("org.txt", &link).unwrap();
    let out = rolegraph(dir.path()).arg("fmt").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), unformatted());
    // Named outright, too.
    let out = rolegraph(&link).arg("fmt").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "not a `.policy` target");
    let named = dir.path().join("named.policy");
    std::fs::rename(&target, dir.path().join("real.policy")).unwrap();
    std::fs::remove_file(&link).unwrap();
    symlink("real.policy", &named).unwrap();
    rolegraph(&named).arg("fmt").assert().code(1);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("real.policy")).unwrap(),
        unformatted()
    );
}
