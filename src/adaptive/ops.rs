//! The operations a plan is made of, one per SDK call (SPEC §9
//! "Operations"), in the order they must run: `teams.create`, `roles.create`,
//! `roles.update`, `users.create`, `users.add_to_team`, `projects.share`,
//! `users.remove_from_team`. They say what to change in the deployment's
//! terms (keys, emails, names); the client turns each into its GraphQL
//! mutation (`createTeam`, `createRole`, `updateRole`, `createUser`,
//! `setTeamMember`, `shareProject`, `removeTeamMember`).

use serde::{Deserialize, Serialize};

/// One membership: a team key and the role key held in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamRole {
    pub team: String,
    pub role: String,
}

/// One share of a project: a team key, the share's role key, and whether it
/// is an owner share.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectShare {
    pub team: String,
    pub role: String,
    pub owner: bool,
}

/// One change to the deployment. Serialized as the plan JSON's
/// `{"op": …, "args": {…}}` (the `reason` lives beside it in the plan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", content = "args")]
pub enum Operation {
    #[serde(rename = "teams.create")]
    CreateTeam { key: String, name: String },
    #[serde(rename = "roles.create")]
    CreateRole {
        key: String,
        name: String,
        permissions: Vec<String>,
    },
    /// `name` and `permissions` are the role's complete new values.
    #[serde(rename = "roles.update")]
    UpdateRole {
        key: String,
        name: String,
        permissions: Vec<String>,
    },
    #[serde(rename = "users.create")]
    CreateUser {
        email: String,
        name: String,
        teams: Vec<TeamRole>,
    },
    /// A membership added, or its role changed.
    #[serde(rename = "users.add_to_team")]
    AddToTeam {
        email: String,
        team: String,
        role: String,
    },
    /// The project's complete share list: it replaces the current one.
    #[serde(rename = "projects.share")]
    ShareProject {
        project: String,
        shares: Vec<ProjectShare>,
    },
    #[serde(rename = "users.remove_from_team")]
    RemoveFromTeam { email: String, team: String },
}

impl Operation {
    /// The SDK call this operation stands for (`teams.create`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Operation::CreateTeam { .. } => "teams.create",
            Operation::CreateRole { .. } => "roles.create",
            Operation::UpdateRole { .. } => "roles.update",
            Operation::CreateUser { .. } => "users.create",
            Operation::AddToTeam { .. } => "users.add_to_team",
            Operation::ShareProject { .. } => "projects.share",
            Operation::RemoveFromTeam { .. } => "users.remove_from_team",
        }
    }
}
