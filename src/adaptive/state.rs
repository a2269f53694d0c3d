//! The access state of a deployment as SPEC §9's state file holds it:
//! permissions, roles, teams, users with their memberships, projects with
//! their shares. Maps are `BTreeMap`s, so the bytes written are sorted and
//! deterministic.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The `schema` value of a state file.
pub const SCHEMA: &str = "rolegraph/adaptive-state";
/// The `version` value of a state file.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub schema: String,
    pub version: u32,
    /// Every permission the deployment knows, sorted.
    pub permissions: Vec<String>,
    /// Role key → role.
    pub roles: BTreeMap<String, RoleState>,
    /// Team key → team.
    pub teams: BTreeMap<String, TeamState>,
    /// Lower-case email → user.
    pub users: BTreeMap<String, UserState>,
    /// Project key → project.
    pub projects: BTreeMap<String, ProjectState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleState {
    pub name: String,
    /// Sorted.
    pub permissions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamState {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserState {
    pub name: String,
    /// Team key → role key.
    pub teams: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectState {
    pub name: String,
    /// Team key → share.
    pub shares: BTreeMap<String, ShareState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareState {
    pub role: String,
    pub owner: bool,
}
