//! A deployment's state (SPEC §9) for an org of `orgen`: exactly what the
//! org's policy says ([`state`]), or with about 1% of it drifted
//! ([`drifted`]). Shared by path (`#[path]`) beside `orgen.rs`, whose module
//! must be `crate::orgen`.

#![allow(dead_code, reason = "each user of the module takes what it needs")]

use rolegraph::adaptive::state::{ProjectState, RoleState, ShareState, TeamState, UserState};
use rolegraph::adaptive::State;

use crate::orgen::{self, Org};

/// The roles' names, as `policies/adaptive.policy` titles them.
const ROLE_NAMES: [&str; 6] = [
    "Admin",
    "Platform Admin",
    "Power User",
    "Read-only",
    "Inference",
    "Annotator",
];

fn team_name(t: usize) -> String {
    if t == 0 {
        "Admin".to_string()
    } else {
        format!("Team {t}")
    }
}

/// The deployment exactly as the org's policy (`Org::files`) describes it.
pub fn state(org: &Org) -> State {
    let mut s = State::new();
    let mut permissions: Vec<String> = orgen::USE_CASE_PERMS
        .iter()
        .chain(&orgen::TEAM_PERMS)
        .chain(&orgen::GLOBAL_PERMS)
        .map(|p| p.to_string())
        .collect();
    permissions.sort();
    permissions.dedup();
    s.permissions = permissions;
    for (r, key) in orgen::ROLES.iter().enumerate() {
        let mut permissions: Vec<String> =
            orgen::role_perms(r).iter().map(|p| p.to_string()).collect();
        permissions.sort();
        permissions.dedup();
        s.roles.insert(
            key.to_string(),
            RoleState {
                name: ROLE_NAMES[r].to_string(),
                permissions,
            },
        );
    }
    s.teams.insert(
        "default".into(),
        TeamState {
            name: "Default".into(),
        },
    );
    for t in 0..org.teams {
        s.teams
            .insert(orgen::team_key(t), TeamState { name: team_name(t) });
    }
    for (u, memberships) in org.users.iter().enumerate() {
        let teams = memberships
            .iter()
            .map(|&(t, r)| (orgen::team_key(t), orgen::ROLES[r].to_string()))
            .collect();
        s.users.insert(
            orgen::user_email(u),
            UserState {
                name: format!("User {u}"),
                teams,
            },
        );
    }
    for (r, shares) in org.use_cases.iter().enumerate() {
        let shares = shares
            .iter()
            .map(|sh| {
                let share = ShareState {
                    role: orgen::ROLES[sh.role].to_string(),
                    owner: sh.owner,
                };
                (orgen::team_key(sh.team), share)
            })
            .collect();
        s.projects.insert(
            orgen::use_case_key(r),
            ProjectState {
                name: format!("Use case {r}"),
                shares,
            },
        );
    }
    s
}

/// [`state`] with about 1% drifted, each kind of drift a plan knows: every
/// 100th membership outside the admin team at another role, every 100th user
/// missing and as many undeclared users added, every 100th project's shares
/// changed, every 100th team missing (and with it the projects only it
/// had), and one role (`platform-admin`) short of a permission.
pub fn drifted(org: &Org) -> State {
    let mut s = state(org);
    const MEMBER_ROLES: [&str; 5] = ["admin", "power_user", "read-only", "inference", "annotator"];
    for (i, user) in s.users.values_mut().enumerate() {
        if i % 100 == 1 {
            if let Some((_, role)) = user.teams.iter_mut().find(|(t, _)| *t != "admin") {
                let at = MEMBER_ROLES.iter().position(|r| r == role).unwrap_or(0);
                *role = MEMBER_ROLES[(at + 1) % MEMBER_ROLES.len()].to_string();
            }
        }
    }
    let missing_users: Vec<String> = s.users.keys().step_by(100).cloned().collect();
    for email in &missing_users {
        s.users.remove(email);
    }
    for i in 0..missing_users.len() {
        s.users.insert(
            format!("stranger{i}@acme.com"),
            UserState {
                name: format!("Stranger {i}"),
                teams: [("team-1".to_string(), "read-only".to_string())].into(),
            },
        );
    }
    for (i, project) in s.projects.values_mut().enumerate() {
        if i % 100 == 2 {
            for share in project.shares.values_mut() {
                share.role = "read-only".into();
            }
        }
    }
    // Every 100th team (at least one in a small org), but team-1, where
    // the strangers are.
    let ordinary = s.teams.keys().filter(|k| k.starts_with("team-")).count();
    let missing_teams: Vec<String> = s
        .teams
        .keys()
        .filter(|k| k.starts_with("team-"))
        .step_by(100.min(ordinary / 2).max(1))
        .skip(1)
        .cloned()
        .collect();
    for team in &missing_teams {
        s.teams.remove(team);
        for user in s.users.values_mut() {
            user.teams.remove(team);
        }
        for project in s.projects.values_mut() {
            project.shares.remove(team);
        }
    }
    // A deployment keeps an owner on every project: another share becomes
    // the owner, and a project left with none is missing (a manual step).
    s.projects.retain(|_, p| !p.shares.is_empty());
    for project in s.projects.values_mut() {
        if !project.shares.values().any(|sh| sh.owner) {
            if let Some(first) = project.shares.values_mut().next() {
                first.owner = true;
            }
        }
    }
    // A role few hold (the admin team's platform admins), so that one
    // changed role is not a change to most users' access.
    if let Some(role) = s.roles.get_mut("platform-admin") {
        role.permissions.retain(|p| p != "team:manage");
    }
    s
}
