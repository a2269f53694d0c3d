//! Memberships and `auth`.
//!
//! In: the `member` lines of teams, the `in` lines of users and the `auth`
//! blocks (whose `admins` are members of the admin team). Out: each user's
//! memberships and each team's members, sorted; the model's `auth`; and,
//! once the role graph is flattened, the `only in` check of every
//! membership.

use std::borrow::Cow;

use super::{thousands, Resolver};
use crate::diagnostics::{Code, Diagnostic};
use crate::resolve::model::*;
use crate::source::Span;
use crate::syntax::ast;

/// A membership as written, before conflicts are checked, borrowed from the
/// AST (the admins' team and role are made up for them).
pub(super) struct PendingMember<'a> {
    pub(super) email: &'a ast::Name,
    pub(super) team: Cow<'a, ast::Name>,
    pub(super) role: Cow<'a, ast::Name>,
    pub(super) span: Span,
    pub(super) source: MemberSource,
}
impl Resolver {
    /// The user with this email, declared on first mention by a member line.
    fn user_or_declare(&mut self, email: &ast::Name) -> Option<UserId> {
        match self.model.user(&email.node) {
            Some(id) => Some(id),
            None => self.add_user(fold_email(&email.node), None, email.span, false),
        }
    }
    /// `auth` may be split across files (the built-ins set the defaults, the
    /// org lists its admins), but each setting is made once.
    pub(super) fn merge_auth(&mut self, blocks: &[&ast::Auth]) -> Option<ast::Auth> {
        let (first, rest) = blocks.split_first()?;
        let mut merged = (*first).clone();
        for block in rest {
            let settings = [
                ("admin_team", &block.admin_team, &mut merged.admin_team),
                (
                    "default_team",
                    &block.default_team,
                    &mut merged.default_team,
                ),
                (
                    "default_role",
                    &block.default_role,
                    &mut merged.default_role,
                ),
            ];
            for (what, theirs, ours) in settings {
                match (theirs, ours.as_ref()) {
                    (Some(again), Some(first)) => self.diags.push(Diagnostic::duplicate(
                        "auth setting",
                        what,
                        again.span,
                        first.span,
                    )),
                    (Some(value), None) => *ours = Some(value.clone()),
                    (None, _) => {}
                }
            }
            match (&block.admins, &merged.admins) {
                (Some(again), Some(first)) => {
                    let at =
                        |v: &Vec<ast::Name>, fallback: Span| v.first().map_or(fallback, |n| n.span);
                    self.diags.push(Diagnostic::duplicate(
                        "auth setting",
                        "admins",
                        at(again, block.span),
                        at(first, merged.span),
                    ))
                }
                (Some(value), None) => merged.admins = Some(value.clone()),
                (None, _) => {}
            }
        }
        Some(merged)
    }

