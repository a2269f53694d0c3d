//! An operation applied to a [`State`] in memory, with the API's own rules:
//! what the deployment would hold after it, or why it would refuse it.
//!
//! In: a state and an [`Operation`]. Out: the state changed, or a
//! [`Refused`]. Used to check that a plan's operations run in an order the
//! API accepts and leave nothing to do; also a model of the deployment for a
//! test stand-in.

use std::collections::BTreeMap;

use super::ops::Operation;
use super::state::{RoleState, ShareState, State, TeamState, UserState};

/// Why the deployment would refuse an operation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{what} `{key}` already exists")]
    Exists { what: &'static str, key: String },
    #[error("unknown {what} `{key}`")]
    Unknown { what: &'static str, key: String },
    #[error("unknown permission `{0}`")]
    UnknownPermission(String),
    #[error("`{email}` is not a member of team `{team}`")]
    NotMember { email: String, team: String },
    #[error("project `{0}` is shared twice with one team")]
    DuplicateShare(String),
}

fn need<V>(map: &BTreeMap<String, V>, what: &'static str, key: &str) -> Result<(), Refused> {
    if map.contains_key(key) {
        Ok(())
    } else {
        Err(Refused::Unknown {
            what,
            key: key.to_string(),
        })
    }
}

fn fresh<V>(map: &BTreeMap<String, V>, what: &'static str, key: &str) -> Result<(), Refused> {
    if map.contains_key(key) {
        Err(Refused::Exists {
            what,
            key: key.to_string(),
        })
    } else {
        Ok(())
    }
}

fn known_permissions(state: &State, permissions: &[String]) -> Result<(), Refused> {
    match permissions.iter().find(|p| !state.permissions.contains(p)) {
        Some(p) => Err(Refused::UnknownPermission(p.clone())),
        None => Ok(()),
    }
}

/// Applies one operation as the deployment would; on refusal the state is
/// unchanged.
pub fn apply_to_state(state: &mut State, op: &Operation) -> Result<(), Refused> {
    match op {
        Operation::CreateTeam { key, name } => {
            fresh(&state.teams, "team", key)?;
            state
                .teams
                .insert(key.clone(), TeamState { name: name.clone() });
        }
        Operation::CreateRole {
            key,
            name,
            permissions,
        } => {
            fresh(&state.roles, "role", key)?;
            known_permissions(state, permissions)?;
            state.roles.insert(key.clone(), role(name, permissions));
        }
        Operation::UpdateRole {
            key,
            name,
            permissions,
        } => {
            need(&state.roles, "role", key)?;
            known_permissions(state, permissions)?;
            state.roles.insert(key.clone(), role(name, permissions));
        }
        Operation::CreateUser { email, name, teams } => {
            fresh(&state.users, "user", email)?;
            for m in teams {
                need(&state.teams, "team", &m.team)?;
                need(&state.roles, "role", &m.role)?;
            }
            let teams = teams
                .iter()
                .map(|m| (m.team.clone(), m.role.clone()))
                .collect();
            state.users.insert(
                email.clone(),
                UserState {
                    name: name.clone(),
                    teams,
                },
            );
        }
        Operation::AddToTeam { email, team, role } => {
            need(&state.teams, "team", team)?;
            need(&state.roles, "role", role)?;
            let user = state.users.get_mut(email).ok_or_else(|| Refused::Unknown {
                what: "user",
                key: email.clone(),
            })?;
            user.teams.insert(team.clone(), role.clone());
        }
        Operation::ShareProject { project, shares } => {
            need(&state.projects, "project", project)?;
            let mut list = BTreeMap::new();
            for s in shares {
                need(&state.teams, "team", &s.team)?;
                need(&state.roles, "role", &s.role)?;
                let share = ShareState {
                    role: s.role.clone(),
                    owner: s.owner,
                };
                if list.insert(s.team.clone(), share).is_some() {
                    return Err(Refused::DuplicateShare(project.clone()));
                }
            }
            if let Some(p) = state.projects.get_mut(project) {
                p.shares = list;
            }
        }
        Operation::RemoveFromTeam { email, team } => {
            let user = state.users.get_mut(email).ok_or_else(|| Refused::Unknown {
                what: "user",
                key: email.clone(),
            })?;
            if user.teams.remove(team).is_none() {
                return Err(Refused::NotMember {
                    email: email.clone(),
                    team: team.clone(),
                });
            }
        }
    }
    Ok(())
}

fn role(name: &str, permissions: &[String]) -> RoleState {
    let mut permissions = permissions.to_vec();
    permissions.sort();
    permissions.dedup();
    RoleState {
        name: name.to_string(),
        permissions,
    }
}
