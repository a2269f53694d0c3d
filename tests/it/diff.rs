//! `rolegraph diff`: the example org with a realistic change in every format,
//! exit codes, `git:` revisions, and the fast path checked against the full
//! matrix on random policy pairs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command as Std;

use assert_cmd::Command;
use common::copy_dir;
use proptest::prelude::*;
use rolegraph::diff::{diff, diff_full, Diff};
use rolegraph::Policy;

fn policies_dir() -> &'static Path {
    Path::new(common::POLICIES)
}

fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "`{from}` not in {}", file.display());
    std::fs::write(file, text.replacen(from, to, 1)).unwrap();
}

/// The example org after a realistic change: Li promoted to `inference`, the
/// fraud detector shared with the support team, annotators gaining
/// `use_case:evaluate`, and Tara leaving the labeling team.
fn changed_org(dir: &Path) {
    copy_dir(policies_dir(), dir);
    edit(
        &dir.join("example/teams.policy"),
        "member li@acme.com    as read-only",
        "member li@acme.com    as inference",
    );
    edit(
        &dir.join("example/teams.policy"),
        "  member tara@acme.com as annotator\n",
        "",
    );
    edit(
        &dir.join("example/use_cases.policy"),
        "  share ml-team as admin owner\n}\n\nuse_case doc-search",
        "  share ml-team as admin owner\n  share customer-support-team as inference\n}\n\nuse_case doc-search",
    );
    edit(
        &dir.join("adaptive.policy"),
        "grant use_case:add_feedback",
        "grant use_case:add_feedback, use_case:evaluate",
    );
}

fn rolegraph() -> Command {
    Command::cargo_bin("rolegraph").unwrap()
}

fn run_diff(old: &Path, new: &Path, args: &[&str]) -> (String, i32) {
    let out = rolegraph()
        .arg("diff")
        .arg(old)
        .arg(new)
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap(),
    )
}

#[test]
fn example_org_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    changed_org(tmp.path());
    for (format, name) in [
        ("text", "diff_text"),
        ("json", "diff_json"),
        ("markdown", "diff_markdown"),
    ] {
        let (out, code) = run_diff(policies_dir(), tmp.path(), &["--format", format]);
        assert_eq!(code, 0, "{out}");
        insta::assert_snapshot!(name, out);
    }
}

#[test]
fn json_keys_are_the_specs() {
    let tmp = tempfile::tempdir().unwrap();
    changed_org(tmp.path());
    let (out, _) = run_diff(policies_dir(), tmp.path(), &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let granted = v["granted"].as_array().unwrap();
    let revoked = v["revoked"].as_array().unwrap();
    assert!(!granted.is_empty() && !revoked.is_empty());
    for row in granted.iter().chain(revoked) {
        for key in ["user", "permission", "scope", "via"] {
            assert!(row.get(key).is_some(), "{key} missing in {row}");
        }
    }
}

#[test]
fn same_policy_has_no_diff() {
    let (out, code) = run_diff(policies_dir(), policies_dir(), &[]);
    assert_eq!(code, 0);
    assert!(out.starts_with("0 granted, 0 revoked"), "{out}");
}

#[test]
fn fail_on_grant_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    changed_org(tmp.path());
    let new = tmp.path();
    // Nothing under admin: is granted; use_case:evaluate is.
    assert_eq!(
        run_diff(policies_dir(), new, &["--fail-on-grant", "admin:*"]).1,
        0
    );
    assert_eq!(
        run_diff(policies_dir(), new, &["--fail-on-grant", "use_case:eval*"]).1,
        1
    );
    assert_eq!(
        run_diff(policies_dir(), new, &["--fail-on-grant", "*"]).1,
        1
    );
    // Revoked rows never fail the gate: back from NEW to OLD, evaluate is
    // only revoked.
    assert_eq!(
        run_diff(
            new,
            policies_dir(),
            &["--fail-on-grant", "use_case:evaluate"]
        )
        .1,
        0
    );
    // A bad glob and an unreadable path are usage errors.
    assert_eq!(
        run_diff(policies_dir(), new, &["--fail-on-grant", "a[b"]).1,
        2
    );
    assert_eq!(run_diff(policies_dir(), &new.join("missing"), &[]).1, 2);
}

#[test]
fn a_policy_with_errors_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    changed_org(tmp.path());
    edit(
        &tmp.path().join("example/teams.policy"),
        "as inference",
        "as no-such-role",
    );
    let out = rolegraph()
        .arg("diff")
        .arg(policies_dir())
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no-such-role"), "{stderr}");
    assert!(stderr.contains("the new policy"), "{stderr}");
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

