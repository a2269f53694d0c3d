//! The subjects whose rows can differ between two policies, found from the
//! factored models alone (roles, memberships, shares), without expanding the
//! matrix.
//!
//! A subject's rows (see [`subject_grants`](crate::compile::subject_grants))
//! depend only on: its memberships (team and role keys); the effective
//! permissions of those roles and of the roles its teams' resources are shared
//! at; how those permissions are declared; its teams' shares; and, for a
//! member of the admin team, which team is the admin team and the set of
//! teams and resources global permissions reach down to. A subject none of
//! these changed for has the same rows in both policies. When in doubt this
//! includes more: the test suite checks it against the full expansion.

use std::collections::BTreeSet;

use super::NEW_LOGIN;
use crate::resolve::{Model, NameMap};

type NameSet<T> = std::collections::HashSet<T, rustc_hash::FxBuildHasher>;
/// A resource by name: (kind key, key).
type ResourceName<'a> = (&'a str, &'a str);

/// How a permission is declared, as far as rows are concerned (not its
/// description, nor `target team`, which only a query checks).
#[derive(PartialEq, Eq)]
struct PermDecl<'a> {
    global: bool,
    team: bool,
    kinds: BTreeSet<&'a str>,
    requires_owner: bool,
}

/// One policy, read by name.
struct Side<'a> {
    model: &'a Model,
    perms: NameMap<&'a str, PermDecl<'a>>,
    /// Effective permission names per role key.
    roles: NameMap<&'a str, BTreeSet<&'a str>>,
    /// Per team key: (resource, share role key, owner), sorted.
    shares: NameMap<&'a str, Vec<(ResourceName<'a>, &'a str, bool)>>,
    teams: BTreeSet<&'a str>,
    resources: BTreeSet<ResourceName<'a>>,
    admin_team: Option<&'a str>,
}

impl<'a> Side<'a> {
    fn new(model: &'a Model) -> Self {
        let perms = model
            .perms
            .iter()
            .map(|p| {
                let decl = PermDecl {
                    global: p.scopes.global,
                    team: p.scopes.team,
                    kinds: p
                        .scopes
                        .kinds
                        .iter()
                        .map(|&k| model[k].key.as_str())
                        .collect(),
                    requires_owner: p.requires_owner,
                };
                (p.name.as_str(), decl)
            })
            .collect();
        let roles = model
            .roles
            .iter()
            .map(|r| {
                let perms = r.perms.iter().map(|p| model[p].name.as_str()).collect();
                (r.key.as_str(), perms)
            })
            .collect();
        let mut shares: NameMap<&str, Vec<(ResourceName, &str, bool)>> = NameMap::default();
        let mut resources = BTreeSet::new();
        for r in &model.resources {
            let resource = (model[r.kind].key.as_str(), r.key.as_str());
            for s in &r.shares {
                shares.entry(model[s.team].key.as_str()).or_default().push((
                    resource,
                    model[s.role].key.as_str(),
                    s.owner,
                ));
            }
            resources.insert(resource);
        }
        for list in shares.values_mut() {
            list.sort();
        }
        Side {
            model,
            perms,
            roles,
            shares,
            teams: model.teams.iter().map(|t| t.key.as_str()).collect(),
            resources,
            admin_team: model.admin_team().map(|t| model[t].key.as_str()),
        }
    }

    /// A subject's memberships as (team key, role key), sorted; `None` when
    /// the policy does not declare the user.
    fn memberships(&self, name: &str) -> Option<Vec<(&'a str, &'a str)>> {
        let m = self.model;
        let mut list: Vec<(&str, &str)> = if name == NEW_LOGIN {
            m.auth
                .default
                .iter()
                .map(|&(t, r)| (m[t].key.as_str(), m[r].key.as_str()))
                .collect()
        } else {
            let u = m.user(name)?;
            m[u].memberships
                .iter()
                .map(|ms| (m[ms.team].key.as_str(), m[ms.role].key.as_str()))
                .collect()
        };
        list.sort_unstable();
        Some(list)
    }
}

/// The names (emails, and `*` for the new login) whose rows may differ.
pub fn affected_subjects(old: &Model, new: &Model) -> BTreeSet<String> {
    let (a, b) = (Side::new(old), Side::new(new));

    let changed_perms: NameSet<&str> = union(a.perms.keys(), b.perms.keys())
        .filter(|p| a.perms.get(p) != b.perms.get(p))
        .collect();
    // A role whose permissions changed, or holds a permission declared
    // differently, gives its holders (and share caps at it) different rows.
    let changed_roles: NameSet<&str> = union(a.roles.keys(), b.roles.keys())
        .filter(|r| {
            let (x, y) = (a.roles.get(r), b.roles.get(r));
            x != y
                || [x, y]
                    .into_iter()
                    .flatten()
                    .any(|perms| perms.iter().any(|p| changed_perms.contains(p)))
        })
        .collect();

    let mut changed_teams: NameSet<&str> = union(a.shares.keys(), b.shares.keys())
        .filter(|t| a.shares.get(t) != b.shares.get(t))
        .collect();
    for side in [&a, &b] {
        for (team, shares) in &side.shares {
            if shares
                .iter()
                .any(|(_, role, _)| changed_roles.contains(role))
            {
                changed_teams.insert(team);
            }
        }
    }
    // Global permissions come through the admin team, and reach down to every
    // team and resource.
    if a.admin_team != b.admin_team || a.teams != b.teams || a.resources != b.resources {
        changed_teams.extend(a.admin_team);
        changed_teams.extend(b.admin_team);
    }

    let touched = |ms: &Option<Vec<(&str, &str)>>| {
        ms.iter()
            .flatten()
            .any(|(t, r)| changed_teams.contains(t) || changed_roles.contains(r))
    };
    let names = std::iter::once(NEW_LOGIN)
        .chain(old.users.iter().map(|u| u.email.as_str()))
        .chain(new.users.iter().map(|u| u.email.as_str()));
    let mut out = BTreeSet::new();
    for name in names {
        if out.contains(name) {
            continue;
        }
        let (x, y) = (a.memberships(name), b.memberships(name));
        if x != y || touched(&x) || touched(&y) {
            out.insert(name.to_string());
        }
    }
    out
}

/// Keys of two maps, each once.
fn union<'k, 'a: 'k>(
    x: impl Iterator<Item = &'k &'a str>,
    y: impl Iterator<Item = &'k &'a str>,
) -> impl Iterator<Item = &'a str> {
    let all: BTreeSet<&'a str> = x.chain(y).copied().collect();
    all.into_iter()
}
