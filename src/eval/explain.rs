//! `explain`: the decision with every path considered. For an allow, each
//! granting path (team, membership, role chain, share, owner, each with
//! where it is written); for a deny, each candidate path and exactly why it
//! fails, and which roles would have granted it.
//!
//! In: the model, the matrix and a [`Query`]. Out: an [`Explanation`] of ids,
//! spans and enums; [`super::render`] turns it into text or JSON. The paths
//! and their failures come from [`super::paths`]; this module adds what a
//! reader needs to find them in the files (role chains, where a membership
//! and a share are written) and the reasons that concern the question as a
//! whole.

use std::collections::VecDeque;

use serde::Serialize;

use super::paths::{paths, Path};
use super::Query;
use crate::compile::{Matrix, Subject};
use crate::resolve::{fold_email, MemberSource, Model, PermId, RoleId, Scope, TeamId};
use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Allow,
    Deny,
}

/// One step of a role chain: the role, where the previous role includes it,
/// and, on the last step, the grant that holds the permission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub role: RoleId,
    /// The `includes` clause of the previous role that names this one.
    pub included_at: Option<Span>,
    /// On the last step: the index, in the role's `grants`, of the first
    /// grant that holds the permission.
    pub grant: Option<usize>,
}

/// Where a membership comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberAt {
    /// A `member` line, an `in` line or `admins`.
    Written { span: Span, source: MemberSource },
    /// The `auth` defaults, for a new login.
    Defaults,
}

/// One candidate path, with what locates it in the policy files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathReport {
    pub path: Path,
    /// Where the subject's membership of the path's team is written.
    pub membership_at: Option<MemberAt>,
    /// How the member's role holds the permission (empty when it does not).
    pub chain: Vec<Link>,
    /// How the share's role holds the permission (empty when it does not,
    /// or when the path goes through no share).
    pub share_chain: Vec<Link>,
}

impl PathReport {
    pub fn granted(&self) -> bool {
        self.path.grants()
    }
}

/// The target team of a `target team` permission, and the subject's role
/// there (`None`: not a member).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TargetCheck {
    pub team: TeamId,
    pub role: Option<RoleId>,
}

/// Why the question fails, or could surprise, as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A new login, and `auth` sets no `default_team`/`default_role`.
    NoDefaults,
    /// The permission is not declared at the scope's level.
    NotDeclared,
    /// The resource is shared with no team.
    NotShared,
    /// The admin team's role holds the permission, but it is not declared on
    /// `global`, so global powers do not reach down to the scope.
    GlobalDoesNotReach { role: RoleId },
    /// A `target team` permission asked without a target.
    NoTarget,
    /// A `target team` permission, and the subject is not a member of the
    /// target team.
    NotInTarget { team: TeamId },
}

/// The decision with every path considered, by id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    pub decision: Decision,
    pub subject: Subject,
    /// The email asked about, as users are stored (a new login has no id).
    pub user: String,
    pub perm: PermId,
    pub scope: Scope,
    pub to: Option<TeamId>,
    /// For a deny, every candidate path; for an allow, those that grant.
    pub paths: Vec<PathReport>,
    pub target: Option<TargetCheck>,
    pub reasons: Vec<Reason>,
    /// For a deny that no path would have granted: the roles that hold the
    /// permission, by key.
    pub roles_with_permission: Vec<RoleId>,
}

impl Explanation {
    /// The user is declared nowhere and was evaluated as a new login.
    pub fn new_login(&self) -> bool {
        self.subject == Subject::NewLogin
    }
}

struct Ctx<'a> {
    model: &'a Model,
    matrix: &'a Matrix,
    subject: Subject,
    perm: PermId,
}

