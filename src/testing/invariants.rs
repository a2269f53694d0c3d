//! Invariants range over the rows of the compiled matrix (SPEC §3): every
//! (user, scope, permission) held, with the new-login user `*` as one user.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::compile::{subject_grants, Subject};
use crate::escape::text as esc;
use crate::eval::{holder_text, vias, vias_text, ViaNames};
use crate::resolve::{InvariantKind, InvariantRule, PermSet, Scope};
use crate::Policy;

/// Counterexamples shown per rule; the rest are counted.
const SHOWN: usize = 20;

#[derive(Clone, Debug, Serialize)]
pub struct Counterexample {
    pub user: String,
    pub scope: String,
    pub permission: String,
    /// The paths that grant it.
    pub via: Vec<ViaNames>,
}

impl Counterexample {
    /// One line; names are escaped ([`crate::escape`]).
    pub fn to_text(&self) -> String {
        format!(
            "{} holds {} on {}, via {}",
            holder_text(&self.user),
            esc(&self.permission),
            esc(&self.scope),
            vias_text(&self.via)
        )
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RuleResult {
    pub rule: String,
    pub at: String,
    pub passed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub counterexamples: Vec<Counterexample>,
    /// Counterexamples beyond those listed.
    pub more: usize,
}

struct HeldRow {
    subject: Subject,
    scope: Scope,
    perm: crate::resolve::PermId,
}

pub fn check(policy: &Policy, rule: &InvariantRule) -> RuleResult {
    let (model, m) = (&policy.model, &policy.matrix);
    let pattern: PermSet = rule.perms.iter().copied().collect();
    let subjects = Subject::all(model);
    // The matching rows, and for `implies` each subject's grants by scope.
    let mut rows = Vec::new();
    let mut grants_of: BTreeMap<Subject, BTreeMap<Scope, PermSet>> = BTreeMap::new();
    for subject in subjects {
        let grants = subject_grants(model, m, subject);
        for (scope, perms) in &grants {
            if !rule.scope.matches(*scope, model) {
                continue;
            }
            for perm in perms.intersect(&pattern).iter() {
                rows.push(HeldRow {
                    subject,
                    scope: *scope,
                    perm,
                });
            }
        }
        if matches!(rule.kind, InvariantKind::Implies(_)) {
            grants_of.insert(subject, grants);
        }
    }
    let mut message = None;
    let failing: Vec<&HeldRow> = match &rule.kind {
        InvariantKind::Nobody => rows.iter().collect(),
        InvariantKind::OnlyTeam(teams) => rows
            .iter()
            .filter(|r| {
                !m.memberships(r.subject)
                    .iter()
                    .any(|(t, _)| teams.contains(t))
            })
            .collect(),
        InvariantKind::OnlyRole(roles) => rows
            .iter()
            .filter(|r| {
                vias(m, r.subject, r.perm, r.scope)
                    .iter()
                    .any(|via| !roles.contains(&via.role))
            })
            .collect(),
        InvariantKind::AtMost(n) => {
            let mut holders: Vec<Subject> = rows.iter().map(|r| r.subject).collect();
            holders.dedup();
            if holders.len() > *n as usize {
                message = Some(format!("{} users hold it, more than {n}", holders.len()));
                rows.iter().collect()
            } else {
                vec![]
            }
        }
        InvariantKind::Implies(implied) => {
            let failing: Vec<&HeldRow> = rows
                .iter()
                .filter(|r| {
                    let held = grants_of.get(&r.subject).and_then(|g| g.get(&r.scope));
                    !implied.iter().all(|q| held.is_some_and(|h| h.contains(*q)))
                })
                .collect();
            if !failing.is_empty() {
                let names: Vec<String> = implied
                    .iter()
                    .map(|&q| format!("`{}`", model[q].name))
                    .collect();
                message = Some(format!(
                    "each of these lacks {} at the same scope",
                    names.join(" or ")
                ));
            }
            failing
        }
    };
    // Shown like the compiled matrix: by user (`*` first), scope name and
    // permission name; only the first `SHOWN` need their order.
    let mut scope_names: BTreeMap<Scope, String> = BTreeMap::new();
    for r in &failing {
        scope_names
            .entry(r.scope)
            .or_insert_with(|| model.scope_name(r.scope));
    }
    let key = |r: &HeldRow| {
        (
            r.subject.label(model),
            scope_names.get(&r.scope).map_or("", String::as_str),
            model[r.perm].name.as_str(),
        )
    };
    let mut shown = failing.clone();
    let order = |a: &&HeldRow, b: &&HeldRow| key(a).cmp(&key(b));
    if shown.len() > SHOWN {
        shown.select_nth_unstable_by(SHOWN, order);
        shown.truncate(SHOWN);
    }
    shown.sort_unstable_by(order);
    let counterexamples = shown
        .iter()
        .map(|r| {
            let (user, scope, permission) = key(r);
            Counterexample {
                user: user.to_string(),
                scope: scope.to_string(),
                permission: permission.to_string(),
                via: vias(m, r.subject, r.perm, r.scope)
                    .iter()
                    .map(|v| v.names(model))
                    .collect(),
            }
        })
        .collect();
    RuleResult {
        rule: rule.text.clone(),
        at: model.sources.location(rule.span),
        passed: failing.is_empty(),
        message,
        counterexamples,
        more: failing.len().saturating_sub(SHOWN),
    }
}
