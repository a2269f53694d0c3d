//! The target: what the deployment should hold according to the policy
//! (SPEC §9 "The target").
//!
//! In: a checked [`Policy`], and the deployment's role keys (to follow
//! aliases). Out: a [`Target`], a [`State`] in the deployment's terms — each
//! role with its flattened permissions, each declared user with exactly the
//! memberships the policy gives them (`in`, `member`, `admins`), each resource
//! of the project kind with exactly its declared shares, titles as names —
//! plus what only the policy knows that the plan needs: the admin team, the
//! new-login default, which roles were found under an alias.
//!
//! `only in`, includes, scopes and the `auth` block live only in the policy:
//! the deployment has nowhere to hold them.

use std::collections::BTreeMap;

use super::state::{ProjectState, RoleState, ShareState, State, TeamState, UserState};
use crate::resolve::{Model, RoleId};
use crate::Policy;

/// The resource kind synced with the deployment's projects when the policy
/// declares it; else [`FALLBACK_PROJECT_KIND`].
pub const PROJECT_KIND: &str = "project";
/// The seed's name for projects.
pub const FALLBACK_PROJECT_KIND: &str = "use_case";

/// What the deployment should hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Roles, teams, users and projects as the deployment should have them,
    /// role keys as the deployment knows them. `permissions` is the
    /// deployment's own list (the API cannot change it).
    pub state: State,
    /// The policy's resource kind synced with projects: `project` if the
    /// policy declares it, else `use_case` if it declares that, else none
    /// (then no project is synced).
    pub project_kind: Option<String>,
    /// The admin team's key (`auth`'s `admin_team`, default `admin`).
    pub admin_team: String,
    /// The membership of a new login, `(team, role)`, role key as the
    /// deployment knows it; `None` when the policy sets no defaults.
    pub default_membership: Option<(String, String)>,
    /// Policy role key → the deployment's key, for each role the deployment
    /// knows by one of its aliases.
    pub aliased: BTreeMap<String, String>,
    /// Resources of kinds the API cannot share, counted by kind: not synced.
    pub unsynced: BTreeMap<String, usize>,
}

/// The kind a policy's resources must have to be synced with projects.
pub fn project_kind(model: &Model) -> Option<&str> {
    [PROJECT_KIND, FALLBACK_PROJECT_KIND]
        .into_iter()
        .find(|k| model.names.kinds.contains_key(*k))
}

/// The key the deployment knows each policy role by (indexed by [`RoleId`]):
/// the role's own key when the deployment has a role of that key, else the
/// first of its aliases (in the order written) that the deployment has,
/// else its own key (a role to create).
pub fn deployment_role_keys(model: &Model, live: &State) -> Vec<String> {
    model
        .roles
        .iter()
        .map(|role| {
            if live.roles.contains_key(role.key.as_str()) {
                return role.key.clone();
            }
            role.aliases
                .iter()
                .find(|a| live.roles.contains_key(a.as_str()))
                .unwrap_or(&role.key)
                .clone()
        })
        .collect()
}

impl Target {
    /// The target of a checked policy, with role keys as `live` knows them.
    pub fn new(policy: &Policy, live: &State) -> Target {
        let model = &policy.model;
        let keys = deployment_role_keys(model, live);
        let key = |r: RoleId| keys[r.index()].clone();
        let name = |title: &Option<String>, key: &str| title.clone().unwrap_or_else(|| key.into());

        let mut state = State {
            permissions: live.permissions.clone(),
            ..State::new()
        };
        let mut aliased = BTreeMap::new();
        for r in model.role_ids() {
            let role = &model[r];
            let mut permissions: Vec<String> =
                role.perms.iter().map(|p| model[p].name.clone()).collect();
            permissions.sort();
            let deployed = key(r);
            if deployed != role.key.as_str() {
                aliased.insert(role.key.clone(), deployed.clone());
            }
            state.roles.insert(
                deployed,
                RoleState {
                    name: name(&role.title, &role.key),
                    permissions,
                },
            );
        }
        for team in &model.teams {
            state.teams.insert(
                team.key.clone(),
                TeamState {
                    name: name(&team.title, &team.key),
                },
            );
        }
        for user in &model.users {
            let teams = user
                .memberships
                .iter()
                .map(|m| (model[m.team].key.clone(), key(m.role)))
                .collect();
            state.users.insert(
                user.email.clone(),
                UserState {
                    name: name(&user.name, &user.email),
                    teams,
                },
            );
        }
        let kind = project_kind(model);
        let mut unsynced: BTreeMap<String, usize> = BTreeMap::new();
        for resource in &model.resources {
            let kind_key = &model[resource.kind].key;
            if Some(kind_key.as_str()) != kind {
                *unsynced.entry(kind_key.clone()).or_default() += 1;
                continue;
            }
            let shares = resource
                .shares
                .iter()
                .map(|s| {
                    let share = ShareState {
                        role: key(s.role),
                        owner: s.owner,
                    };
                    (model[s.team].key.clone(), share)
                })
                .collect();
            state.projects.insert(
                resource.key.clone(),
                ProjectState {
                    name: name(&resource.title, &resource.key),
                    shares,
                },
            );
        }
        Target {
            state,
            project_kind: kind.map(str::to_string),
            admin_team: model.auth.admin_team_key.clone(),
            default_membership: model
                .auth
                .default
                .map(|(team, role)| (model[team].key.clone(), key(role))),
            aliased,
            unsynced,
        }
    }

    /// Whether a user's memberships are exactly those of a new login: such a
    /// user, undeclared in the policy, is what the policy expects of anyone
    /// it does not name.
    pub fn is_new_login(&self, memberships: &BTreeMap<String, String>) -> bool {
        match &self.default_membership {
            None => memberships.is_empty(),
            Some((team, role)) => {
                memberships.len() == 1 && memberships.get(team.as_str()) == Some(role)
            }
        }
    }
}
