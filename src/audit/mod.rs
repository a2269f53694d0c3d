//! Privilege-escalation audit: who can raise their own access through actions
//! the policy already permits them.
//!
//! In: a [`Model`] and its [`Matrix`]. Out: a [`Report`] naming every subject
//! (declared users, and `*` for any new login) whose reachable access is
//! larger than their current access, with the steps that reach it and the
//! (permission, scope) rows gained.
//!
//! The actions modelled ([`actions`]): with `team:manage` or
//! `admin:manage_users` on `team/T`, add oneself to T or set one's own role in
//! T to any role allowed there; with `admin:manage_users` on `global`, the same
//! in every team; with `admin:manage_roles` on `global`, create a role with
//! every permission (the subject can reach everything); with
//! `admin:manage_teams` on `global`, create a team and be in it at any
//! unrestricted role; with `KIND:share` on a resource, share it with a team one
//! belongs to, at any role, as owner. [`reach`] runs the fixpoint per subject.
//!
//! Users the policy trusts to hold global powers ([`trust`]: `trust` in
//! `auth`, by default the admin team's `admin` members) are reported apart,
//! as trusted. Each finding has a stable id ([`finding_id`]), so a
//! [`baseline`] can accept known ones and `diff --audit` ([`compare`]) can
//! tell the paths a change opens.
//!
//! Not modelled: `admin:manage_roles` and `admin:manage_teams` held on a team
//! (roles and teams are global objects), and actions on other people (they
//! raise nobody's own access). Precision: an opened team grants the union of
//! its allowed roles, so every reported row is reachable by some sequence of
//! steps; in an org where no single role covers what a path needs, a report
//! may list two roles for one team, which the subject holds one after the
//! other, not at once.

pub mod actions;
pub mod baseline;
pub mod compare;
pub mod reach;
mod report;
mod trust;

use std::collections::{BTreeMap, BTreeSet, HashSet};

pub use baseline::{Baseline, BaselineError, Comparison};
pub use compare::{compare, AuditDiff};
pub use report::{finding_id, Action, EnabledBy, Escalation, Gain, Report, Step, TrustNote};

use crate::compile::{subject_grants, Matrix, Subject};
use crate::resolve::{Model, PermId, PermSet, RoleId, Scope};
use actions::Actions;
use reach::{RawAction, Reach, StepId, TeamKey};
use trust::TrustSet;

/// The team key written for a team the subject would create.
pub const NEW_TEAM: &str = "(new team)";

/// Audits every declared user and the new-login user `*`.
pub fn audit(model: &Model, matrix: &Matrix) -> Report {
    let subjects: Vec<(String, Subject)> = Subject::all(model)
        .map(|s| (s.label(model).to_string(), s))
        .collect();
    audit_subjects(model, matrix, &subjects)
}

/// Audits the given subjects, each written as its report should name it.
pub fn audit_subjects(model: &Model, matrix: &Matrix, subjects: &[(String, Subject)]) -> Report {
    let actions = Actions::new(model);
    let trust = TrustSet::new(model);
    let (mut escalations, mut trusted) = (Vec::new(), Vec::new());
    if actions.any() {
        for (name, subject) in subjects {
            if let Some(e) = audit_one(model, matrix, &actions, name, *subject) {
                if trust.trusts(matrix, *subject) {
                    trusted.push(e);
                } else {
                    escalations.push(e);
                }
            }
        }
    }
    for list in [&mut escalations, &mut trusted] {
        list.sort_by(|a, b| (&a.user, &a.id).cmp(&(&b.user, &b.id)));
    }
    Report {
        escalations,
        trusted,
        trust: trust.note(model),
        users_checked: subjects.len(),
        baseline: None,
    }
}

