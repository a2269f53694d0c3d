//! Shared by the `plan_*` modules: a small org with a `project` kind, its
//! deployment state written by hand, and a builder to change that state.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rolegraph::adaptive::simulate::apply_to_state;
use rolegraph::adaptive::state::{ProjectState, RoleState, ShareState, TeamState, UserState};
use rolegraph::adaptive::{plan, Plan, PlanOptions, State};
use rolegraph::Policy;

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/adaptive").join(name)
}

/// A small org as a deployment would hold it: kind `project`, an aliased
/// role, includes and a wildcard to flatten, `auth` with defaults and an
/// admin, and a `dataset` kind the API cannot share.
pub const ORG: &str = r#"
kind project "Project"
kind dataset "Dataset"

permission project:read  on project "Read"
permission project:adapt on project "Fine-tune"
permission project:share on project requires owner, target team "Share"
permission team:manage   on team "Manage the team"
permission admin:manage_users on team, global "Manage users"

auth {
  admin_team   admin
  default_team default
  default_role viewer
  admins       root@acme.com
}

role admin "Admin" { grant * }
role viewer "Viewer" { grant project:read }
role builder "Builder" {
  alias builder_v1
  includes viewer
  grant project:adapt, project:share
}

team admin "Admin"
team default "Default"
team ml "ML" {
  member ana@acme.com as builder
}
team ops "Ops"

user bo@acme.com "Bo" {
  in ml as viewer
  in ops as builder
}

project bot "Bot" {
  share ml as builder owner
  share ops as viewer
}

dataset corpus {
  share ml as viewer owner
}
"#;

pub fn org() -> Policy {
    Policy::from_text("org.policy", ORG).unwrap()
}

pub fn policy(text: &str) -> Policy {
    match Policy::from_text("test.policy", text) {
        Ok(p) => p,
        Err(e) => panic!("test policy does not check: {e:?}"),
    }
}

/// Builds a state by hand.
#[derive(Clone, Debug)]
pub struct Builder(pub State);

impl Builder {
    pub fn new(permissions: &[&str]) -> Builder {
        let mut s = State::new();
        s.permissions = permissions.iter().map(|p| p.to_string()).collect();
        s.permissions.sort();
        Builder(s)
    }
    pub fn role(mut self, key: &str, name: &str, perms: &[&str]) -> Builder {
        let mut permissions: Vec<String> = perms.iter().map(|p| p.to_string()).collect();
        permissions.sort();
        self.0.roles.insert(
            key.into(),
            RoleState {
                name: name.into(),
                permissions,
            },
        );
        self
    }
    pub fn team(mut self, key: &str, name: &str) -> Builder {
        self.0
            .teams
            .insert(key.into(), TeamState { name: name.into() });
        self
    }
    pub fn user(mut self, email: &str, name: &str, teams: &[(&str, &str)]) -> Builder {
        self.0.users.insert(
            email.into(),
            UserState {
                name: name.into(),
                teams: teams
                    .iter()
                    .map(|(t, r)| (t.to_string(), r.to_string()))
                    .collect(),
            },
        );
        self
    }
    pub fn project(mut self, key: &str, name: &str, shares: &[(&str, &str, bool)]) -> Builder {
        self.0.projects.insert(
            key.into(),
            ProjectState {
                name: name.into(),
                shares: shares
                    .iter()
                    .map(|(t, r, o)| {
                        (
                            t.to_string(),
                            ShareState {
                                role: r.to_string(),
                                owner: *o,
                            },
                        )
                    })
                    .collect(),
            },
        );
        self
    }
    pub fn build(self) -> State {
        self.0.validate().unwrap();
        self.0
    }
}

pub const PERMISSIONS: [&str; 5] = [
    "admin:manage_users",
    "project:adapt",
    "project:read",
    "project:share",
    "team:manage",
];

/// [`ORG`] exactly as the deployment holds it.
pub fn org_state() -> Builder {
    Builder::new(&PERMISSIONS)
        .role("admin", "Admin", &PERMISSIONS)
        .role("viewer", "Viewer", &["project:read"])
        .role(
            "builder",
            "Builder",
            &["project:adapt", "project:read", "project:share"],
        )
        .team("admin", "Admin")
        .team("default", "Default")
        .team("ml", "ML")
        .team("ops", "Ops")
        .user("root@acme.com", "root@acme.com", &[("admin", "admin")])
        .user("ana@acme.com", "ana@acme.com", &[("ml", "builder")])
        .user("bo@acme.com", "Bo", &[("ml", "viewer"), ("ops", "builder")])
        .project(
            "bot",
            "Bot",
            &[("ml", "builder", true), ("ops", "viewer", false)],
        )
}

pub fn plan_of(policy: &Policy, state: &State) -> Plan {
    plan(policy, state, None, &PlanOptions::default()).unwrap()
}

/// The operations' names, in order.
pub fn op_names(plan: &Plan) -> Vec<&'static str> {
    plan.operations.iter().map(|o| o.operation.name()).collect()
}

/// Applies every operation of a plan to a copy of the state, as the API
/// would, failing on the first it would refuse.
pub fn applied(state: &State, plan: &Plan) -> State {
    let mut s = state.clone();
    for op in &plan.operations {
        if let Err(e) = apply_to_state(&mut s, &op.operation) {
            panic!("the API would refuse `{}`: {e}", op.operation.name());
        }
    }
    s
}
