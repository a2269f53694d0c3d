//! The evaluator's reports as people and programs read them.
//!
//! In: a typed report ([`Explanation`], [`Who`], [`What`], a [`Via`]) and the model
//! whose names its ids stand for. Out: text for a terminal, JSON, and, for a
//! `via`, Markdown. Each thing is written one way per format, here: a `via`
//! reads `TEAM as ROLE`, `TEAM as ROLE, shared as ROLE` or
//! `TEAM as ROLE (global)` wherever it appears (`who`, `diff`, invariant
//! counterexamples). Text escapes every name ([`crate::escape`]); JSON
//! carries names as they are (serde escapes what JSON must, and the command
//! line escapes whatever it prints once more). A new login is said one way
//! in JSON: `"new_login": true`, present only when true (as `can` does).

use std::fmt;
use std::ops::Deref;

use serde::{Serialize, Serializer};

use super::explain::{Decision, Explanation, Link, MemberAt, PathReport, Reason};
use super::paths::{Failure, Through, Via};
use super::who::{What, Who};
use crate::escape::{code_span, text as esc};
use crate::resolve::{MemberSource, Model, PermId, Scope};

/// A typed report beside the model that names its ids: what the library
/// hands out. It reads as the report (`Deref`), prints as text
/// ([`Named::to_text`]) and serializes as the report's JSON.
#[derive(Clone)]
pub struct Named<'m, T> {
    pub model: &'m Model,
    pub value: T,
}

impl<'m, T> Named<'m, T> {
    pub fn new(model: &'m Model, value: T) -> Self {
        Named { model, value }
    }

    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> Deref for Named<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Named<'_, T> {
    /// The report only: the model would fill the screen.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

/// A report that the model's names turn into text and JSON.
pub trait Render {
    /// Text for people; every name escaped.
    fn text(&self, model: &Model) -> String;
    /// The JSON document.
    fn json<S: Serializer>(&self, model: &Model, s: S) -> Result<S::Ok, S::Error>;
}

impl<T: Render> Named<'_, T> {
    pub fn to_text(&self) -> String {
        self.value.text(self.model)
    }
}

impl<T: Render> Serialize for Named<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.json(self.model, s)
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A name as text shows it: escaped. (JSON passes names through as they are.)
fn shown(s: &str) -> String {
    esc(s).into_owned()
}

fn as_is(s: &str) -> String {
    s.to_string()
}

/// How a holder is written in text: an email, or `*` said to be any new
/// login.
pub fn holder_text(user: &str) -> String {
    if user == crate::diff::NEW_LOGIN {
        "* (any new login)".to_string()
    } else {
        shown(user)
    }
}

// ---------------------------------------------------------------- via

/// One way a permission is held, by name: what `who`, `diff` and invariant
/// counterexamples show. `diff` keeps vias by name because it spans two
/// policies, whose ids mean nothing to each other.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ViaNames {
    pub team: String,
    pub role: String,
    pub through: Through,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_role: Option<String>,
}

impl Via {
    pub fn names(&self, model: &Model) -> ViaNames {
        ViaNames {
            team: model[self.team].key.clone(),
            role: model[self.role].key.clone(),
            through: self.through,
            share_role: self.share_role.map(|r| model[r].key.clone()),
        }
    }
}

impl ViaNames {
    /// The words, each name passed through `name`.
    fn words(&self, name: impl Fn(&str) -> String) -> String {
        let (team, role) = (name(&self.team), name(&self.role));
        match (self.through, &self.share_role) {
            (Through::Global, _) => format!("{team} as {role} (global)"),
            (_, Some(share)) => format!("{team} as {role}, shared as {}", name(share)),
            _ => format!("{team} as {role}"),
        }
    }

    /// For a terminal: `ml-team as power_user, shared as admin`.
    pub fn text(&self) -> String {
        self.words(shown)
    }

    /// For Markdown: every name in a code span no backtick can close.
    pub fn markdown(&self) -> String {
        self.words(code_span)
    }
}

/// Several vias, `; ` between them.
pub fn vias_text(vias: &[ViaNames]) -> String {
    join(vias.iter().map(ViaNames::text), "; ")
}

