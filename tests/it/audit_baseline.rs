//! Audit baselines and finding ids (issue 21): the shipped example passes
//! the gate with its baseline; only new findings fail; gone ones are listed
//! as fixed; `--write-baseline` writes deterministic bytes; a baseline for
//! another policy, a damaged one and one edited by hand are errors naming
//! the file and line (exit 2), never a gate that silently passes.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use rolegraph::audit::{Baseline, Escalation};

use crate::common::{copy_dir, POLICIES};

const SHIPPED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/audit-baseline.json");
/// Nina's deliberate path in the example org.
const NINA: &str = "235236c5f837";

/// The binary, run in `dir`, without colour.
fn cli(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("rolegraph").unwrap();
    cmd.current_dir(dir).env("NO_COLOR", "1");
    cmd
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A copy of the shipped policies (with their baseline) in `dir/policies`.
fn example(dir: &Path) -> PathBuf {
    let policies = dir.join("policies");
    copy_dir(Path::new(POLICIES), &policies);
    policies
}

fn gate(dir: &Path, baseline: &str) -> Run {
    run(cli(dir).args([
        "--policy",
        "policies",
        "audit",
        "--fail-on-escalation",
        "--baseline",
        baseline,
    ]))
}

#[test]
fn the_shipped_example_passes_the_gate_with_its_baseline() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let r = gate(root, "policies/audit-baseline.json");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    insta::assert_snapshot!(r.stdout);
    // Without it, Nina's path fails.
    let r = run(cli(root).args(["--policy", "policies", "audit", "--fail-on-escalation"]));
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr
            .contains(&format!("`nina@acme.com` (finding {NINA})")),
        "{}",
        r.stderr
    );
}

#[test]
fn the_json_report_has_ids_trust_and_the_comparison() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let r = run(cli(root).args([
        "--policy",
        "policies",
        "--format",
        "json",
        "audit",
        "--baseline",
        "policies/audit-baseline.json",
    ]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["escalations"][0]["id"], NINA);
    assert_eq!(
        json["baseline"],
        serde_json::json!({"file": "policies/audit-baseline.json", "new": [], "accepted": [NINA], "fixed": []})
    );
    insta::assert_snapshot!(r.stdout);
}

