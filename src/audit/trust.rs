//! Who the audit trusts: the model's [`Trust`] (`trust` in `auth`), or by
//! default the admin team's members with role `admin`.
//!
//! A subject is trusted when one of their memberships (as evaluated: a new
//! login's is the default team and role) matches a trusted team, team and
//! role, or role, or when they are a trusted user.

use super::report::TrustNote;
use crate::compile::{Matrix, Subject};
use crate::resolve::{Model, Trusted};

/// The trusted principals of one policy.
pub struct TrustSet {
    principals: Vec<Trusted>,
    default: bool,
}

impl TrustSet {
    pub fn new(model: &Model) -> Self {
        match &model.trust.principals {
            Some(principals) => TrustSet {
                principals: principals.clone(),
                default: false,
            },
            None => TrustSet {
                principals: model
                    .auth
                    .admin_team
                    .zip(model.role("admin"))
                    .map(|(t, r)| Trusted::Team(t, Some(r)))
                    .into_iter()
                    .collect(),
                default: true,
            },
        }
    }

    pub fn trusts(&self, matrix: &Matrix, subject: Subject) -> bool {
        let memberships = matrix.memberships(subject);
        self.principals.iter().any(|&p| match p {
            Trusted::Team(team, None) => memberships.iter().any(|&(t, _)| t == team),
            Trusted::Team(team, Some(role)) => memberships.contains(&(team, role)),
            Trusted::Role(role) => memberships.iter().any(|&(_, r)| r == role),
            Trusted::User(user) => subject == Subject::User(user),
        })
    }

    /// The principals as the language writes them.
    pub fn note(&self, model: &Model) -> TrustNote {
        let principals = self
            .principals
            .iter()
            .map(|&p| match p {
                Trusted::Team(t, None) => format!("team {}", model[t].key),
                Trusted::Team(t, Some(r)) => {
                    format!("team {} as {}", model[t].key, model[r].key)
                }
                Trusted::Role(r) => format!("role {}", model[r].key),
                Trusted::User(u) => format!("user {}", model[u].email),
            })
            .collect();
        TrustNote {
            default: self.default,
            principals,
        }
    }
}
