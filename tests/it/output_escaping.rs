//! Names cannot drive the reader's terminal or reshape a report. An email
//! holding `ESC [2K ESC [1A` and a carriage return used to redraw `diff`'s
//! summary as "0 granted"; a backtick in an email closed the Markdown code
//! span around it in a pull-request comment. Names reach the output from
//! policy files, bundles, state files and questions, so every text renderer
//! escapes each field, and the command line escapes whatever it prints once
//! more. Each report here is built with a hostile name in every field and
//! must keep its shape: the same lines as with a plain name, and no control
//! character but its own newlines and tabs.

use std::path::Path;

use rolegraph::audit::baseline::Fixed;
use rolegraph::audit::{Action, Comparison, EnabledBy, Escalation, Gain, Step, TrustNote};
use rolegraph::diff::{Change, Diff, RowChange};
use rolegraph::escape::is_unsafe;
use rolegraph::eval::{Decision, Named, Through, ViaNames};
use rolegraph::graph::{Edge, EdgeKind, Graph, Node, NodeKind};
use rolegraph::testing::{
    Counterexample, Coverage, CoverageKind, InvariantResult, LineResult, Report, RuleResult,
    TestResult,
};

use crate::common::{rolegraph, POLICIES};

/// Clears the line, moves up, returns, writes a fake summary, starts a new
/// line, reverses the text and opens a C1 control sequence.
const HOSTILE: &str = "eve\u{1b}[2K\u{1b}[1A\r0 granted\n\u{202e}x\t\u{9b}2J\u{7f}@x.io";
const PLAIN: &str = "eve@x.io";

/// The report keeps its shape: only its own newlines and tabs, and as many
/// lines as the same report of a plain name.
#[track_caller]
fn holds_shape(what: &str, render: impl Fn(&str) -> String) {
    let hostile = render(HOSTILE);
    let plain = render(PLAIN);
    let bad: Vec<char> = hostile
        .chars()
        .filter(|&c| is_unsafe(c) && c != '\n' && c != '\t')
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: {bad:?} reached the output:\n{hostile}"
    );
    assert_eq!(
        hostile.lines().count(),
        plain.lines().count(),
        "{what}: a name started a line of its own:\n{hostile}"
    );
    assert_eq!(
        hostile.matches('\t').count(),
        plain.matches('\t').count(),
        "{what}: a name added a column:\n{hostile}"
    );
    assert!(
        hostile.contains("\\u001b[2K") || hostile.contains("\\\\u001b[2K"),
        "{what}: the name is not shown escaped:\n{hostile}"
    );
}

fn row(h: &str) -> RowChange {
    RowChange {
        user: h.into(),
        permission: h.into(),
        scope: h.into(),
        via: vec![
            ViaNames {
                team: h.into(),
                role: h.into(),
                through: Through::Share,
                share_role: Some(h.into()),
            },
            ViaNames {
                team: h.into(),
                role: h.into(),
                through: Through::Global,
                share_role: None,
            },
        ],
    }
}

fn diff(h: &str) -> Diff {
    Diff {
        granted: vec![row(h), row("a@x.io")],
        revoked: vec![row(h)],
        changes: vec![Change {
            item: "user",
            name: h.into(),
            change: "changed",
            old: Some(h.into()),
            new: Some(h.into()),
            added: vec![h.into()],
            removed: vec![h.into()],
        }],
        audit: None,
    }
}

#[test]
fn diff_text_cannot_be_redrawn() {
    holds_shape("diff text", |h| rolegraph::diff::to_text(&diff(h)));
    let text = rolegraph::diff::to_text(&diff(HOSTILE));
    assert!(
        text.starts_with("2 granted, 1 revoked"),
        "the summary is the first line:\n{text}"
    );
}