impl Ctx<'_> {
    /// Where the subject's membership in a team was written.
    fn membership_at(&self, team: TeamId) -> Option<MemberAt> {
        match self.subject {
            Subject::NewLogin => Some(MemberAt::Defaults),
            Subject::User(u) => self.model[u]
                .memberships
                .iter()
                .find(|m| m.team == team)
                .map(|m| MemberAt::Written {
                    span: m.span,
                    source: m.source,
                }),
        }
    }

    /// The shortest include chain from `role` to a role whose own grant holds
    /// the permission; empty when the role does not hold it.
    fn chain(&self, role: RoleId) -> Vec<Link> {
        let m = self.model;
        if !self.matrix.has(role, self.perm) {
            return vec![];
        }
        let mut prev: Vec<Option<(RoleId, Span)>> = vec![None; m.roles.len()];
        let mut seen = vec![false; m.roles.len()];
        let mut queue = VecDeque::from([role]);
        seen[role.index()] = true;
        let mut found = None;
        while let Some(r) = queue.pop_front() {
            if m[r].direct.contains(self.perm) {
                found = Some(r);
                break;
            }
            for &(inc, span) in &m[r].includes {
                if !seen[inc.index()] {
                    seen[inc.index()] = true;
                    prev[inc.index()] = Some((r, span));
                    queue.push_back(inc);
                }
            }
        }
        let Some(last) = found else {
            return vec![];
        };
        let grant = m[last]
            .grants
            .iter()
            .position(|g| g.perms.contains(&self.perm));
        let mut chain = vec![Link {
            role: last,
            included_at: None,
            grant,
        }];
        let mut cur = last;
        while let Some((from, span)) = prev[cur.index()] {
            if let Some(link) = chain.last_mut() {
                link.included_at = Some(span);
            }
            chain.push(Link {
                role: from,
                included_at: None,
                grant: None,
            });
            cur = from;
        }
        chain.reverse();
        chain
    }

    fn report(&self, path: Path) -> PathReport {
        let membership_at = match (path.team, path.member) {
            (Some(team), Some(_)) => self.membership_at(team),
            _ => None,
        };
        PathReport {
            membership_at,
            chain: path.member.map(|r| self.chain(r)).unwrap_or_default(),
            share_chain: path.share.map(|s| self.chain(s.role)).unwrap_or_default(),
            path,
        }
    }
}

pub fn explain(model: &Model, matrix: &Matrix, q: &Query, user: &str) -> Explanation {
    let ctx = Ctx {
        model,
        matrix,
        subject: q.subject,
        perm: q.perm,
    };
    let info = &matrix.perms[q.perm.index()];
    let mut reasons = Vec::new();
    if q.subject == Subject::NewLogin && model.auth.default.is_none() {
        reasons.push(Reason::NoDefaults);
    }
    let mut paths: Vec<PathReport> = Vec::new();
    if !matrix.declared_on(q.perm, q.scope) {
        reasons.push(Reason::NotDeclared);
    } else {
        paths = paths_of(&ctx, q.scope);
        if let Scope::Resource(r) = q.scope {
            if model[r].shares.is_empty() {
                reasons.push(Reason::NotShared);
            }
        }
        // An admin may expect global powers to reach everywhere: say why not.
        if !info.global && q.scope != Scope::Global {
            if let Some(role) = matrix
                .global_role(q.subject)
                .filter(|&r| matrix.has(r, q.perm))
            {
                reasons.push(Reason::GlobalDoesNotReach { role });
            }
        }
    }
    let target = q.to.map(|team| TargetCheck {
        team,
        role: matrix.role_in(q.subject, team),
    });
    if info.target_team {
        match target {
            Some(TargetCheck { team, role: None }) => reasons.push(Reason::NotInTarget { team }),
            None => reasons.push(Reason::NoTarget),
            Some(_) => {}
        }
    }
    // The decision is the point check's, the one rule every command asks;
    // the paths show how it was reached (the differential test holds the
    // two together).
    let decision = if matrix.can(q) {
        Decision::Allow
    } else {
        Decision::Deny
    };
    let granted = paths.iter().any(PathReport::granted);
    // Which roles would grant it helps only when no path held it (not when
    // the target check alone denied).
    let mut roles_with_permission = Vec::new();
    if !granted {
        roles_with_permission = model
            .role_ids()
            .filter(|&r| matrix.has(r, q.perm))
            .collect();
        roles_with_permission.sort_by(|&a, &b| model[a].key.cmp(&model[b].key));
    }
    // A deny lists every candidate; an allow lists the paths that grant.
    if decision == Decision::Allow {
        paths.retain(PathReport::granted);
    }
    Explanation {
        decision,
        subject: q.subject,
        user: fold_email(user),
        perm: q.perm,
        scope: q.scope,
        to: q.to,
        paths,
        target,
        reasons,
        roles_with_permission,
    }
}

fn paths_of(ctx: &Ctx, scope: Scope) -> Vec<PathReport> {
    paths(&ctx.matrix.access(ctx.subject), ctx.perm, scope)
        .into_iter()
        .map(|path| ctx.report(path))
        .collect()
}
