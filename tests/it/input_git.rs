//! Reading a policy at a git revision (`diff git:…`), as an attacker who
//! controls the repository's contents would try to fool it (issue 13): the
//! blobs read are the files listed, and the files listed are those the
//! directory walk reads from the same tree.
#![cfg(unix)]

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{copy_dir, rolegraph, POLICIES};

/// A grant that makes a user a global admin of the example org.
const GRANT: &str = "user mallory@acme.com \"Mallory\" {\n  in admin as admin\n}\n";

fn git(repo: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.symlinks=true",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// A repository whose first commit is the shipped policies in `policies/`.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    copy_dir(Path::new(POLICIES), &dir.path().join("policies"));
    commit(dir.path(), "base");
    dir
}

fn commit(repo: &Path, message: &str) {
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", message]);
}

/// `rolegraph diff OLD NEW --fail-on-grant 'admin:*'` run in `repo`.
fn diff(repo: &Path, old: &str, new: &str) -> std::process::Output {
    rolegraph(Path::new("policies"))
        .current_dir(repo)
        .args(["diff", old, new, "--fail-on-grant", "admin:*"])
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Issue 13, finding 1: a file `zzz` holding a grant and an empty file named
/// `zzz<newline>x.policy` made `cat-file --batch` answer the grant for the
/// empty file, so the revision already "had" the grant and the change that
/// really makes mallory an admin showed "0 granted", exit 0.
#[test]
fn a_newline_in_a_file_name_cannot_swap_the_blob_read() {
    let repo = repo();
    let root = repo.path();
    // The change under review, kept outside the repository's policy path.
    let new = root.join("new");
    copy_dir(Path::new(POLICIES), &new);
    std::fs::write(new.join("mallory.policy"), GRANT).unwrap();

    // Without the primer the grant is caught: the test can fail.
    let caught = diff(root, "git:main:policies", "new");
    assert_eq!(caught.status.code(), Some(1), "{}", text(&caught.stderr));
    assert!(text(&caught.stdout).contains("mallory@acme.com"));

    // The primer: harmless-looking files at the old revision.
    std::fs::write(root.join("policies/zzz"), GRANT).unwrap();
    std::fs::write(root.join("policies/zzz\nx.policy"), "").unwrap();
    commit(root, "primer");
    let fooled = diff(root, "git:main:policies", "new");
    let stdout = text(&fooled.stdout);
    let stderr = text(&fooled.stderr);
    assert_eq!(fooled.status.code(), Some(2), "{stdout}{stderr}");
    assert!(!stdout.contains("0 granted"), "{stdout}");
    assert!(
        stderr.contains("control character") && stderr.contains("zzz\\nx.policy"),
        "{stderr}"
    );
    // The working tree holds the same name: the directory walk refuses it too.
    let working = diff(root, "git:main~1:policies", "policies");
    assert_eq!(working.status.code(), Some(2), "{}", text(&working.stdout));
    assert!(text(&working.stderr).contains("control character"));
}

/// Both loaders apply one rule: links inside the root are followed (each
/// file read once), so a revision and its checkout compare equal, and the
/// linked file's access counts.
#[test]
fn links_inside_the_root_read_the_same_at_a_revision_and_on_disk() {
    let repo = repo();
    let root = repo.path();
    let policies = root.join("policies");
    std::fs::write(policies.join("mallory.txt"), GRANT).unwrap();
    std::os::unix::fs::symlink("mallory.txt", policies.join("mallory.policy")).unwrap();
    std::os::unix::fs::symlink("adaptive.policy", policies.join("again.policy")).unwrap();
    std::os::unix::fs::symlink("example", policies.join("example-again")).unwrap();
    std::os::unix::fs::symlink("..", policies.join("example/up")).unwrap();
    commit(root, "links");

    // The checkout: valid (nothing read twice), and the same as the revision.
    rolegraph(&policies)
        .current_dir(root)
        .arg("validate")
        .assert()
        .success();
    let same = rolegraph(Path::new("policies"))
        .current_dir(root)
        .args(["--format", "json", "diff", "git:main", "policies"])
        .output()
        .unwrap();
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stderr));
    let json: Value = serde_json::from_slice(&same.stdout).unwrap();
    assert_eq!(json["granted"], Value::Array(vec![]));
    assert_eq!(json["revoked"], Value::Array(vec![]));

    // And the linked grant is read at the revision: it shows against the base.
    let granted = diff(root, "git:main~1:policies", "git:main:policies");
    assert_eq!(granted.status.code(), Some(1), "{}", text(&granted.stderr));
    assert!(text(&granted.stdout).contains("mallory@acme.com"));
}

/// Issue 13, finding 2: a symlinked directory was followed by the runtime
/// loader and skipped at a revision. A link out of the policy root is now
/// refused by both, whatever it points to.
#[test]
fn links_out_of_the_root_are_refused_at_a_revision_and_on_disk() {
    for (link, target) in [
        ("shared", "../shared"),
        ("env.policy", "/proc/self/environ"),
        ("up.policy", "../policies/adaptive.policy"),
    ] {
        let repo = repo();
        let root = repo.path();
        std::fs::create_dir(root.join("shared")).unwrap();
        std::fs::write(root.join("shared/mallory.policy"), GRANT).unwrap();
        std::os::unix::fs::symlink(target, root.join("policies").join(link)).unwrap();
        commit(root, "link out");
        let clean = root.join("clean");
        copy_dir(Path::new(POLICIES), &clean);

        let at_revision = diff(root, "git:main:policies", "clean");
        let stderr = text(&at_revision.stderr);
        assert_eq!(at_revision.status.code(), Some(2), "{link}: {stderr}");
        assert!(
            stderr.contains(&format!("policies/{link}")) && stderr.contains("leads out"),
            "{link}: {stderr}"
        );
        let on_disk = diff(root, "clean", "policies");
        let stderr = text(&on_disk.stderr);
        assert_eq!(on_disk.status.code(), Some(2), "{link}: {stderr}");
        assert!(stderr.contains("leads out"), "{link}: {stderr}");
    }
}

/// A dangling link at a revision is an error, as it is on disk.
#[test]
fn a_dangling_link_at_a_revision_is_an_error() {
    let repo = repo();
    let root = repo.path();
    std::fs::remove_file(root.join("policies/example/tests.policy")).unwrap();
    std::os::unix::fs::symlink("gone.policy", root.join("policies/example/tests.policy")).unwrap();
    commit(root, "dangling");
    let out = diff(root, "git:main~1:policies", "git:main:policies");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("tests.policy") && stderr.contains("points to nothing"),
        "{stderr}"
    );
}
