//! The deployment read as a policy, so that `diff adaptive:STATE.json NEW`
//! is the ordinary access diff (SPEC §9).
//!
//! In: a [`State`] and the NEW policy. Out: [`DiffSides`]: OLD, the
//! deployment as a policy with NEW's permission declarations, kinds, admin
//! team and defaults — its roles are their permission lists (a permission
//! NEW does not declare grants nothing, and is named in a note), every user in
//! it is declared, its memberships (admins included) and project shares are
//! the deployment's — and NEW without the resources of kinds the API cannot
//! share (they are left out of both sides).
//!
//! OLD is built as a model directly, not written as text and parsed: a
//! deployment may hold what a policy file may not (a project without an owner
//! share), and the diff must show it as it is.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::state::State;
use super::target::{deployment_role_keys, project_kind};
use crate::compile::compile;
use crate::resolve::{
    Auth, Grant, KindId, MemberSource, Membership, Model, Names, PermSet, Resource, Role, RoleId,
    Share, Team, TeamId, User, UserId,
};
use crate::source::Span;
use crate::Policy;

/// The two sides of `diff adaptive:STATE.json NEW`.
pub struct DiffSides {
    /// The deployment, as a policy.
    pub old: Policy,
    /// NEW without its unsynced resources; `None` when it has none (compare
    /// with NEW itself).
    pub new: Option<Policy>,
    /// What was left out or could not be read, in words.
    pub notes: Vec<String>,
}

/// Both sides of the diff of a deployment against a policy.
pub fn diff_sides(state: &State, new: &Policy) -> DiffSides {
    let mut notes = Vec::new();
    let old = deployment_policy(state, new, &mut notes);
    let new = synced_only(new, &mut notes);
    DiffSides { old, new, notes }
}

/// The id of the item at `index` of a role, team or user table built from
/// a state. A state is at most 64 MiB as a file (1 GiB as a live answer), so
/// its tables hold far fewer than the 2^32 items these ids count.
#[expect(
    clippy::cast_possible_truncation,
    reason = "a state's tables hold far fewer than 2^32 items"
)]
fn table_id(index: usize) -> u32 {
    index as u32
}

fn title(name: &str, key: &str) -> Option<String> {
    (name != key).then(|| name.to_string())
}

/// The deployment as a policy read through NEW's declarations.
fn deployment_policy(state: &State, new: &Policy, notes: &mut Vec<String>) -> Policy {
    let nm = &new.model;
    let span = Span::default();
    let mut model = Model {
        kinds: nm.kinds.clone(),
        perms: nm.perms.clone(),
        ..Model::default()
    };

    // A deployment role known by an alias of a NEW role is that role (when
    // the deployment does not also have the role's own key).
    let deployed_keys = deployment_role_keys(nm, state);
    let shown: HashMap<&str, &str> = nm
        .roles
        .iter()
        .zip(&deployed_keys)
        .filter(|(role, deployed)| role.key != **deployed)
        .map(|(role, deployed)| (deployed.as_str(), role.key.as_str()))
        .collect();
    let mut role_ids: HashMap<&str, RoleId> = HashMap::new();
    let mut undeclared: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (key, role) in &state.roles {
        let key_shown = shown.get(key.as_str()).copied().unwrap_or(key);
        let mut perms = PermSet::with_capacity(model.perms.len());
        let mut grants = Vec::new();
        for p in &role.permissions {
            match nm.perm(p) {
                Some(id) => {
                    perms.insert(id);
                    grants.push(Grant {
                        pattern: p.clone(),
                        perms: vec![id],
                        span,
                    });
                }
                None => {
                    undeclared.entry(p).or_default().insert(key_shown);
                }
            }
        }
        role_ids.insert(key, RoleId(table_id(model.roles.len())));
        model.roles.push(Role {
            key: key_shown.to_string(),
            title: title(&role.name, key_shown),
            aliases: Vec::new(),
            includes: Vec::new(),
            grants,
            direct: perms.clone(),
            perms,
            only_in: None,
            allowed_teams: None,
            span,
        });
    }
    for (p, roles) in undeclared {
        let roles: Vec<String> = roles.iter().map(|r| format!("`{r}`")).collect();
        notes.push(format!(
            "permission `{p}` is not declared in the new policy: it grants nothing to role {} of the deployment",
            roles.join(", ")
        ));
    }

    let mut team_ids: HashMap<&str, TeamId> = HashMap::new();
    for (key, team) in &state.teams {
        team_ids.insert(key, TeamId(table_id(model.teams.len())));
        model.teams.push(Team {
            key: key.clone(),
            title: title(&team.name, key),
            span,
            members: Vec::new(),
        });
    }

    policy_only_shape(&mut model, nm, &role_ids, &team_ids, &shown);

    // Users in email order, each one's teams in key order: team ids follow
    // key order, so both member lists come out sorted as the resolver's are.
    for (email, user) in &state.users {
        let id = UserId(table_id(model.users.len()));
        let mut memberships = Vec::with_capacity(user.teams.len());
        for (team, role) in &user.teams {
            let (Some(&team), Some(&role)) =
                (team_ids.get(team.as_str()), role_ids.get(role.as_str()))
            else {
                continue;
            };
            let m = Membership {
                user: id,
                team,
                role,
                span,
                source: MemberSource::UserIn,
            };
            model.teams[team.index()].members.push(m);
            memberships.push(m);
        }
        model.users.push(User {
            email: email.clone(),
            name: title(&user.name, email),
            span,
            explicit: true,
            memberships,
        });
    }

    let kind = project_kind(nm).and_then(|k| nm.names.kinds.get(k).copied());
    match kind {
        Some(kind) => add_projects(&mut model, state, kind, &team_ids, &role_ids),
        None if !state.projects.is_empty() => notes.push(format!(
            "the new policy declares neither kind `project` nor `use_case`: the deployment's {} project(s) are left out",
            state.projects.len()
        )),
        None => {}
    }

    model.auth = auth(nm, &model, &deployed_keys, &team_ids, &role_ids, notes);
    model.names = Names::index(&model);
    let matrix = compile(&model);
    Policy {
        model,
        matrix,
        warnings: Vec::new(),
    }
}

