//! Escalation paths a change introduces or removes (`diff … --audit`).
//!
//! In: the audit reports of the old and the new policy. Out: an
//! [`AuditDiff`]: the untrusted findings only the new policy has
//! (introduced: each fails the change) and those only the old one has
//! (removed), compared by finding id, which is built from names, so the two
//! policies' ids never meet.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

use super::report::{Escalation, Report};
use crate::escape::{code_span, text as esc};

/// What a change does to the escalation paths.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AuditDiff {
    /// Untrusted paths the new policy has and the old one has not.
    pub introduced: Vec<Escalation>,
    /// Untrusted paths the old policy has and the new one has not.
    pub removed: Vec<Removed>,
}

/// A path the change removes, and why it is gone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Removed {
    #[serde(flatten)]
    pub escalation: Escalation,
    pub reason: RemovedReason,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovedReason {
    /// The user has no untrusted path any more.
    Fixed,
    /// The user's path is now another one (listed as introduced).
    Changed,
    /// The new policy trusts the user.
    Trusted,
}

impl RemovedReason {
    fn words(self) -> &'static str {
        match self {
            RemovedReason::Fixed => "fixed",
            RemovedReason::Changed => "changed: see the new path above",
            RemovedReason::Trusted => "now trusted",
        }
    }
}

/// Compares two reports by finding id.
pub fn compare(old: &Report, new: &Report) -> AuditDiff {
    let ids =
        |r: &Report| -> BTreeSet<String> { r.escalations.iter().map(|e| e.id.clone()).collect() };
    let (old_ids, new_ids) = (ids(old), ids(new));
    let introduced: Vec<Escalation> = new
        .escalations
        .iter()
        .filter(|e| !old_ids.contains(&e.id))
        .cloned()
        .collect();
    let trusted_now: BTreeSet<&str> = new.trusted.iter().map(|e| e.user.as_str()).collect();
    let untrusted_now: BTreeSet<&str> = new.escalations.iter().map(|e| e.user.as_str()).collect();
    let removed = old
        .escalations
        .iter()
        .filter(|e| !new_ids.contains(&e.id))
        .map(|e| Removed {
            reason: if trusted_now.contains(e.user.as_str()) {
                RemovedReason::Trusted
            } else if untrusted_now.contains(e.user.as_str()) {
                RemovedReason::Changed
            } else {
                RemovedReason::Fixed
            },
            escalation: e.clone(),
        })
        .collect();
    AuditDiff {
        introduced,
        removed,
    }
}

/// Paths shown step by step in Markdown, and removed rows listed, before the
/// rest is left out: a GitHub comment holds at most 65,536 characters.
const MARKDOWN_MAX_PATHS: usize = 20;
const MARKDOWN_MAX_ROWS: usize = 100;

fn paths(n: usize) -> String {
    format!("{n} escalation path{}", if n == 1 { "" } else { "s" })
}

impl AuditDiff {
    /// `1 escalation path introduced, 0 removed`.
    pub fn summary(&self) -> String {
        format!(
            "{} introduced, {} removed",
            paths(self.introduced.len()),
            self.removed.len()
        )
    }

    /// The section `diff --audit` adds to the text diff.
    pub fn to_text(&self) -> String {
        let mut out = format!("\naudit: {}\n", self.summary());
        if !self.introduced.is_empty() {
            out.push_str("\nintroduced (each fails the change):\n");
            for e in &self.introduced {
                e.write_text(&mut out, "  ", "");
            }
        }
        if !self.removed.is_empty() {
            out.push_str("\nremoved:\n");
            for r in &self.removed {
                let e = &r.escalation;
                let _ = writeln!(
                    out,
                    "  [{}] {} ({})",
                    esc(&e.id),
                    esc(&e.user),
                    r.reason.words()
                );
            }
        }
        out
    }

    /// The section `diff --audit --format markdown` adds: a summary line
    /// and each introduced path step by step.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let alarm = if self.introduced.is_empty() {
            ""
        } else {
            ":warning: "
        };
        let _ = write!(out, "{alarm}**rolegraph audit**: {}\n\n", self.summary());
        if !self.introduced.is_empty() {
            let _ = write!(
                out,
                "#### New escalation paths ({})\n\n",
                self.introduced.len()
            );
            for e in self.introduced.iter().take(MARKDOWN_MAX_PATHS) {
                e.write_markdown(&mut out);
            }
            more(&mut out, self.introduced.len(), MARKDOWN_MAX_PATHS);
        }
        if !self.removed.is_empty() {
            let _ = write!(
                out,
                "#### Removed escalation paths ({})\n\n| finding | user | why |\n| --- | --- | --- |\n",
                self.removed.len()
            );
            for r in self.removed.iter().take(MARKDOWN_MAX_ROWS) {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} |",
                    code_span(&r.escalation.id),
                    code_span(&r.escalation.user),
                    r.reason.words()
                );
            }
            out.push('\n');
            more(&mut out, self.removed.len(), MARKDOWN_MAX_ROWS);
        }
        out
    }
}

fn more(out: &mut String, count: usize, shown: usize) {
    if count > shown {
        let _ = write!(
            out,
            "…and {} more; run `rolegraph diff --audit` with `--format json` for every path.\n\n",
            count - shown
        );
    }
}
