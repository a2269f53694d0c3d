//! The effective matrix: every (user, scope, permission) that SPEC §2 allows,
//! before any target-team condition (which only a query can check).

use std::collections::BTreeMap;

use super::{Matrix, Subject};
use crate::resolve::{Model, PermSet, ResourceId, Scope, TeamId};

/// One row group of the compiled matrix: a user (or `*`), a scope and the
/// permissions held there, names sorted.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Row {
    pub user: String,
    pub scope: String,
    pub permissions: Vec<String>,
}

/// Collects (scope -> permissions) by the rule of SPEC §2, from what a
/// subject holds: through the admin team, in each team, and through each
/// share. `subject_grants` feeds it a subject's memberships; `audit` feeds it
/// the memberships and shares a user could give themselves.
pub struct Grants<'a> {
    model: &'a Model,
    m: &'a Matrix,
    out: BTreeMap<Scope, PermSet>,
}

impl<'a> Grants<'a> {
    pub fn new(model: &'a Model, m: &'a Matrix) -> Self {
        Grants {
            model,
            m,
            out: BTreeMap::new(),
        }
    }

    fn add(&mut self, scope: Scope, perms: PermSet) {
        if !perms.is_empty() {
            self.out.entry(scope).or_default().union_with(&perms);
        }
    }

    /// What the role in the admin team holds: its global permissions, and
    /// those that reach down to every team or resource they are declared on.
    pub fn admin(&mut self, held: &PermSet) {
        let m = self.m;
        let global: PermSet = held.iter().filter(|p| m.perms[p.index()].global).collect();
        if global.is_empty() {
            return;
        }
        let to_teams: PermSet = global.iter().filter(|p| m.perms[p.index()].team).collect();
        self.add(Scope::Global, global.clone());
        if !to_teams.is_empty() {
            for t in self.model.team_ids() {
                self.add(Scope::Team(t), to_teams.clone());
            }
        }
        for r in self.model.resource_ids() {
            let kind = m.resource_kind[r.index()];
            let reach: PermSet = global
                .iter()
                .filter(|p| m.perms[p.index()].kinds.contains(&kind))
                .collect();
            self.add(Scope::Resource(r), reach);
        }
    }

    /// What a member holds in their team.
    pub fn member(&mut self, team: TeamId, held: &PermSet) {
        let m = self.m;
        self.add(
            Scope::Team(team),
            held.iter().filter(|p| m.perms[p.index()].team).collect(),
        );
    }

    /// What a member holding `held` gets from a share of `resource` with
    /// their team: capped by the share's role, owner-only permissions only
    /// through an owner share.
    pub fn share(&mut self, resource: ResourceId, held: &PermSet, cap: &PermSet, owner: bool) {
        let m = self.m;
        let kind = m.resource_kind[resource.index()];
        let capped = held.intersect(cap);
        self.add(
            Scope::Resource(resource),
            capped
                .iter()
                .filter(|p| {
                    let info = &m.perms[p.index()];
                    info.kinds.contains(&kind) && (owner || !info.requires_owner)
                })
                .collect(),
        );
    }

    pub fn finish(self) -> BTreeMap<Scope, PermSet> {
        self.out
    }
}

/// Every scope where the subject holds a permission, with what it holds.
pub fn subject_grants(model: &Model, m: &Matrix, subject: Subject) -> BTreeMap<Scope, PermSet> {
    let mut grants = Grants::new(model, m);
    if let Some(role) = m.global_role(subject) {
        grants.admin(&m.role_perms[role.index()]);
    }
    for &(team, role) in m.memberships(subject) {
        let held = &m.role_perms[role.index()];
        grants.member(team, held);
        for share in m.team_shares.get(team.index()) {
            grants.share(
                share.resource,
                held,
                &m.role_perms[share.role.index()],
                share.owner,
            );
        }
    }
    grants.finish()
}

/// The rows of the whole matrix: every declared user and `*`, sorted by user,
/// scope and permission name. They are built one subject at a time, as the
/// iterator reaches it, so the whole matrix is never held in memory (on an
/// org of 100,000 users it is millions of rows).
pub fn rows<'a>(model: &'a Model, m: &'a Matrix) -> impl Iterator<Item = Row> + 'a {
    let mut subjects: Vec<Subject> = Subject::all(model).collect();
    subjects.sort_unstable_by(|a, b| a.label(model).cmp(b.label(model)));
    subjects
        .into_iter()
        .flat_map(move |subject| subject_rows(model, m, subject))
}

/// One subject's rows, sorted by scope name.
fn subject_rows(model: &Model, m: &Matrix, subject: Subject) -> Vec<Row> {
    let user = subject.label(model);
    let mut rows: Vec<Row> = subject_grants(model, m, subject)
        .into_iter()
        .map(|(scope, perms)| {
            let mut permissions: Vec<String> =
                perms.iter().map(|p| model[p].name.clone()).collect();
            permissions.sort();
            Row {
                user: user.to_string(),
                scope: model.scope_name(scope),
                permissions,
            }
        })
        .collect();
    rows.sort_unstable_by(|a, b| a.scope.cmp(&b.scope));
    rows
}
