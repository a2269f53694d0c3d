//! The stand-in's in-memory deployment and the API's own rules: a
//! membership or share needs an existing user, team and role; a role's
//! permissions must be ones the deployment lists; keys and emails are
//! unique (emails case-insensitively); `shareProject` replaces the list.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_graphql::ID;
use rolegraph::adaptive::state::{
    ProjectState, RoleState, ShareState, State, TeamState, UserState,
};

use super::schema::{
    Project, ProjectShares, Role, RoleCreate, RoleUpdate, Share, Team, TeamCreate, TeamMember,
    TeamMemberRemove, TeamMemberSet, TeamWithrole, User, UserCreate, UserCreateResult, UserType,
};

/// What the server and its handle share.
pub struct Shared {
    pub key: String,
    store: Mutex<Store>,
    /// HTTP requests to the GraphQL endpoint, rejected ones included.
    pub requests: AtomicU64,
    /// Mutation fields run (one per operation, whatever the batching).
    pub mutations: AtomicU64,
    /// The number of the mutation (as counted by `mutations`) to fail.
    pub fail_at: Mutex<Option<u64>>,
    pub latency: Mutex<Duration>,
}

impl Shared {
    pub fn new(key: &str, store: Store) -> Arc<Shared> {
        Arc::new(Shared {
            key: key.to_string(),
            store: Mutex::new(store),
            requests: AtomicU64::new(0),
            mutations: AtomicU64::new(0),
            fail_at: Mutex::new(None),
            latency: Mutex::new(Duration::ZERO),
        })
    }

    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts one mutation; the chosen one fails before touching anything.
    pub fn count_mutation(&self) -> Result<(), String> {
        let n = self.mutations.fetch_add(1, Ordering::SeqCst) + 1;
        if *self.fail_at.lock().unwrap() == Some(n) {
            return Err(format!("injected failure of mutation {n}"));
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
struct RoleRec {
    id: u64,
    name: String,
    permissions: Vec<String>,
}
#[derive(Clone, Debug)]
struct TeamRec {
    id: u64,
    name: String,
}
#[derive(Clone, Debug)]
struct UserRec {
    id: u64,
    /// As it was given (the store's key is its lower-case form).
    email: String,
    name: String,
    /// Team key → role key.
    teams: BTreeMap<String, String>,
}
#[derive(Clone, Debug)]
struct ProjectRec {
    id: u64,
    name: String,
    /// In the order `shareProject` gave them.
    shares: Vec<(String, String, bool)>,
}

/// The deployment's access state.
#[derive(Default, Debug)]
pub struct Store {
    pub permissions: BTreeSet<String>,
    roles: BTreeMap<String, RoleRec>,
    teams: BTreeMap<String, TeamRec>,
    /// Lower-case email → user.
    users: BTreeMap<String, UserRec>,
    projects: BTreeMap<String, ProjectRec>,
    /// The key's own user (lower-case email).
    pub me: Option<String>,
    next_id: u64,
}

const CREATED_AT: i64 = 1_700_000_000;

impl Store {
    /// A deployment holding exactly `state`.
    pub fn from_state(state: &State) -> Store {
        let mut store = Store {
            permissions: state.permissions.iter().cloned().collect(),
            ..Store::default()
        };
        for (key, role) in &state.roles {
            let id = store.id();
            store.roles.insert(
                key.clone(),
                RoleRec {
                    id,
                    name: role.name.clone(),
                    permissions: role.permissions.clone(),
                },
            );
        }
        for (key, team) in &state.teams {
            let id = store.id();
            store.teams.insert(
                key.clone(),
                TeamRec {
                    id,
                    name: team.name.clone(),
                },
            );
        }
        for (email, user) in &state.users {
            let id = store.id();
            store.users.insert(
                email.to_ascii_lowercase(),
                UserRec {
                    id,
                    email: email.clone(),
                    name: user.name.clone(),
                    teams: user.teams.clone(),
                },
            );
        }
        for (key, project) in &state.projects {
            let id = store.id();
            let shares = project
                .shares
                .iter()
                .map(|(team, s)| (team.clone(), s.role.clone(), s.owner))
                .collect();
            store.projects.insert(
                key.clone(),
                ProjectRec {
                    id,
                    name: project.name.clone(),
                    shares,
                },
            );
        }
        store
    }

    /// The deployment as a state file describes it.
    pub fn to_state(&self) -> State {
        let mut state = State::new();
        state.permissions = self.permissions.iter().cloned().collect();
        for (key, r) in &self.roles {
            let mut permissions = r.permissions.clone();
            permissions.sort();
            permissions.dedup();
            state.roles.insert(
                key.clone(),
                RoleState {
                    name: r.name.clone(),
                    permissions,
                },
            );
        }
        for (key, t) in &self.teams {
            state.teams.insert(
                key.clone(),
                TeamState {
                    name: t.name.clone(),
                },
            );
        }
        for (email, u) in &self.users {
            state.users.insert(
                email.clone(),
                UserState {
                    name: u.name.clone(),
                    teams: u.teams.clone(),
                },
            );
        }
        for (key, p) in &self.projects {
            let shares = p
                .shares
                .iter()
                .map(|(team, role, owner)| {
                    (
                        team.clone(),
                        ShareState {
                            role: role.clone(),
                            owner: *owner,
                        },
                    )
                })
                .collect();
            state.projects.insert(
                key.clone(),
                ProjectState {
                    name: p.name.clone(),
                    shares,
                },
            );
        }
        state
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    // ---- building answers -------------------------------------------------

    pub fn all_users(&self) -> Vec<User> {
        self.users.keys().filter_map(|e| self.user(e)).collect()
    }
    pub fn all_roles(&self) -> Vec<Role> {
        self.roles.keys().filter_map(|k| self.role(k)).collect()
    }
    pub fn all_teams(&self) -> Vec<Team> {
        self.teams.keys().filter_map(|k| self.team(k)).collect()
    }
    pub fn all_projects(&self) -> Vec<Project> {
        self.projects
            .keys()
            .filter_map(|k| self.project(k))
            .collect()
    }

    pub fn team(&self, key: &str) -> Option<Team> {
        let t = self.teams.get(key)?;
        Some(Team {
            id: ID(format!("team-{}", t.id)),
            key: key.to_string(),
            name: t.name.clone(),
            created_at: CREATED_AT,
        })
    }

    pub fn role(&self, key: &str) -> Option<Role> {
        let r = self.roles.get(key)?;
        Some(Role {
            id: ID(format!("role-{}", r.id)),
            key: key.to_string(),
            name: r.name.clone(),
            created_at: CREATED_AT,
            permissions: r.permissions.clone(),
        })
    }

    /// A user by lower-case email.
    pub fn user(&self, email: &str) -> Option<User> {
        let u = self.users.get(email)?;
        let teams = u
            .teams
            .iter()
            .filter_map(|(team, role)| {
                Some(TeamWithrole {
                    team: self.team(team)?,
                    role: self.role(role)?,
                })
            })
            .collect();
        Some(User {
            id: ID(format!("user-{}", u.id)),
            email: u.email.clone(),
            name: u.name.clone(),
            created_at: CREATED_AT,
            teams,
        })
    }

    pub fn project(&self, key: &str) -> Option<Project> {
        let p = self.projects.get(key)?;
        let shares = p
            .shares
            .iter()
            .filter_map(|(team, role, owner)| {
                Some(Share {
                    team: self.team(team)?,
                    role: self.role(role)?,
                    is_owner: *owner,
                })
            })
            .collect();
        Some(Project {
            id: ID(format!("project-{}", p.id)),
            key: key.to_string(),
            name: p.name.clone(),
            description: String::new(),
            created_at: CREATED_AT,
            permissions: Vec::new(),
            shares,
        })
    }

    // ---- lookups that enforce existence ----------------------------------

    /// A user by id or email (case-insensitive): its store key.
    fn find_user(&self, id_or_email: &str) -> Result<String, String> {
        let lower = id_or_email.to_ascii_lowercase();
        if self.users.contains_key(&lower) {
            return Ok(lower);
        }
        self.users
            .iter()
            .find(|(_, u)| format!("user-{}", u.id) == id_or_email)
            .map(|(k, _)| k.clone())
            .ok_or_else(|| format!("user `{id_or_email}` not found"))
    }

    fn find_team(&self, id_or_key: &str) -> Result<String, String> {
        if self.teams.contains_key(id_or_key) {
            return Ok(id_or_key.to_string());
        }
        self.teams
            .iter()
            .find(|(_, t)| format!("team-{}", t.id) == id_or_key)
            .map(|(k, _)| k.clone())
            .ok_or_else(|| format!("team `{id_or_key}` not found"))
    }

    fn find_role(&self, id_or_key: &str) -> Result<String, String> {
        if self.roles.contains_key(id_or_key) {
            return Ok(id_or_key.to_string());
        }
        self.roles
            .iter()
            .find(|(_, r)| format!("role-{}", r.id) == id_or_key)
            .map(|(k, _)| k.clone())
            .ok_or_else(|| format!("role `{id_or_key}` not found"))
    }

    fn find_project(&self, id_or_key: &str) -> Result<String, String> {
        if self.projects.contains_key(id_or_key) {
            return Ok(id_or_key.to_string());
        }
        self.projects
            .iter()
            .find(|(_, p)| format!("project-{}", p.id) == id_or_key)
            .map(|(k, _)| k.clone())
            .ok_or_else(|| format!("project `{id_or_key}` not found"))
    }

    fn check_permissions(&self, permissions: &[String]) -> Result<(), String> {
        match permissions.iter().find(|p| !self.permissions.contains(*p)) {
            Some(p) => Err(format!("unknown permission `{p}`")),
            None => Ok(()),
        }
    }

    fn check_key(key: &str, what: &str) -> Result<(), String> {
        if key.is_empty() || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("`{key}` is not a valid {what} key"));
        }
        Ok(())
    }

    // ---- mutations -----------------------------------------------------------

    pub fn create_team(&mut self, input: TeamCreate) -> Result<Team, String> {
        let key = input.key.unwrap_or_else(|| slug(&input.name));
        Self::check_key(&key, "team")?;
        if self.teams.contains_key(&key) {
            return Err(format!("team `{key}` already exists"));
        }
        let id = self.id();
        self.teams.insert(
            key.clone(),
            TeamRec {
                id,
                name: input.name,
            },
        );
        Ok(self.team(&key).unwrap())
    }

    pub fn create_role(&mut self, input: RoleCreate) -> Result<Role, String> {
        let key = input.key.unwrap_or_else(|| slug(&input.name));
        Self::check_key(&key, "role")?;
        if self.roles.contains_key(&key) {
            return Err(format!("role `{key}` already exists"));
        }
        self.check_permissions(&input.permissions)?;
        let id = self.id();
        self.roles.insert(
            key.clone(),
            RoleRec {
                id,
                name: input.name,
                permissions: input.permissions,
            },
        );
        Ok(self.role(&key).unwrap())
    }

    pub fn update_role(&mut self, input: RoleUpdate) -> Result<Role, String> {
        let key = self.find_role(&input.role)?;
        if let Some(permissions) = &input.permissions {
            self.check_permissions(permissions)?;
        }
        let role = self.roles.get_mut(&key).unwrap();
        if let Some(name) = input.name {
            role.name = name;
        }
        if let Some(permissions) = input.permissions {
            role.permissions = permissions;
        }
        Ok(self.role(&key).unwrap())
    }

    pub fn create_user(&mut self, input: UserCreate) -> Result<UserCreateResult, String> {
        if input.user_type != UserType::Human {
            return Err("the stand-in creates human users only".to_string());
        }
        let email = input.email.ok_or("an email is required for a human user")?;
        if !email.contains('@') || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("`{email}` is not an email address"));
        }
        let lower = email.to_ascii_lowercase();
        if self.users.contains_key(&lower) {
            return Err(format!("user `{email}` already exists"));
        }
        let mut teams = BTreeMap::new();
        for m in &input.teams {
            let team = self.find_team(&m.team)?;
            let role = self.find_role(&m.role)?;
            teams.insert(team, role);
        }
        let id = self.id();
        self.users.insert(
            lower.clone(),
            UserRec {
                id,
                email,
                name: input.name,
                teams,
            },
        );
        Ok(UserCreateResult {
            user: self.user(&lower).unwrap(),
            generated_api_key: None,
        })
    }

