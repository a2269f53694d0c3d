//! Text diagnostics (issues 14.1, 14.4): bounded in time and size whatever
//! the policy, never a panic, and never a way for a policy to drive the
//! reader's terminal.

use std::fmt::Write as _;

use rolegraph::diagnostics::{render_github, render_text, Code, MAX_LABELS, MAX_RENDERED};
use rolegraph::resolve::{self, Checked};
use rolegraph::source::Sources;

use crate::common;

const BASE: &str = "kind doc\npermission doc:read on doc\nrole reader { grant doc:read }\n";

fn check(text: &str) -> Checked {
    let mut sources = Sources::default();
    sources.add("r.policy", text);
    resolve::check(sources)
}

/// 2,600 members on one line, the last with an unknown role past column
/// 65,535: miette panicked ("Formatting argument out of range").
fn long_line() -> String {
    let mut text = format!("{BASE}team t {{");
    for i in 0..2_600 {
        write!(text, " member u{i}@acme.com as reader").unwrap();
    }
    text.push_str(" member z@acme.com as nosuchrole }\n");
    text
}

#[test]
fn a_diagnostic_past_column_65535_is_rendered_clipped() {
    let text = long_line();
    let checked = check(&text);
    assert_eq!(checked.diagnostics.len(), 1);
    let out = render_text(&checked.diagnostics, &checked.sources, false);
    assert!(out.contains("unknown role `nosuchrole`"), "{out}");
    // The header keeps the real column; no line of the report is long.
    let column = text.lines().nth(3).unwrap().find("nosuchrole").unwrap() + 1;
    assert!(column > 65_535);
    assert!(out.contains(&format!("r.policy:4:{column}]")), "{out}");
    assert!(out.lines().all(|l| l.chars().count() < 300), "{out}");
    assert!(
        out.contains(" 4 │ …acme.com as reader member z@acme.com as nosuchrole }"),
        "{out}"
    );
}

#[test]
fn validate_on_a_long_line_exits_1_not_101() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.policy");
    std::fs::write(&path, long_line()).unwrap();
    for command in [vec!["validate"], vec!["test"]] {
        let out = common::rolegraph(&path).args(&command).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{command:?}: {out:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains("rolegraph::resolve::unknown_role"),
            "{stderr}"
        );
    }
}

#[test]
fn many_diagnostics_are_capped_with_a_count() {
    let mut text = String::from(BASE);
    text.push_str("team t { member a@b.c as reader }\n");
    for i in 0..(MAX_RENDERED + 50) {
        writeln!(text, "team empty-{i} \"Empty\"").unwrap();
    }
    let checked = check(&text);
    assert_eq!(checked.diagnostics.len(), MAX_RENDERED + 50);
    let out = render_text(&checked.diagnostics, &checked.sources, false);
    assert_eq!(
        out.matches("rolegraph::lint::empty_team\n").count(),
        MAX_RENDERED
    );
    assert!(
        out.ends_with("… and 50 more not shown (0 errors, 50 warnings): `--format json` lists every diagnostic\n\n"),
        "{}",
        &out[out.len() - 300..]
    );
}

/// An error after more warnings than are shown is still shown.
#[test]
fn errors_are_rendered_before_warnings_are_counted() {
    let mut text = String::from(BASE);
    text.push_str("team t { member ana@acme.com as reader }\ndoc d { share t as reader owner }\n");
    text.push_str("test \"typos\" {\n");
    for _ in 0..(MAX_RENDERED + 10) {
        text.push_str("  deny anna@acme.com doc:read on doc/d\n"); // misspelt_user
    }
    text.push_str("}\nteam u { member b@b.c as nosuchrole }\n"); // one error, last
    let checked = check(&text);
    assert_eq!(checked.diagnostics.len(), MAX_RENDERED + 11);
    let out = render_text(&checked.diagnostics, &checked.sources, false);
    assert_eq!(out.matches("rolegraph::resolve::unknown_role\n").count(), 1);
    assert_eq!(
        out.matches("rolegraph::lint::misspelt_user\n").count(),
        MAX_RENDERED - 1
    );
    assert!(out.contains("… and 11 more not shown (0 errors, 11 warnings)"));
}

#[test]
fn a_long_cycle_draws_a_bounded_number_of_labels() {
    let mut text = String::from(BASE);
    let n = 2_000;
    for i in 0..n {
        writeln!(text, "role r{i} {{ includes r{} }}", (i + 1) % n).unwrap();
    }
    let checked = check(&text);
    let cycle = &checked.diagnostics[0];
    assert_eq!(cycle.code, Code::IncludeCycle);
    assert_eq!(cycle.labels.len(), n + 1);
    let out = render_text(&checked.diagnostics[..1], &checked.sources, false);
    assert_eq!(out.matches(" includes `r").count(), MAX_LABELS - 1, "{out}");
    assert!(out.contains(&format!("({} more places not shown)", n + 1 - MAX_LABELS)));
}

/// A policy cannot drive the terminal through an error report: ESC and the
/// other control and format characters in the source lines shown, in
/// messages and in file names come out written as `\u001b`.
#[test]
fn control_characters_are_escaped_in_text_and_github_output() {
    let text = format!(
        "{BASE}role r \"\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}\" {{ grant doc:nope }}\n\u{1b}[8m\n"
    );
    let mut sources = Sources::default();
    sources.add("evil\u{1b}[31m.policy", &text);
    let checked = resolve::check(sources);
    assert!(!checked.diagnostics.is_empty());
    for colour in [false, true] {
        let out = render_text(&checked.diagnostics, &checked.sources, colour);
        // With colour, rolegraph's own escapes are SGR sequences only.
        let stripped = strip_sgr(&out);
        assert!(
            !stripped
                .chars()
                .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
            "{stripped:?}"
        );
        assert!(stripped.contains("\\u001b[2J"), "{stripped}");
    }
    let github = render_github(&checked.diagnostics, &checked.sources);
    assert!(!github.contains('\u{1b}'), "{github:?}");
}

/// `ESC [ … m` sequences removed.
fn strip_sgr(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            let mut ok = false;
            for d in chars.by_ref() {
                if d == 'm' {
                    ok = true;
                    break;
                }
                assert!(d.is_ascii_digit() || d == ';', "not an SGR sequence: {d:?}");
            }
            assert!(ok);
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn a_syntax_error_at_a_control_character_says_so_escaped() {
    let checked = check(&format!(
        "{BASE}team t {{ member bob@x.io\u{1b}[8m as reader }}\n"
    ));
    assert_eq!(checked.diagnostics.len(), 1);
    let d = &checked.diagnostics[0];
    assert_eq!(d.code, Code::Syntax);
    assert!(
        d.help.as_deref().is_some_and(|h| h.contains("U+001B")),
        "{d:?}"
    );
    let out = render_text(&checked.diagnostics, &checked.sources, false);
    assert!(!out.contains('\u{1b}'), "{out:?}");
}

/// Labels far apart are drawn in boxes of their own, without the lines
/// between (miette drew every line from the first label to the last).
#[test]
fn labels_far_apart_do_not_draw_the_lines_between() {
    let mut text = String::from(BASE);
    text.push_str("team t { member a@b.c as reader }\n");
    for i in 0..10_000 {
        writeln!(text, "# filler {i}").unwrap();
    }
    text.push_str("team t { member b@b.c as reader }\n");
    let checked = check(&text);
    let out = render_text(&checked.diagnostics, &checked.sources, false);
    assert!(out.contains("defined again here"), "{out}");
    assert!(out.lines().count() < 40, "{out}");
    assert!(out.contains("10005 │ team t"), "{out}");
}
