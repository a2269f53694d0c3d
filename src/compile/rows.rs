//! The effective matrix: every (user, scope, permission) that SPEC §2 allows,
//! before any target-team condition (which only a query can check).

use std::collections::BTreeMap;

use super::{Matrix, Subject};
use crate::resolve::{Model, PermSet, Scope};

/// One row group of the compiled matrix: a user (or `*`), a scope and the
/// permissions held there, names sorted.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Row {
    pub user: String,
    pub scope: String,
    pub permissions: Vec<String>,
}

/// Every scope where the subject holds a permission, with what it holds.
pub fn subject_grants(model: &Model, m: &Matrix, subject: Subject) -> BTreeMap<Scope, PermSet> {
    let mut out: BTreeMap<Scope, PermSet> = BTreeMap::new();
    let mut add = |scope: Scope, perms: PermSet| {
        if !perms.is_empty() {
            out.entry(scope).or_default().union_with(&perms);
        }
    };
    // Global, and the global permissions that reach down.
    if let Some(role) = m.global_role(subject) {
        let held = &m.role_perms[role.index()];
        let global: PermSet = held.iter().filter(|p| m.perms[p.index()].global).collect();
        let to_teams: PermSet = global.iter().filter(|p| m.perms[p.index()].team).collect();
        add(Scope::Global, global.clone());
        if !to_teams.is_empty() {
            for t in model.team_ids() {
                add(Scope::Team(t), to_teams.clone());
            }
        }
        for r in model.resource_ids() {
            let kind = m.resource_kind[r.index()];
            let reach: PermSet = global
                .iter()
                .filter(|p| m.perms[p.index()].kinds.contains(&kind))
                .collect();
            add(Scope::Resource(r), reach);
        }
    }
    for &(team, role) in m.memberships(subject) {
        let held = &m.role_perms[role.index()];
        add(
            Scope::Team(team),
            held.iter().filter(|p| m.perms[p.index()].team).collect(),
        );
        for share in m.team_shares.get(team.index()) {
            let kind = m.resource_kind[share.resource.index()];
            let capped = held.intersect(&m.role_perms[share.role.index()]);
            add(
                Scope::Resource(share.resource),
                capped
                    .iter()
                    .filter(|p| {
                        let info = &m.perms[p.index()];
                        info.kinds.contains(&kind) && (share.owner || !info.requires_owner)
                    })
                    .collect(),
            );
        }
    }
    out
}

/// The rows of the whole matrix: every declared user and `*`, sorted by user,
/// scope and permission name.
pub fn rows(model: &Model, m: &Matrix) -> Vec<Row> {
    let mut rows = Vec::new();
    for subject in Subject::all(model) {
        let user = subject.label(model).to_string();
        for (scope, perms) in subject_grants(model, m, subject) {
            let mut permissions: Vec<String> =
                perms.iter().map(|p| model[p].name.clone()).collect();
            permissions.sort();
            rows.push(Row {
                user: user.clone(),
                scope: model.scope_name(scope),
                permissions,
            });
        }
    }
    rows.sort();
    rows
}
