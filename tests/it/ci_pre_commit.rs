//! `.pre-commit-hooks.yaml` (SPEC §12), run by the real `pre-commit` (from
//! PyPI; `.ci/run` installs it) in a scratch repository, with the built
//! binary on `PATH` as the hooks expect (`language: system`): a broken policy
//! and a failing test block the commit; `rolegraph-fmt` rewrites a badly
//! formatted file, which then commits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::ci_support::{root, tool_available, which};

struct Scratch {
    _dirs: tempfile::TempDir,
    repo: PathBuf,
    cache: PathBuf,
}

impl Scratch {
    /// Runs a command in the scratch repository, isolated from the user's
    /// git and pre-commit settings, with the built `rolegraph` on `PATH`.
    fn run(&self, program: &str, args: &[&str]) -> Output {
        let bin = assert_cmd::cargo::cargo_bin("rolegraph");
        let mut path = vec![bin.parent().unwrap().to_path_buf()];
        path.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap()));
        Command::new(program)
            .args(args)
            .current_dir(&self.repo)
            .env("PATH", std::env::join_paths(path).unwrap())
            .env("PRE_COMMIT_HOME", &self.cache)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "ci")
            .env("GIT_AUTHOR_EMAIL", "ci@example.invalid")
            .env("GIT_COMMITTER_NAME", "ci")
            .env("GIT_COMMITTER_EMAIL", "ci@example.invalid")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    fn ok(&self, program: &str, args: &[&str]) -> String {
        let out = self.run(program, args);
        let text = text(&out);
        assert!(out.status.success(), "{program} {args:?} failed:\n{text}");
        text
    }

    fn commit(&self, message: &str) -> Output {
        self.ok("git", &["add", "-A"]);
        self.run("git", &["commit", "-q", "-m", message])
    }

    fn commits(&self) -> usize {
        self.ok("git", &["rev-list", "--count", "HEAD"])
            .trim()
            .parse()
            .unwrap()
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// A repository of hooks holding a copy of this repository's
/// `.pre-commit-hooks.yaml`, and a project repository with the shipped
/// policies whose config uses all three hooks at that commit.
fn scratch() -> Scratch {
    let dirs = tempfile::tempdir().unwrap();
    let hooks = dirs.path().join("hooks");
    let repo = dirs.path().join("project");
    let cache = dirs.path().join("cache");
    for dir in [&hooks, &repo] {
        std::fs::create_dir_all(dir).unwrap();
    }
    let s = Scratch {
        _dirs: dirs,
        repo: hooks.clone(),
        cache,
    };
    s.ok("git", &["init", "-q"]);
    std::fs::copy(
        root().join(".pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    s.ok("git", &["add", "-A"]);
    s.ok("git", &["commit", "-q", "-m", "hooks"]);
    let rev = s.ok("git", &["rev-parse", "HEAD"]).trim().to_string();

    let s = Scratch { repo, ..s };
    s.ok("git", &["init", "-q"]);
    crate::common::copy_dir(&root().join("policies"), &s.repo.join("policies"));
    std::fs::write(
        s.repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: rolegraph-fmt\n      - id: rolegraph-validate\n      - id: rolegraph-test\n",
            hooks.display()
        ),
    )
    .unwrap();
    s.ok("pre-commit", &["install"]);
    s
}

fn have_pre_commit() -> bool {
    tool_available(
        "pre-commit",
        which("pre-commit").is_some(),
        "python3 -m pip install pre-commit",
    )
}

#[test]
fn the_hooks_block_bad_commits_and_format_files() {
    if !have_pre_commit() {
        return;
    }
    let s = scratch();
    let out = s.commit("the shipped policies");
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    for hook in ["rolegraph fmt", "rolegraph validate", "rolegraph test"] {
        assert!(
            log.lines()
                .any(|l| l.starts_with(hook) && l.ends_with("Passed")),
            "`{hook}` did not pass:\n{log}"
        );
    }

    // A policy error blocks the commit, and says where.
    let teams = s.repo.join("policies/example/teams.policy");
    edit(&teams, "as inference", "as no-such-role");
    let out = s.commit("a typo");
    let log = text(&out);
    assert!(!out.status.success(), "{log}");
    assert!(
        log.lines()
            .any(|l| l.starts_with("rolegraph validate") && l.ends_with("Failed")),
        "{log}"
    );
    assert!(log.contains("unknown role `no-such-role`"), "{log}");
    assert_eq!(s.commits(), 1);
    edit(&teams, "as no-such-role", "as inference");

    // So does a failing test.
    let tests = s.repo.join("policies/example/tests.policy");
    edit(
        &tests,
        "allow john@acme.com  use_case:adapt",
        "deny  john@acme.com  use_case:adapt",
    );
    let out = s.commit("a wrong expectation");
    let log = text(&out);
    assert!(!out.status.success(), "{log}");
    assert!(
        log.lines()
            .any(|l| l.starts_with("rolegraph test") && l.ends_with("Failed")),
        "{log}"
    );
    assert!(log.contains("expected deny, got allow"), "{log}");
    assert_eq!(s.commits(), 1);
    edit(
        &tests,
        "deny  john@acme.com  use_case:adapt",
        "allow john@acme.com  use_case:adapt",
    );

    // A badly formatted file: the commit stops with the file rewritten...
    let extra = s.repo.join("policies/example/extra.policy");
    std::fs::write(
        &extra,
        "role   extra   \"Extra\"{grant use_case:read}\nteam  extra-team {member zed@acme.com   as extra}\n",
    )
    .unwrap();
    let out = s.commit("an extra team");
    let log = text(&out);
    assert!(!out.status.success(), "{log}");
    assert!(log.contains("files were modified by this hook"), "{log}");
    assert_eq!(
        std::fs::read_to_string(&extra).unwrap(),
        "role extra \"Extra\" { grant use_case:read }\nteam extra-team { member zed@acme.com as extra }\n"
    );
    assert_eq!(s.commits(), 1);
    // ...and, staged as rewritten, it commits.
    let out = s.commit("an extra team");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(s.commits(), 2);
}

/// `pre-commit try-repo` against this repository itself (its working tree,
/// so an uncommitted change to the hooks is what runs).
#[test]
fn try_repo_runs_this_repositorys_hooks() {
    if !have_pre_commit() {
        return;
    }
    let s = scratch();
    let root = root().display().to_string();
    // `--all-files` means the files git tracks: stage them.
    s.ok("git", &["add", "-A"]);
    let out = s.run(
        "pre-commit",
        &["try-repo", &root, "rolegraph-validate", "--all-files"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out)
            .lines()
            .any(|l| l.starts_with("rolegraph validate") && l.ends_with("Passed")),
        "{}",
        text(&out)
    );
    edit(
        &s.repo.join("policies/example/teams.policy"),
        "as inference",
        "as no-such-role",
    );
    s.ok("git", &["add", "-A"]);
    let out = s.run(
        "pre-commit",
        &["try-repo", &root, "rolegraph-validate", "--all-files"],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("no-such-role"), "{}", text(&out));
}