pub fn vias_markdown(vias: &[ViaNames]) -> String {
    join(vias.iter().map(ViaNames::markdown), "; ")
}

fn join(parts: impl Iterator<Item = String>, sep: &str) -> String {
    parts.collect::<Vec<_>>().join(sep)
}

// ---------------------------------------------------------------- reasons

/// Why `perm` cannot be held at `scope` at all: the sentence `explain` and
/// `who` both say.
pub fn not_declared(
    model: &Model,
    perm: PermId,
    scope: Scope,
    name: impl Fn(&str) -> String,
) -> String {
    let p = &model[perm];
    let level = match scope {
        Scope::Global => "global",
        Scope::Team(_) => "team",
        Scope::Resource(r) => &model[model[r].kind].key,
    };
    let on: Vec<String> = p
        .scopes
        .kinds
        .iter()
        .map(|&k| model[k].key.as_str())
        .chain(p.scopes.global.then_some("global"))
        .chain(p.scopes.team.then_some("team"))
        .map(|s| format!("`{}`", name(s)))
        .collect();
    format!(
        "`{}` is not declared on `{}` (it is declared on {}): it cannot be held at this scope",
        name(&p.name),
        name(level),
        on.join(", ")
    )
}

fn reason_words(
    model: &Model,
    e: &Explanation,
    reason: Reason,
    name: impl Fn(&str) -> String + Copy,
) -> String {
    let perm = name(&model[e.perm].name);
    match reason {
        Reason::NoDefaults => format!(
            "`{}` is declared nowhere, and `auth` sets no `default_team`/`default_role`: a new login is denied everything",
            name(&e.user)
        ),
        Reason::NotDeclared => not_declared(model, e.perm, e.scope, name),
        Reason::NotShared => "the resource is shared with no team".to_string(),
        Reason::GlobalDoesNotReach { role } => format!(
            "the admin team's role `{}` holds `{perm}`, but `{perm}` is not declared on `global`, so global powers do not reach down to {}",
            name(&model[role].key),
            name(&model.scope_name(e.scope))
        ),
        Reason::NoTarget => format!(
            "`{perm}` is declared `target team`: the question names no target team"
        ),
        Reason::NotInTarget { team } => format!(
            "`{perm}` also needs membership of the target team, and `{}` is not a member of `{}`",
            name(&e.user),
            name(&model[team].key)
        ),
    }
}

fn failure_words(
    model: &Model,
    e: &Explanation,
    path: &PathReport,
    name: impl Fn(&str) -> String,
) -> Option<String> {
    let failure = path.path.failure?;
    let perm = name(&model[e.perm].name);
    let team = path_team(model, path, &name);
    Some(match failure {
        Failure::NoAdminTeam => format!("the admin team `{team}` is not declared"),
        Failure::NotMember => match path.path.through {
            Through::Global => format!(
                "not a member of the admin team `{team}`, through which global permissions are held"
            ),
            Through::Share => {
                format!("not a member of team `{team}`, which the resource is shared with")
            }
            Through::Membership => format!("not a member of team `{team}`"),
        },
        Failure::RoleLacks => {
            let role = path
                .path
                .member
                .map_or_else(String::new, |r| name(&model[r].key));
            format!("role `{role}` does not hold `{perm}`")
        }
        Failure::ShareCaps => {
            let cap = path
                .path
                .share
                .map_or_else(String::new, |s| name(&model[s.role].key));
            format!(
                "the share caps it: shared with `{team}` as `{cap}`, which does not hold `{perm}`"
            )
        }
        Failure::NotOwnerShare => {
            format!("`{perm}` requires an owner share, and the share with `{team}` is not one")
        }
    })
}

/// The path's team; the admin team's key when it is not declared.
fn path_team(model: &Model, path: &PathReport, name: impl Fn(&str) -> String) -> String {
    match path.path.team {
        Some(t) => name(&model[t].key),
        None => name(&model.auth.admin_team_key),
    }
}

fn membership_at(model: &Model, at: MemberAt) -> String {
    match at {
        MemberAt::Written { span, source } => {
            let loc = model.sources.location(span);
            match source {
                MemberSource::Admins => format!("{loc}, auth admins"),
                MemberSource::Member | MemberSource::UserIn => loc,
            }
        }
        MemberAt::Defaults => match model.auth.span {
            Some(span) => format!("{}, auth defaults", model.sources.location(span)),
            None => "auth defaults".to_string(),
        },
    }
}

