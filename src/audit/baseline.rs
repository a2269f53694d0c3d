//! Audit baselines: the findings a team has accepted, so that only new ones
//! fail `audit --fail-on-escalation` (as linters' baselines do).
//!
//! In: a baseline file's text, or a [`Report`] to record. Out: a checked
//! [`Baseline`], and a [`Comparison`] of a report with it.
//!
//! The file is JSON with deterministic bytes (sorted findings, no
//! timestamps), so it reads well in review:
//!
//! ```json
//! { "schema": "rolegraph/audit-baseline", "version": 1, "policy": ".",
//!   "findings": [{"id": "…", "user": "nina@acme.com", "reaches_everything": false,
//!                 "steps": […], "gains": […]}] }
//! ```
//!
//! `policy` is the policy's path relative to the baseline's directory, so a
//! baseline kept beside (or inside) its policy stays valid wherever the
//! repository is checked out, and a baseline for another policy is refused.
//! Each finding is stored whole, and its id must be the hash of its
//! contents: a finding edited by hand, or a damaged file, is an error naming
//! the file and line, never a gate that silently passes.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::report::{Escalation, Report};

/// What the file says it is.
pub const SCHEMA: &str = "rolegraph/audit-baseline";
pub const VERSION: u32 = 1;
/// A baseline is a review file, not a data dump: refuse anything larger.
pub const MAX_BYTES: u64 = 64 << 20;

/// A checked baseline file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub schema: String,
    pub version: u32,
    /// The policy's path, relative to the baseline's directory, `/` between
    /// the parts.
    pub policy: String,
    /// Sorted by user, then id.
    pub findings: Vec<Escalation>,
}

/// A report against a baseline.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// The baseline file, as given.
    pub file: String,
    /// Ids of the report's untrusted findings that the baseline does not
    /// hold: these fail the gate.
    pub new: Vec<String>,
    /// Ids of the report's untrusted findings that the baseline holds.
    pub accepted: Vec<String>,
    /// The baseline's findings (of the users audited) that no longer occur.
    pub fixed: Vec<Fixed>,
}

/// A finding of the baseline that no longer occurs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fixed {
    pub id: String,
    pub user: String,
}

/// Why a baseline cannot be used: the file, the line when one is known, and
/// what to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", escape(file), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct BaselineError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

fn escape(s: &str) -> String {
    crate::escape::text(s).into_owned()
}

/// The help every refusal ends with.
const WRITE_AGAIN: &str = "write it again with `rolegraph audit --write-baseline FILE`";

impl Baseline {
    /// The baseline that accepts every untrusted finding of `report`, for
    /// the policy at `policy` (relative to the baseline's directory).
    pub fn of(report: &Report, policy: String) -> Baseline {
        let mut findings = report.escalations.clone();
        findings.sort_by(|a, b| (&a.user, &a.id).cmp(&(&b.user, &b.id)));
        findings.dedup_by(|a, b| a.id == b.id);
        Baseline {
            schema: SCHEMA.to_string(),
            version: VERSION,
            policy,
            findings,
        }
    }

