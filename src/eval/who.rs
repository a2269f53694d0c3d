//! `who` and `what`: the matrix read by permission and by user.
//!
//! `who` lists the subjects the rule ([`Matrix::holds`]) lets hold the
//! permission, each with the granting paths of the path enumerator
//! ([`super::paths`]); `what` reads the subject's rows ([`subject_grants`]),
//! the forward enumeration of the same rule.

use super::paths::{vias, Via};
use crate::compile::{subject_grants, Matrix, Subject};
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

/// The permissions a subject holds at one scope, sorted by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeGrants {
    pub scope: Scope,
    pub permissions: Vec<PermId>,
}

/// Everything a user can do, by scope (sorted by scope name), by id;
/// [`super::render`] names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct What {
    /// The email asked about, as users are stored.
    pub user: String,
    pub subject: Subject,
    pub scopes: Vec<ScopeGrants>,
}

impl What {
    /// The user is declared nowhere and was evaluated as a new login.
    pub fn new_login(&self) -> bool {
        self.subject == Subject::NewLogin
    }
}

/// What `user` holds: the subject's rows of the compiled matrix.
pub fn what(model: &Model, m: &Matrix, user: &str) -> What {
    let subject = Subject::of(model, user);
    let mut scopes: Vec<(String, ScopeGrants)> = subject_grants(model, m, subject)
        .into_iter()
        .map(|(scope, perms)| {
            let mut permissions: Vec<PermId> = perms.iter().collect();
            permissions.sort_by(|&a, &b| model[a].name.cmp(&model[b].name));
            (model.scope_name(scope), ScopeGrants { scope, permissions })
        })
        .collect();
    scopes.sort_by(|a, b| a.0.cmp(&b.0));
    What {
        user: crate::resolve::fold_email(user),
        subject,
        scopes: scopes.into_iter().map(|(_, s)| s).collect(),
    }
}