/// A repository with the example org committed, then the change committed.
fn repo_with_change() -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    git(dir, &["init", "-q"]);
    copy_dir(policies_dir(), &dir.join("policies"));
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "org"]);
    let tmp = tempfile::tempdir().unwrap();
    changed_org(tmp.path());
    std::fs::remove_dir_all(dir.join("policies")).unwrap();
    copy_dir(tmp.path(), &dir.join("policies"));
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "change"]);
    repo
}

#[test]
fn git_revisions() {
    let repo = repo_with_change();
    let dir = repo.path();
    let tmp = tempfile::tempdir().unwrap();
    changed_org(tmp.path());
    let (expected, _) = run_diff(policies_dir(), tmp.path(), &["--format", "json"]);
    let run = |args: &[&str]| {
        let out = rolegraph()
            .current_dir(dir)
            .arg("diff")
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        (
            String::from_utf8(out.stdout).unwrap(),
            out.status.code().unwrap(),
        )
    };
    // PATH defaults to `--policy` (itself `policies` by default).
    assert_eq!(run(&["git:HEAD~1", "policies"]), (expected.clone(), 0));
    assert_eq!(
        run(&["git:HEAD~1:policies", "git:HEAD"]),
        (expected.clone(), 0)
    );
    assert_eq!(
        run(&["--policy", "policies", "git:HEAD~1", "git:HEAD:policies"]),
        (expected, 0)
    );
    // One file of the tree, named outright.
    assert_eq!(
        run(&[
            "git:HEAD~1:policies/adaptive.policy",
            "git:HEAD:policies/adaptive.policy"
        ])
        .1,
        0
    );
    // A bad revision or a path with no policy files is a usage error.
    assert_eq!(run(&["git:no-such-rev", "policies"]).1, 2);
    assert_eq!(run(&["git:HEAD~1:nowhere", "policies"]).1, 2);
    assert_eq!(run(&["git:--output=x", "policies"]).1, 2);
}

#[test]
fn pre_commit_hook() {
    let hook = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/pre-commit"));
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    git(dir, &["init", "-q"]);
    copy_dir(policies_dir(), &dir.join("policies"));
    let bin = assert_cmd::cargo::cargo_bin("rolegraph");
    let run_hook = || {
        Std::new("sh")
            .arg(hook)
            .current_dir(dir)
            .env("ROLEGRAPH", &bin)
            .output()
            .unwrap()
    };
    // The hook passes exactly when its three checks do.
    let each_passes = ["validate", "test"]
        .iter()
        .map(|c| vec![*c])
        .chain([vec!["fmt", "--check"]])
        .all(|args| {
            // Captured, so the policy's report stays out of `cargo test`.
            Std::new(&bin)
                .args(&args)
                .current_dir(dir)
                .output()
                .unwrap()
                .status
                .success()
        });
    assert_eq!(run_hook().status.success(), each_passes);
    // A policy error stops the commit.
    edit(
        &dir.join("policies/example/teams.policy"),
        "as inference",
        "as no-such-role",
    );
    let out = run_hook();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-role"));
}

// ---- the fast path against the full matrix, on random policy pairs ----

const PERMS: [&str; 4] = ["p:a", "p:b", "q:c", "q:d"];
const TEAMS: [&str; 4] = ["admin", "default", "t1", "t2"];
const ROLES: usize = 4;
const USERS: usize = 5;
const RESOURCES: [&str; 3] = ["use_case/u1", "use_case/u2", "dataset/d1"];

/// A permission: present, global, team, use_case, dataset, requires owner.
type PermGen = (bool, bool, bool, bool, bool, bool);

/// A resource: present, its owner team and that share's role, then per team
/// another share's role and owner flag.
type ResourceGen = (bool, (usize, usize), Vec<Option<(usize, bool)>>);

/// The parts of a small policy, each drawn on its own so two policies can be
/// mixed part by part.
#[derive(Clone, Debug)]
struct Org {
    perms: Vec<PermGen>,
    /// Per role: granted permission indexes, included lower roles.
    roles: Vec<(Vec<usize>, Vec<usize>)>,
    /// Per user, per team: the role, if a member.
    members: Vec<Vec<Option<usize>>>,
    /// Per resource: the owner team and its role, then the other shares.
    shares: Vec<ResourceGen>,
    default: Option<(usize, usize)>,
    /// The admin team, and whether an extra, empty team is declared (global
    /// grants reach down to every team and resource).
    admin: (usize, bool),
}