    /// The file's bytes: pretty JSON and a final newline; the same report
    /// always gives the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// Reads and checks a baseline: its shape, schema and version, and that
    /// every finding's id is the hash of its contents, with no id twice.
    pub fn parse(file: &str, text: &str) -> Result<Baseline, BaselineError> {
        let error = |line: Option<usize>, message: String| BaselineError {
            file: file.to_string(),
            line,
            message,
        };
        // Schema and version first: a file of another kind or version is
        // named as such, not as a missing field.
        let head: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            error(
                Some(e.line()),
                format!(
                    "not an audit baseline ({}): {WRITE_AGAIN}",
                    serde_message(&e)
                ),
            )
        })?;
        let schema = head.get("schema").and_then(|s| s.as_str());
        if schema != Some(SCHEMA) {
            return Err(error(
                line_of(text, "\"schema\"").or(Some(1)),
                format!("not an audit baseline (its `schema` is not `{SCHEMA}`): {WRITE_AGAIN}"),
            ));
        }
        if head.get("version").and_then(serde_json::Value::as_u64) != Some(u64::from(VERSION)) {
            return Err(error(
                line_of(text, "\"version\"").or(Some(1)),
                format!("an audit baseline of a version this rolegraph does not read (it reads version {VERSION}): {WRITE_AGAIN}"),
            ));
        }
        let baseline: Baseline = serde_json::from_str(text).map_err(|e| {
            error(
                Some(e.line()),
                format!(
                    "a damaged audit baseline ({}): {WRITE_AGAIN}",
                    serde_message(&e)
                ),
            )
        })?;
        let mut seen = BTreeSet::new();
        for f in &baseline.findings {
            let line = line_of(text, &format!("\"{}\"", f.id));
            if !f.id_matches() {
                return Err(error(
                    line,
                    format!(
                        "finding `{}` of `{}` does not match its id: the baseline was edited by hand or damaged; {WRITE_AGAIN}",
                        f.id, f.user
                    ),
                ));
            }
            if !seen.insert(f.id.as_str()) {
                return Err(error(
                    line,
                    format!(
                        "finding `{}` is listed twice: the baseline was edited by hand; {WRITE_AGAIN}",
                        f.id
                    ),
                ));
            }
        }
        Ok(baseline)
    }

    /// Reads and checks a baseline file for the policy at `policy`.
    pub fn read(path: &Path, policy: &Path) -> Result<Baseline, BaselineError> {
        let file = path.display().to_string();
        let io = |e: std::io::Error| BaselineError {
            file: file.clone(),
            line: None,
            message: format!("cannot read the audit baseline: {e}"),
        };
        let size = std::fs::metadata(path).map_err(io)?.len();
        if size > MAX_BYTES {
            return Err(BaselineError {
                file: file.clone(),
                line: None,
                message: format!(
                    "an audit baseline of {size} bytes is more than the {MAX_BYTES} a baseline may be"
                ),
            });
        }
        let bytes = std::fs::read(path).map_err(io)?;
        let text = String::from_utf8(bytes).map_err(|e| BaselineError {
            file: file.clone(),
            line: None,
            message: format!("not an audit baseline (not UTF-8 text: {e}): {WRITE_AGAIN}"),
        })?;
        let baseline = Baseline::parse(&file, &text)?;
        baseline.check_policy(path, &text, policy)?;
        Ok(baseline)
    }

    /// Refuses a baseline written for another policy: its `policy`, read from
    /// the baseline's directory, must be the policy being audited.
    pub fn check_policy(
        &self,
        baseline: &Path,
        text: &str,
        policy: &Path,
    ) -> Result<(), BaselineError> {
        let dir = directory_of(baseline);
        let recorded = dir.join(&self.policy);
        let same = match (recorded.canonicalize(), policy.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if same {
            return Ok(());
        }
        Err(BaselineError {
            file: baseline.display().to_string(),
            line: line_of(text, "\"policy\""),
            message: format!(
                "this audit baseline is for the policy `{}` (relative to the baseline), not `{}`: use the baseline of this policy, or write one with `rolegraph --policy {} audit --write-baseline FILE`",
                escape(&self.policy),
                escape(&policy.display().to_string()),
                escape(&policy.display().to_string()),
            ),
        })
    }

    /// The report against this baseline. With `only` (`audit --user`), the
    /// baseline's findings of other users are not counted as fixed.
    pub fn compare(&self, report: &Report, file: &str, only: Option<&str>) -> Comparison {
        let held: BTreeSet<&str> = self.findings.iter().map(|f| f.id.as_str()).collect();
        let found: BTreeSet<&str> = report.escalations.iter().map(|e| e.id.as_str()).collect();
        let (accepted, new) = report
            .escalations
            .iter()
            .map(|e| e.id.clone())
            .partition(|id| held.contains(id.as_str()));
        let fixed = self
            .findings
            .iter()
            .filter(|f| !found.contains(f.id.as_str()))
            .filter(|f| only.is_none_or(|u| u == f.user))
            .map(|f| Fixed {
                id: f.id.clone(),
                user: f.user.clone(),
            })
            .collect();
        Comparison {
            file: file.to_string(),
            new,
            accepted,
            fixed,
        }
    }
}

/// The directory a file is in (`.` for a bare file name).
fn directory_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The path of `policy` relative to the directory of the baseline file `baseline`,
/// `/` between the parts (`.` when it is that directory). `None` when either
/// cannot be resolved (the baseline's directory does not exist).
pub fn relative_policy_path(baseline: &Path, policy: &Path) -> Option<String> {
    let from = directory_of(baseline).canonicalize().ok()?;
    let to = policy.canonicalize().ok()?;
    let common = from
        .components()
        .zip(to.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<String> = from
        .components()
        .skip(common)
        .map(|_| "..".to_string())
        .collect();
    for c in to.components().skip(common) {
        match c {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            // Another root or drive: no relative path leads there.
            _ => return Some(to.display().to_string()),
        }
    }
    Some(if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    })
}

/// serde_json's message without its ` at line L column C` (the caller names
/// the line its own way).
fn serde_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// The 1-based line of the first occurrence of `needle`.
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.find(needle)
        .map(|at| text[..at].bytes().filter(|&b| b == b'\n').count() + 1)
}