#[test]
fn diff_markdown_keeps_every_name_in_its_code_span() {
    holds_shape("diff markdown", |h| rolegraph::diff::to_markdown(&diff(h)));
    let tricky = "a`b|c <!-- [x](http://e) @team ``d@x.io";
    let md = rolegraph::diff::to_markdown(&diff(tricky));
    // The longest backtick run in the name is 2: a fence of 3 holds it.
    assert!(
        md.contains("```a`b\\|c <!-- [x](http://e) @team ``d@x.io```"),
        "{md}"
    );
    // Every row of every table keeps its five cell borders: a `|` in a
    // name is escaped.
    for line in md.lines().filter(|l| l.starts_with("| ")) {
        let borders = line
            .match_indices('|')
            .filter(|&(i, _)| !line[..i].ends_with('\\'));
        assert_eq!(borders.count(), 5, "{line}");
    }
    // Outside the code spans, nothing of the name is left to render.
    for line in md.lines().filter(|l| l.contains("<!--")) {
        let outside: String = line.split("```").step_by(2).collect();
        assert!(!outside.contains("<!--"), "{line}");
    }
}

/// The example org with every name — keys, emails, permissions, grant
/// patterns, file names — replaced by `h`: reports hold ids, and names come
/// from the model when they are rendered.
fn renamed(h: &str) -> rolegraph::Policy {
    let mut policy = rolegraph::Policy::load(Path::new(POLICIES)).unwrap();
    let m = &mut policy.model;
    m.kinds.iter_mut().for_each(|k| k.key = h.into());
    m.perms.iter_mut().for_each(|p| p.name = h.into());
    for role in &mut m.roles {
        role.key = h.into();
        role.grants.iter_mut().for_each(|g| g.pattern = h.into());
    }
    m.teams.iter_mut().for_each(|t| t.key = h.into());
    m.users.iter_mut().for_each(|u| u.email = h.into());
    m.resources.iter_mut().for_each(|r| r.key = h.into());
    m.sources.files.iter_mut().for_each(|f| f.name = h.into());
    m.auth.admin_team_key = h.into();
    policy
}

/// Questions whose explanations hold every kind of line: share, membership
/// and global paths, granted and failing, role chains, the new-login note,
/// reasons, the target check and the roles that would grant.
const QUESTIONS: &[(&str, &str, &str, Option<&str>)] = &[
    (
        "maria@acme.com",
        "use_case:read",
        "use_case/doc-search",
        None,
    ),
    (
        "john@acme.com",
        "use_case:adapt",
        "use_case/doc-search",
        None,
    ),
    (
        "Newcomer@acme.com",
        "use_case:read",
        "use_case/doc-search",
        None,
    ),
    (
        "nobody@acme.com",
        "admin:manage_users",
        "team/ml-team",
        None,
    ),
    (
        "ken@acme.com",
        "use_case:share",
        "use_case/fraud-detector",
        Some("team/customer-support-team"),
    ),
    ("alice@acme.com", "admin:manage_users", "team/ml-team", None),
    ("alice@acme.com", "use_case:read", "team/ml-team", None),
    ("alice@acme.com", "team:manage", "team/ml-team", None),
];

/// Every explanation of [`QUESTIONS`], as text, with the names of `h`.
fn explanations(h: &str) -> String {
    let policy = rolegraph::Policy::load(Path::new(POLICIES)).unwrap();
    let hostile = renamed(h);
    QUESTIONS
        .iter()
        .map(|&(user, perm, scope, to)| {
            let q = policy.query(user, perm, Some(scope), to).unwrap();
            let e = policy.explain(&q, user).into_inner();
            Named::new(&hostile.model, e).to_text()
        })
        .collect()
}

#[test]
fn explain_text_holds_its_shape() {
    holds_shape("explain", explanations);
}

