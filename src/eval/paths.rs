//! The paths of SPEC §2, enumerated in one place.
//!
//! In: what the rule reads about one subject (an [`Access`]: the compiled
//! matrix for a declared user or a new login, or any other state with
//! memberships and shares, such as the state `audit` lets a user reach), a
//! permission and a scope. Out: every candidate [`Path`] — the membership of
//! a team scope's team, each share of a resource, the admin team for a
//! permission declared on `global` — each granting or failing with a typed
//! [`Failure`].
//!
//! Every report that shows *how* access is held reads its paths from here:
//! `explain` (all candidates, with why each fails), `who`'s and `diff`'s
//! `via`, invariant counterexamples and `only role`, coverage (through
//! `explain`), and the audit's witnesses (reading the state a user can reach,
//! `audit::reach`). Two other readings of the rule are kept for speed: the point
//! check ([`Matrix::can`], allocation-free, which shares
//! [`share_failure`] with this module) and the forward enumeration of the
//! matrix rows ([`crate::compile::rows`]). The differential test holds all
//! three to an independent reference of SPEC §2.

use serde::Serialize;

use crate::compile::{Matrix, Subject};
use crate::resolve::{PermId, ResourceId, RoleId, Scope, TeamId};

/// How a path reaches the permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Through {
    /// A membership in the team of a team scope.
    Membership,
    /// A share of a resource with one of the subject's teams.
    Share,
    /// The admin team's role, for a permission declared on `global`.
    Global,
}

/// Why a candidate path does not grant, in the order the rule tests it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Failure {
    /// The admin team (`auth.admin_team`) is not declared: nobody holds a
    /// global permission.
    NoAdminTeam,
    /// The subject is not a member of the path's team.
    NotMember,
    /// The member's role does not hold the permission.
    RoleLacks,
    /// The share's role, which caps what members do, does not hold it.
    ShareCaps,
    /// The permission is declared `requires owner` and the share is not an
    /// owner share.
    NotOwnerShare,
}

/// What the rule of SPEC §2 reads about one subject. A team may be joined
/// in several ways and a resource shared with a team in several ways (the
/// audit's reachable state has a current role and roles it could take):
/// each way is a path of its own.
pub trait Access {
    /// A team as the state names it.
    type Team: Copy;
    /// One way the subject is a member of a team (in the matrix: its role).
    type Member: Copy;
    /// One way a resource is shared with a team.
    type Share: Copy;

    /// Where permissions are declared (scopes, `requires owner`).
    fn matrix(&self) -> &Matrix;
    /// The team of a team scope.
    fn team(&self, team: TeamId) -> Self::Team;
    /// The admin team, if declared.
    fn admin_team(&self) -> Option<Self::Team>;
    /// Each way the subject is a member of `team`; none when not a member.
    fn members(&self, team: Self::Team) -> impl Iterator<Item = Self::Member>;
    fn member_holds(&self, member: Self::Member, perm: PermId) -> bool;
    /// Each share of the resource, with the team it is shared with.
    fn shares(&self, resource: ResourceId) -> impl Iterator<Item = (Self::Team, Self::Share)>;
    fn share_holds(&self, share: Self::Share, perm: PermId) -> bool;
    fn share_is_owner(&self, share: Self::Share) -> bool;
}

/// One candidate path. The defaults are the matrix's: a team id, the
/// member's role, a [`ShareRef`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Path<T = TeamId, M = RoleId, S = ShareRef> {
    pub through: Through,
    /// The team it goes through: the team scope's team, the team a resource
    /// is shared with, or the admin team. `None` only for a global path when
    /// no admin team is declared.
    pub team: Option<T>,
    /// How the subject is a member of the team; `None` when not a member.
    pub member: Option<M>,
    /// The share, for a path through one.
    pub share: Option<S>,
    /// Why the path does not grant; `None` when it grants.
    pub failure: Option<Failure>,
}

impl<T, M, S> Path<T, M, S> {
    pub fn grants(&self) -> bool {
        self.failure.is_none()
    }
}

/// Why a path through a share does not grant, given how the subject is a
/// member of the shared team: not a member, the member's role lacks the
/// permission, the share's role caps it, or it needs an owner share. The
/// point check ([`Matrix::can`]) asks the same question.
#[inline]
pub fn share_failure<A: Access>(
    access: &A,
    member: Option<A::Member>,
    share: A::Share,
    perm: PermId,
    requires_owner: bool,
) -> Option<Failure> {
    match member {
        None => Some(Failure::NotMember),
        Some(m) if !access.member_holds(m, perm) => Some(Failure::RoleLacks),
        Some(_) if !access.share_holds(share, perm) => Some(Failure::ShareCaps),
        Some(_) if requires_owner && !access.share_is_owner(share) => Some(Failure::NotOwnerShare),
        Some(_) => None,
    }
}

