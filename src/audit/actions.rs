//! The access-changing actions the audit models, and the permissions that
//! enable them, looked up by name once per policy.
//!
//! A policy that does not declare one of these permissions simply has no such
//! action: the audit only follows what the policy itself permits.

use crate::resolve::{Model, PermId, PermSet, RoleId, TeamId};

/// Permissions that let a holder add members to a team and set their roles.
pub const TEAM_MANAGE: &[&str] = &["team:manage", "admin:manage_users"];
/// Held on `global`: add anyone to any team, at any role allowed there.
pub const USERS_GLOBAL: &str = "admin:manage_users";
/// Held on `global`: create or update roles with any permissions.
pub const ROLES_GLOBAL: &str = "admin:manage_roles";
/// Held on `global`: create teams (the creator places themselves in them).
pub const TEAMS_GLOBAL: &str = "admin:manage_teams";
/// The action part of a sharing permission (`use_case:share`): a permission
/// named `KIND:share`, declared on a resource kind.
pub const SHARE_ACTION: &str = "share";

/// The enabling permissions of one policy, and the role unions the actions
/// can reach.
#[derive(Debug)]
pub struct Actions {
    pub team_manage: Vec<PermId>,
    pub users_global: Option<PermId>,
    pub roles_global: Option<PermId>,
    pub teams_global: Option<PermId>,
    /// Sharing permissions (declared on some kind).
    pub share: Vec<PermId>,
    /// Union of the permissions of every role: the widest share cap.
    pub any_role: PermSet,
    /// Union of the permissions of every role without `only in`: what a
    /// member of a team no restriction names (or a new team) can be given.
    pub unrestricted: PermSet,
    /// Roles restricted by `only in`, with their allowed teams.
    restricted: Vec<(RoleId, Vec<TeamId>)>,
}

impl Actions {
    pub fn new(model: &Model) -> Actions {
        let global = |name: &str| model.perm(name).filter(|&p| model[p].scopes.global);
        let team_manage = TEAM_MANAGE
            .iter()
            .filter_map(|name| model.perm(name))
            .filter(|&p| model[p].scopes.team)
            .collect();
        let share = model
            .perm_ids()
            .filter(|&p| {
                let perm = &model[p];
                perm.name.split_once(':').map(|(_, a)| a) == Some(SHARE_ACTION)
                    && !perm.scopes.kinds.is_empty()
            })
            .collect();
        let mut any_role = PermSet::default();
        let mut unrestricted = PermSet::default();
        let mut restricted = Vec::new();
        for rid in model.role_ids() {
            let role = &model[rid];
            any_role.union_with(&role.perms);
            match &role.allowed_teams {
                None => unrestricted.union_with(&role.perms),
                Some(teams) => restricted.push((rid, teams.clone())),
            }
        }
        Actions {
            team_manage,
            users_global: global(USERS_GLOBAL),
            roles_global: global(ROLES_GLOBAL),
            teams_global: global(TEAMS_GLOBAL),
            share,
            any_role,
            unrestricted,
            restricted,
        }
    }

    /// What a member of `team` can be given: every role allowed there
    /// (`only in`, inherited restrictions included), as one union.
    pub fn allowed_union(&self, model: &Model, team: Option<TeamId>) -> PermSet {
        let mut set = self.unrestricted.clone();
        if let Some(team) = team {
            for (rid, teams) in &self.restricted {
                if teams.contains(&team) {
                    set.union_with(&model[*rid].perms);
                }
            }
        }
        set
    }

    /// The roles a member of `team` may hold (`None`: a new team).
    pub fn allowed_roles(&self, model: &Model, team: Option<TeamId>) -> Vec<RoleId> {
        model
            .role_ids()
            .filter(|&r| match team {
                Some(t) => model[r].allowed_in(t),
                None => model[r].allowed_teams.is_none(),
            })
            .collect()
    }

    /// Whether the policy declares any action at all (if not, nobody escalates).
    pub fn any(&self) -> bool {
        !self.team_manage.is_empty()
            || self.users_global.is_some()
            || self.roles_global.is_some()
            || self.teams_global.is_some()
            || !self.share.is_empty()
    }
}
