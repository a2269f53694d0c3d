//! Reading the deployment (SPEC §9 "What is read"): six queries, each named
//! and shaped after the SDK operation of the same name but selecting only
//! the fields rolegraph needs, put together into a checked [`State`].

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::{ClientError, Connection};
use crate::adaptive::state::{
    ProjectState, RoleState, ShareState, State, StateError, TeamState, UserState,
};

/// What a read of the deployment gives: its state, and the email of the
/// user the API key belongs to (`me`; none when the key is not a user's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Live {
    pub state: State,
    pub me: Option<String>,
}

// The documents. Each selects a subset of what the SDK's operation of the
// same name selects (adaptive_sdk/graphql_client/client.py); see
// docs/adaptive.md for the table.
pub(super) const ME: &str = "query Me { me { email } }";
pub(super) const LIST_USERS: &str =
    "query ListUsers { users { email name teams { team { key } role { key } } } }";
pub(super) const LIST_PROJECTS: &str =
    "query ListProjects { projects { key name shares { team { key } role { key } isOwner } } }";
pub(super) const LIST_PERMISSIONS: &str = "query ListPermissions { permissions }";
pub(super) const LIST_ROLES: &str = "query ListRoles { roles { key name permissions } }";
pub(super) const LIST_TEAMS: &str = "query ListTeams { teams { key name } }";

#[derive(Deserialize)]
struct MeData {
    me: Option<Email>,
}
#[derive(Deserialize)]
struct Email {
    email: String,
}
#[derive(Deserialize)]
struct UsersData {
    users: Vec<UserRow>,
}
#[derive(Deserialize)]
struct UserRow {
    email: String,
    name: String,
    teams: Vec<MembershipRow>,
}
#[derive(Deserialize)]
struct MembershipRow {
    team: KeyRow,
    role: KeyRow,
}
#[derive(Deserialize)]
struct KeyRow {
    key: String,
}
#[derive(Deserialize)]
struct ProjectsData {
    projects: Vec<ProjectRow>,
}
#[derive(Deserialize)]
struct ProjectRow {
    key: String,
    name: String,
    shares: Vec<ShareRow>,
}
#[derive(Deserialize)]
struct ShareRow {
    team: KeyRow,
    role: KeyRow,
    #[serde(rename = "isOwner")]
    is_owner: bool,
}
#[derive(Deserialize)]
struct PermissionsData {
    permissions: Vec<String>,
}
#[derive(Deserialize)]
struct RolesData {
    roles: Vec<RoleRow>,
}
#[derive(Deserialize)]
struct RoleRow {
    key: String,
    name: String,
    permissions: Vec<String>,
}
#[derive(Deserialize)]
struct TeamsData {
    teams: Vec<TeamRow>,
}
#[derive(Deserialize)]
struct TeamRow {
    key: String,
    name: String,
}

impl Connection {
    /// Reads the deployment's access state. The result has passed
    /// [`State::validate`]: an inconsistent answer is an error, not a state.
    pub fn read(&self) -> Result<Live, ClientError> {
        // Users and projects first, then what they refer to: roles and teams
        // cannot be deleted through the API, so a membership read first
        // still finds its team and role in a list read after it.
        let me: MeData = self.query("Me", ME)?;
        let users: UsersData = self.query("ListUsers", LIST_USERS)?;
        let projects: ProjectsData = self.query("ListProjects", LIST_PROJECTS)?;
        let permissions: PermissionsData = self.query("ListPermissions", LIST_PERMISSIONS)?;
        let roles: RolesData = self.query("ListRoles", LIST_ROLES)?;
        let teams: TeamsData = self.query("ListTeams", LIST_TEAMS)?;
        let state = assemble(users, projects, permissions, roles, teams)?;
        Ok(Live {
            state,
            me: me.me.map(|m| m.email.to_ascii_lowercase()),
        })
    }

    /// Runs one query and reads its `data` as `T`. Any `errors` entry fails
    /// the read: a partial answer is not a state.
    fn query<T: DeserializeOwned>(&self, name: &str, document: &str) -> Result<T, ClientError> {
        let operation = format!("query `{name}`");
        let answer = self.call(&operation, name, document, serde_json::json!({}))?;
        let envelope = self.envelope(&operation, &answer)?;
        if let Some(errors) = envelope.errors.as_deref().filter(|e| !e.is_empty()) {
            return Err(ClientError::Graphql {
                operation,
                message: self.error_line(errors),
            });
        }
        let data = envelope.data.ok_or_else(|| ClientError::BadAnswer {
            operation: operation.clone(),
            detail: "the answer has no `data`".to_string(),
        })?;
        serde_json::from_str(data.get()).map_err(|e| ClientError::BadAnswer {
            operation,
            detail: format!(
                "the answer does not have the expected shape ({})",
                self.clean(&e.to_string())
            ),
        })
    }
}

/// The five lists as one state: emails lower-cased, lists sorted, and
/// anything listed twice or naming what is not there refused.
fn assemble(
    users: UsersData,
    projects: ProjectsData,
    permissions: PermissionsData,
    roles: RolesData,
    teams: TeamsData,
) -> Result<State, ClientError> {
    let inconsistent = |operation: &str, detail: String| ClientError::Inconsistent {
        operation: format!("query `{operation}`"),
        detail,
    };
    let mut state = State::new();
    state.permissions = permissions.permissions;
    state.permissions.sort();
    state.permissions.dedup();
    for role in roles.roles {
        let mut permissions = role.permissions;
        permissions.sort();
        permissions.dedup();
        let value = RoleState {
            name: role.name,
            permissions,
        };
        if state.roles.insert(role.key.clone(), value).is_some() {
            return Err(inconsistent(
                "ListRoles",
                format!("role `{}` is listed twice", role.key),
            ));
        }
    }
    for team in teams.teams {
        if state
            .teams
            .insert(team.key.clone(), TeamState { name: team.name })
            .is_some()
        {
            return Err(inconsistent(
                "ListTeams",
                format!("team `{}` is listed twice", team.key),
            ));
        }
    }
    for user in users.users {
        let email = user.email.to_ascii_lowercase();
        let mut teams = BTreeMap::new();
        for m in user.teams {
            if teams.insert(m.team.key.clone(), m.role.key).is_some() {
                return Err(inconsistent(
                    "ListUsers",
                    format!("user `{email}` is listed twice in team `{}`", m.team.key),
                ));
            }
        }
        let value = UserState {
            name: user.name,
            teams,
        };
        if state.users.insert(email.clone(), value).is_some() {
            return Err(inconsistent(
                "ListUsers",
                StateError::DuplicateEmail(email).to_string(),
            ));
        }
    }
    for project in projects.projects {
        let mut shares = BTreeMap::new();
        for s in project.shares {
            let share = ShareState {
                role: s.role.key,
                owner: s.is_owner,
            };
            if shares.insert(s.team.key.clone(), share).is_some() {
                return Err(inconsistent(
                    "ListProjects",
                    format!(
                        "project `{}` is shared twice with team `{}`",
                        project.key, s.team.key
                    ),
                ));
            }
        }
        let value = ProjectState {
            name: project.name,
            shares,
        };
        if state.projects.insert(project.key.clone(), value).is_some() {
            return Err(inconsistent(
                "ListProjects",
                format!("project `{}` is listed twice", project.key),
            ));
        }
    }
    state.validate().map_err(|e| {
        let operation = match e {
            StateError::UnknownShareTeam { .. } | StateError::UnknownShareRole { .. } => {
                "ListProjects"
            }
            _ => "ListUsers",
        };
        inconsistent(operation, e.to_string())
    })?;
    Ok(state)
}
