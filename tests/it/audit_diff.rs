//! `diff OLD NEW --audit` (issue 21): a change that opens a self-escalation
//! path fails, with the path shown step by step, even when the rows it
//! grants look harmless; paths a change removes are listed with why
//! (fixed, changed, now trusted); every format carries the section, and
//! without `--audit` nothing changes.

use std::path::Path;
use std::process::Command as Std;

use assert_cmd::Command;

use crate::common::{copy_dir, POLICIES};

/// Nina's deliberate path in the example org.
const NINA: &str = "235236c5f837";
/// The line of the example that opens Nina's path.
const TEAM_MANAGE: &str = "  grant team:manage  # the escalation: see above\n";

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn diff(dir: &Path, args: &[&str]) -> Run {
    let out = Command::cargo_bin("rolegraph")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .arg("diff")
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "`{from}` not in {}", file.display());
    std::fs::write(file, text.replacen(from, to, 1)).unwrap();
}

/// `dir/before`: the example org without Nina's path (the team lead cannot
/// manage the team); `dir/after`: the shipped org, where the pull request
/// gave team leads `team:manage`.
fn before_and_after(dir: &Path) {
    copy_dir(Path::new(POLICIES), &dir.join("before"));
    copy_dir(Path::new(POLICIES), &dir.join("after"));
    edit(
        &dir.join("before/example/escalation.policy"),
        TEAM_MANAGE,
        "",
    );
    // The example's own test says she manages the team: not in `before`.
    edit(
        &dir.join("before/example/escalation.policy"),
        "  allow nina@acme.com team:manage       on team/search-team\n",
        "",
    );
}

#[test]
fn a_change_that_opens_a_path_fails_with_the_path_step_by_step() {
    let tmp = tempfile::tempdir().unwrap();
    before_and_after(tmp.path());

    // Without `--audit` the change looks harmless: one management row.
    let r = diff(
        tmp.path(),
        &["before", "after", "--fail-on-grant", "admin:*"],
    );
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("team:manage"), "{}", r.stdout);
    assert!(!r.stdout.contains("audit"), "{}", r.stdout);

    let r = diff(tmp.path(), &["before", "after", "--audit"]);
    assert_eq!(r.code, Some(1), "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "error: the change introduces 1 escalation path(s), e.g. `nina@acme.com` (finding {NINA}): see the audit section\n"
        )
    );
    let at = r.stdout.find("\naudit: ").expect("an audit section");
    insta::assert_snapshot!("opened_text", &r.stdout[at..]);

    let r = diff(
        tmp.path(),
        &["before", "after", "--audit", "--format", "markdown"],
    );
    assert_eq!(r.code, Some(1));
    let at = r
        .stdout
        .find(":warning: **rolegraph audit**")
        .expect("an audit section");
    insta::assert_snapshot!("opened_markdown", &r.stdout[at..]);

    // Both gates report; either fails the change.
    let r = diff(
        tmp.path(),
        &["before", "after", "--audit", "--fail-on-grant", "team:*"],
    );
    assert_eq!(r.code, Some(1));
    assert_eq!(r.stderr.lines().count(), 2, "{}", r.stderr);
}

#[test]
fn json_has_the_audit_key_only_with_audit() {
    let tmp = tempfile::tempdir().unwrap();
    before_and_after(tmp.path());
    let json = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["before", "after", "--format", "json"];
        all.extend_from_slice(args);
        let r = diff(tmp.path(), &all);
        serde_json::from_str(&r.stdout).unwrap()
    };
    assert!(json(&[]).get("audit").is_none());
    let v = json(&["--audit"]);
    let audit = &v["audit"];
    assert_eq!(audit["removed"], serde_json::json!([]));
    let introduced = audit["introduced"].as_array().unwrap();
    assert_eq!(introduced.len(), 1, "{audit}");
    assert_eq!(introduced[0]["id"], NINA);
    assert_eq!(introduced[0]["user"], "nina@acme.com");
    assert_eq!(
        introduced[0]["steps"],
        serde_json::json!([{"action": "set_role", "team": "search-team", "role": "admin",
            "enabled_by": {"permission": "team:manage", "scope": "team/search-team"}}])
    );
    // The ids are the ones `audit` prints (and a baseline holds).
    let shipped = std::fs::read_to_string(Path::new(POLICIES).join("audit-baseline.json")).unwrap();
    assert!(shipped.contains(NINA));
}