/// Includes and `only in` live only in the policy (SPEC §9): each OLD role
/// takes those of the NEW role it stands for, so that the diff's changed
/// definitions show what the deployment holds differently, not what it
/// cannot hold at all. Permissions stay the deployment's.
fn policy_only_shape(
    model: &mut Model,
    nm: &Model,
    role_ids: &HashMap<&str, RoleId>,
    team_ids: &HashMap<&str, TeamId>,
    shown: &HashMap<&str, &str>,
) {
    let deployed: HashMap<&str, &str> = shown.iter().map(|(d, p)| (*p, *d)).collect();
    let old_role = |key: &str| {
        let key = deployed.get(key).copied().unwrap_or(key);
        role_ids.get(key).copied()
    };
    for role in &nm.roles {
        let Some(id) = old_role(&role.key) else {
            continue;
        };
        let includes = role
            .includes
            .iter()
            .filter_map(|&(r, span)| Some((old_role(&nm[r].key)?, span)))
            .collect();
        let only_in = role.only_in.as_ref().map(|(teams, span)| {
            let teams = teams
                .iter()
                .filter_map(|&t| team_ids.get(nm[t].key.as_str()).copied())
                .collect();
            (teams, *span)
        });
        let old = &mut model.roles[id.index()];
        old.includes = includes;
        old.only_in = only_in;
    }
}

fn add_projects(
    model: &mut Model,
    state: &State,
    kind: KindId,
    team_ids: &HashMap<&str, TeamId>,
    role_ids: &HashMap<&str, RoleId>,
) {
    for (key, project) in &state.projects {
        let span = Span::default();
        let shares = project
            .shares
            .iter()
            .filter_map(|(team, share)| {
                Some(Share {
                    team: *team_ids.get(team.as_str())?,
                    role: *role_ids.get(share.role.as_str())?,
                    owner: share.owner,
                    span,
                })
            })
            .collect();
        model.resources.push(Resource {
            kind,
            key: key.clone(),
            title: title(&project.name, key),
            span,
            shares,
        });
    }
}

/// NEW's `auth`, in the deployment's ids: the admin team and the defaults
/// where the deployment has them; as `admins`, those of NEW's admins whom the
/// deployment has in the admin team as `admin`.
fn auth(
    nm: &Model,
    model: &Model,
    deployed_keys: &[String],
    team_ids: &HashMap<&str, TeamId>,
    role_ids: &HashMap<&str, RoleId>,
    notes: &mut Vec<String>,
) -> Auth {
    let admin_team_key = nm.auth.admin_team_key.clone();
    let admin_team = team_ids.get(admin_team_key.as_str()).copied();
    let default = nm.auth.default.and_then(|(team, role)| {
        let (team_key, role_key) = (&nm[team].key, &deployed_keys[role.index()]);
        let found = team_ids
            .get(team_key.as_str())
            .zip(role_ids.get(role_key.as_str()));
        if found.is_none() {
            notes.push(format!(
                "the deployment lacks the new-login default (team `{team_key}`, role `{role_key}`): new logins get nothing on the old side"
            ));
        }
        found.map(|(&t, &r)| (t, r))
    });
    let admin_role = nm
        .role("admin")
        .and_then(|r| role_ids.get(deployed_keys[r.index()].as_str()).copied());
    let admins = match (admin_team, admin_role) {
        (Some(team), Some(role)) => nm
            .auth
            .admins
            .iter()
            .filter_map(|&u| {
                // Users were added in email order.
                let email = nm[u].email.as_str();
                let at = model
                    .users
                    .binary_search_by(|x| x.email.as_str().cmp(email));
                at.ok().map(|i| UserId(table_id(i)))
            })
            .filter(|&u| {
                model[u]
                    .memberships
                    .iter()
                    .any(|m| m.team == team && m.role == role)
            })
            .collect(),
        _ => Vec::new(),
    };
    Auth {
        admin_team_key,
        admin_team,
        default,
        admins,
        span: None,
        default_role_span: None,
    }
}

/// NEW without the resources of kinds the API cannot share; `None` when it
/// has none to leave out.
fn synced_only(new: &Policy, notes: &mut Vec<String>) -> Option<Policy> {
    let nm = &new.model;
    let kind = project_kind(nm).and_then(|k| nm.names.kinds.get(k).copied());
    let left_out: BTreeMap<&str, usize> = nm
        .resources
        .iter()
        .filter(|r| Some(r.kind) != kind)
        .fold(BTreeMap::new(), |mut counts, r| {
            *counts.entry(nm[r.kind].key.as_str()).or_default() += 1;
            counts
        });
    if left_out.is_empty() {
        return None;
    }
    for (k, n) in &left_out {
        notes.push(format!(
            "{n} resource(s) of kind `{k}` are left out of both sides: the API shares only projects"
        ));
    }
    let mut model = nm.clone();
    model.resources.retain(|r| Some(r.kind) == kind);
    // Tests and invariants name resources by id, and the diff reads neither.
    model.tests.clear();
    model.invariants.clear();
    model.names = Names::index(&model);
    let matrix = compile(&model);
    Some(Policy {
        model,
        matrix,
        warnings: new.warnings.clone(),
    })
}