/// Where the path's share is written, and the share as the language writes
/// it inside the resource's block: `share TEAM as ROLE [owner]`.
fn share_line(
    model: &Model,
    path: &PathReport,
    name: impl Fn(&str) -> String,
) -> Option<(String, String)> {
    let share = path.path.share?;
    let owner = if share.owner { " owner" } else { "" };
    let written = format!(
        "share {} as {}{owner}",
        name(&model[share.team].key),
        name(&model[share.role].key)
    );
    let at = model[share.resource]
        .shares
        .iter()
        .find(|s| s.team == share.team)
        .map(|s| model.sources.location(s.span))
        .unwrap_or_default();
    Some((written, at))
}

// ---------------------------------------------------------------- explain: text

fn chain_text(model: &Model, chain: &[Link]) -> String {
    let mut parts = Vec::new();
    for (i, link) in chain.iter().enumerate() {
        let role = &model[link.role];
        let mut s = if i == 0 {
            format!("`{}`", shown(&role.key))
        } else {
            format!("includes `{}`", shown(&role.key))
        };
        if let Some(at) = link.included_at {
            s.push_str(&format!(" ({})", shown(&model.sources.location(at))));
        }
        if let Some(grant) = link.grant.and_then(|g| role.grants.get(g)) {
            s.push_str(&format!(
                ", which grants `{}` ({})",
                shown(&grant.pattern),
                shown(&model.sources.location(grant.span))
            ));
        }
        parts.push(s);
    }
    parts.join(" ")
}

impl Render for Explanation {
    /// Every name, path and reason is escaped: a policy, a bundle or a
    /// question cannot put a control character on the reader's terminal, or
    /// a line of its own.
    fn text(&self, model: &Model) -> String {
        let mut out = String::new();
        let verdict = match self.decision {
            Decision::Allow => "ALLOW",
            Decision::Deny => "DENY",
        };
        let user = shown(&self.user);
        let permission = shown(&model[self.perm].name);
        let scope = shown(&model.scope_name(self.scope));
        out.push_str(&format!("{verdict}: {user} {permission} on {scope}"));
        if let Some(to) = self.to {
            out.push_str(&format!(" to team/{}", shown(&model[to].key)));
        }
        out.push('\n');
        if self.new_login() {
            match model.auth.default {
                Some((t, r)) => out.push_str(&format!(
                    "  note: `{user}` is declared nowhere: evaluated as a new login, a member of `{}` with role `{}` (auth defaults)\n",
                    shown(&model[t].key),
                    shown(&model[r].key)
                )),
                None => out.push_str(&format!(
                    "  note: `{user}` is declared nowhere: evaluated as a new login, and no defaults are set\n"
                )),
            }
        }
        for &reason in &self.reasons {
            out.push_str(&format!(
                "  - {}\n",
                reason_words(model, self, reason, shown)
            ));
        }
        let heading = match self.decision {
            Decision::Allow => "granted",
            Decision::Deny => "fails",
        };
        for (i, path) in self.paths.iter().enumerate() {
            let status = match (path.granted(), self.decision) {
                // Only the target check can deny once a path grants.
                (true, Decision::Deny) => "would grant, but the target check fails",
                (true, Decision::Allow) => "granted",
                (false, _) => heading,
            };
            let team = path_team(model, path, shown);
            let through = match path.path.through {
                Through::Membership => format!("membership of team `{team}`"),
                Through::Share => format!("share with team `{team}`"),
                Through::Global => format!("global, through the admin team `{team}`"),
            };
            out.push_str(&format!("  path {}: {through} — {status}\n", i + 1));
            if let (Some(role), Some(at)) = (path.path.member, path.membership_at) {
                out.push_str(&format!(
                    "    member of `{team}` as `{}` ({})\n",
                    shown(&model[role].key),
                    shown(&membership_at(model, at))
                ));
            }
            if !path.chain.is_empty() {
                out.push_str(&format!("    role {}\n", chain_text(model, &path.chain)));
            }
            if path.path.through == Through::Global && path.granted() && self.scope != Scope::Global
            {
                out.push_str(&format!(
                    "    `{permission}` is declared on `global` too, so the global power reaches {scope}\n"
                ));
            }
            if let Some((written, at)) = share_line(model, path, shown) {
                out.push_str(&format!("    {scope}: `{written}` ({})\n", shown(&at)));
                if !path.share_chain.is_empty() && path.granted() {
                    out.push_str(&format!(
                        "    share role {}\n",
                        chain_text(model, &path.share_chain)
                    ));
                }
            }
            if let Some(failure) = failure_words(model, self, path, shown) {
                out.push_str(&format!("    why not: {failure}\n"));
            }
        }
        if let Some(target) = self.target {
            let team = shown(&model[target.team].key);
            match target.role {
                Some(role) => out.push_str(&format!(
                    "  target: member of `{team}` as `{}`\n",
                    shown(&model[role].key)
                )),
                None => out.push_str(&format!("  target: not a member of `{team}`\n")),
            }
        }
        let held = self.paths.iter().any(PathReport::granted);
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
                    .map(|&r| format!("`{}`", shown(&model[r].key)))
                    .collect();
                out.push_str(&format!(
                    "  roles that hold `{permission}`: {}\n",
                    roles.join(", ")
                ));
            }
        }
        out
    }

    fn json<S: Serializer>(&self, model: &Model, s: S) -> Result<S::Ok, S::Error> {
        explanation_json(model, self).serialize(s)
    }
}