#[test]
fn removed_paths_say_why() {
    let tmp = tempfile::tempdir().unwrap();
    before_and_after(tmp.path());

    // The reverse change fixes the path: listed, and the change passes.
    let r = diff(tmp.path(), &["after", "before", "--audit"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(&format!(
            "\naudit: 0 escalation paths introduced, 1 removed\n\nremoved:\n  [{NINA}] nina@acme.com (fixed)\n"
        )),
        "{}",
        r.stdout
    );
    let r = diff(
        tmp.path(),
        &["after", "before", "--audit", "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["audit"]["introduced"], serde_json::json!([]));
    assert_eq!(v["audit"]["removed"][0]["id"], NINA);
    assert_eq!(v["audit"]["removed"][0]["reason"], "fixed");

    // Trusting Nina silences her path, and the diff says so.
    copy_dir(Path::new(POLICIES), &tmp.path().join("trusting"));
    edit(
        &tmp.path().join("trusting/example/teams.policy"),
        "trust  team admin ",
        "trust  team admin, user nina@acme.com ",
    );
    let r = diff(
        tmp.path(),
        &["after", "trusting", "--audit", "--format", "markdown"],
    );
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(&format!(
            "**rolegraph audit**: 0 escalation paths introduced, 1 removed\n\n#### Removed escalation paths (1)\n\n| finding | user | why |\n| --- | --- | --- |\n| `{NINA}` | `nina@acme.com` | now trusted |\n"
        )),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains(":warning:"), "{}", r.stdout);

    // A path that gains more is another finding: the old one is `changed`
    // and the new one fails the change.
    copy_dir(Path::new(POLICIES), &tmp.path().join("more"));
    std::fs::write(
        tmp.path().join("more/example/more.policy"),
        "use_case reranker \"Reranker\" {\n  share search-team as admin owner\n}\n",
    )
    .unwrap();
    let r = diff(
        tmp.path(),
        &["after", "more", "--audit", "--format", "json"],
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let audit = &v["audit"];
    assert_eq!(audit["removed"][0]["id"], NINA);
    assert_eq!(audit["removed"][0]["reason"], "changed");
    assert_eq!(audit["introduced"][0]["user"], "nina@acme.com");
    assert_ne!(audit["introduced"][0]["id"], NINA);
}

#[test]
fn no_change_no_paths() {
    let r = diff(Path::new(POLICIES), &[".", ".", "--audit"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .ends_with("\naudit: 0 escalation paths introduced, 0 removed\n"),
        "{}",
        r.stdout
    );
    let r = diff(
        Path::new(POLICIES),
        &[".", ".", "--audit", "--format", "markdown"],
    );
    assert_eq!(r.code, Some(0));
    assert!(
        r.stdout.ends_with("No access changes.\n\n**rolegraph audit**: 0 escalation paths introduced, 0 removed\n\n"),
        "{}",
        r.stdout
    );
}

fn git(dir: &Path, args: &[&str]) {
    let status = Std::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// The pull request as CI sees it: the base commit against the checkout.
#[test]
fn the_ci_gate_against_a_git_base() {
    let tmp = tempfile::tempdir().unwrap();
    before_and_after(tmp.path());
    let repo = tmp.path().join("repo");
    git(tmp.path(), &["init", "-q", "repo"]);
    copy_dir(&tmp.path().join("before"), &repo.join("policies"));
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "base"]);
    std::fs::remove_dir_all(repo.join("policies")).unwrap();
    copy_dir(&tmp.path().join("after"), &repo.join("policies"));

    let r = diff(&repo, &["git:HEAD", "policies", "--audit"]);
    assert_eq!(r.code, Some(1), "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(&format!(
            "  [{NINA}] nina@acme.com can raise their own access in 1 step:\n    1. set their own role in team `search-team` to `admin` (enabled by team:manage on team/search-team)\n"
        )),
        "{}",
        r.stdout
    );
    // Once merged, the base has the path: nothing new.
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "leads manage their team"]);
    let r = diff(&repo, &["git:HEAD", "policies", "--audit"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
}
