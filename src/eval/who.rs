//! `who` and `what`: the matrix read by permission and by user.

use serde::Serialize;

use crate::compile::{subject_grants, Matrix, Subject};
use crate::escape::text as esc;
use crate::resolve::{Model, PermId, RoleId, Scope, TeamId};

/// One way a user holds a permission.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Via {
    pub team: String,
    pub role: String,
    /// `membership`, `share` or `global`.
    pub through: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_role: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WhoEntry {
    pub user: String,
    pub via: Vec<Via>,
}

/// The subjects that hold `perm` at `scope` (before any target-team
/// condition), `*` first, then by email.
pub fn who(model: &Model, m: &Matrix, perm: PermId, scope: Scope) -> Vec<WhoEntry> {
    let mut out: Vec<WhoEntry> = Subject::all(model)
        .filter(|&s| m.holds(s, perm, scope))
        .map(|s| WhoEntry {
            user: s.label(model).to_string(),
            via: vias(model, m, s, perm, scope),
        })
        .collect();
    out.sort_by(|a, b| a.user.cmp(&b.user));
    out
}

/// How a subject holds `perm` at `scope`, as ids: (team, member's role, how,
/// share role). The member's role is the one assigned in the team.
pub fn grant_paths(
    model: &Model,
    m: &Matrix,
    s: Subject,
    perm: PermId,
    scope: Scope,
) -> Vec<(TeamId, RoleId, &'static str, Option<RoleId>)> {
    let mut via = Vec::new();
    if !m.declared_on(perm, scope) {
        return via;
    }
    let requires_owner = m.perms[perm.index()].requires_owner;
    match scope {
        Scope::Global => {}
        Scope::Team(team) => {
            if let Some(role) = m.role_in(s, team).filter(|&r| m.has(r, perm)) {
                via.push((team, role, "membership", None));
            }
        }
        Scope::Resource(r) => {
            for share in &model[r].shares {
                let Some(role) = m.role_in(s, share.team) else {
                    continue;
                };
                if m.has(role, perm) && m.has(share.role, perm) && (share.owner || !requires_owner)
                {
                    via.push((share.team, role, "share", Some(share.role)));
                }
            }
        }
    }
    if m.can_global(s, perm) {
        if let (Some(team), Some(role)) = (m.admin_team, m.global_role(s)) {
            via.push((team, role, "global", None));
        }
    }
    via
}

pub fn vias(model: &Model, m: &Matrix, s: Subject, perm: PermId, scope: Scope) -> Vec<Via> {
    grant_paths(model, m, s, perm, scope)
        .into_iter()
        .map(|(team, role, through, share_role)| Via {
            team: model[team].key.clone(),
            role: model[role].key.clone(),
            through,
            share_role: share_role.map(|r| model[r].key.clone()),
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScopeGrants {
    pub scope: String,
    pub permissions: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct What {
    pub user: String,
    /// True when the user is declared nowhere (evaluated as a new login).
    pub new_login: bool,
    pub scopes: Vec<ScopeGrants>,
}

/// `who`'s text: a line per user with the ways they hold the permission.
/// Names are escaped ([`crate::escape`]).
pub fn who_text(entries: &[WhoEntry], permission: &str, scope: &str) -> String {
    let mut out = String::new();
    if entries.is_empty() {
        out.push_str(&format!(
            "nobody holds {} on {}\n",
            esc(permission),
            esc(scope)
        ));
    }
    for entry in entries {
        let via: Vec<String> = entry
            .via
            .iter()
            .map(|v| {
                let (team, role) = (esc(&v.team), esc(&v.role));
                match &v.share_role {
                    Some(s) => format!("{team} as {role} (shared as {})", esc(s)),
                    None if v.through == "global" => format!("{team} as {role} (global)"),
                    None => format!("{team} as {role}"),
                }
            })
            .collect();
        out.push_str(&format!("{}\tvia {}\n", esc(&entry.user), via.join("; ")));
    }
    out
}

impl What {
    /// `what`'s text: each scope, then the permissions held there. Names are
    /// escaped ([`crate::escape`]).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let user = esc(&self.user);
        if self.new_login {
            out.push_str(&format!(
                "note: `{user}` is declared nowhere: shown as a new login\n"
            ));
        }
        if self.scopes.is_empty() {
            out.push_str(&format!("{user} can do nothing\n"));
        }
        for s in &self.scopes {
            out.push_str(&format!("{}\n", esc(&s.scope)));
            for p in &s.permissions {
                out.push_str(&format!("  {}\n", esc(p)));
            }
        }
        out
    }
}

pub fn what(model: &Model, m: &Matrix, user: &str) -> What {
    let subject = Subject::of(model, user);
    let mut scopes: Vec<ScopeGrants> = subject_grants(model, m, subject)
        .into_iter()
        .map(|(scope, perms)| {
            let mut permissions: Vec<String> =
                perms.iter().map(|p| model[p].name.clone()).collect();
            permissions.sort();
            ScopeGrants {
                scope: model.scope_name(scope),
                permissions,
            }
        })
        .collect();
    scopes.sort_by(|a, b| a.scope.cmp(&b.scope));
    What {
        user: crate::resolve::fold_email(user),
        new_login: subject == Subject::NewLogin,
        scopes,
    }
}
