//! A [`Plan`] as text for a terminal and as Markdown for a pull-request
//! comment, both read like `terraform plan`: each operation under a comment
//! saying why, marked `+` (create), `~` (change) or `-` (remove), then what
//! the API cannot do, what is left alone, notes, and a one-line summary.
//! (JSON is the plan serialized.)

use std::fmt::Write;

use super::plan::{describe, Plan, PlannedOperation};

/// Lines of operations in a Markdown comment before the rest is left out: a
/// GitHub comment holds at most 65,536 characters.
const MARKDOWN_MAX_OPERATIONS: usize = 200;
/// Rows of a Markdown table before the rest is left out.
const MARKDOWN_MAX_ROWS: usize = 100;

/// `Plan: 2 to add, 1 to change, 0 to remove; …` or `No changes: …`.
pub fn summary(plan: &Plan) -> String {
    let s = &plan.summary;
    let mut tail = Vec::new();
    if s.manual > 0 {
        tail.push(format!(
            "{} manual step{}",
            s.manual,
            if s.manual == 1 { "" } else { "s" }
        ));
    }
    if s.unmanaged > 0 {
        tail.push(format!("{} unmanaged", s.unmanaged));
    }
    if s.notes > 0 {
        tail.push(format!(
            "{} note{}",
            s.notes,
            if s.notes == 1 { "" } else { "s" }
        ));
    }
    let tail = if tail.is_empty() {
        String::new()
    } else {
        format!(" ({})", tail.join(", "))
    };
    if plan.operations.is_empty() {
        let head = if s.manual > 0 {
            "No operations, but the deployment does not match the policy"
        } else {
            "No changes: the deployment matches the policy"
        };
        return format!("{head}{tail}.");
    }
    format!(
        "Plan: {} to add, {} to change, {} to remove{tail}.",
        s.add, s.change, s.remove
    )
}

/// Text from the deployment or the policy with its control characters
/// escaped: a name holding a line break or a terminal escape cannot forge a
/// line of the plan, end a Markdown code block or recolour a terminal.
fn visible(s: &str) -> String {
    crate::escape::text(s).into_owned()
}

fn operation(out: &mut String, op: &PlannedOperation, indent: &str) {
    let _ = writeln!(out, "{indent}# {}", visible(&op.reason));
    let _ = writeln!(
        out,
        "{indent}{} {}",
        op.action.sign(),
        visible(&describe(&op.operation))
    );
}

/// Plain text.
pub fn to_text(plan: &Plan) -> String {
    let mut out = String::new();
    if !plan.operations.is_empty() {
        out.push_str("rolegraph will perform the following operations, in this order:\n");
        for op in &plan.operations {
            out.push('\n');
            operation(&mut out, op, "  ");
        }
        out.push('\n');
    }
    if !plan.manual.is_empty() {
        out.push_str("Manual steps (drift the API cannot fix):\n");
        for m in &plan.manual {
            let _ = writeln!(out, "  ! {}\n      {}", visible(&m.what), visible(&m.why));
        }
        out.push('\n');
    }
    if !plan.unmanaged.is_empty() {
        out.push_str("Unmanaged (in the deployment, not in the policy; left alone):\n");
        for u in &plan.unmanaged {
            let _ = writeln!(
                out,
                "  {} {}: {}",
                u.kind,
                visible(&u.key),
                visible(&u.detail)
            );
        }
        out.push('\n');
    }
    if !plan.notes.is_empty() {
        out.push_str("Notes:\n");
        for n in &plan.notes {
            let _ = writeln!(out, "  - {}", visible(n));
        }
        out.push('\n');
    }
    out.push_str(&summary(plan));
    out.push('\n');
    out
}

/// A table cell or list item: all of it in a code span, as `diff --format
/// markdown` shows names. Names from a deployment or a policy sit inside
/// these texts, and as Markdown one could become an image, a link, raw
/// HTML or a mention in a pull-request comment; in a code span no text
/// can (and `|` cannot end the cell).
fn cell(s: &str) -> String {
    crate::escape::code_span(s)
}

fn more(out: &mut String, left: usize, what: &str) {
    if left > 0 {
        let _ = writeln!(
            out,
            "\n… and {left} more {what}: run `rolegraph plan` for the whole plan."
        );
    }
}

/// Markdown for a pull-request comment: the summary, the operations in a
/// `diff` block, then tables, long ones folded.
pub fn to_markdown(plan: &Plan) -> String {
    let mut out = String::from("### rolegraph plan\n\n");
    let _ = writeln!(out, "**{}**\n", summary(plan));
    if !plan.operations.is_empty() {
        out.push_str("```diff\n");
        for op in plan.operations.iter().take(MARKDOWN_MAX_OPERATIONS) {
            operation(&mut out, op, "");
        }
        out.push_str("```\n");
        more(
            &mut out,
            plan.operations
                .len()
                .saturating_sub(MARKDOWN_MAX_OPERATIONS),
            "operations",
        );
        out.push('\n');
    }
    if !plan.manual.is_empty() {
        out.push_str(
            "#### Manual steps (drift the API cannot fix)\n\n| what | why |\n| --- | --- |\n",
        );
        for m in plan.manual.iter().take(MARKDOWN_MAX_ROWS) {
            let _ = writeln!(out, "| {} | {} |", cell(&m.what), cell(&m.why));
        }
        more(
            &mut out,
            plan.manual.len().saturating_sub(MARKDOWN_MAX_ROWS),
            "manual steps",
        );
        out.push('\n');
    }
    if !plan.unmanaged.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Unmanaged: in the deployment, not in the policy ({})</summary>\n\n| kind | key | detail |\n| --- | --- | --- |",
            plan.unmanaged.len()
        );
        for u in plan.unmanaged.iter().take(MARKDOWN_MAX_ROWS) {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                u.kind,
                cell(&u.key),
                cell(&u.detail)
            );
        }
        more(
            &mut out,
            plan.unmanaged.len().saturating_sub(MARKDOWN_MAX_ROWS),
            "unmanaged items",
        );
        out.push_str("\n</details>\n\n");
    }
    if !plan.notes.is_empty() {
        out.push_str("#### Notes\n\n");
        for n in plan.notes.iter().take(MARKDOWN_MAX_ROWS) {
            let _ = writeln!(out, "- {}", cell(n));
        }
        more(
            &mut out,
            plan.notes.len().saturating_sub(MARKDOWN_MAX_ROWS),
            "notes",
        );
        out.push('\n');
    }
    out
}
