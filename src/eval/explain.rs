//! `explain`: the decision with every path considered. For an allow, each
//! granting path (team, membership, role chain, share, owner, with file:line);
//! for a deny, each candidate path and exactly why it fails.

use std::collections::VecDeque;

use serde::Serialize;

use super::Query;
use crate::compile::{Matrix, Subject};
use crate::escape::text as esc;
use crate::resolve::{fold_email, MemberSource, Model, PermId, RoleId, Scope, TeamId};
use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Allow,
    Deny,
}

/// One step of a role chain: the role, where it was included from, and, on
/// the last step, the grant that holds the permission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Link {
    pub role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub included_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShareStep {
    pub resource: String,
    pub team: String,
    pub role: String,
    pub owner: bool,
    pub at: String,
    /// How the share's role holds the permission (empty when it does not).
    pub chain: Vec<Link>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Through {
    /// A membership in the team of a team scope.
    Membership,
    /// A share of a resource with one of the user's teams.
    Share,
    /// The admin team's role, for a permission declared on global.
    Global,
}

/// One way the permission could be held.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathReport {
    pub granted: bool,
    pub through: Through,
    pub team: String,
    /// The user's role in the team; `None` when not a member.
    pub role: Option<String>,
    pub membership_at: Option<String>,
    /// How the member's role holds the permission (empty when it does not).
    pub chain: Vec<Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<ShareStep>,
    /// Why the path fails; `None` when it grants.
    pub failure: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewLogin {
    pub default_team: Option<String>,
    pub default_role: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TargetCheck {
    pub team: String,
    pub member: bool,
    pub role: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub decision: Decision,
    pub user: String,
    pub permission: String,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Set when the user is declared nowhere and is evaluated as a new login.
    pub new_login: Option<NewLogin>,
    pub paths: Vec<PathReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetCheck>,
    /// Why the question fails as a whole (not declared at the scope, …).
    pub reasons: Vec<String>,
    /// For a deny: the roles that hold the permission.
    pub roles_with_permission: Vec<String>,
}

struct Ctx<'a> {
    model: &'a Model,
    matrix: &'a Matrix,
    subject: Subject,
    perm: PermId,
}

impl Ctx<'_> {
    fn at(&self, span: Span) -> String {
        self.model.sources.location(span)
    }

    fn perm_name(&self) -> &str {
        &self.model[self.perm].name
    }

    /// Where the subject's membership in a team was written.
    fn membership_at(&self, team: TeamId) -> Option<String> {
        match self.subject {
            Subject::NewLogin => Some(match self.model.auth.span {
                Some(span) => format!("{}, auth defaults", self.at(span)),
                None => "auth defaults".to_string(),
            }),
            Subject::User(u) => self.model[u]
                .memberships
                .iter()
                .find(|m| m.team == team)
                .map(|m| match m.source {
                    MemberSource::Admins => format!("{}, auth admins", self.at(m.span)),
                    _ => self.at(m.span),
                }),
        }
    }

    /// The shortest include chain from `role` to a role whose own grant holds
    /// the permission; empty when the role does not hold it.
    fn chain(&self, role: RoleId) -> Vec<Link> {
        let m = self.model;
        if !m[role].perms.contains(self.perm) {
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
        let mut path = vec![(last, None)];
        let mut cur = last;
        while let Some((from, span)) = prev[cur.index()] {
            if let Some(l) = path.last_mut() {
                l.1 = Some(span);
            }
            path.push((from, None));
            cur = from;
        }
        path.reverse();
        let grant = m[last].grants.iter().find(|g| g.perms.contains(&self.perm));
        let n = path.len();
        path.into_iter()
            .enumerate()
            .map(|(i, (r, included_at))| Link {
                role: m[r].key.clone(),
                included_at: included_at.map(|s| self.at(s)),
                grant: (i + 1 == n)
                    .then(|| grant.map(|g| g.pattern.clone()))
                    .flatten(),
                granted_at: (i + 1 == n)
                    .then(|| grant.map(|g| self.at(g.span)))
                    .flatten(),
            })
            .collect()
    }

    fn lacks(&self, role: RoleId) -> String {
        format!(
            "role `{}` does not hold `{}`",
            self.model[role].key,
            self.perm_name()
        )
    }

    /// The path through the admin team, for a permission declared on global.
    fn global_path(&self) -> PathReport {
        let m = self.model;
        let admin_key = m.auth.admin_team_key.clone();
        let Some(team) = m.auth.admin_team else {
            return PathReport {
                granted: false,
                through: Through::Global,
                team: admin_key.clone(),
                role: None,
                membership_at: None,
                chain: vec![],
                share: None,
                failure: Some(format!("the admin team `{admin_key}` is not declared")),
            };
        };
        self.membership_path(team, Through::Global)
    }

    /// A path through the subject's membership of `team` (the team scope's
    /// team, or the admin team for global).
    fn membership_path(&self, team: TeamId, through: Through) -> PathReport {
        let m = self.model;
        let role = self.matrix.role_in(self.subject, team);
        let chain = role.map(|r| self.chain(r)).unwrap_or_default();
        let failure = match role {
            None if through == Through::Global => Some(format!(
                "not a member of the admin team `{}`, through which global permissions are held",
                m[team].key
            )),
            None => Some(format!("not a member of team `{}`", m[team].key)),
            Some(r) if chain.is_empty() => Some(self.lacks(r)),
            Some(_) => None,
        };
        PathReport {
            granted: failure.is_none(),
            through,
            team: m[team].key.clone(),
            role: role.map(|r| m[r].key.clone()),
            membership_at: role.and_then(|_| self.membership_at(team)),
            chain,
            share: None,
            failure,
        }
    }

    fn share_paths(&self, resource: crate::resolve::ResourceId) -> Vec<PathReport> {
        let m = self.model;
        let requires_owner = m[self.perm].requires_owner;
        m[resource]
            .shares
            .iter()
            .map(|share| {
                let role = self.matrix.role_in(self.subject, share.team);
                let chain = role.map(|r| self.chain(r)).unwrap_or_default();
                let share_chain = self.chain(share.role);
                let failure = match role {
                    None => Some(format!(
                        "not a member of team `{}`, which the resource is shared with",
                        m[share.team].key
                    )),
                    Some(r) if chain.is_empty() => Some(self.lacks(r)),
                    Some(_) if share_chain.is_empty() => Some(format!(
                        "the share caps it: shared with `{}` as `{}`, which does not hold `{}`",
                        m[share.team].key,
                        m[share.role].key,
                        self.perm_name()
                    )),
                    Some(_) if requires_owner && !share.owner => Some(format!(
                        "`{}` requires an owner share, and the share with `{}` is not one",
                        self.perm_name(),
                        m[share.team].key
                    )),
                    Some(_) => None,
                };
                PathReport {
                    granted: failure.is_none(),
                    through: Through::Share,
                    team: m[share.team].key.clone(),
                    role: role.map(|r| m[r].key.clone()),
                    membership_at: role.and_then(|_| self.membership_at(share.team)),
                    chain,
                    share: Some(ShareStep {
                        resource: m.scope_name(Scope::Resource(resource)),
                        team: m[share.team].key.clone(),
                        role: m[share.role].key.clone(),
                        owner: share.owner,
                        at: self.at(share.span),
                        chain: share_chain,
                    }),
                    failure,
                }
            })
            .collect()
    }
}

pub fn explain(model: &Model, matrix: &Matrix, q: &Query, user: &str) -> Explanation {
    let ctx = Ctx {
        model,
        matrix,
        subject: q.subject,
        perm: q.perm,
    };
    let p = &model[q.perm];
    let mut reasons = Vec::new();
    let new_login = match q.subject {
        Subject::User(_) => None,
        Subject::NewLogin => {
            let d = model.auth.default;
            if d.is_none() {
                reasons.push(format!(
                    "`{}` is declared nowhere, and `auth` sets no `default_team`/`default_role`: a new login is denied everything",
                    fold_email(user)
                ));
            }
            Some(NewLogin {
                default_team: d.map(|(t, _)| model[t].key.clone()),
                default_role: d.map(|(_, r)| model[r].key.clone()),
            })
        }
    };
    let declared = p.declared_on(q.scope, model);
    let mut paths = Vec::new();
    if !declared {
        let level = match q.scope {
            Scope::Global => "global".to_string(),
            Scope::Team(_) => "team".to_string(),
            Scope::Resource(r) => model[model[r].kind].key.clone(),
        };
        let on: Vec<String> = p
            .scopes
            .kinds
            .iter()
            .map(|&k| model[k].key.clone())
            .chain(p.scopes.global.then(|| "global".to_string()))
            .chain(p.scopes.team.then(|| "team".to_string()))
            .collect();
        reasons.push(format!(
            "`{}` is not declared on `{level}` (it is declared on {}): it cannot be held at this scope",
            p.name,
            on.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
        ));
    } else {
        match q.scope {
            Scope::Global => paths.push(ctx.global_path()),
            Scope::Team(team) => paths.push(ctx.membership_path(team, Through::Membership)),
            Scope::Resource(r) => {
                paths.extend(ctx.share_paths(r));
                if model[r].shares.is_empty() {
                    reasons.push("the resource is shared with no team".to_string());
                }
            }
        }
        if p.scopes.global && q.scope != Scope::Global {
            paths.push(ctx.global_path());
        } else if q.scope != Scope::Global {
            // An admin may expect global powers to reach everywhere: say why not.
            if let Some(role) = matrix
                .global_role(q.subject)
                .filter(|&r| matrix.has(r, q.perm))
            {
                reasons.push(format!(
                    "the admin team's role `{}` holds `{}`, but `{}` is not declared on `global`, so global powers do not reach down to {}",
                    model[role].key,
                    p.name,
                    p.name,
                    model.scope_name(q.scope)
                ));
            }
        }
    }
    let target = q.to.map(|team| {
        let role = matrix.role_in(q.subject, team);
        if role.is_none() {
            reasons.push(format!(
                "`{}` also needs membership of the target team, and `{}` is not a member of `{}`",
                p.name,
                fold_email(user),
                model[team].key
            ));
        }
        TargetCheck {
            team: model[team].key.clone(),
            member: role.is_some(),
            role: role.map(|r| model[r].key.clone()),
        }
    });
    let allowed = matrix.can(q);
    let decision = if allowed {
        Decision::Allow
    } else {
        Decision::Deny
    };
    let mut roles_with_permission = Vec::new();
    // Which roles would grant it helps only when no path held it (not when
    // the target check alone denied).
    if !allowed && !paths.iter().any(|path| path.granted) {
        roles_with_permission = model
            .roles
            .iter()
            .filter(|r| r.perms.contains(q.perm))
            .map(|r| r.key.clone())
            .collect();
        roles_with_permission.sort();
    }
    // A deny lists every candidate; an allow lists the paths that grant.
    if allowed {
        paths.retain(|path| path.granted);
    }
    Explanation {
        decision,
        user: fold_email(user),
        permission: p.name.clone(),
        scope: model.scope_name(q.scope),
        to: q.to.map(|t| format!("team/{}", model[t].key)),
        new_login,
        paths,
        target,
        reasons,
        roles_with_permission,
    }
}

fn chain_text(chain: &[Link]) -> String {
    let mut parts = Vec::new();
    for (i, link) in chain.iter().enumerate() {
        let mut s = if i == 0 {
            format!("`{}`", esc(&link.role))
        } else {
            format!("includes `{}`", esc(&link.role))
        };
        if let Some(at) = &link.included_at {
            s.push_str(&format!(" ({})", esc(at)));
        }
        if let (Some(grant), Some(at)) = (&link.grant, &link.granted_at) {
            s.push_str(&format!(", which grants `{}` ({})", esc(grant), esc(at)));
        }
        parts.push(s);
    }
    parts.join(" ")
}

impl Explanation {
    /// Text for people. Every name, path and reason is escaped
    /// ([`crate::escape`]): a policy, a bundle or a question cannot put a
    /// control character on the reader's terminal, or a line of its own.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let verdict = match self.decision {
            Decision::Allow => "ALLOW",
            Decision::Deny => "DENY",
        };
        let (user, permission, scope) = (esc(&self.user), esc(&self.permission), esc(&self.scope));
        out.push_str(&format!("{verdict}: {user} {permission} on {scope}"));
        if let Some(to) = &self.to {
            out.push_str(&format!(" to {}", esc(to)));
        }
        out.push('\n');
        if let Some(n) = &self.new_login {
            match (&n.default_team, &n.default_role) {
                (Some(t), Some(r)) => out.push_str(&format!(
                    "  note: `{user}` is declared nowhere: evaluated as a new login, a member of `{}` with role `{}` (auth defaults)\n",
                    esc(t),
                    esc(r)
                )),
                _ => out.push_str(&format!(
                    "  note: `{user}` is declared nowhere: evaluated as a new login, and no defaults are set\n"
                )),
            }
        }
        for reason in &self.reasons {
            out.push_str(&format!("  - {}\n", esc(reason)));
        }
        let heading = match self.decision {
            Decision::Allow => "granted",
            Decision::Deny => "fails",
        };
        for (i, path) in self.paths.iter().enumerate() {
            let status = match (path.granted, self.decision) {
                // Only the target check can deny once a path grants.
                (true, Decision::Deny) => "would grant, but the target check fails",
                (true, Decision::Allow) => "granted",
                (false, _) => heading,
            };
            let team = esc(&path.team);
            let through = match path.through {
                Through::Membership => format!("membership of team `{team}`"),
                Through::Share => format!("share with team `{team}`"),
                Through::Global => format!("global, through the admin team `{team}`"),
            };
            out.push_str(&format!("  path {}: {through} — {status}\n", i + 1));
            if let (Some(role), Some(at)) = (&path.role, &path.membership_at) {
                out.push_str(&format!(
                    "    member of `{team}` as `{}` ({})\n",
                    esc(role),
                    esc(at)
                ));
            }
            if !path.chain.is_empty() {
                out.push_str(&format!("    role {}\n", chain_text(&path.chain)));
            }
            if path.through == Through::Global && path.granted && self.scope != "global" {
                out.push_str(&format!(
                    "    `{permission}` is declared on `global` too, so the global power reaches {scope}\n"
                ));
            }
            if let Some(share) = &path.share {
                let owner = if share.owner { ", owner" } else { "" };
                out.push_str(&format!(
                    "    {} shared with `{}` as `{}`{owner} ({})\n",
                    esc(&share.resource),
                    esc(&share.team),
                    esc(&share.role),
                    esc(&share.at)
                ));
                if !share.chain.is_empty() && path.granted {
                    out.push_str(&format!("    share role {}\n", chain_text(&share.chain)));
                }
            }
            if let Some(failure) = &path.failure {
                out.push_str(&format!("    why not: {}\n", esc(failure)));
            }
        }
        if let Some(target) = &self.target {
            let team = esc(&target.team);
            match &target.role {
                Some(role) => out.push_str(&format!(
                    "  target: member of `{team}` as `{}`\n",
                    esc(role)
                )),
                None => out.push_str(&format!("  target: not a member of `{team}`\n")),
            }
        }
        let held = self.paths.iter().any(|p| p.granted);
        if self.decision == Decision::Deny && !held {
            if self.paths.is_empty() && self.reasons.is_empty() {
                out.push_str("  - no membership or share could grant it\n");
            }
            if self.roles_with_permission.is_empty() {
                out.push_str(&format!("  no role holds `{permission}`\n"));
            } else {
                let roles: Vec<String> = self
                    .roles_with_permission
                    .iter()
                    .map(|r| format!("`{}`", esc(r)))
                    .collect();
                out.push_str(&format!(
                    "  roles that hold `{permission}`: {}\n",
                    roles.join(", ")
                ));
            }
        }
        out
    }
}