#[test]
fn who_and_what_hold_their_shape() {
    holds_shape("who", |h| {
        let policy = rolegraph::Policy::load(Path::new(POLICIES)).unwrap();
        let hostile = renamed(h);
        [
            ("use_case:read", "use_case/doc-search"),
            ("admin:manage_users", "team/ml-team"),
            ("use_case:read", "global"),
            ("team:manage", "team/labeling"),
        ]
        .iter()
        .map(|&(perm, scope)| {
            let who = policy.who(
                policy.model.perm(perm).unwrap(),
                policy.scope(scope).unwrap(),
            );
            Named::new(&hostile.model, who.into_inner()).to_text()
        })
        .collect()
    });
    holds_shape("what", |h| {
        let policy = rolegraph::Policy::load(Path::new(POLICIES)).unwrap();
        let hostile = renamed(h);
        // A new login (the note names the user) and a declared user.
        ["nobody@declared.nowhere", "maria@acme.com"]
            .iter()
            .map(|user| {
                let mut what = policy.what(user).into_inner();
                assert!(!what.scopes.is_empty(), "{user} holds something");
                what.user = h.into();
                Named::new(&hostile.model, what).to_text()
            })
            .collect()
    });
}

#[test]
fn audit_text_holds_its_shape() {
    holds_shape("audit", |h| {
        let step = |action| Step {
            action,
            team: Some(h.into()),
            resource: Some(h.into()),
            role: Some(h.into()),
            enabled_by: EnabledBy {
                permission: h.into(),
                scope: h.into(),
            },
        };
        let finding = || Escalation {
            id: h.into(),
            user: h.into(),
            reaches_everything: false,
            steps: vec![
                step(Action::JoinTeam),
                step(Action::SetRole),
                step(Action::Share),
            ],
            gains: vec![Gain {
                permission: h.into(),
                scope: h.into(),
            }],
        };
        rolegraph::audit::Report {
            escalations: vec![finding()],
            trusted: vec![finding()],
            trust: TrustNote {
                default: false,
                principals: vec![h.into()],
            },
            users_checked: 3,
            baseline: Some(Comparison {
                file: h.into(),
                new: vec![],
                accepted: vec![h.into()],
                fixed: vec![Fixed {
                    id: h.into(),
                    user: h.into(),
                }],
            }),
        }
        .to_text()
    });
}

/// How a test line says `allow`, taken from a policy (whatever module
/// defines the type).
fn an_allow_line() -> rolegraph::resolve::TestLine {
    let policy = rolegraph::Policy::load(Path::new(POLICIES)).unwrap();
    let lines = policy.model.tests.into_iter().flat_map(|t| t.lines);
    lines
        .into_iter()
        .find(|l| format!("{:?}", l.expect) == "Allow")
        .unwrap()
}

#[test]
fn test_reports_hold_their_shape() {
    let policy = rolegraph::Policy::load(Path::new(POLICIES)).unwrap();
    let q = policy
        .query(
            "john@acme.com",
            "use_case:adapt",
            Some("use_case/doc-search"),
            None,
        )
        .unwrap();
    let denied = policy.explain(&q, "john@acme.com").into_inner();
    holds_shape("test report", |h| {
        let hostile = renamed(h);
        let kind = |h: &str| CoverageKind {
            total: 2,
            covered: 1,
            percent: 50.0,
            uncovered: vec![h.into()],
        };
        Report {
            tests: vec![TestResult {
                name: h.into(),
                at: h.into(),
                passed: false,
                lines: vec![LineResult {
                    text: h.into(),
                    at: h.into(),
                    expect: an_allow_line().expect,
                    decision: Decision::Deny,
                    passed: false,
                    explanation: Some(Named::new(&hostile.model, denied.clone())),
                }],
            }],
            invariants: vec![InvariantResult {
                name: h.into(),
                at: h.into(),
                passed: false,
                rules: vec![RuleResult {
                    rule: h.into(),
                    at: h.into(),
                    passed: false,
                    message: Some(h.into()),
                    counterexamples: vec![Counterexample {
                        user: h.into(),
                        scope: h.into(),
                        permission: h.into(),
                        via: row(h).via,
                    }],
                    more: 0,
                }],
            }],
            passed: 0,
            failed: 2,
            coverage: Some(Coverage {
                roles: kind(h),
                grants: kind(h),
                memberships: kind(h),
                shares: kind(h),
                percent: 50.0,
                lines: Vec::new(),
            }),
        }
        .to_text()
    });
}