    pub(super) fn resolve_auth<'a>(
        &mut self,
        auth: Option<&'a ast::Auth>,
        members: &mut Vec<PendingMember<'a>>,
    ) {
        let default_auth = ast::Auth::default();
        let a = auth.unwrap_or(&default_auth);
        self.model.auth.span = auth.map(|a| a.span);
        self.model.auth.default_role_span = a.default_role.as_ref().map(|n| n.span);
        let admin_key = a.admin_team.as_ref().map_or("admin", |n| n.node.as_str());
        self.model.auth.admin_team_key = admin_key.to_string();
        self.model.auth.admin_team = match &a.admin_team {
            Some(name) => self.team_or_report(name),
            None => self.model.names.teams.get("admin").copied(),
        };
        match (&a.default_team, &a.default_role) {
            (Some(team), Some(role)) => {
                let (team, role) = (self.team_or_report(team), self.role_or_report(role));
                if let (Some(team), Some(role)) = (team, role) {
                    self.model.auth.default = Some((team, role));
                }
            }
            (Some(only), None) | (None, Some(only)) => {
                let missing = if a.default_team.is_some() {
                    "default_role"
                } else {
                    "default_team"
                };
                self.diags.push(
                    Diagnostic::new(
                        Code::IncompleteDefaults,
                        "`auth` sets only one of `default_team` and `default_role`",
                        only.span,
                        format!("`{missing}` is missing"),
                    )
                    .with_help(format!(
                        "new logins need both: add `{missing} …`, or remove this line so that new logins are denied everything"
                    )),
                );
            }
            (None, None) => {}
        }
        let Some(admins) = auth.and_then(|a| a.admins.as_ref()) else {
            return;
        };
        if admins.is_empty() {
            return;
        }
        let admin_role = self.model.names.roles.get("admin").copied();
        if admin_role.is_none() {
            self.diags.push(
                Diagnostic::new(
                    Code::AdminsWithoutAdminRole,
                    "`admins` are made members of the admin team with role `admin`, but no role `admin` is declared",
                    admins[0].span,
                    "these users need a role `admin`",
                )
                .with_help("declare `role admin \"Admin\" { grant * }`"),
            );
        }
        if self.model.auth.admin_team.is_none() && a.admin_team.is_none() {
            self.diags.push(
                Diagnostic::new(
                    Code::UnknownTeam,
                    format!("`admins` need the admin team `{admin_key}`, which is not declared"),
                    admins[0].span,
                    "members of the admin team",
                )
                .with_help(format!("declare it with `team {admin_key}`")),
            );
        }
        if admin_role.is_none() || self.model.auth.admin_team.is_none() {
            return;
        }
        for email in admins {
            members.push(PendingMember {
                email,
                team: Cow::Owned(ast::Name::new(admin_key.into(), email.span)),
                role: Cow::Owned(ast::Name::new("admin".into(), email.span)),
                span: email.span,
                source: MemberSource::Admins,
            });
        }
    }

    pub(super) fn resolve_members(&mut self, pending: Vec<PendingMember>) {
        let mut seen: NameMap<(UserId, TeamId), Membership> = NameMap::default();
        let mut admins = Vec::new();
        for p in pending {
            let user = self.user_or_declare(p.email);
            let (team, role) = (self.team_or_report(&p.team), self.role_or_report(&p.role));
            let (Some(user), Some(team), Some(role)) = (user, team, role) else {
                continue;
            };
            if p.source == MemberSource::Admins {
                admins.push(user); // whether or not a `member` line says it too
            }
            let membership = Membership {
                user,
                team,
                role,
                span: p.span,
                source: p.source,
            };
            match seen.get(&(user, team)) {
                Some(first) if first.role != role => {
                    let m = &self.model;
                    self.diags.push(
                        Diagnostic::new(
                            Code::ConflictingRoles,
                            format!(
                                "`{}` is given two roles in team `{}`: `{}` and `{}`",
                                m[user].email, m[team].key, m[first.role].key, m[role].key
                            ),
                            p.span,
                            format!("as `{}` here", m[role].key),
                        )
                        .with_label(first.span, format!("as `{}` here", m[first.role].key))
                        .with_help(
                            "a member holds exactly one role in a team: keep one of these lines",
                        ),
                    );
                }
                Some(_) => {}
                None => {
                    seen.insert((user, team), membership);
                }
            }
        }
        admins.sort_unstable();
        admins.dedup();
        self.model.auth.admins = admins;
        let mut all: Vec<Membership> = seen.into_values().collect();
        // Sorted by team first, so each team's members and each user's
        // memberships are pushed already sorted.
        all.sort_by_key(|m| (m.team, m.user));
        for m in &all {
            self.model.teams[m.team.index()].members.push(*m);
            self.model.users[m.user.index()].memberships.push(*m);
        }
    }
    // ------------------------------------------------------------ checks

    /// `only in`: a role (with what it inherits) assigned outside its teams.
    pub(super) fn check_memberships(&mut self) {
        let m = &self.model;
        // A new login is a member of `default_team` with `default_role`
        // (SPEC §2): the role's `only in` holds for that membership too, or
        // every new login would get a role restricted to, say, the admin team.
        if let (Some((team, role)), Some(span)) = (m.auth.default, m.auth.default_role_span) {
            if !m[role].allowed_in(team) {
                let here = format!(
                    "every new login is assigned `{}` in `{}` here",
                    m[role].key, m[team].key
                );
                self.diags
                    .push(only_in_violation(m, role, team, span, here));
            }
        }
        for team in &m.teams {
            for member in &team.members {
                let role = &m[member.role];
                if role.allowed_in(member.team) {
                    continue;
                }
                let here = format!("`{}` is assigned `{}` here", m[member.user].email, role.key);
                self.diags.push(only_in_violation(
                    m,
                    member.role,
                    member.team,
                    member.span,
                    here,
                ));
            }
        }
    }
}

/// `role` assigned in `team` at `span`, which its `only in` does not allow:
/// where the restriction was made, and the teams the role may be assigned in.
fn only_in_violation(
    m: &Model,
    role: RoleId,
    team: TeamId,
    span: Span,
    here: String,
) -> Diagnostic {
    let key = &m[role].key;
    let d = Diagnostic::new(
        Code::OnlyInViolation,
        format!("role `{key}` may not be assigned in team `{}`", m[team].key),
        span,
        here,
    );
    let d = match restricting_role(m, role, team) {
        Some((origin, span)) if origin != role => d.with_label(
            span,
            format!("`{key}` includes `{}`, restricted here", m[origin].key),
        ),
        Some((_, span)) => d.with_label(span, "restricted here"),
        None => d,
    };
    // A role restricted to 40,000 teams would repeat all of them in every
    // violation: name a few, count the rest.
    const SHOWN: usize = 8;
    let teams = m[role].allowed_teams.as_deref().unwrap_or_default();
    let mut allowed = teams
        .iter()
        .take(SHOWN)
        .map(|t| format!("`{}`", m[*t].key))
        .collect::<Vec<_>>()
        .join(", ");
    if teams.len() > SHOWN {
        allowed.push_str(&format!(" and {} more", thousands(teams.len() - SHOWN)));
    }
    d.with_help(if allowed.is_empty() {
        format!("`{key}` may be assigned in no team")
    } else {
        format!("`{key}` may only be assigned in {allowed}")
    })
}

/// The role (the given one or one it includes) whose `only in` excludes `team`.
fn restricting_role(m: &Model, role: RoleId, team: TeamId) -> Option<(RoleId, Span)> {
    let mut stack = vec![role];
    let mut seen = std::collections::HashSet::new();
    while let Some(r) = stack.pop() {
        if !seen.insert(r) {
            continue;
        }
        if let Some((teams, span)) = &m[r].only_in {
            if teams.binary_search(&team).is_err() {
                return Some((r, *span));
            }
        }
        stack.extend(m[r].includes.iter().map(|(i, _)| *i));
    }
    None
}