#[test]
fn the_shipped_baseline_is_what_write_baseline_writes() {
    let tmp = tempfile::tempdir().unwrap();
    example(tmp.path());
    std::fs::remove_file(tmp.path().join("policies/audit-baseline.json")).unwrap();
    // Exit 0 even with --fail-on-escalation: writing accepts every finding.
    let r = run(cli(tmp.path()).args([
        "--policy",
        "policies",
        "audit",
        "--fail-on-escalation",
        "--write-baseline",
        "policies/audit-baseline.json",
    ]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("wrote 1 finding(s) to `policies/audit-baseline.json`"),
        "{}",
        r.stderr
    );
    let written = std::fs::read(tmp.path().join("policies/audit-baseline.json")).unwrap();
    assert_eq!(
        written,
        std::fs::read(SHIPPED).unwrap(),
        "the shipped baseline is stale"
    );
    // The same bytes every time, and no temporary file left behind.
    let again = tmp.path().join("again.json");
    let r = run(cli(tmp.path()).args([
        "--policy",
        "policies",
        "audit",
        "--write-baseline",
        "again.json",
    ]));
    assert_eq!(r.code, Some(0));
    let again = std::fs::read_to_string(again).unwrap();
    let written = String::from_utf8(written).unwrap();
    assert_eq!(
        again,
        written.replace("\"policy\": \".\"", "\"policy\": \"policies\"")
    );
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn init_writes_a_starter_that_passes_the_gate() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run(cli(tmp.path()).args(["init", "acme"]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let r = run(cli(tmp.path()).args([
        "--policy",
        "acme",
        "audit",
        "--fail-on-escalation",
        "--baseline",
        "acme/audit-baseline.json",
    ]));
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
}

/// A second escalation path: Zed leads the red team the way Nina leads
/// search.
const ZED: &str = "team red \"Red Team\" {\n  member zed@acme.com as team-lead\n}\n\nuse_case red-bot \"Red Bot\" {\n  share red as admin owner\n}\n";

#[test]
fn only_new_findings_fail_and_gone_ones_are_fixed() {
    let tmp = tempfile::tempdir().unwrap();
    let policies = example(tmp.path());
    std::fs::write(policies.join("example/red.policy"), ZED).unwrap();
    let r = gate(tmp.path(), "policies/audit-baseline.json");
    assert_eq!(r.code, Some(1), "{}", r.stdout);
    assert!(
        r.stdout
            .contains(&format!("[{NINA}, in the baseline] nina@acme.com")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(", new] zed@acme.com can raise"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("(1 in the baseline, 1 new)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr
            .contains("1 escalation path(s) not in the baseline, e.g. `zed@acme.com`"),
        "{}",
        r.stderr
    );
    insta::assert_snapshot!("new_and_accepted", r.stdout);

    // Fix Nina's path (the fix the example documents): her finding is fixed,
    // Zed's lead role lost `team:manage` too, so nothing is new.
    let escalation = policies.join("example/escalation.policy");
    let text = std::fs::read_to_string(&escalation).unwrap();
    let fixed = text.replace("  grant team:manage  # the escalation: see above\n", "");
    assert_ne!(fixed, text);
    std::fs::write(&escalation, fixed).unwrap();
    let r = gate(tmp.path(), "policies/audit-baseline.json");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!(
            "fixed since the baseline `policies/audit-baseline.json` (write it again to drop them):\n  [{NINA}] nina@acme.com\n"
        )),
        "{}",
        r.stdout
    );
    let r = run(cli(tmp.path()).args([
        "--policy",
        "policies",
        "--format",
        "json",
        "audit",
        "--baseline",
        "policies/audit-baseline.json",
    ]));
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        json["baseline"]["fixed"],
        serde_json::json!([{"id": NINA, "user": "nina@acme.com"}])
    );
}

#[test]
fn a_path_that_gains_more_is_a_new_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let policies = example(tmp.path());
    // A second use case owned by the search team: Nina's promotion is the
    // same step, but now gains more. Accepting a path accepted what it gave.
    std::fs::write(
        policies.join("example/more.policy"),
        "use_case reranker \"Reranker\" {\n  share search-team as admin owner\n}\n",
    )
    .unwrap();
    let r = gate(tmp.path(), "policies/audit-baseline.json");
    assert_eq!(r.code, Some(1), "{}", r.stdout);
    assert!(
        r.stdout.contains(", new] nina@acme.com can raise"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("use_case/reranker: "), "{}", r.stdout);
    assert!(
        r.stdout.contains(&format!("  [{NINA}] nina@acme.com\n")),
        "{}",
        r.stdout
    );
}

#[test]
fn with_user_other_users_findings_are_not_fixed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (user, accepted) in [("maria@acme.com", false), ("nina@acme.com", true)] {
        let r = run(cli(root).args([
            "--policy",
            "policies",
            "--format",
            "json",
            "audit",
            "--user",
            user,
            "--baseline",
            "policies/audit-baseline.json",
            "--fail-on-escalation",
        ]));
        assert_eq!(r.code, Some(0), "{user}: {}", r.stderr);
        let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(json["baseline"]["fixed"], serde_json::json!([]), "{user}");
        assert_eq!(
            json["baseline"]["accepted"] == serde_json::json!([NINA]),
            accepted
        );
    }
    // A baseline written for one user would drop the others' findings.
    let r = run(cli(root).args([
        "--policy",
        "policies",
        "audit",
        "--user",
        "nina@acme.com",
        "--write-baseline",
        "/nonexistent/x.json",
    ]));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
}

/// Runs the gate with `text` as the baseline in `policies/`, expecting a
/// refusal (exit 2) whose message starts with `FILE:LINE: `.
fn refused(text: &[u8], line: Option<usize>) -> String {
    let tmp = tempfile::tempdir().unwrap();
    example(tmp.path());
    std::fs::write(tmp.path().join("policies/bad.json"), text).unwrap();
    let r = gate(tmp.path(), "policies/bad.json");
    assert_eq!(
        r.code,
        Some(2),
        "accepted:\n{}\n{}",
        String::from_utf8_lossy(text),
        r.stdout
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    let at = match line {
        Some(l) => format!("error: policies/bad.json:{l}: "),
        None => "error: policies/bad.json: ".to_string(),
    };
    assert!(r.stderr.starts_with(&at), "want `{at}`:\n{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    r.stderr
}

fn shipped() -> String {
    std::fs::read_to_string(SHIPPED).unwrap()
}

#[test]
fn a_damaged_baseline_is_refused_with_file_and_line() {
    let text = shipped();
    let cut = text.len() / 2;
    let cut_line = text[..cut].lines().count();
    let err = refused(&text.as_bytes()[..cut], Some(cut_line));
    assert!(err.contains("EOF while parsing"), "{err}");
    let err = refused(b"", Some(1));
    assert!(err.contains("not an audit baseline"), "{err}");
    let err = refused(b"hello\n", Some(1));
    assert!(err.contains("not an audit baseline"), "{err}");
    let err = refused(b"[1, 2]\n", Some(1));
    assert!(
        err.contains("`schema` is not `rolegraph/audit-baseline`"),
        "{err}"
    );
    let err = refused(
        text.replace("rolegraph/audit-baseline", "rolegraph/adaptive-state")
            .as_bytes(),
        Some(2),
    );
    assert!(err.contains("`schema`"), "{err}");
    let err = refused(
        text.replace("\"version\": 1", "\"version\": 2").as_bytes(),
        Some(3),
    );
    assert!(err.contains("version"), "{err}");
    let err = refused(
        text.replace(
            "\"policy\": \".\",",
            "\"policy\": \".\",\n  \"extra\": true,",
        )
        .as_bytes(),
        Some(5),
    );
    assert!(err.contains("unknown field `extra`"), "{err}");
    let err = refused(
        text.replace("\"set_role\"", "\"promote\"").as_bytes(),
        Some(12),
    );
    assert!(err.contains("unknown variant `promote`"), "{err}");
    let err = refused(&[0xff, 0xfe, b'{', b'}'], None);
    assert!(err.contains("not UTF-8"), "{err}");
}

#[test]
fn a_hand_edited_baseline_is_refused() {
    let text = shipped();
    // A gain taken out: the finding no longer matches its id.
    let edited = text.replacen(
        "        {\n          \"permission\": \"admin:manage_roles\",\n          \"scope\": \"team/search-team\"\n        },\n",
        "",
        1,
    );
    assert_ne!(edited, text);
    let err = refused(edited.as_bytes(), Some(7));
    assert!(
        err.contains(&format!(
            "finding `{NINA}` of `nina@acme.com` does not match its id"
        )),
        "{err}"
    );
    // Another user's path under Nina's id.
    let err = refused(
        text.replace("\"nina@acme.com\"", "\"zed@acme.com\"")
            .as_bytes(),
        Some(7),
    );
    assert!(err.contains("edited by hand"), "{err}");
    // An id changed to silence another finding.
    let err = refused(text.replace(NINA, "000000000000").as_bytes(), Some(7));
    assert!(err.contains("does not match its id"), "{err}");
    // The same finding twice.
    let baseline = Baseline::parse("b", &text).unwrap();
    let mut twice = baseline.clone();
    twice.findings.push(baseline.findings[0].clone());
    let err = refused(&twice.to_bytes(), Some(7));
    assert!(err.contains("listed twice"), "{err}");
}

#[test]
fn a_baseline_for_another_policy_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    example(tmp.path());
    copy_dir(&tmp.path().join("policies"), &tmp.path().join("other"));
    // `other/audit-baseline.json` names `.`, that is `other`, not `policies`.
    let r = gate(tmp.path(), "other/audit-baseline.json");
    assert_eq!(r.code, Some(2), "{}", r.stdout);
    assert_eq!(
        r.stderr,
        "error: other/audit-baseline.json:4: this audit baseline is for the policy `.` (relative to the baseline), not `policies`: use the baseline of this policy, or write one with `rolegraph --policy policies audit --write-baseline FILE`\n"
    );
    // Moved away from its policy, it no longer names it either.
    std::fs::copy(
        tmp.path().join("policies/audit-baseline.json"),
        tmp.path().join("moved.json"),
    )
    .unwrap();
    let r = gate(tmp.path(), "moved.json");
    assert_eq!(r.code, Some(2));
    assert!(r
        .stderr
        .starts_with("error: moved.json:4: this audit baseline is for the policy `.`"));
    // A baseline that does not exist, or a directory, is an I/O error.
    for missing in ["nope.json", "policies"] {
        let r = gate(tmp.path(), missing);
        assert_eq!(r.code, Some(2), "{missing}");
        assert!(
            r.stderr.contains("cannot read the audit baseline"),
            "{}",
            r.stderr
        );
    }
    // And writing where no directory is.
    let r = run(cli(tmp.path()).args([
        "--policy",
        "policies",
        "audit",
        "--write-baseline",
        "no/such/dir/b.json",
    ]));
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr.contains("cannot write `no/such/dir/b.json`"),
        "{}",
        r.stderr
    );
}

#[test]
fn ids_are_stable_and_name_based() {
    let p = rolegraph::Policy::load(Path::new(POLICIES)).unwrap();
    let r = rolegraph::audit::audit(&p.model, &p.matrix);
    let nina: &Escalation = &r.escalations[0];
    assert_eq!(nina.id, NINA);
    assert!(nina.id_matches());
    assert_eq!(
        nina.id,
        rolegraph::audit::finding_id(
            &nina.user,
            nina.reaches_everything,
            &nina.steps,
            &nina.gains
        )
    );
    // Every part goes in.
    let mut other = nina.clone();
    other.gains.pop();
    assert!(!other.id_matches());
    let mut other = nina.clone();
    other.steps[0].role = Some("lead".into());
    assert!(!other.id_matches());
    let mut other = nina.clone();
    other.reaches_everything = true;
    assert!(!other.id_matches());
    // Files in another order, another directory: the same ids.
    let tmp = tempfile::tempdir().unwrap();
    let flat = tmp.path().join("flat");
    std::fs::create_dir(&flat).unwrap();
    for entry in walk(Path::new(POLICIES)) {
        if entry.extension().is_some_and(|e| e == "policy") {
            let name = format!("z-{}", entry.file_name().unwrap().to_string_lossy());
            std::fs::copy(&entry, flat.join(name)).unwrap();
        }
    }
    let q = rolegraph::Policy::load(&flat).unwrap();
    let s = rolegraph::audit::audit(&q.model, &q.matrix);
    let ids = |r: &rolegraph::audit::Report| -> Vec<String> {
        r.escalations
            .iter()
            .chain(&r.trusted)
            .map(|e| e.id.clone())
            .collect()
    };
    assert_eq!(ids(&r), ids(&s));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