fn org() -> impl Strategy<Value = Org> {
    let perm = (prop::bool::weighted(0.85), any::<[bool; 5]>())
        .prop_map(|(present, s)| (present, s[0], s[1], s[2], s[3], s[4]));
    let role = (
        prop::collection::vec(0..PERMS.len(), 0..3),
        prop::collection::vec(0..ROLES, 0..2),
    );
    let member = prop::collection::vec(prop::option::weighted(0.5, 0..ROLES), TEAMS.len());
    let share = (
        prop::bool::weighted(0.8),
        (0..TEAMS.len(), 0..ROLES),
        prop::collection::vec(
            prop::option::weighted(0.4, (0..ROLES, any::<bool>())),
            TEAMS.len(),
        ),
    );
    (
        prop::collection::vec(perm, PERMS.len()),
        prop::collection::vec(role, ROLES),
        prop::collection::vec(member, USERS),
        prop::collection::vec(share, RESOURCES.len()),
        prop::option::of((0..TEAMS.len(), 0..ROLES)),
        (prop::sample::select(vec![0, 0, 0, 2]), any::<bool>()),
    )
        .prop_map(|(perms, roles, members, shares, default, admin)| Org {
            perms,
            roles,
            members,
            shares,
            default,
            admin,
        })
}

impl Org {
    /// Half the parts from `self`, half from `other`, as the mask says.
    fn mix(&self, other: &Org, mask: u64) -> Org {
        Org {
            perms: mix_any(&self.perms, &other.perms, mask),
            roles: mix_any(&self.roles, &other.roles, mask >> 8),
            members: mix_any(&self.members, &other.members, mask >> 16),
            shares: mix_any(&self.shares, &other.shares, mask >> 24),
            default: if mask >> 40 & 1 == 1 {
                other.default
            } else {
                self.default
            },
            admin: if mask >> 41 & 1 == 1 {
                other.admin
            } else {
                self.admin
            },
        }
    }

    fn text(&self) -> String {
        let mut t = String::from("kind use_case\nkind dataset\n");
        t += &format!("auth {{\n  admin_team {}\n", TEAMS[self.admin.0]);
        if let Some((team, role)) = self.default {
            t += &format!("  default_team {}\n  default_role r{role}\n", TEAMS[team]);
        }
        t += "}\n";
        let mut declared = Vec::new();
        for (i, &(present, global, team, uc, ds, owner)) in self.perms.iter().enumerate() {
            let mut on = Vec::new();
            if global {
                on.push("global");
            }
            if team {
                on.push("team");
            }
            if uc {
                on.push("use_case");
            }
            if ds {
                on.push("dataset");
            }
            if !present || on.is_empty() {
                continue;
            }
            let owner = if owner && (uc || ds) {
                " requires owner"
            } else {
                ""
            };
            t += &format!("permission {} on {}{owner}\n", PERMS[i], on.join(", "));
            declared.push(i);
        }
        for (i, (grants, includes)) in self.roles.iter().enumerate() {
            t += &format!("role r{i} {{\n");
            let grants: BTreeSet<usize> = grants
                .iter()
                .copied()
                .filter(|g| declared.contains(g))
                .collect();
            for g in grants {
                t += &format!("  grant {}\n", PERMS[g]);
            }
            let includes: BTreeSet<usize> = includes.iter().copied().filter(|&j| j < i).collect();
            for j in includes {
                t += &format!("  includes r{j}\n");
            }
            t += "}\n";
        }
        for (ti, team) in TEAMS.iter().enumerate() {
            t += &format!("team {team} {{\n");
            for (u, roles) in self.members.iter().enumerate() {
                if let Some(r) = roles[ti] {
                    t += &format!("  member u{u}@x.com as r{r}\n");
                }
            }
            t += "}\n";
        }
        if self.admin.1 {
            t += "team extra\n";
        }
        for (ri, res) in RESOURCES.iter().enumerate() {
            let (kind, key) = res.split_once('/').unwrap();
            let (present, (owner_team, owner_role), others) = &self.shares[ri];
            if !present {
                continue;
            }
            t += &format!("{kind} {key} {{\n");
            t += &format!("  share {} as r{owner_role} owner\n", TEAMS[*owner_team]);
            for (ti, share) in others.iter().enumerate() {
                if let (Some((role, owner)), true) = (share, ti != *owner_team) {
                    let owner = if *owner { " owner" } else { "" };
                    t += &format!("  share {} as r{role}{owner}\n", TEAMS[ti]);
                }
            }
            t += "}\n";
        }
        t
    }

    fn policy(&self) -> Policy {
        let text = self.text();
        match Policy::from_text("org.policy", &text) {
            Ok(p) => p,
            Err(e) => panic!("generated policy is invalid: {e:?}\n{text}"),
        }
    }
}

fn mix_any<T: Clone>(a: &[T], b: &[T], mask: u64) -> Vec<T> {
    a.iter()
        .zip(b)
        .enumerate()
        .map(|(i, (x, y))| {
            if mask >> i & 1 == 1 {
                y.clone()
            } else {
                x.clone()
            }
        })
        .collect()
}

