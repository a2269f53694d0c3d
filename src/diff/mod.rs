//! Access granted and revoked between two policies.
//!
//! In: an old and a new [`Policy`]. Out: a [`Diff`]: the rows of the compiled
//! matrix (SPEC §6) that only the new policy has (granted) or only the old one
//! has (revoked), each with the path that grants it, and a summary of the
//! definitions that changed.
//!
//! Ids mean nothing across two policies, so everything is compared by name:
//! emails, team and role keys, scope strings, permission names. The matrix is
//! never expanded whole: [`affected`] compares the two factored models to find
//! the subjects whose rows can differ, and only those are expanded.

mod affected;
mod changes;
pub mod git;
mod render;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::compile::{subject_grants, Subject};
use crate::eval::{vias, ViaNames};
use crate::resolve::{Model, PermId, Scope};
use crate::Policy;

pub use affected::affected_subjects;
pub use changes::{changes, Change};
pub use render::{append_notes_markdown, to_markdown, to_text};

/// The name the matrix gives the new-login subject.
pub const NEW_LOGIN: &str = "*";

/// One row of the matrix that one policy has and the other has not.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RowChange {
    pub user: String,
    pub permission: String,
    pub scope: String,
    /// How the row is held: in the new policy for a granted row, in the old
    /// one for a revoked row. By name: ids mean nothing across two policies.
    pub via: Vec<ViaNames>,
}

/// What changed between two policies.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub granted: Vec<RowChange>,
    pub revoked: Vec<RowChange>,
    /// Changed definitions, by kind of item and then name.
    pub changes: Vec<Change>,
    /// With `--audit`: the escalation paths the change introduces or removes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit: Option<crate::audit::AuditDiff>,
}

impl Diff {
    /// No access and no definition changed.
    pub fn is_empty(&self) -> bool {
        self.granted.is_empty() && self.revoked.is_empty() && self.changes.is_empty()
    }

    /// The distinct users (`*` included) with a granted or revoked row.
    pub fn users(&self) -> usize {
        let users: BTreeSet<&str> = self
            .granted
            .iter()
            .chain(&self.revoked)
            .map(|r| r.user.as_str())
            .collect();
        users.len()
    }
}

/// Compares two policies, expanding only the subjects a change can touch.
pub fn diff(old: &Policy, new: &Policy) -> Diff {
    let subjects = affected_subjects(&old.model, &new.model);
    diff_subjects(old, new, subjects.iter().map(String::as_str))
}

/// Compares two policies by expanding every subject of both: the reference the
/// fast path is tested against.
pub fn diff_full(old: &Policy, new: &Policy) -> Diff {
    let mut subjects: BTreeSet<&str> = BTreeSet::from([NEW_LOGIN]);
    for model in [&old.model, &new.model] {
        subjects.extend(model.users.iter().map(|u| u.email.as_str()));
    }
    diff_subjects(old, new, subjects.into_iter())
}

fn diff_subjects<'a>(old: &Policy, new: &Policy, subjects: impl Iterator<Item = &'a str>) -> Diff {
    let mut diff = Diff {
        changes: changes(&old.model, &new.model),
        ..Diff::default()
    };
    for name in subjects {
        let before = expand(old, name);
        let after = expand(new, name);
        for (key, held) in &after {
            if !before.contains_key(key) {
                diff.granted.push(row(new, name, key, *held));
            }
        }
        for (key, held) in &before {
            if !after.contains_key(key) {
                diff.revoked.push(row(old, name, key, *held));
            }
        }
    }
    diff.granted.sort();
    diff.revoked.sort();
    diff
}

/// The subject a name stands for in a policy; `None` when the policy does not
/// declare the user (the matrix then has no rows for it).
fn subject(model: &Model, name: &str) -> Option<Subject> {
    if name == NEW_LOGIN {
        Some(Subject::NewLogin)
    } else {
        model.user(name).map(Subject::User)
    }
}

/// A row held in one policy: its ids there, to find the path that grants it.
#[derive(Clone, Copy)]
struct Held {
    subject: Subject,
    scope: Scope,
    perm: PermId,
}

/// A subject's rows, keyed by (scope, permission) names (the two policies'
/// ids differ), each with its ids in this policy.
fn expand(policy: &Policy, name: &str) -> BTreeMap<(String, String), Held> {
    let Some(subject) = subject(&policy.model, name) else {
        return BTreeMap::new();
    };
    let model = &policy.model;
    let mut rows = BTreeMap::new();
    for (scope, perms) in subject_grants(model, &policy.matrix, subject) {
        let scope_name = model.scope_name(scope);
        for perm in perms.iter() {
            let held = Held {
                subject,
                scope,
                perm,
            };
            rows.insert((scope_name.clone(), model[perm].name.clone()), held);
        }
    }
    rows
}

fn row(policy: &Policy, name: &str, (scope, perm): &(String, String), held: Held) -> RowChange {
    RowChange {
        user: name.to_string(),
        permission: perm.clone(),
        scope: scope.clone(),
        via: vias(&policy.matrix, held.subject, held.perm, held.scope)
            .iter()
            .map(|v| v.names(&policy.model))
            .collect(),
    }
}

/// Rows whose permission matches a glob (for `--fail-on-grant`).
pub fn matching<'a>(rows: &'a [RowChange], glob: &globset::GlobMatcher) -> Vec<&'a RowChange> {
    rows.iter()
        .filter(|r| glob.is_match(&r.permission))
        .collect()
}
