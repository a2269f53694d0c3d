//! Resolved model -> matrix made for queries.
//!
//! In: a [`Model`]. Out: a [`Matrix`]: each role's flattened permissions as a
//! bitset, each user's memberships and each resource's shares as short sorted
//! arrays (one flat buffer each), so a check is a merge of two short lists and
//! a bit test. [`rows`] expands it into the effective (user, scope, permission)
//! rows of SPEC §6, and [`json`] writes the compiled document.

pub mod json;
mod rows;

pub use rows::{rows, subject_grants, Grants, Row};

use crate::resolve::{KindId, Model, PermId, PermSet, ResourceId, RoleId, TeamId, UserId};

/// Who a question is about: a declared user, or any new login (`*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    NewLogin,
    User(UserId),
}

impl Subject {
    /// `*` first, then every declared user: the rows of the matrix.
    pub fn all(model: &Model) -> impl Iterator<Item = Subject> + '_ {
        std::iter::once(Subject::NewLogin).chain(model.user_ids().map(Subject::User))
    }

    /// The declared user with this email (any case), or a new login.
    pub fn of(model: &Model, email: &str) -> Subject {
        model.user(email).map_or(Subject::NewLogin, Subject::User)
    }

    /// How the subject is written in rows and reports: its email, or `*`.
    pub fn label(self, model: &Model) -> &str {
        match self {
            Subject::NewLogin => "*",
            Subject::User(u) => &model[u].email,
        }
    }
}

/// What a check needs to know about a permission, packed.
#[derive(Clone, Debug)]
pub struct PermInfo {
    pub global: bool,
    pub team: bool,
    pub kinds: Vec<KindId>,
    pub requires_owner: bool,
    pub target_team: bool,
}

/// One share of a resource: the team, the share's role, owner or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShareEntry {
    pub team: TeamId,
    pub role: RoleId,
    pub owner: bool,
}

/// A share seen from the team's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TeamShare {
    pub resource: ResourceId,
    pub role: RoleId,
    pub owner: bool,
}

/// Compressed rows: `entries[start[i]..start[i + 1]]` belong to item `i`.
#[derive(Clone, Debug, Default)]
pub struct Csr<T> {
    start: Vec<usize>,
    entries: Vec<T>,
}

impl<T> Csr<T> {
    fn build(groups: impl IntoIterator<Item = Vec<T>>) -> Self {
        let mut csr = Csr {
            start: vec![0],
            entries: Vec::new(),
        };
        for group in groups {
            csr.entries.extend(group);
            csr.start.push(csr.entries.len());
        }
        csr
    }

    #[inline]
    pub fn get(&self, i: usize) -> &[T] {
        match (self.start.get(i), self.start.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.entries[a..b],
            _ => &[],
        }
    }
}

/// The compiled policy, laid out for checks.
#[derive(Clone, Debug)]
pub struct Matrix {
    pub perms: Vec<PermInfo>,
    pub role_perms: Vec<PermSet>,
    /// Per user, (team, role) sorted by team.
    pub user_teams: Csr<(TeamId, RoleId)>,
    /// Per resource, its shares sorted by team.
    pub resource_shares: Csr<ShareEntry>,
    /// Per team, the resources shared with it, sorted by resource.
    pub team_shares: Csr<TeamShare>,
    pub resource_kind: Vec<KindId>,
    pub admin_team: Option<TeamId>,
    /// The new-login membership, `[(default_team, default_role)]` or empty.
    pub default_membership: Vec<(TeamId, RoleId)>,
}

pub fn compile(model: &Model) -> Matrix {
    let perms = model
        .perms
        .iter()
        .map(|p| PermInfo {
            global: p.scopes.global,
            team: p.scopes.team,
            kinds: p.scopes.kinds.clone(),
            requires_owner: p.requires_owner,
            target_team: p.target_team,
        })
        .collect();
    let user_teams = Csr::build(model.users.iter().map(|u| {
        u.memberships
            .iter()
            .map(|m| (m.team, m.role))
            .collect::<Vec<_>>()
    }));
    let resource_shares = Csr::build(model.resources.iter().map(|r| {
        r.shares
            .iter()
            .map(|s| ShareEntry {
                team: s.team,
                role: s.role,
                owner: s.owner,
            })
            .collect::<Vec<_>>()
    }));
    let mut by_team: Vec<Vec<TeamShare>> = vec![Vec::new(); model.teams.len()];
    for rid in model.resource_ids() {
        for s in &model[rid].shares {
            by_team[s.team.index()].push(TeamShare {
                resource: rid,
                role: s.role,
                owner: s.owner,
            });
        }
    }
    Matrix {
        perms,
        role_perms: model.roles.iter().map(|r| r.perms.clone()).collect(),
        user_teams,
        resource_shares,
        team_shares: Csr::build(by_team),
        resource_kind: model.resources.iter().map(|r| r.kind).collect(),
        admin_team: model.auth.admin_team,
        default_membership: model.auth.default.into_iter().collect(),
    }
}

impl Matrix {
    /// The memberships a subject is evaluated with.
    #[inline]
    pub fn memberships(&self, subject: Subject) -> &[(TeamId, RoleId)] {
        match subject {
            Subject::User(u) => self.user_teams.get(u.index()),
            Subject::NewLogin => &self.default_membership,
        }
    }

    #[inline]
    pub fn role_in(&self, subject: Subject, team: TeamId) -> Option<RoleId> {
        self.memberships(subject)
            .iter()
            .find(|(t, _)| *t == team)
            .map(|&(_, r)| r)
    }

    #[inline]
    pub fn has(&self, role: RoleId, perm: PermId) -> bool {
        self.role_perms[role.index()].contains(perm)
    }

    /// Global permissions come only from the admin team.
    #[inline]
    pub fn global_role(&self, subject: Subject) -> Option<RoleId> {
        self.admin_team.and_then(|t| self.role_in(subject, t))
    }
}
