//! The policy's `auth` block -> the `auth:` section of a Helm `values.yaml`,
//! so that `import helm` of the output gives the same block back.
//!
//! In: a resolved model. Out: [`HelmValues`], written as YAML by
//! [`to_yaml`]: `admin_team` always (it has a default, and the chart should
//! not guess it), the defaults when the policy sets them, `admins` when it
//! lists any.

use serde::Serialize;

use crate::resolve::{MemberSource, Model};

/// The `auth:` settings, in the chart's names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HelmAuthValues {
    pub admin_team: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_team: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_role: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub admins: Vec<String>,
}

/// A values file holding only `auth:`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HelmValues {
    pub auth: HelmAuthValues,
}

/// The `auth:` settings of a policy.
pub fn values(model: &Model) -> HelmValues {
    let auth = &model.auth;
    let (default_team, default_role) = match auth.default {
        Some((team, role)) => (Some(model[team].key.clone()), Some(model[role].key.clone())),
        None => (None, None),
    };
    HelmValues {
        auth: HelmAuthValues {
            admin_team: auth.admin_team_key.clone(),
            default_team,
            default_role,
            admins: admins(model),
        },
    }
}

/// The values as YAML, under a comment saying where they came from.
pub fn to_yaml(model: &Model) -> String {
    // Serializing strings and lists of strings cannot fail.
    let yaml = serde_yaml::to_string(&values(model)).unwrap_or_default();
    format!("# written by `rolegraph export helm`: the `auth:` section of the chart's values.yaml\n{yaml}")
}

/// The emails `auth { admins … }` lists, sorted: the admin team's members
/// that came from `admins` (the resolver records them there).
fn admins(model: &Model) -> Vec<String> {
    let mut emails: Vec<String> = model
        .auth
        .admins
        .iter()
        .map(|&u| model[u].email.clone())
        .collect();
    if let Some(team) = model.auth.admin_team {
        emails.extend(
            model[team]
                .members
                .iter()
                .filter(|m| m.source == MemberSource::Admins)
                .map(|m| model[m.user].email.clone()),
        );
    }
    emails.sort();
    emails.dedup();
    emails
}
