//! `apply --auto-approve` (terraform's name for `--yes`), and the one writer
//! every output file goes through: a file `plan -o` or `compile -o` replaces
//! is replaced whole or left as it was, never written through a link.

use super::apply_support::{apply, drifted, org_file, run, save_plan};
use super::standin::Standin;

#[test]
fn auto_approve_is_yes() {
    let policy = org_file();
    let s = Standin::start(&drifted());
    let r = apply(&policy.path, &s, &["--auto-approve"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r
        .stdout
        .trim_end()
        .ends_with("in sync: the deployment matches the policy"));
    assert!(s.mutations() > 0);
}

#[cfg(unix)]
#[test]
fn output_files_are_replaced_whole_and_never_through_a_link() {
    use std::os::unix::fs::PermissionsExt;

    let policy = org_file();
    let s = Standin::start(&drifted());
    let dir = tempfile::tempdir().unwrap();

    // A new plan file is its owner's only; no temporary file is left.
    let saved = dir.path().join("plan.json");
    save_plan(&policy.path, &s, &saved, &[]);
    let mode = std::fs::metadata(&saved).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    // A link is refused, exit 2, in one line, and what it points to is
    // untouched.
    let target = dir.path().join("target.txt");
    std::fs::write(&target, "keep").unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    for args in [
        &["plan", "--url", s.url(), "-o", link.to_str().unwrap()][..],
        &["compile", "-o", link.to_str().unwrap()][..],
    ] {
        let r = run(&policy.path, args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    }

    // `compile -o` over an existing file keeps its permissions.
    let matrix = dir.path().join("matrix.json");
    std::fs::write(&matrix, "old").unwrap();
    std::fs::set_permissions(&matrix, std::fs::Permissions::from_mode(0o640)).unwrap();
    let r = run(&policy.path, &["compile", "-o", matrix.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{r:?}");
    let text = std::fs::read_to_string(&matrix).unwrap();
    assert!(text.contains("\"schema_version\""), "{text}");
    let mode = std::fs::metadata(&matrix).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
}
