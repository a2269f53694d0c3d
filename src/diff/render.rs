//! A [`Diff`] as text for a terminal, and as Markdown for a pull-request
//! comment. (JSON is the `Diff` serialized.)

use std::fmt::Write;

use super::{Change, Diff, RowChange};
use crate::eval::Via;

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

/// One way a row is held, in words: `ml-team as power_user, shared as admin`.
pub fn via_text(via: &Via) -> String {
    match (via.through, &via.share_role) {
        ("global", _) => format!("{} as {} (global)", via.team, via.role),
        (_, Some(share)) => format!("{} as {}, shared as {share}", via.team, via.role),
        _ => format!("{} as {}", via.team, via.role),
    }
}

fn vias_text(row: &RowChange) -> String {
    let v: Vec<String> = row.via.iter().map(via_text).collect();
    v.join("; ")
}

/// A change in words, without its item and name.
pub fn change_text(c: &Change) -> String {
    let mut parts = Vec::new();
    match (&c.old, &c.new) {
        (Some(o), Some(n)) => parts.push(format!("{o} -> {n}")),
        (None, Some(n)) => parts.push(n.clone()),
        (Some(o), None) => parts.push(o.clone()),
        (None, None) => {}
    }
    let mut names: Vec<String> = c.added.iter().map(|a| format!("+{a}")).collect();
    names.extend(c.removed.iter().map(|r| format!("-{r}")));
    if !names.is_empty() {
        parts.push(names.join(" "));
    }
    parts.join("; ")
}

fn sign(change: &str) -> char {
    match change {
        "added" => '+',
        "removed" => '-',
        _ => '~',
    }
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
        let user_w = rows.iter().map(|r| r.user.len()).max().unwrap_or(0);
        let perm_w = rows.iter().map(|r| r.permission.len()).max().unwrap_or(0);
        let scope_w = rows.iter().map(|r| r.scope.len()).max().unwrap_or(0);
        for r in rows.iter() {
            let _ = writeln!(
                out,
                "{mark} {:user_w$}  {:perm_w$}  {:scope_w$}  via {}",
                r.user,
                r.permission,
                r.scope,
                vias_text(r)
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
                c.name,
                c.change
            );
        }
    }
    out
}

/// Escapes a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
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
            "| `{}` | `{}` | `{}` | {} |",
            cell(&r.user),
            cell(&r.permission),
            cell(&r.scope),
            cell(&vias_text(r))
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
/// long ones folded.
pub fn to_markdown(diff: &Diff) -> String {
    let mut out = String::new();
    let _ = write!(out, "**rolegraph diff**: {}\n\n", summary(diff));
    if diff.is_empty() {
        out.push_str("No access changes.\n");
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
                "| {} | `{}` | {} | {} |",
                c.item,
                cell(&c.name),
                c.change,
                cell(&change_text(c))
            );
        }
        if diff.changes.len() > MARKDOWN_MAX_ROWS {
            let _ = writeln!(t, "\n…and {} more.", diff.changes.len() - MARKDOWN_MAX_ROWS);
        }
        fold(&mut out, "Changed definitions", diff.changes.len(), &t);
    }
    out
}