// ---------------------------------------------------------------- explain: JSON

#[derive(Serialize)]
struct ExplanationJson<'a> {
    decision: Decision,
    user: &'a str,
    permission: &'a str,
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    new_login: bool,
    /// For a new login: the membership `auth` gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    defaults: Option<DefaultsJson<'a>>,
    paths: Vec<PathJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<TargetJson<'a>>,
    reasons: Vec<String>,
    roles_with_permission: Vec<&'a str>,
}

#[derive(Serialize)]
struct DefaultsJson<'a> {
    team: &'a str,
    role: &'a str,
}

#[derive(Serialize)]
struct PathJson<'a> {
    granted: bool,
    through: Through,
    team: String,
    role: Option<&'a str>,
    membership_at: Option<String>,
    chain: Vec<LinkJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    share: Option<ShareJson<'a>>,
    failure: Option<String>,
}

#[derive(Serialize)]
struct LinkJson<'a> {
    role: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    included_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    grant: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    granted_at: Option<String>,
}

#[derive(Serialize)]
struct ShareJson<'a> {
    resource: String,
    team: &'a str,
    role: &'a str,
    owner: bool,
    at: String,
    chain: Vec<LinkJson<'a>>,
}

#[derive(Serialize)]
struct TargetJson<'a> {
    team: &'a str,
    member: bool,
    role: Option<&'a str>,
}

fn chain_json<'a>(model: &'a Model, chain: &[Link]) -> Vec<LinkJson<'a>> {
    chain
        .iter()
        .map(|link| {
            let role = &model[link.role];
            let grant = link.grant.and_then(|g| role.grants.get(g));
            LinkJson {
                role: &role.key,
                included_at: link.included_at.map(|s| model.sources.location(s)),
                grant: grant.map(|g| g.pattern.as_str()),
                granted_at: grant.map(|g| model.sources.location(g.span)),
            }
        })
        .collect()
}

