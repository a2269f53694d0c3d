//! The stand-in's GraphQL schema, written from `adaptive-sdk` 0.14.2
//! (`graphql_client/`): object types carry the fields the SDK's fragments
//! select for them (`UserData`, `ProjectData`'s `shares`, the `ListRoles`
//! and `ListTeams` selections), inputs are exactly `input_types.py`'s, and
//! the root fields are those `custom_queries.py` / `custom_mutations.py`
//! declare for what rolegraph uses. async-graphql validates every request
//! against it, so a misspelt field or a wrong input fails here as it would
//! on the real server.
//!
//! Left out: everything rolegraph never asks for (models, metrics, jobs, …),
//! among them `Project.metrics` and `Project.modelServices`.

use std::sync::Arc;

use async_graphql::{
    Context, Enum, InputObject, InputValueError, InputValueResult, Object, Scalar, ScalarType,
    SimpleObject, Value, ID,
};

use super::store::{Shared, Store};

pub type StandinSchema = async_graphql::Schema<Query, Mutation, async_graphql::EmptySubscription>;

pub fn build(shared: Arc<Shared>) -> StandinSchema {
    async_graphql::Schema::build(Query, Mutation, async_graphql::EmptySubscription)
        .data(shared)
        .finish()
}

/// `IdOrKey`: an id or a key (the SDK maps it to `str`).
pub struct IdOrKey(pub String);

#[Scalar]
impl ScalarType for IdOrKey {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(s) => Ok(IdOrKey(s)),
            other => Err(InputValueError::expected_type(other)),
        }
    }
    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

// ---- object types ------------------------------------------------------

/// `ListTeamsTeams`, `UserDataTeamsTeam`: id key name createdAt.
#[derive(SimpleObject, Clone)]
pub struct Team {
    pub id: ID,
    pub key: String,
    pub name: String,
    pub created_at: i64,
}

/// `ListRolesRoles`, `UserDataTeamsRole`: id key name createdAt permissions.
#[derive(SimpleObject, Clone)]
pub struct Role {
    pub id: ID,
    pub key: String,
    pub name: String,
    pub created_at: i64,
    pub permissions: Vec<String>,
}

/// `UserDataTeams`: team role.
#[derive(SimpleObject, Clone)]
pub struct TeamWithrole {
    pub team: Team,
    pub role: Role,
}

/// `UserData`: id email name createdAt teams.
#[derive(SimpleObject, Clone)]
pub struct User {
    pub id: ID,
    pub email: String,
    pub name: String,
    pub created_at: i64,
    pub teams: Vec<TeamWithrole>,
}

/// `ProjectDataShares`: team role isOwner.
#[derive(SimpleObject, Clone)]
pub struct Share {
    pub team: Team,
    pub role: Role,
    pub is_owner: bool,
}

/// `ProjectData` without `metrics` and `modelServices`.
#[derive(SimpleObject, Clone)]
pub struct Project {
    pub id: ID,
    pub key: String,
    pub name: String,
    pub description: String,
    pub created_at: i64,
    pub permissions: Vec<String>,
    pub shares: Vec<Share>,
}

/// `UpdateUserSetTeamMember`: user team role.
#[derive(SimpleObject, Clone)]
pub struct TeamMember {
    pub user: User,
    pub team: Team,
    pub role: Role,
}

/// `CreateUserCreateUser`: user generatedApiKey.
#[derive(SimpleObject, Clone)]
pub struct UserCreateResult {
    pub user: User,
    pub generated_api_key: Option<String>,
}

// ---- input types (input_types.py) --------------------------------------

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
pub enum UserType {
    Human,
    System,
}

#[derive(InputObject)]
pub struct TeamCreate {
    pub key: Option<String>,
    pub name: String,
}

#[derive(InputObject)]
pub struct RoleCreate {
    pub key: Option<String>,
    pub name: String,
    pub permissions: Vec<String>,
}

#[derive(InputObject)]
pub struct RoleUpdate {
    pub role: String,
    pub name: Option<String>,
    pub permissions: Option<Vec<String>>,
}

#[derive(InputObject)]
pub struct UserCreateTeamWithRole {
    pub team: String,
    pub role: String,
}