#[test]
fn graph_labels_hold_their_shape() {
    let graph = |h: &str| Graph {
        nodes: vec![Node {
            id: "user0".into(),
            kind: NodeKind::User,
            label: h.into(),
        }],
        edges: vec![Edge {
            from: "user0".into(),
            to: "team0".into(),
            kind: EdgeKind::Member,
            role: h.into(),
            owner: false,
        }],
    };
    holds_shape("dot", |h| rolegraph::graph::render::dot(&graph(h)));
    holds_shape("mermaid", |h| rolegraph::graph::render::mermaid(&graph(h)));
    // A quote cannot end a DOT label early.
    let dot = rolegraph::graph::render::dot(&graph("a\"];x->y;[\"@x.io"));
    assert!(dot.contains("label=\"a\\\"];x->y;[\\\"@x.io\""), "{dot}");
}

/// No control character but newlines and tabs on stdout, and but newlines
/// on stderr, whatever the command made of its hostile arguments.
#[track_caller]
fn prints_no_controls(args: &[&str]) {
    prints_no_controls_at(Path::new(POLICIES), args);
}

#[track_caller]
fn prints_no_controls_at(policy: &Path, args: &[&str]) {
    let out = rolegraph(policy).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let bad = |s: &str, keep: &[char]| {
        s.chars()
            .filter(|&c| is_unsafe(c) && !keep.contains(&c))
            .collect::<Vec<_>>()
    };
    assert!(
        bad(&stdout, &['\n', '\t']).is_empty(),
        "{args:?} stdout: {stdout}"
    );
    assert!(
        bad(&stderr, &['\n']).is_empty(),
        "{args:?} stderr: {stderr}"
    );
    assert!(
        stdout.contains("\\u001b") || stderr.contains("\\u001b"),
        "{args:?}: the hostile argument is not shown escaped\n{stdout}\n{stderr}"
    );
}

#[test]
fn the_command_line_never_echoes_a_control_character() {
    let h = HOSTILE;
    prints_no_controls(&["explain", h, "use_case:read", "use_case/support-bot"]);
    prints_no_controls(&["can", h, "use_case:read", "use_case/support-bot"]);
    prints_no_controls(&["what", h]);
    prints_no_controls(&["audit", "--user", h]);
    prints_no_controls(&["who", h]);
    prints_no_controls(&["who", "use_case:read", h]);
    prints_no_controls(&["can", "eve@x.io", "use_case:read", h]);
    prints_no_controls(&["graph", "--team", h]);
    prints_no_controls(&["import", "helm", h]);
    prints_no_controls(&["diff", h, POLICIES]);
    prints_no_controls_at(Path::new(h), &["validate"]);
    prints_no_controls_at(Path::new(h), &["what", "eve@x.io"]);
    prints_no_controls(&[h]);
    prints_no_controls(&["test", "--coverage-min", h]);
}

/// End to end: a policy whose test name holds ESC sequences. (If the
/// language comes to refuse such strings, the refusal is what is printed,
/// and it must be as clean.)
#[test]
fn a_policy_cannot_redraw_the_test_report() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.policy");
    std::fs::write(
        &policy,
        "kind doc\npermission doc:read on doc\nrole r { grant doc:read }\n\
         team t { member a@x.io as r }\ndoc d { share t as r owner }\n\
         test \"ok\u{1b}[2K\u{1b}[1G10 passed, 0 failed\u{1b}[8m\" {\n  deny a@x.io doc:read on doc/d\n}\n",
    )
    .unwrap();
    let out = rolegraph(&policy).arg("test").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(
            !text.chars().any(|c| is_unsafe(c) && c != '\n' && c != '\t'),
            "{name}: {text}"
        );
    }
    if out.status.code() == Some(1) && stdout.contains("FAILED") {
        assert!(stdout.ends_with("0 passed, 1 failed\n"), "{stdout}");
        assert!(stdout.contains("\\u001b[2K\\u001b[1G10 passed"), "{stdout}");
    }
}