fn explanation_json<'a>(model: &'a Model, e: &'a Explanation) -> ExplanationJson<'a> {
    let paths = e
        .paths
        .iter()
        .map(|path| PathJson {
            granted: path.granted(),
            through: path.path.through,
            team: path_team(model, path, as_is),
            role: path.path.member.map(|r| model[r].key.as_str()),
            membership_at: path.membership_at.map(|at| membership_at(model, at)),
            chain: chain_json(model, &path.chain),
            share: path.path.share.map(|share| ShareJson {
                resource: model.scope_name(Scope::Resource(share.resource)),
                team: &model[share.team].key,
                role: &model[share.role].key,
                owner: share.owner,
                at: share_line(model, path, as_is)
                    .map(|(_, at)| at)
                    .unwrap_or_default(),
                chain: chain_json(model, &path.share_chain),
            }),
            failure: failure_words(model, e, path, as_is),
        })
        .collect();
    ExplanationJson {
        decision: e.decision,
        user: &e.user,
        permission: &model[e.perm].name,
        scope: model.scope_name(e.scope),
        to: e.to.map(|t| format!("team/{}", model[t].key)),
        new_login: e.new_login(),
        defaults: model
            .auth
            .default
            .filter(|_| e.new_login())
            .map(|(t, r)| DefaultsJson {
                team: &model[t].key,
                role: &model[r].key,
            }),
        paths,
        target: e.target.map(|t| TargetJson {
            team: &model[t.team].key,
            member: t.role.is_some(),
            role: t.role.map(|r| model[r].key.as_str()),
        }),
        reasons: e
            .reasons
            .iter()
            .map(|&r| reason_words(model, e, r, as_is))
            .collect(),
        roles_with_permission: e
            .roles_with_permission
            .iter()
            .map(|&r| model[r].key.as_str())
            .collect(),
    }
}

// ---------------------------------------------------------------- who

impl Render for Who {
    /// A line per holder with the ways they hold the permission; `*` is said
    /// to be any new login.
    fn text(&self, model: &Model) -> String {
        let mut out = String::new();
        if self.users.is_empty() {
            if self.declared {
                out.push_str(&format!(
                    "nobody holds {} on {}\n",
                    shown(&model[self.perm].name),
                    shown(&model.scope_name(self.scope))
                ));
            } else {
                out.push_str(&not_declared(model, self.perm, self.scope, shown));
                out.push('\n');
            }
        }
        for entry in &self.users {
            let via: Vec<ViaNames> = entry.via.iter().map(|v| v.names(model)).collect();
            out.push_str(&format!(
                "{}\tvia {}\n",
                holder_text(entry.subject.label(model)),
                vias_text(&via)
            ));
        }
        out
    }

    /// `{"users":[{"user","via":[…]}]}` (SPEC §5), each object's keys in
    /// alphabetical order.
    fn json<S: Serializer>(&self, model: &Model, s: S) -> Result<S::Ok, S::Error> {
        let users: Vec<serde_json::Value> = self
            .users
            .iter()
            .map(|entry| {
                let via: Vec<ViaNames> = entry.via.iter().map(|v| v.names(model)).collect();
                serde_json::json!({ "user": entry.subject.label(model), "via": via })
            })
            .collect();
        serde_json::json!({ "users": users }).serialize(s)
    }
}

// ---------------------------------------------------------------- what

#[derive(Serialize)]
struct WhatJson<'a> {
    user: &'a str,
    #[serde(skip_serializing_if = "is_false")]
    new_login: bool,
    scopes: Vec<ScopeJson<'a>>,
}

#[derive(Serialize)]
struct ScopeJson<'a> {
    scope: String,
    permissions: Vec<&'a str>,
}

impl Render for What {
    /// Each scope, then the permissions held there; every name escaped.
    fn text(&self, model: &Model) -> String {
        let mut out = String::new();
        let user = shown(&self.user);
        if self.new_login() {
            out.push_str(&format!(
                "note: `{user}` is declared nowhere: shown as a new login\n"
            ));
        }
        if self.scopes.is_empty() {
            out.push_str(&format!("{user} can do nothing\n"));
        }
        for s in &self.scopes {
            out.push_str(&format!("{}\n", shown(&model.scope_name(s.scope))));
            for &p in &s.permissions {
                out.push_str(&format!("  {}\n", shown(&model[p].name)));
            }
        }
        out
    }

    /// `{"user", "new_login" (only when true), "scopes": [{"scope", "permissions"}]}`.
    fn json<S: Serializer>(&self, model: &Model, s: S) -> Result<S::Ok, S::Error> {
        WhatJson {
            user: &self.user,
            new_login: self.new_login(),
            scopes: self
                .scopes
                .iter()
                .map(|g| ScopeJson {
                    scope: model.scope_name(g.scope),
                    permissions: g
                        .permissions
                        .iter()
                        .map(|&p| model[p].name.as_str())
                        .collect(),
                })
                .collect(),
        }
        .serialize(s)
    }
}
