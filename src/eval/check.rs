//! The decision rule of SPEC §2, over the compiled matrix. A check allocates
//! nothing: it reads two short sorted arrays and tests bits. Whether one
//! share grants is [`share_failure`], the same test the path enumerator
//! ([`super::paths`]) reports on.

use super::paths::{share_failure, ShareRef};
use crate::compile::{Matrix, Subject};
use crate::resolve::{PermId, Scope, TeamId};

/// A question resolved to ids: may `subject` do `perm` at `scope` (to `to`)?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query {
    pub subject: Subject,
    pub perm: PermId,
    pub scope: Scope,
    pub to: Option<TeamId>,
}

impl Matrix {
    /// `can(u, p, global)`: declared on global, and held through the admin team.
    #[inline]
    pub fn can_global(&self, subject: Subject, perm: PermId) -> bool {
        self.perms[perm.index()].global
            && self
                .global_role(subject)
                .is_some_and(|role| self.has(role, perm))
    }

    /// Whether the permission is declared at the scope's level (`global`,
    /// `team`, or the resource's kind): nothing is held anywhere else.
    #[inline]
    pub fn declared_on(&self, perm: PermId, scope: Scope) -> bool {
        let info = &self.perms[perm.index()];
        match scope {
            Scope::Global => info.global,
            Scope::Team(_) => info.team,
            Scope::Resource(r) => info.kinds.contains(&self.resource_kind[r.index()]),
        }
    }

    /// The rule before the target-team condition (what the matrix rows hold).
    #[inline]
    pub fn holds(&self, subject: Subject, perm: PermId, scope: Scope) -> bool {
        if !self.declared_on(perm, scope) {
            return false;
        }
        let local = match scope {
            Scope::Global => false,
            Scope::Team(team) => self
                .role_in(subject, team)
                .is_some_and(|role| self.has(role, perm)),
            Scope::Resource(resource) => {
                let requires_owner = self.perms[perm.index()].requires_owner;
                self.shared_grant(subject, perm, resource, requires_owner)
            }
        };
        local || self.can_global(subject, perm)
    }

    /// A share of the resource with one of the subject's teams whose role and
    /// the member's role both hold the permission (and that is an owner share
    /// when the permission requires one). Both lists are sorted by team.
    #[inline]
    fn shared_grant(
        &self,
        subject: Subject,
        perm: PermId,
        resource: crate::resolve::ResourceId,
        requires_owner: bool,
    ) -> bool {
        let mine = self.memberships(subject);
        let shares = self.resource_shares.get(resource.index());
        let (mut i, mut j) = (0, 0);
        while i < mine.len() && j < shares.len() {
            let (team, role) = mine[i];
            let share = shares[j];
            match team.cmp(&share.team) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    let share = ShareRef {
                        resource,
                        team: share.team,
                        role: share.role,
                        owner: share.owner,
                    };
                    let access = self.access(subject);
                    if share_failure(&access, Some(role), share, perm, requires_owner).is_none() {
                        return true;
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        false
    }

    /// The whole decision: allow iff the rule holds and, for a `target team`
    /// permission, the subject is also a member of the target team.
    #[inline]
    pub fn can(&self, q: &Query) -> bool {
        let target_ok = if self.perms[q.perm.index()].target_team {
            q.to.is_some_and(|t| self.role_in(q.subject, t).is_some())
        } else {
            true
        };
        target_ok && self.holds(q.subject, q.perm, q.scope)
    }
}
