//! The target: what the deployment should hold according to the policy
//! (SPEC §9 "The target").
//!
//! In: a checked [`Policy`], and the deployment's role keys (to follow
//! aliases). Out: a [`Target`], the policy in the deployment's terms — each
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
use crate::resolve::{Model, ResourceId, UserId};
use crate::Policy;

/// The resource kind synced with the deployment's projects when the policy
/// declares it; else [`FALLBACK_PROJECT_KIND`].
pub const PROJECT_KIND: &str = "project";
/// The seed's name for projects.
pub const FALLBACK_PROJECT_KIND: &str = "use_case";

/// What the deployment should hold: a view of the policy in the
/// deployment's terms. Roles and teams (few) are held; users and projects
/// (many) are made one at a time from the policy when asked for, so a plan of
/// 100,000 users does not hold a second copy of them
/// ([`Target::to_state`] makes the whole [`State`]).
#[derive(Clone, Debug)]
pub struct Target<'p> {
    model: &'p Model,
    /// Per [`RoleId`](crate::resolve::RoleId), the key the deployment knows the role by.
    role_keys: Vec<String>,
    /// Declared users, sorted by email.
    users: Vec<UserId>,
    /// Resources of the project kind, sorted by key.
    projects: Vec<ResourceId>,
    /// Roles as the deployment should have them, by the deployment's key.
    pub roles: BTreeMap<String, RoleState>,
    /// Teams as the deployment should have them.
    pub teams: BTreeMap<String, TeamState>,
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

/// The key the deployment knows each policy role by (indexed by [`RoleId`](crate::resolve::RoleId)):
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

fn name(title: &Option<String>, key: &str) -> String {
    title.clone().unwrap_or_else(|| key.to_string())
}

impl<'p> Target<'p> {
    /// The target of a checked policy, with role keys as `live` knows them.
    pub fn new(policy: &'p Policy, live: &State) -> Target<'p> {
        let model = &policy.model;
        let role_keys = deployment_role_keys(model, live);
        let mut roles = BTreeMap::new();
        let mut aliased = BTreeMap::new();
        for r in model.role_ids() {
            let role = &model[r];
            let mut permissions: Vec<String> =
                role.perms.iter().map(|p| model[p].name.clone()).collect();
            permissions.sort();
            let deployed = &role_keys[r.index()];
            if *deployed != role.key {
                aliased.insert(role.key.clone(), deployed.clone());
            }
            let state = RoleState {
                name: name(&role.title, &role.key),
                permissions,
            };
            roles.insert(deployed.clone(), state);
        }
        let teams = model
            .teams
            .iter()
            .map(|t| {
                let team = TeamState {
                    name: name(&t.title, &t.key),
                };
                (t.key.clone(), team)
            })
            .collect();
        let mut users: Vec<UserId> = model.user_ids().collect();
        users.sort_by(|&a, &b| model[a].email.cmp(&model[b].email));
        let kind = project_kind(model);
        let mut unsynced: BTreeMap<String, usize> = BTreeMap::new();
        let mut projects = Vec::new();
        for r in model.resource_ids() {
            let kind_key = &model[model[r].kind].key;
            if Some(kind_key.as_str()) == kind {
                projects.push(r);
            } else {
                *unsynced.entry(kind_key.clone()).or_default() += 1;
            }
        }
        projects.sort_by(|&a, &b| model[a].key.cmp(&model[b].key));
        let default_membership = model
            .auth
            .default
            .map(|(team, role)| (model[team].key.clone(), role_keys[role.index()].clone()));
        Target {
            model,
            role_keys,
            users,
            projects,
            roles,
            teams,
            project_kind: kind.map(str::to_string),
            admin_team: model.auth.admin_team_key.clone(),
            default_membership,
            aliased,
            unsynced,
        }
    }

    fn user_state(&self, u: UserId) -> UserState {
        let m = self.model;
        let user = &m[u];
        UserState {
            name: name(&user.name, &user.email),
            teams: user
                .memberships
                .iter()
                .map(|ms| {
                    (
                        m[ms.team].key.clone(),
                        self.role_keys[ms.role.index()].clone(),
                    )
                })
                .collect(),
        }
    }

    fn project_state(&self, r: ResourceId) -> ProjectState {
        let m = self.model;
        let resource = &m[r];
        ProjectState {
            name: name(&resource.title, &resource.key),
            shares: resource
                .shares
                .iter()
                .map(|s| {
                    let share = ShareState {
                        role: self.role_keys[s.role.index()].clone(),
                        owner: s.owner,
                    };
                    (m[s.team].key.clone(), share)
                })
                .collect(),
        }
    }

    /// Each declared user as the deployment should hold them, by email.
    pub fn users(&self) -> impl Iterator<Item = (&'p str, UserState)> + '_ {
        self.users
            .iter()
            .map(|&u| (self.model[u].email.as_str(), self.user_state(u)))
    }

    /// Whether the policy declares this user (an email as the state writes it).
    pub fn declares_user(&self, email: &str) -> bool {
        self.model.user(email).is_some()
    }

    /// Each project as the deployment should hold it, by key.
    pub fn projects(&self) -> impl Iterator<Item = (&'p str, ProjectState)> + '_ {
        self.projects
            .iter()
            .map(|&r| (self.model[r].key.as_str(), self.project_state(r)))
    }

    /// Whether the policy has this project (of the project kind).
    pub fn has_project(&self, key: &str) -> bool {
        self.project_kind.as_ref().is_some_and(|k| {
            self.model
                .names
                .resources
                .contains_key(&format!("{k}/{key}"))
        })
    }

    /// The whole target as a state: the deployment's permission list, and
    /// every role, team, user and project as the policy says.
    pub fn to_state(&self, live: &State) -> State {
        State {
            permissions: live.permissions.clone(),
            roles: self.roles.clone(),
            teams: self.teams.clone(),
            users: self
                .users()
                .map(|(email, user)| (email.to_string(), user))
                .collect(),
            projects: self
                .projects()
                .map(|(key, project)| (key.to_string(), project))
                .collect(),
            ..State::new()
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
