//! The newcomer's papercuts of issue 20 that belong to the command line:
//! hints name the policy the user gave, `--to` asks for a team, a count too
//! large says so, and `can --format json` answers a question it cannot ask
//! in JSON, as `can --batch` does.

use std::path::Path;

use crate::common::{copy_dir, rolegraph, POLICIES};

fn run(policy: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = rolegraph(policy).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A copy of the shipped policy with one error, at `dir/NAME`.
fn broken(dir: &Path, name: &str) -> std::path::PathBuf {
    let policy = dir.join(name);
    copy_dir(Path::new(POLICIES), &policy);
    let teams = policy.join("example/teams.policy");
    let text = std::fs::read_to_string(&teams).unwrap();
    std::fs::write(&teams, text.replacen("as inference", "as no-such-role", 1)).unwrap();
    policy
}

#[test]
fn hints_carry_the_policy_path() {
    let dir = tempfile::tempdir().unwrap();
    let m1 = broken(dir.path(), "m1");
    let (code, _, err) = run(&m1, &["can", "john@acme.com", "use_case:read"]);
    assert_eq!(code, Some(1));
    let want = format!("run `rolegraph --policy {} validate`", m1.display());
    assert!(err.contains(&want), "{err}");

    // A path a shell would split is quoted.
    let spaced = broken(dir.path(), "my org");
    let (_, _, err) = run(&spaced, &["who", "use_case:read"]);
    let want = format!("run `rolegraph --policy '{}' validate`", spaced.display());
    assert!(err.contains(&want), "{err}");

    // `fmt --check` names the command that would fix it, on this policy.
    let messy = dir.path().join("messy.policy");
    std::fs::write(&messy, "permission   use_case:read on use_case\n").unwrap();
    let (code, _, err) = run(&messy, &["fmt", "--check"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains(&format!("run `rolegraph --policy {} fmt`", messy.display())),
        "{err}"
    );
}

#[test]
fn hints_on_the_default_policy_stay_short() {
    let dir = tempfile::tempdir().unwrap();
    broken(dir.path(), "policies");
    let out = assert_cmd::Command::cargo_bin("rolegraph")
        .unwrap()
        .current_dir(dir.path())
        .args(["what", "john@acme.com"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("run `rolegraph validate`"), "{err}");
}

#[test]
fn to_asks_for_a_team_only() {
    let policy = Path::new(POLICIES);
    let q = [
        "can",
        "maria@acme.com",
        "use_case:share",
        "use_case/fraud-detector",
        "--to",
    ];
    for to in ["ml-team", "use_case/support-bot", "global"] {
        let (code, _, err) = run(policy, &[&q[..], &[to]].concat());
        assert_eq!(code, Some(2), "{to}");
        assert!(
            err.contains(&format!("`--to` takes a team (`team/KEY`), not `{to}`")),
            "{err}"
        );
        assert!(!err.contains("KIND/KEY"), "{err}");
    }
    // An unknown team is named as one, with the team it may have meant.
    let (code, _, err) = run(policy, &[&q[..], &["team/ml-teem"]].concat());
    assert_eq!(code, Some(2));
    assert!(err.contains("unknown team `ml-teem`"), "{err}");
}

#[test]
fn a_count_too_large_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("big.policy");
    std::fs::write(
        &policy,
        "permission use_case:read on use_case\n\
         invariant \"few\" { at most 99999999999999999999999 users may use_case:read }\n",
    )
    .unwrap();
    let (code, _, err) = run(&policy, &["validate"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("`99999999999999999999999` is too large a count"),
        "{err}"
    );
    assert!(err.contains("at most 4294967295"), "{err}");
    assert!(!err.contains("expected"), "not a syntax error: {err}");
}

#[test]
fn can_json_answers_a_bad_question_in_json_as_batch_does() {
    let policy = Path::new(POLICIES);
    let (code, out, err) = run(
        policy,
        &["can", "maria@acme.com", "nope:x", "--format", "json"],
    );
    assert_eq!(code, Some(2));
    assert_eq!(
        out,
        "{\"decision\":\"error\",\"error\":\"unknown permission `nope:x`\"}\n"
    );
    assert!(err.is_empty(), "{err}");
    // The same line as `can --batch` answers for the same question.
    let batch = rolegraph(policy)
        .args(["can", "--batch", "-"])
        .write_stdin("{\"user\":\"maria@acme.com\",\"permission\":\"nope:x\"}\n")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&batch.stdout), out);
    // Text stays text on stderr.
    let (code, out, err) = run(policy, &["can", "maria@acme.com", "nope:x"]);
    assert_eq!(code, Some(2));
    assert!(out.is_empty());
    assert!(err.contains("error: unknown permission `nope:x`"), "{err}");
}
