//! `test --coverage --format lcov` (SPEC §12): an LCOV tracefile of the
//! policy lines the tests exercised (grants, memberships, shares), read back
//! by the `lcov` crate's parser, checked record by record, and fed to
//! `genhtml` (Debian's `lcov` package) when it is installed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use lcov::Record;
use rolegraph::Policy;

use crate::ci_support::{root, run, tool_available, which, FAILING, SHIPPED, UNICODE};

/// One `SF` record, parsed.
#[derive(Debug, Default)]
struct FileRecord {
    lines: BTreeMap<u32, u64>,
    /// (line, taken) per branch; `None`: the line never ran.
    branches: Vec<(u32, Option<u64>)>,
}

/// Parses a tracefile with the `lcov` crate and checks that each record is
/// complete and its totals add up. Returns the records by file name.
fn parse(text: &str) -> BTreeMap<String, FileRecord> {
    let records: Vec<Record> = lcov::Reader::new(text.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("not LCOV: {e}\n{text}"));
    let mut files = BTreeMap::new();
    let mut current: Option<(String, FileRecord)> = None;
    let mut totals: (Option<u32>, Option<u32>, Option<u32>, Option<u32>) = (None, None, None, None);
    let mut named = false;
    for record in records {
        match record {
            Record::TestName { name } => {
                assert!(current.is_none(), "TN inside a record");
                assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
                named = true;
            }
            Record::SourceFile { path } => {
                assert!(named && current.is_none(), "SF without TN, or nested");
                current = Some((path.to_str().unwrap().to_string(), FileRecord::default()));
            }
            Record::LineData { line, count, .. } => {
                let file = &mut current.as_mut().expect("DA outside a record").1;
                assert!(file.lines.insert(line, count).is_none(), "DA:{line} twice");
            }
            Record::BranchData { line, taken, .. } => {
                current
                    .as_mut()
                    .expect("BRDA outside a record")
                    .1
                    .branches
                    .push((line, taken));
            }
            Record::LinesFound { found } => totals.0 = Some(found),
            Record::LinesHit { hit } => totals.1 = Some(hit),
            Record::BranchesFound { found } => totals.2 = Some(found),
            Record::BranchesHit { hit } => totals.3 = Some(hit),
            Record::EndOfRecord => {
                let (name, file) = current.take().expect("end_of_record without SF");
                let hit = file.lines.values().filter(|&&n| n > 0).count() as u32;
                assert_eq!(totals.0, Some(file.lines.len() as u32), "LF of {name}");
                assert_eq!(totals.1, Some(hit), "LH of {name}");
                if file.branches.is_empty() {
                    assert_eq!((totals.2, totals.3), (None, None));
                } else {
                    let taken = file
                        .branches
                        .iter()
                        .filter(|(_, t)| t.unwrap_or(0) > 0)
                        .count();
                    assert_eq!(totals.2, Some(file.branches.len() as u32), "BRF of {name}");
                    assert_eq!(totals.3, Some(taken as u32), "BRH of {name}");
                    for (line, taken) in &file.branches {
                        // A branch on a line no test ran is `-`, not 0.
                        let ran = file.lines[line] > 0;
                        assert_eq!(taken.is_some(), ran, "BRDA on {name}:{line}");
                    }
                }
                totals = (None, None, None, None);
                named = false;
                assert!(
                    files.insert(name, file).is_none(),
                    "two records for one file"
                );
            }
            other => panic!("unexpected record {other:?}"),
        }
    }
    assert!(current.is_none(), "the last record is not closed");
    files
}

fn lcov_of(policy: &str) -> (i32, String) {
    let (code, stdout, stderr) = run(policy, &["test", "--coverage", "--format", "lcov"]);
    assert!(stderr.contains(" passed, "), "{stderr}");
    (code, stdout)
}

/// Each grant, membership and share line of the policy, by file.
fn coverable_lines(policy: &str) -> BTreeMap<String, BTreeSet<u32>> {
    let p = Policy::load(&root().join(policy)).unwrap();
    let m = &p.model;
    let mut spans = Vec::new();
    for role in &m.roles {
        spans.extend(role.grants.iter().map(|g| g.span));
    }
    for team in &m.teams {
        spans.extend(team.members.iter().map(|mb| mb.span));
    }
    for resource in &m.resources {
        spans.extend(resource.shares.iter().map(|s| s.span));
    }
    let mut lines: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
    for span in spans {
        let file = m.sources.file(span.file);
        let name = Path::new(&file.name).strip_prefix(root()).unwrap();
        let line = file.line_col(span.start).0 as u32;
        lines
            .entry(name.display().to_string())
            .or_default()
            .insert(line);
    }
    lines
}

#[test]
fn every_grant_membership_and_share_line_is_reported() {
    for policy in [SHIPPED, FAILING, UNICODE] {
        let (_, text) = lcov_of(policy);
        let files = parse(&text);
        let reported: BTreeMap<String, BTreeSet<u32>> = files
            .iter()
            .map(|(name, f)| (name.clone(), f.lines.keys().copied().collect()))
            .collect();
        assert_eq!(reported, coverable_lines(policy), "{policy}");
    }
}