/// The rows a diff reports, without their paths.
fn rows(d: &Diff) -> (BTreeSet<String>, BTreeSet<String>) {
    let key = |r: &rolegraph::diff::RowChange| format!("{}\t{}\t{}", r.user, r.scope, r.permission);
    (
        d.granted.iter().map(key).collect(),
        d.revoked.iter().map(key).collect(),
    )
}

fn lines(p: &Policy) -> BTreeSet<String> {
    p.compiled_lines().lines().map(str::to_string).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn diff_is_the_set_difference_of_the_matrices(a in org(), b in org(), mask in any::<[u64; 3]>()) {
        let old = a.policy();
        // Sparse masks make small changes, which only the fast path's
        // reasoning (not a change to everything) keeps exact.
        let new = a.mix(&b, mask[0] & mask[1] & mask[2]).policy();

        let same = diff(&old, &old);
        prop_assert!(same.is_empty(), "{same:?}");

        let d = diff(&old, &new);
        let (granted, revoked) = rows(&d);
        let (before, after) = (lines(&old), lines(&new));
        let want_granted: BTreeSet<String> = after.difference(&before).cloned().collect();
        let want_revoked: BTreeSet<String> = before.difference(&after).cloned().collect();
        prop_assert_eq!(&granted, &want_granted);
        prop_assert_eq!(&revoked, &want_revoked);
        prop_assert_eq!(d, diff_full(&old, &new));
        // Every row comes with the path that grants it.
        let full = diff(&old, &new);
        prop_assert!(full.granted.iter().chain(&full.revoked).all(|r| !r.via.is_empty()));
    }
}

#[test]
fn ci_workflow_is_valid_yaml_and_runs_the_diff() {
    // docs/ci.md's first workflow is one step, the repository's action
    // (action.yml), whose scripts run the checks and the diff.
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/ci.md")).unwrap();
    let start = doc.find("```yaml\n").unwrap() + "```yaml\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let workflow: serde_yaml::Value = serde_yaml::from_str(&doc[start..end]).unwrap();
    let steps = workflow["jobs"]["policies"]["steps"].as_sequence().unwrap();
    assert!(steps.iter().any(|s| {
        s["uses"]
            .as_str()
            .is_some_and(|u| u.contains("/rolegraph@"))
            && s["with"]["fail-on-grant"] == "admin:*"
    }));
    let action =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml")).unwrap();
    let action: serde_yaml::Value = serde_yaml::from_str(&action).unwrap();
    let steps = action["runs"]["steps"].as_sequence().unwrap();
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    let has = |needle: &str| runs.iter().any(|r| r.contains(needle));
    assert!(has("validate --format github"));
    assert!(has(" test"));
    assert!(has("fmt --check"));
    assert!(has("diff \"git:$BASE_SHA\" \"$path\""));
    assert!(has("--format markdown"));
    assert!(has("--fail-on-grant \"$FAIL_ON_GRANT\""));
}

#[test]
fn new_logins_count_as_the_user_star() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(policies_dir(), tmp.path());
    edit(
        &tmp.path().join("adaptive.policy"),
        "default_role read-only",
        "default_role inference",
    );
    // The doc search is shared with `default` at a role that caps it too.
    edit(
        &tmp.path().join("example/use_cases.policy"),
        "share default               as read-only",
        "share default               as inference",
    );
    let (out, code) = run_diff(policies_dir(), tmp.path(), &["--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["granted"],
        serde_json::json!([{
            "user": "*",
            "permission": "use_case:interact",
            "scope": "use_case/doc-search",
            "via": [{"team": "default", "role": "inference", "through": "share", "share_role": "inference"}]
        }])
    );
    assert_eq!(v["revoked"], serde_json::json!([]));
    let changed: Vec<&str> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        changed,
        ["use_case/doc-search with default", "default_role"]
    );
}

#[test]
fn markdown_folds_long_lists_and_stays_short() {
    let row = |i: usize| rolegraph::diff::RowChange {
        user: format!("u{i}@x.com"),
        permission: "p:a".into(),
        scope: "team/t|1".into(),
        via: Vec::new(),
    };
    let d = Diff {
        granted: (0..300).map(row).collect(),
        revoked: vec![row(1)],
        changes: Vec::new(),
        audit: None,
    };
    let md = rolegraph::diff::to_markdown(&d);
    assert!(md.starts_with("**rolegraph diff**: 300 granted, 1 revoked"));
    assert!(md.contains("<details><summary>Granted (300)</summary>"));
    assert!(md.contains("#### Revoked (1)"));
    assert!(md.contains("…and 200 more"));
    assert!(md.contains("`team/t\\|1`"));
    assert!(md.len() < 65_536);
}