#[derive(InputObject)]
pub struct UserCreate {
    pub email: Option<String>,
    pub name: String,
    pub teams: Vec<UserCreateTeamWithRole>,
    #[graphql(default_with = "UserType::Human")]
    pub user_type: UserType,
    pub generate_api_key: Option<bool>,
}

#[derive(InputObject)]
pub struct TeamMemberSet {
    pub user: String,
    pub team: String,
    pub role: String,
}

#[derive(InputObject)]
pub struct TeamMemberRemove {
    pub user: String,
    pub team: String,
}

#[derive(InputObject)]
pub struct ProjectShareInput {
    pub team: String,
    pub role: String,
    pub is_owner: bool,
}

#[derive(InputObject)]
pub struct ProjectShares {
    pub shares: Vec<ProjectShareInput>,
}

#[derive(InputObject, Default)]
pub struct ProjectFilter {
    pub is_archived: Option<bool>,
}

// ---- root fields ---------------------------------------------------------

pub struct Query;

#[Object]
impl Query {
    /// Currently logged in user
    async fn me(&self, ctx: &Context<'_>) -> Option<User> {
        let store = shared(ctx).store();
        let me = store.me.clone()?;
        store.user(&me)
    }
    async fn users(&self, ctx: &Context<'_>) -> Vec<User> {
        let store = shared(ctx).store();
        store.all_users()
    }
    async fn roles(&self, ctx: &Context<'_>) -> Vec<Role> {
        let store = shared(ctx).store();
        store.all_roles()
    }
    async fn permissions(&self, ctx: &Context<'_>) -> Vec<String> {
        shared(ctx).store().permissions.iter().cloned().collect()
    }
    async fn teams(&self, ctx: &Context<'_>) -> Vec<Team> {
        let store = shared(ctx).store();
        store.all_teams()
    }
    async fn projects(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] filter: ProjectFilter,
    ) -> Vec<Project> {
        // Nothing is ever archived here.
        if filter.is_archived == Some(true) {
            return Vec::new();
        }
        let store = shared(ctx).store();
        store.all_projects()
    }
}

pub struct Mutation;

#[Object]
impl Mutation {
    async fn create_team(
        &self,
        ctx: &Context<'_>,
        input: TeamCreate,
    ) -> async_graphql::Result<Team> {
        with_store(ctx, |s| s.create_team(input))
    }
    async fn create_role(
        &self,
        ctx: &Context<'_>,
        input: RoleCreate,
    ) -> async_graphql::Result<Role> {
        with_store(ctx, |s| s.create_role(input))
    }
    async fn update_role(
        &self,
        ctx: &Context<'_>,
        input: RoleUpdate,
    ) -> async_graphql::Result<Role> {
        with_store(ctx, |s| s.update_role(input))
    }
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        input: UserCreate,
    ) -> async_graphql::Result<UserCreateResult> {
        with_store(ctx, |s| s.create_user(input))
    }
    async fn set_team_member(
        &self,
        ctx: &Context<'_>,
        input: TeamMemberSet,
    ) -> async_graphql::Result<TeamMember> {
        with_store(ctx, |s| s.set_team_member(input))
    }
    async fn remove_team_member(
        &self,
        ctx: &Context<'_>,
        input: TeamMemberRemove,
    ) -> async_graphql::Result<User> {
        with_store(ctx, |s| s.remove_team_member(input))
    }
    async fn share_project(
        &self,
        ctx: &Context<'_>,
        id_or_key: IdOrKey,
        input: ProjectShares,
    ) -> async_graphql::Result<Project> {
        with_store(ctx, |s| s.share_project(&id_or_key.0, input))
    }
}

fn shared<'a>(ctx: &Context<'a>) -> &'a Arc<Shared> {
    ctx.data_unchecked::<Arc<Shared>>()
}

/// Counts the mutation (failing it if it is the one chosen to fail), then
/// runs it on the store under its lock.
fn with_store<T>(
    ctx: &Context<'_>,
    f: impl FnOnce(&mut Store) -> Result<T, String>,
) -> async_graphql::Result<T> {
    let shared = shared(ctx);
    shared.count_mutation()?;
    let mut store = shared.store();
    f(&mut store).map_err(async_graphql::Error::new)
}