/// Calls `found` with every candidate path for `perm` at `scope`, in this
/// order: the local paths (the team's membership, or each share of the
/// resource by team), then the global path. A permission not declared at the
/// scope's level has no path at all (the caller says why). Allocates
/// nothing of its own.
pub fn for_each_path<A: Access>(
    access: &A,
    perm: PermId,
    scope: Scope,
    mut found: impl FnMut(Path<A::Team, A::Member, A::Share>),
) {
    let m = access.matrix();
    if !m.declared_on(perm, scope) {
        return;
    }
    let info = &m.perms[perm.index()];
    match scope {
        Scope::Global => {}
        Scope::Team(team) => membership_paths(
            access,
            Through::Membership,
            access.team(team),
            perm,
            &mut found,
        ),
        Scope::Resource(resource) => {
            for (team, share) in access.shares(resource) {
                let mut member = false;
                for way in access.members(team) {
                    member = true;
                    found(Path {
                        through: Through::Share,
                        team: Some(team),
                        member: Some(way),
                        share: Some(share),
                        failure: share_failure(access, Some(way), share, perm, info.requires_owner),
                    });
                }
                if !member {
                    found(Path {
                        through: Through::Share,
                        team: Some(team),
                        member: None,
                        share: Some(share),
                        failure: Some(Failure::NotMember),
                    });
                }
            }
        }
    }
    // Global reaches down only for permissions declared on global too.
    if info.global {
        match access.admin_team() {
            Some(admin) => membership_paths(access, Through::Global, admin, perm, &mut found),
            None => found(Path {
                through: Through::Global,
                team: None,
                member: None,
                share: None,
                failure: Some(Failure::NoAdminTeam),
            }),
        }
    }
}

fn membership_paths<A: Access>(
    access: &A,
    through: Through,
    team: A::Team,
    perm: PermId,
    found: &mut impl FnMut(Path<A::Team, A::Member, A::Share>),
) {
    let mut member = false;
    for way in access.members(team) {
        member = true;
        found(Path {
            through,
            team: Some(team),
            member: Some(way),
            share: None,
            failure: (!access.member_holds(way, perm)).then_some(Failure::RoleLacks),
        });
    }
    if !member {
        found(Path {
            through,
            team: Some(team),
            member: None,
            share: None,
            failure: Some(Failure::NotMember),
        });
    }
}

/// Every candidate path, granting or not (what `explain` shows).
pub fn paths<A: Access>(
    access: &A,
    perm: PermId,
    scope: Scope,
) -> Vec<Path<A::Team, A::Member, A::Share>> {
    let mut out = Vec::new();
    for_each_path(access, perm, scope, |p| out.push(p));
    out
}

/// A share of a resource in the compiled matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShareRef {
    pub resource: ResourceId,
    pub team: TeamId,
    /// The share's role: the cap.
    pub role: RoleId,
    pub owner: bool,
}

/// The compiled matrix as one subject sees it: their memberships (a new
/// login's are the `auth` defaults) and every resource's shares.
#[derive(Clone, Copy, Debug)]
pub struct MatrixAccess<'a> {
    pub matrix: &'a Matrix,
    pub subject: Subject,
}

impl Matrix {
    /// What the rule reads about `subject`, for [`paths`].
    pub fn access(&self, subject: Subject) -> MatrixAccess<'_> {
        MatrixAccess {
            matrix: self,
            subject,
        }
    }
}

impl Access for MatrixAccess<'_> {
    type Team = TeamId;
    type Member = RoleId;
    type Share = ShareRef;

    fn matrix(&self) -> &Matrix {
        self.matrix
    }
    fn team(&self, team: TeamId) -> TeamId {
        team
    }
    fn admin_team(&self) -> Option<TeamId> {
        self.matrix.admin_team
    }
    fn members(&self, team: TeamId) -> impl Iterator<Item = RoleId> {
        self.matrix.role_in(self.subject, team).into_iter()
    }
    #[inline]
    fn member_holds(&self, role: RoleId, perm: PermId) -> bool {
        self.matrix.has(role, perm)
    }
    fn shares(&self, resource: ResourceId) -> impl Iterator<Item = (TeamId, ShareRef)> {
        self.matrix
            .resource_shares
            .get(resource.index())
            .iter()
            .map(move |s| {
                let share = ShareRef {
                    resource,
                    team: s.team,
                    role: s.role,
                    owner: s.owner,
                };
                (s.team, share)
            })
    }
    #[inline]
    fn share_holds(&self, share: ShareRef, perm: PermId) -> bool {
        self.matrix.has(share.role, perm)
    }
    #[inline]
    fn share_is_owner(&self, share: ShareRef) -> bool {
        share.owner
    }
}

/// One way a subject holds a permission: a granting path, by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Via {
    pub through: Through,
    pub team: TeamId,
    /// The member's role in the team (the one assigned there).
    pub role: RoleId,
    /// The share's role, for a path through a share.
    pub share_role: Option<RoleId>,
}

impl Via {
    /// The via of a granting path; `None` for a failing one.
    pub fn of(path: &Path) -> Option<Via> {
        match (path.grants(), path.team, path.member) {
            (true, Some(team), Some(role)) => Some(Via {
                through: path.through,
                team,
                role,
                share_role: path.share.map(|s| s.role),
            }),
            _ => None,
        }
    }
}

/// The ways `subject` holds `perm` at `scope` (before any target-team
/// condition): empty when it does not.
pub fn vias(m: &Matrix, subject: Subject, perm: PermId, scope: Scope) -> Vec<Via> {
    let mut out = Vec::new();
    for_each_path(&m.access(subject), perm, scope, |p| out.extend(Via::of(&p)));
    out
}
