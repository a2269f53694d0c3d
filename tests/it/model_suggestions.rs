//! Did-you-mean (issues 14.3, 13.10, 20): suggestions only for names within
//! a few edits of what was meant, bounded work on large orgs, and a warning
//! or note when a test line or a query names an undeclared email a typo
//! away from a declared one.

use std::fmt::Write as _;

use rolegraph::diagnostics::{did_you_mean, Code};
use rolegraph::resolve;
use rolegraph::source::Sources;
use rolegraph::Policy;

use crate::common;

fn example() -> Policy {
    Policy::load(common::POLICIES.as_ref()).unwrap()
}

fn query_error(user: &str, perm: &str, scope: Option<&str>, to: Option<&str>) -> String {
    example()
        .query(user, perm, scope, to)
        .unwrap_err()
        .to_string()
}

#[test]
fn unrelated_names_get_no_suggestion() {
    // The newcomer's papercuts (issue 20).
    let e = query_error(
        "carol@acme.com",
        "use_case:read",
        Some("use_case/nope"),
        None,
    );
    assert_eq!(e, "unknown resource `use_case/nope`");
    let e = query_error("carol@acme.com", "use_case:fly", None, None);
    assert_eq!(e, "unknown permission `use_case:fly`");
    assert_eq!(did_you_mean("x", ["a", "ml-team"]), None);
}

#[test]
fn typos_get_the_whole_scope_suggested() {
    let e = query_error(
        "carol@acme.com",
        "use_case:read",
        Some("use_case/suport-bot"),
        None,
    );
    assert_eq!(
        e,
        "unknown resource `use_case/suport-bot` (did you mean `use_case/support-bot`?)"
    );
    let e = query_error(
        "carol@acme.com",
        "admin:manage_users",
        Some("team/ml-tem"),
        None,
    );
    assert_eq!(e, "unknown team `ml-tem` (did you mean `team/ml-team`?)");
    let e = query_error(
        "carol@acme.com",
        "admin:manage_users",
        Some("tema/ml-team"),
        None,
    );
    assert_eq!(
        e,
        "unknown resource kind `tema` (did you mean `team/ml-team`?)"
    );
    let e = query_error("carol@acme.com", "use_case:adpat", None, None);
    assert_eq!(
        e,
        "unknown permission `use_case:adpat` (did you mean `use_case:adapt`?)"
    );
}

#[test]
fn a_query_for_an_undeclared_email_a_typo_away_names_the_declared_one() {
    let p = example();
    assert_eq!(p.similar_user("carol@acme.con"), Some("carol@acme.com"));
    assert_eq!(p.similar_user("CAROL@acme.con"), Some("carol@acme.com"));
    assert_eq!(p.similar_user("carol@acme.com"), None);
    assert_eq!(p.similar_user("somebody-new@elsewhere.org"), None);
}

#[test]
fn can_and_explain_print_the_note_on_stderr_only_in_text() {
    for command in ["can", "explain"] {
        let out = common::rolegraph(common::POLICIES.as_ref())
            .args([
                command,
                "carol@acme.con",
                "use_case:adapt",
                "use_case/support-bot",
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains("`carol@acme.con` is declared nowhere")
                && stderr.contains("did you mean `carol@acme.com`?"),
            "{command}: {stderr}"
        );
        let out = common::rolegraph(common::POLICIES.as_ref())
            .args([
                "--format",
                "json",
                command,
                "carol@acme.con",
                "use_case:adapt",
            ])
            .arg("use_case/support-bot")
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(!stdout.contains("did you mean"), "{command}: {stdout}");
        assert!(
            out.stderr.is_empty(),
            "{command}: JSON output writes no note"
        );
    }
}

#[test]
fn a_test_line_naming_a_misspelt_email_is_warned_about() {
    let text = "kind doc\npermission doc:read on doc\nrole r { grant doc:read }\n\
        team t { member carol@acme.com as r }\ndoc d { share t as r owner }\n\
        test \"t\" {\n  deny carol@acme.con doc:read on doc/d\n  deny newbie@acme.com doc:read on doc/d\n}\n";
    let mut sources = Sources::default();
    sources.add("t.policy", text);
    let warnings: Vec<_> = resolve::check(sources)
        .diagnostics
        .into_iter()
        .filter(|d| d.code == Code::MisspeltUser)
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(
        warnings[0].help.as_deref(),
        Some("did you mean `carol@acme.com`? (an undeclared email is evaluated as a new login, so the line may pass for the wrong reason)")
    );
}

/// Thousands of misspelt references among thousands of teams: each is
/// reported, with its suggestion, and the work is bounded (this took
/// minutes; the bound here only catches a hang).
#[test]
fn many_misspelt_team_references_are_each_reported() {
    let mut text =
        String::from("kind doc\npermission doc:read on doc\nrole reader { grant doc:read }\n");
    let n = 3_000;
    for i in 0..n {
        writeln!(
            text,
            "team team-{i:05} {{ member u{i}@acme.com as reader }}"
        )
        .unwrap();
    }
    for i in 0..n {
        writeln!(text, "user x{i}@acme.com {{ in taem-{i:05} as reader }}").unwrap();
    }
    let mut sources = Sources::default();
    sources.add("many.policy", &text);
    let started = std::time::Instant::now();
    let checked = resolve::check(sources);
    assert!(started.elapsed().as_secs() < 120, "{:?}", started.elapsed());
    let unknown: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::UnknownTeam)
        .collect();
    assert_eq!(unknown.len(), n);
    assert_eq!(
        unknown[7].help.as_deref(),
        Some("did you mean `team-00007`?")
    );
}