#[test]
fn hits_count_the_test_lines_that_exercised_each_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.policy");
    std::fs::write(
        &path,
        r#"kind use_case
permission use_case:read  on use_case
permission use_case:adapt on use_case
role viewer { grant use_case:read }
role tuner { includes viewer
  grant use_case:adapt }
role spare { grant use_case:read, use_case:adapt }
team ml {
  member ana@acme.com as tuner
  member bo@acme.com as viewer
  member cy@acme.com as spare
}
use_case bot { share ml as tuner owner }
test "tuners tune" {
  allow ana@acme.com use_case:adapt on use_case/bot
  allow ana@acme.com use_case:read  on use_case/bot
  deny  cy@acme.com  use_case:adapt on use_case/elsewhere
}
use_case elsewhere { share ml as viewer owner }
"#,
    )
    .unwrap();
    let (code, text) = lcov_of(path.to_str().unwrap());
    assert_eq!(code, 0, "{text}");
    let files = parse(&text);
    let file = &files[path.to_str().unwrap()];
    let hits: Vec<(u32, u64)> = file.lines.iter().map(|(&l, &n)| (l, n)).collect();
    assert_eq!(
        hits,
        [
            (4, 1),  // viewer's read: the second line (through tuner, and the share's cap)
            (6, 1),  // tuner's adapt: the first line
            (7, 1),  // spare's grants: cy's line walks spare, which holds adapt
            (9, 2),  // ana's membership: two lines
            (10, 0), // bo: no line
            (11, 1), // cy: the third line
            (13, 2), // bot shared with ml: two lines
            (19, 1), // elsewhere shared with ml: the third line
        ]
    );
    // `grant use_case:read, use_case:adapt` holds two items: a branch each,
    // and only `adapt` was exercised.
    assert_eq!(file.branches, [(7, Some(0)), (7, Some(1))]);
    insta::assert_snapshot!(text.replace(path.to_str().unwrap(), "small.policy"));
}

#[test]
fn zero_tests_report_every_line_unexercised() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("untested.policy");
    std::fs::write(
        &path,
        "kind use_case\npermission use_case:read on use_case\nrole r { grant use_case:read }\n\
         team t { member a@b.c as r }\nuse_case u { share t as r owner }\n",
    )
    .unwrap();
    let (code, text) = lcov_of(path.to_str().unwrap());
    assert_eq!(code, 0);
    let files = parse(&text);
    let file = &files[path.to_str().unwrap()];
    assert_eq!(file.lines.len(), 3);
    assert!(file.lines.values().all(|&n| n == 0));
    assert!(text.contains("LH:0\n"));
}

#[test]
fn nothing_to_cover_is_an_empty_tracefile() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bare.policy");
    std::fs::write(
        &path,
        "kind use_case\npermission use_case:read on use_case\n",
    )
    .unwrap();
    let (code, text) = lcov_of(path.to_str().unwrap());
    assert_eq!(code, 0);
    assert_eq!(text, "");
}

#[test]
fn lcov_implies_coverage_and_honours_coverage_min() {
    let (code, text, _) = run(SHIPPED, &["test", "--format", "lcov"]);
    assert_eq!(code, 0);
    assert!(!parse(&text).is_empty());
    let (code, text, stderr) = run(
        SHIPPED,
        &["test", "--format", "lcov", "--coverage-min", "100"],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("below the required"), "{stderr}");
    assert!(!parse(&text).is_empty(), "the tracefile is still written");
    // Failing tests fail the run; the tracefile is still written.
    let (code, text) = lcov_of(FAILING);
    assert_eq!(code, 1);
    assert!(!parse(&text).is_empty());
}

#[test]
fn lcov_is_only_for_test() {
    for args in [
        &["validate", "--format", "lcov"][..],
        &["compile", "--format", "lcov"],
    ] {
        let (code, stdout, stderr) = run(SHIPPED, args);
        assert_eq!(code, 2, "{args:?}");
        assert!(stdout.is_empty());
        assert!(
            stderr.contains("does not write `--format lcov`"),
            "{stderr}"
        );
    }
}

/// genhtml reads the tracefile and the policy files it names (relative to
/// the directory it runs in, as a coverage service would).
#[test]
fn genhtml_renders_the_tracefile() {
    if !tool_available(
        "genhtml",
        which("genhtml").is_some(),
        "apt-get install lcov",
    ) {
        return;
    }
    let out_dir = tempfile::tempdir().unwrap();
    for (i, policy) in [SHIPPED, FAILING, UNICODE].into_iter().enumerate() {
        let (_, text) = lcov_of(policy);
        let info = out_dir.path().join(format!("{i}.info"));
        std::fs::write(&info, &text).unwrap();
        let html = out_dir.path().join(format!("html-{i}"));
        let out = Command::new("genhtml")
            .current_dir(root())
            .arg("--branch-coverage")
            .arg("--output-directory")
            .arg(&html)
            .arg(&info)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "genhtml refused {policy}:\n{stdout}\n{stderr}"
        );
        assert!(
            !stderr.contains("WARNING"),
            "genhtml warned on {policy}:\n{stderr}"
        );
        let files = parse(&text);
        let found: usize = files.values().map(|f| f.lines.len()).sum();
        let hit: usize = files
            .values()
            .map(|f| f.lines.values().filter(|&&n| n > 0).count())
            .sum();
        // genhtml's own summary agrees with the tracefile's totals.
        assert!(
            stdout.contains(&format!("({hit} of {found} lines)")),
            "{policy}: {stdout}"
        );
        assert!(html.join("index.html").is_file());
    }
}