    pub fn set_team_member(&mut self, input: TeamMemberSet) -> Result<TeamMember, String> {
        let user = self.find_user(&input.user)?;
        let team = self.find_team(&input.team)?;
        let role = self.find_role(&input.role)?;
        self.users
            .get_mut(&user)
            .unwrap()
            .teams
            .insert(team.clone(), role.clone());
        Ok(TeamMember {
            user: self.user(&user).unwrap(),
            team: self.team(&team).unwrap(),
            role: self.role(&role).unwrap(),
        })
    }

    pub fn remove_team_member(&mut self, input: TeamMemberRemove) -> Result<User, String> {
        let user = self.find_user(&input.user)?;
        let team = self.find_team(&input.team)?;
        if self
            .users
            .get_mut(&user)
            .unwrap()
            .teams
            .remove(&team)
            .is_none()
        {
            return Err(format!(
                "user `{}` is not a member of team `{team}`",
                input.user
            ));
        }
        Ok(self.user(&user).unwrap())
    }

    pub fn share_project(
        &mut self,
        id_or_key: &str,
        input: ProjectShares,
    ) -> Result<Project, String> {
        let project = self.find_project(id_or_key)?;
        let mut shares = Vec::new();
        let mut seen = BTreeSet::new();
        for s in input.shares {
            let team = self.find_team(&s.team)?;
            let role = self.find_role(&s.role)?;
            if !seen.insert(team.clone()) {
                return Err(format!("team `{team}` is given twice"));
            }
            shares.push((team, role, s.is_owner));
        }
        self.projects.get_mut(&project).unwrap().shares = shares;
        Ok(self.project(&project).unwrap())
    }
}

fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}