fn audit_one(
    model: &Model,
    matrix: &Matrix,
    actions: &Actions,
    name: &str,
    subject: Subject,
) -> Option<Escalation> {
    let mut reach = Reach::new(model, matrix, actions, subject);
    reach.run();
    let mut obligations: Vec<(PermId, Scope)> = Vec::new();
    let mut gains: Vec<(PermId, Scope)> = Vec::new();
    let mut needs: BTreeMap<StepId, PermSet> = BTreeMap::new();
    if let Some(id) = reach.everything {
        needs.insert(id, PermSet::default());
        obligations.push(reach.steps[id].enabled_by);
    } else {
        let current = subject_grants(model, matrix, subject);
        let empty = PermSet::default();
        for (scope, perms) in reach.grants() {
            let now = current.get(&scope).unwrap_or(&empty);
            gains.extend(
                perms
                    .iter()
                    .filter(|&p| !now.contains(p))
                    .map(|p| (p, scope)),
            );
        }
        if gains.is_empty() {
            return None;
        }
        obligations.extend(gains.iter().copied());
    }
    // Walk back from each gain to the steps it needs, and from each step to
    // what enabled it: the union is the reported sequence.
    let mut seen: HashSet<(PermId, Scope)> = HashSet::new();
    while let Some((p, scope)) = obligations.pop() {
        if !seen.insert((p, scope)) {
            continue;
        }
        let Some((_, uses)) = reach.witness(p, scope) else {
            continue;
        };
        for id in uses {
            let first = !needs.contains_key(&id);
            needs.entry(id).or_default().insert(p);
            if first {
                obligations.push(reach.steps[id].enabled_by);
            }
        }
    }
    let mut order: Vec<StepId> = needs.keys().copied().collect();
    order.sort_by_key(|&id| (reach.steps[id].depth, reach.steps[id].action));
    let mut steps = Vec::new();
    for id in order {
        steps.extend(render_step(model, actions, &reach, id, &needs[&id]));
    }
    let mut gains: Vec<Gain> = gains
        .into_iter()
        .map(|(p, scope)| Gain {
            permission: model[p].name.clone(),
            scope: model.scope_name(scope),
        })
        .collect();
    gains.sort_by(|a, b| (&a.scope, &a.permission).cmp(&(&b.scope, &b.permission)));
    Some(Escalation::new(
        name.to_string(),
        reach.everything.is_some(),
        steps,
        gains,
    ))
}

/// The fewest roles, among `candidates`, that together supply `needs`:
/// greedily the one supplying most, then the one granting most.
fn cover(model: &Model, candidates: &[RoleId], needs: &PermSet) -> Vec<RoleId> {
    let mut left: BTreeSet<PermId> = needs.iter().collect();
    let mut chosen = Vec::new();
    while !left.is_empty() {
        let best = candidates
            .iter()
            .map(|&r| {
                let perms = &model[r].perms;
                let supplies = left.iter().filter(|&&p| perms.contains(p)).count();
                (supplies, perms.len(), std::cmp::Reverse(&model[r].key), r)
            })
            .max();
        match best {
            Some((supplies, _, _, r)) if supplies > 0 => {
                left.retain(|&p| !model[r].perms.contains(p));
                chosen.push(r);
            }
            _ => break,
        }
    }
    chosen
}

fn render_step(
    model: &Model,
    actions: &Actions,
    reach: &Reach,
    id: StepId,
    needs: &PermSet,
) -> Vec<Step> {
    let raw = &reach.steps[id];
    let (perm, scope) = raw.enabled_by;
    let enabled_by = EnabledBy {
        permission: model[perm].name.clone(),
        scope: model.scope_name(scope),
    };
    let team_name = |key: TeamKey| match key {
        TeamKey::Existing(t) => model[t].key.clone(),
        TeamKey::New => NEW_TEAM.to_string(),
    };
    let step = |action: Action| Step {
        action,
        team: None,
        resource: None,
        role: None,
        enabled_by: enabled_by.clone(),
    };
    match raw.action {
        RawAction::CreateRole => vec![step(Action::CreateRole)],
        RawAction::OpenTeam(key) => {
            let (action, team) = match key {
                TeamKey::Existing(t) if reach.is_member(key) => (Action::SetRole, Some(t)),
                TeamKey::Existing(t) => (Action::JoinTeam, Some(t)),
                TeamKey::New => (Action::CreateTeam, None),
            };
            let roles = cover(model, &actions.allowed_roles(model, team), needs);
            roles
                .into_iter()
                .enumerate()
                .map(|(i, r)| Step {
                    // A second role in the same team is a change of role.
                    action: if i == 0 { action } else { Action::SetRole },
                    team: Some(team_name(key)),
                    role: Some(model[r].key.clone()),
                    ..step(action)
                })
                .collect()
        }
        RawAction::Share(resource, key) => {
            let all: Vec<RoleId> = model.role_ids().collect();
            cover(model, &all, needs)
                .into_iter()
                .map(|r| Step {
                    team: Some(team_name(key)),
                    resource: Some(model.scope_name(Scope::Resource(resource))),
                    role: Some(model[r].key.clone()),
                    ..step(Action::Share)
                })
                .collect()
        }
    }
}
