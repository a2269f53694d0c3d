//! `who` and `what`: the matrix read by permission and by user.
//!
//! `who` lists the subjects the rule ([`Matrix::holds`]) lets hold the
//! permission, each with the granting paths of the path enumerator
//! ([`super::paths`]); `what` reads the subject's rows ([`subject_grants`]),
//! the forward enumeration of the same rule.

use serde::Serialize;

use super::paths::{vias, Via};
use crate::compile::{subject_grants, Matrix, Subject};
use crate::escape::text as esc;
use crate::resolve::{Model, PermId, Scope};

/// One holder and the ways they hold the permission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhoEntry {
    pub subject: Subject,
    pub via: Vec<Via>,
}

/// The holders of a permission at a scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Who {
    pub perm: PermId,
    pub scope: Scope,
    /// Whether the permission is declared at the scope's level at all.
    pub declared: bool,
    /// `*` first, then by email.
    pub users: Vec<WhoEntry>,
}

/// The subjects that hold `perm` at `scope` (before any target-team
/// condition), each with every granting path.
pub fn who(model: &Model, m: &Matrix, perm: PermId, scope: Scope) -> Who {
    let mut users: Vec<WhoEntry> = Subject::all(model)
        .filter(|&subject| m.holds(subject, perm, scope))
        .map(|subject| WhoEntry {
            subject,
            via: vias(m, subject, perm, scope),
        })
        .collect();
    users.sort_by(|a, b| a.subject.label(model).cmp(b.subject.label(model)));
    Who {
        perm,
        scope,
        declared: m.declared_on(perm, scope),
        users,
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScopeGrants {
    pub scope: String,
    pub permissions: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct What {
    pub user: String,
    /// True when the user is declared nowhere (evaluated as a new login);
    /// in JSON only when true, as in every answer.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub new_login: bool,
    pub scopes: Vec<ScopeGrants>,
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
