//! A [`Diff`] as text for a terminal, and as Markdown for a pull-request
//! comment. (JSON is the `Diff` serialized.)
//!
//! Every name comes from a policy someone proposes, so neither form lets one
//! change what the reader sees: text escapes control characters in each
//! field ([`esc`]), so an email cannot redraw the summary line, and
//! Markdown puts each name in a code span no backtick can close
//! ([`code_span`]), so an email cannot turn into a link, an image, an
//! HTML comment that hides the rows below it, or a mention.

use std::fmt::Write;

use super::{Change, Diff, RowChange};
use crate::escape::{code_span, text as esc};
use crate::eval::{vias_markdown, vias_text};

/// Rows in a Markdown table before the rest is left out: a GitHub comment
/// holds at most 65536 characters.
const MARKDOWN_MAX_ROWS: usize = 100;
/// Lists longer than this are folded in `<details>`.
const MARKDOWN_FOLD: usize = 10;

/// `N granted, M revoked, K definitions changed`.
pub fn summary(diff: &Diff) -> String {
    format!(
        "{} granted, {} revoked ({} user(s)), {} definition(s) changed",
        diff.granted.len(),
        diff.revoked.len(),
        diff.users(),
        diff.changes.len()
    )
}

/// A change in words, without its item and name, each value passed through
/// `value`.
fn change_words(c: &Change, value: impl Fn(&str) -> String) -> String {
    let mut parts = Vec::new();
    match (&c.old, &c.new) {
        (Some(o), Some(n)) => parts.push(format!("{} -> {}", value(o), value(n))),
        (None, Some(n)) => parts.push(value(n)),
        (Some(o), None) => parts.push(value(o)),
        (None, None) => {}
    }
    let mut names: Vec<String> = c.added.iter().map(|a| format!("+{}", value(a))).collect();
    names.extend(c.removed.iter().map(|r| format!("-{}", value(r))));
    if !names.is_empty() {
        parts.push(names.join(" "));
    }
    parts.join("; ")
}

/// A change in words, without its item and name, for a terminal.
fn change_text(c: &Change) -> String {
    change_words(c, |s| esc(s).into_owned())
}

fn sign(change: &str) -> char {
    match change {
        "added" => '+',
        "removed" => '-',
        _ => '~',
    }
}

/// Width in characters, which is what `{:w$}` pads to.
fn width(s: &str) -> usize {
    s.chars().count()
}

/// Plain text: the summary, the rows with their paths, then the definitions.
pub fn to_text(diff: &Diff) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", summary(diff));
    for (title, rows, mark) in [
        ("granted", &diff.granted, '+'),
        ("revoked", &diff.revoked, '-'),
    ] {
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{title}:");
        let shown: Vec<[String; 3]> = rows
            .iter()
            .map(|r| [&r.user, &r.permission, &r.scope].map(|s| esc(s).into_owned()))
            .collect();
        let w = |i: usize| shown.iter().map(|r| width(&r[i])).max().unwrap_or(0);
        let (user_w, perm_w, scope_w) = (w(0), w(1), w(2));
        for (r, [user, permission, scope]) in rows.iter().zip(&shown) {
            let _ = writeln!(
                out,
                "{mark} {user:user_w$}  {permission:perm_w$}  {scope:scope_w$}  via {}",
                vias_text(&r.via)
            );
        }
    }
    if !diff.changes.is_empty() {
        let _ = writeln!(out, "\nchanged definitions:");
        for c in &diff.changes {
            let text = change_text(c);
            let sep = if text.is_empty() { "" } else { ": " };
            let _ = writeln!(
                out,
                "{} {} {} ({}){sep}{text}",
                sign(c.change),
                c.item,
                esc(&c.name),
                c.change
            );
        }
    }
    if let Some(audit) = &diff.audit {
        out.push_str(&audit.to_text());
    }
    out
}

fn fold(out: &mut String, title: &str, count: usize, body: &str) {
    if count > MARKDOWN_FOLD {
        let _ = write!(
            out,
            "<details><summary>{title} ({count})</summary>\n\n{body}\n</details>\n\n"
        );
    } else {
        let _ = write!(out, "#### {title} ({count})\n\n{body}\n");
    }
}

fn rows_table(rows: &[RowChange]) -> String {
    let mut t = String::from("| user | permission | scope | via |\n| --- | --- | --- | --- |\n");
    for r in rows.iter().take(MARKDOWN_MAX_ROWS) {
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} |",
            code_span(&r.user),
            code_span(&r.permission),
            code_span(&r.scope),
            vias_markdown(&r.via)
        );
    }
    if rows.len() > MARKDOWN_MAX_ROWS {
        let _ = writeln!(
            t,
            "\n…and {} more; run `rolegraph diff` with `--format json` for every row.",
            rows.len() - MARKDOWN_MAX_ROWS
        );
    }
    t
}

/// Markdown for a pull-request comment: the summary line first, then tables,
/// long ones folded. Every name and definition is in a code span.
pub fn to_markdown(diff: &Diff) -> String {
    let mut out = String::new();
    let _ = write!(out, "**rolegraph diff**: {}\n\n", summary(diff));
    let audit = diff.audit.as_ref().map(|a| a.to_markdown());
    if diff.is_empty() {
        out.push_str("No access changes.\n");
        if let Some(audit) = audit {
            let _ = write!(out, "\n{audit}");
        }
        return out;
    }
    if !diff.granted.is_empty() {
        fold(
            &mut out,
            "Granted",
            diff.granted.len(),
            &rows_table(&diff.granted),
        );
    }
    if !diff.revoked.is_empty() {
        fold(
            &mut out,
            "Revoked",
            diff.revoked.len(),
            &rows_table(&diff.revoked),
        );
    }
    if !diff.changes.is_empty() {
        let mut t = String::from("| item | name | change | details |\n| --- | --- | --- | --- |\n");
        for c in diff.changes.iter().take(MARKDOWN_MAX_ROWS) {
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} |",
                c.item,
                code_span(&c.name),
                c.change,
                change_words(c, code_span)
            );
        }
        if diff.changes.len() > MARKDOWN_MAX_ROWS {
            let _ = writeln!(t, "\n…and {} more.", diff.changes.len() - MARKDOWN_MAX_ROWS);
        }
        fold(&mut out, "Changed definitions", diff.changes.len(), &t);
    }
    out.push_str(&audit.unwrap_or_default());
    out
}

/// Appends notes on a diff (what `diff adaptive:` could not carry over,
/// e.g. a permission the policy does not declare) to its Markdown as a
/// list, each note in a code span: the names in it come from a deployment.
/// Nothing without notes.
pub fn append_notes_markdown(out: &mut String, notes: &[String]) {
    if notes.is_empty() {
        return;
    }
    if !out.ends_with("\n\n") {
        out.push('\n');
    }
    out.push_str("#### Notes\n\n");
    for n in notes.iter().take(MARKDOWN_MAX_ROWS) {
        let _ = writeln!(out, "- {}", code_span(n));
    }
    if notes.len() > MARKDOWN_MAX_ROWS {
        let _ = writeln!(out, "- …and {} more.", notes.len() - MARKDOWN_MAX_ROWS);
    }
}
