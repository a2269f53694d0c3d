//! The plan: the operations that take a deployment to what the policy says,
//! and what they cannot do (SPEC §9).
//!
//! In: a checked [`Policy`], the deployment's [`State`], the API key's own
//! user (`me`) and [`PlanOptions`]. Out: a [`Plan`] — operations in SPEC §9's
//! order, each with its reason; `manual` items (drift the API cannot fix);
//! `unmanaged` items (what the policy does not describe, left alone); `notes`;
//! a summary; and the digest of the state it was made against — or a
//! [`PlanError`] when a policy role holds a permission the deployment does
//! not know (the preflight), before anything else is looked at.
//!
//! Everything is walked in key order, so the same inputs give the same plan.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::ops::{Operation, ProjectShare, TeamRole};
use super::state::{ProjectState, RoleState, ShareState, State, UserState};
use super::target::{Target, FALLBACK_PROJECT_KIND, PROJECT_KIND};
use crate::Policy;

/// How to plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Remove the memberships of users the policy does not declare (all but
    /// the new-login default). Users are never deleted.
    pub prune: bool,
    /// Plan operations that lower `me`'s own access in the admin team
    /// (they then run last) instead of refusing them.
    pub allow_self_lockout: bool,
}

/// What an operation does, for `+`, `~` and `-`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// `+`: something new (a team, role, user or membership).
    #[default]
    Create,
    /// `~`: something changed in place (a role, a member's role, a project's shares).
    Change,
    /// `-`: a membership removed.
    Remove,
}

impl Action {
    /// The action an operation stands for when nothing else is known (a plan
    /// read back from JSON): `users.add_to_team` counts as a new membership.
    pub fn of(op: &Operation) -> Action {
        match op {
            Operation::CreateTeam { .. }
            | Operation::CreateRole { .. }
            | Operation::CreateUser { .. }
            | Operation::AddToTeam { .. } => Action::Create,
            Operation::UpdateRole { .. } | Operation::ShareProject { .. } => Action::Change,
            Operation::RemoveFromTeam { .. } => Action::Remove,
        }
    }

    pub fn sign(self) -> char {
        match self {
            Action::Create => '+',
            Action::Change => '~',
            Action::Remove => '-',
        }
    }
}

/// One operation of the plan: `{"op", "args", "reason"}` in JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedOperation {
    #[serde(flatten)]
    pub operation: Operation,
    /// Why, in words: what the deployment has and the policy says.
    pub reason: String,
    /// Not written: read back, it is [`Action::of`] the operation.
    #[serde(skip)]
    pub action: Action,
}

/// Drift the API cannot fix: someone must act by hand.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manual {
    pub what: String,
    pub why: String,
}

/// Something in the deployment the policy does not describe: left alone.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unmanaged {
    /// `role`, `team`, `user` or `project`.
    pub kind: String,
    /// Its key (a user's email).
    pub key: String,
    pub detail: String,
}

/// The counts of a plan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Operations that create a team, role, user or membership.
    pub add: usize,
    /// Operations that change a role, a member's role or a project's shares.
    pub change: usize,
    /// Operations that remove a membership.
    pub remove: usize,
    pub manual: usize,
    pub unmanaged: usize,
    pub notes: usize,
    /// Any operation or manual item.
    pub drift: bool,
}

/// The plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub operations: Vec<PlannedOperation>,
    pub manual: Vec<Manual>,
    pub unmanaged: Vec<Unmanaged>,
    pub notes: Vec<String>,
    pub summary: Summary,
    /// [`State::digest`] of the state planned against: `apply PLAN.json`
    /// refuses to run it against any other.
    pub state_digest: String,
}

/// A permission a policy role holds that the deployment does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownPermission {
    pub permission: String,
    /// The policy roles holding it, by key.
    pub roles: Vec<String>,
    /// The deployment's closest permission.
    pub suggestion: Option<String>,
}

impl fmt::Display for UnknownPermission {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let roles: Vec<String> = self.roles.iter().map(|r| format!("`{r}`")).collect();
        write!(
            f,
            "the deployment has no permission `{}` (held by role{} {})",
            self.permission,
            if roles.len() == 1 { "" } else { "s" },
            roles.join(", ")
        )?;
        if let Some(s) = &self.suggestion {
            write!(f, "; did you mean `{s}`?")?;
        }
        Ok(())
    }
}

/// Why no plan was made (exit 1).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The preflight: the deployment would refuse these roles.
    #[error("{}", lines(.0))]
    UnknownPermissions(Vec<UnknownPermission>),
}

fn lines(items: &[UnknownPermission]) -> String {
    let lines: Vec<String> = items.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

/// Why a saved plan could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a rolegraph plan: {0}")]
pub struct PlanReadError(String);

impl Plan {
    /// Any operation or manual item: the deployment is not what the policy says.
    pub fn has_drift(&self) -> bool {
        !self.operations.is_empty() || !self.manual.is_empty()
    }

    /// The plan JSON (pretty, a final newline).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// A plan saved by `plan -o`, with each operation's action taken from
    /// its kind ([`Action::of`]).
    pub fn from_json(bytes: &[u8]) -> Result<Plan, PlanReadError> {
        let mut plan: Plan =
            serde_json::from_slice(bytes).map_err(|e| PlanReadError(e.to_string()))?;
        for op in &mut plan.operations {
            op.action = Action::of(&op.operation);
        }
        Ok(plan)
    }
}

/// Plans the operations that take `live` to what `policy` says. `me` is the
/// email of the API key's user, when known (the lockout guard).
pub fn plan(
    policy: &Policy,
    live: &State,
    me: Option<&str>,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let target = Target::new(policy, live);
    preflight(&target, live)?;
    let mut planner = Planner {
        live,
        target: &target,
        stages: Default::default(),
        manual: Vec::new(),
        unmanaged: Vec::new(),
        notes: Vec::new(),
    };
    planner.teams();
    planner.roles();
    planner.users(options.prune);
    planner.projects();
    planner.notes(policy);
    Ok(planner.finish(me, options))
}

/// Refuses a policy whose roles hold permissions the deployment does not list.
fn preflight(target: &Target, live: &State) -> Result<(), PlanError> {
    let known: HashSet<&str> = live.permissions.iter().map(String::as_str).collect();
    let policy_key: BTreeMap<&str, &str> = target
        .aliased
        .iter()
        .map(|(policy, deployed)| (deployed.as_str(), policy.as_str()))
        .collect();
    let mut missing: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (key, role) in &target.roles {
        for p in &role.permissions {
            if !known.contains(p.as_str()) {
                let key = policy_key.get(key.as_str()).copied().unwrap_or(key);
                missing.entry(p).or_default().insert(key);
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(PlanError::UnknownPermissions(
        missing
            .into_iter()
            .map(|(p, roles)| UnknownPermission {
                permission: p.to_string(),
                roles: roles.into_iter().map(str::to_string).collect(),
                suggestion: closest_permission(p, &live.permissions),
            })
            .collect(),
    ))
}

/// The deployment permission a policy permission most likely means: the
/// same action under the API's name for projects (`use_case:adapt` →
/// `project:adapt`, and back), else the nearest name by edit distance, if
/// near enough.
pub fn closest_permission(name: &str, known: &[String]) -> Option<String> {
    let renamed = match name.split_once(':') {
        Some((FALLBACK_PROJECT_KIND, action)) => Some(format!("{PROJECT_KIND}:{action}")),
        Some((PROJECT_KIND, action)) => Some(format!("{FALLBACK_PROJECT_KIND}:{action}")),
        _ => None,
    };
    if let Some(r) = renamed.filter(|r| known.contains(r)) {
        return Some(r);
    }
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(name, k), k))
        .min()
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .map(|(_, k)| k.clone())
}

/// The operations, one list per kind, in SPEC §9's order.
#[derive(Default)]
struct Stages {
    create_teams: Vec<PlannedOperation>,
    create_roles: Vec<PlannedOperation>,
    update_roles: Vec<PlannedOperation>,
    create_users: Vec<PlannedOperation>,
    add_to_teams: Vec<PlannedOperation>,
    share_projects: Vec<PlannedOperation>,
    remove_from_teams: Vec<PlannedOperation>,
}

struct Planner<'a> {
    live: &'a State,
    target: &'a Target<'a>,
    stages: Stages,
    manual: Vec<Manual>,
    unmanaged: Vec<Unmanaged>,
    notes: Vec<String>,
}

fn planned(operation: Operation, action: Action, reason: String) -> PlannedOperation {
    PlannedOperation {
        operation,
        reason,
        action,
    }
}

fn names(items: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let v: Vec<String> = items
        .into_iter()
        .map(|i| format!("`{}`", i.as_ref()))
        .collect();
    v.join(", ")
}

fn name_note(what: &str, key: &str, deployed: &str, policy: &str) -> String {
    format!(
        "{what} `{key}` is named {deployed:?} in the deployment and {policy:?} in the policy: the API cannot rename a {what}"
    )
}

fn memberships_text(teams: &BTreeMap<String, String>) -> String {
    if teams.is_empty() {
        return "in no team".to_string();
    }
    let v: Vec<String> = teams.iter().map(|(t, r)| format!("{t} as {r}")).collect();
    format!("in {}", v.join(", "))
}

impl Planner<'_> {
    fn teams(&mut self) {
        let (live, target) = (&self.live.teams, &self.target.teams);
        for (key, team) in target {
            match live.get(key) {
                None => self.stages.create_teams.push(planned(
                    Operation::CreateTeam {
                        key: key.clone(),
                        name: team.name.clone(),
                    },
                    Action::Create,
                    format!("team `{key}` is in the policy, not in the deployment"),
                )),
                Some(t) if t.name != team.name => {
                    self.notes.push(name_note("team", key, &t.name, &team.name));
                }
                Some(_) => {}
            }
        }
        for key in live.keys().filter(|k| !target.contains_key(*k)) {
            let members = self
                .live
                .users
                .values()
                .filter(|u| u.teams.contains_key(key))
                .count();
            self.unmanaged.push(Unmanaged {
                kind: "team".into(),
                key: key.clone(),
                detail: format!(
                    "not in the policy ({members} member(s)); the API cannot delete teams"
                ),
            });
        }
    }

    fn roles(&mut self) {
        let (live, target) = (&self.live.roles, &self.target.roles);
        for (key, role) in target {
            match live.get(key) {
                None => self.stages.create_roles.push(planned(
                    Operation::CreateRole {
                        key: key.clone(),
                        name: role.name.clone(),
                        permissions: role.permissions.clone(),
                    },
                    Action::Create,
                    format!("role `{key}` is in the policy, not in the deployment"),
                )),
                Some(current) => {
                    if let Some(change) = role_change(current, role) {
                        self.stages.update_roles.push(planned(
                            Operation::UpdateRole {
                                key: key.clone(),
                                name: role.name.clone(),
                                permissions: role.permissions.clone(),
                            },
                            Action::Change,
                            format!("role `{key}` differs: {change}"),
                        ));
                    }
                }
            }
        }
        let aliases: BTreeMap<&str, &str> = self
            .target
            .aliased
            .iter()
            .map(|(p, d)| (d.as_str(), p.as_str()))
            .collect();
        for (key, policy_key) in &aliases {
            self.notes.push(format!(
                "role `{policy_key}` is `{key}` in the deployment (one of its aliases)"
            ));
        }
        for key in live.keys().filter(|k| !target.contains_key(*k)) {
            self.unmanaged.push(Unmanaged {
                kind: "role".into(),
                key: key.clone(),
                detail: "not in the policy; the API cannot delete roles".into(),
            });
        }
    }

    fn users(&mut self, prune: bool) {
        let live = &self.live.users;
        for (email, user) in self.target.users() {
            let Some(current) = live.get(email) else {
                self.stages.create_users.push(planned(
                    Operation::CreateUser {
                        email: email.to_string(),
                        name: user.name.clone(),
                        teams: user
                            .teams
                            .iter()
                            .map(|(team, role)| TeamRole {
                                team: team.clone(),
                                role: role.clone(),
                            })
                            .collect(),
                    },
                    Action::Create,
                    format!(
                        "user `{email}` is in the policy, not in the deployment ({})",
                        memberships_text(&user.teams)
                    ),
                ));
                continue;
            };
            if current.name != user.name {
                self.notes
                    .push(name_note("user", email, &current.name, &user.name));
            }
            self.memberships(email, current, &user);
        }
        for (email, user) in live.iter().filter(|(e, _)| !self.target.declares_user(e)) {
            if self.target.is_new_login(&user.teams) {
                continue;
            }
            let mut detail = format!(
                "not declared in the policy: {}",
                memberships_text(&user.teams)
            );
            if prune {
                let kept = self
                    .target
                    .default_membership
                    .as_ref()
                    .filter(|(t, r)| user.teams.get(t) == Some(r));
                detail.push_str(&match kept {
                    Some((t, r)) => {
                        format!("; `--prune` removes them but the new-login one ({t} as {r})")
                    }
                    None => "; `--prune` removes them".to_string(),
                });
                for (team, role) in &user.teams {
                    let default = self.target.default_membership.as_ref();
                    if default.is_some_and(|(t, r)| t == team && r == role) {
                        continue;
                    }
                    self.stages.remove_from_teams.push(planned(
                        Operation::RemoveFromTeam {
                            email: email.clone(),
                            team: team.clone(),
                        },
                        Action::Remove,
                        format!(
                            "`{email}` is not declared in the policy (`--prune`); in `{team}` as `{role}` in the deployment"
                        ),
                    ));
                }
            }
            self.unmanaged.push(Unmanaged {
                kind: "user".into(),
                key: email.clone(),
                detail,
            });
        }
    }

    /// A declared user's memberships: each one the policy gives is set, each
    /// other one is removed.
    fn memberships(&mut self, email: &str, current: &UserState, user: &UserState) {
        for (team, role) in &user.teams {
            let (action, reason) = match current.teams.get(team) {
                Some(r) if r == role => continue,
                Some(r) => (
                    Action::Change,
                    format!(
                        "`{email}` is `{r}` in team `{team}` in the deployment, `{role}` in the policy"
                    ),
                ),
                None => (
                    Action::Create,
                    format!("the policy puts `{email}` in team `{team}` as `{role}`"),
                ),
            };
            self.stages.add_to_teams.push(planned(
                Operation::AddToTeam {
                    email: email.to_string(),
                    team: team.clone(),
                    role: role.clone(),
                },
                action,
                reason,
            ));
        }
        for (team, role) in &current.teams {
            if user.teams.contains_key(team) {
                continue;
            }
            self.stages.remove_from_teams.push(planned(
                Operation::RemoveFromTeam {
                    email: email.to_string(),
                    team: team.clone(),
                },
                Action::Remove,
                format!(
                    "the policy does not put `{email}` in team `{team}` (`{role}` in the deployment)"
                ),
            ));
        }
    }

    fn projects(&mut self) {
        let live = &self.live.projects;
        for (key, project) in self.target.projects() {
            let Some(current) = live.get(key) else {
                self.manual.push(Manual {
                    what: format!("create project `{key}` ({:?})", project.name),
                    why: "it is in the policy but not in the deployment, and projects are not created by rolegraph: create it in Adaptive, then plan again to share it".into(),
                });
                continue;
            };
            if current.name != project.name {
                self.notes
                    .push(name_note("project", key, &current.name, &project.name));
            }
            if current.shares != project.shares {
                self.stages.share_projects.push(planned(
                    Operation::ShareProject {
                        project: key.to_string(),
                        shares: project_shares(&project),
                    },
                    Action::Change,
                    format!("project `{key}`: {}", shares_change(current, &project)),
                ));
            }
        }
        for (key, project) in live.iter().filter(|(k, _)| !self.target.has_project(k)) {
            self.unmanaged.push(Unmanaged {
                kind: "project".into(),
                key: key.clone(),
                detail: format!(
                    "not in the policy ({} share(s)); its shares are left as they are",
                    project.shares.len()
                ),
            });
        }
    }

    fn notes(&mut self, policy: &Policy) {
        let model = &policy.model;
        match &self.target.project_kind {
            None => self.notes.push(format!(
                "the policy declares neither kind `{PROJECT_KIND}` nor `{FALLBACK_PROJECT_KIND}`: no project is synced"
            )),
            Some(kind) => {
                for (other, n) in &self.target.unsynced {
                    self.notes.push(format!(
                        "{n} resource(s) of kind `{other}` are not synced: the deployment shares only projects (kind `{kind}`)"
                    ));
                }
            }
        }
        let undeclared: Vec<&String> = self
            .live
            .permissions
            .iter()
            .filter(|p| model.perm(p).is_none())
            .collect();
        if !undeclared.is_empty() {
            const SHOWN: usize = 10;
            let mut list = names(undeclared.iter().take(SHOWN));
            if undeclared.len() > SHOWN {
                list.push_str(&format!(" and {} more", undeclared.len() - SHOWN));
            }
            self.notes.push(format!(
                "the deployment has permissions the policy does not declare, which no role holds after this plan: {list}"
            ));
        }
    }

    fn finish(self, me: Option<&str>, options: &PlanOptions) -> Plan {
        let Planner {
            live,
            target,
            stages,
            mut manual,
            unmanaged,
            notes,
        } = self;
        let all = [
            stages.create_teams,
            stages.create_roles,
            stages.update_roles,
            stages.create_users,
            stages.add_to_teams,
            stages.share_projects,
            stages.remove_from_teams,
        ];
        let all: Vec<PlannedOperation> = all.into_iter().flatten().collect();
        let access = match me {
            Some(me) => own_access(&all, &me.to_ascii_lowercase(), live, target),
            None => vec![None; all.len()],
        };
        let mut operations = Vec::new();
        let mut after_move = Vec::new();
        let mut last = Vec::new();
        for (mut op, access) in all.into_iter().zip(access) {
            match access {
                None => operations.push(op),
                Some(OwnAccess::AfterMove) => {
                    op.reason.push_str(
                        "; runs after your own role in the admin team changes, so it does not lower your access",
                    );
                    after_move.push(op);
                }
                Some(OwnAccess::Lowers(why)) if options.allow_self_lockout => {
                    op.reason
                        .push_str(&format!("; {why}: runs last (`--allow-self-lockout`)"));
                    last.push(op);
                }
                Some(OwnAccess::Lowers(why)) => manual.push(Manual {
                    what: describe(&op.operation),
                    why: format!(
                        "refused: {why}; pass `--allow-self-lockout` to run it (last), or have another admin do it"
                    ),
                }),
            }
        }
        operations.extend(after_move);
        operations.extend(last);
        let count = |a: Action| operations.iter().filter(|o| o.action == a).count();
        let summary = Summary {
            add: count(Action::Create),
            change: count(Action::Change),
            remove: count(Action::Remove),
            manual: manual.len(),
            unmanaged: unmanaged.len(),
            notes: notes.len(),
            drift: !operations.is_empty() || !manual.is_empty(),
        };
        Plan {
            operations,
            manual,
            unmanaged,
            notes,
            summary,
            state_digest: live.digest(),
        }
    }
}

/// Why a role must be updated, or `None` when it is as the policy says.
fn role_change(current: &RoleState, role: &RoleState) -> Option<String> {
    let before: BTreeSet<&String> = current.permissions.iter().collect();
    let after: BTreeSet<&String> = role.permissions.iter().collect();
    let mut parts = Vec::new();
    if current.name != role.name {
        parts.push(format!("name {:?} -> {:?}", current.name, role.name));
    }
    let added: Vec<&&String> = after.difference(&before).collect();
    if !added.is_empty() {
        parts.push(format!("gains {}", names(added)));
    }
    let lost: Vec<&&String> = before.difference(&after).collect();
    if !lost.is_empty() {
        parts.push(format!("loses {}", names(lost)));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// A project's complete share list, sorted by team.
fn project_shares(project: &ProjectState) -> Vec<ProjectShare> {
    project
        .shares
        .iter()
        .map(|(team, s)| ProjectShare {
            team: team.clone(),
            role: s.role.clone(),
            owner: s.owner,
        })
        .collect()
}

fn share_text(s: &ShareState) -> String {
    format!("{}{}", s.role, if s.owner { " owner" } else { "" })
}

/// How a project's shares change, team by team.
fn shares_change(current: &ProjectState, project: &ProjectState) -> String {
    let teams: BTreeSet<&String> = current.shares.keys().chain(project.shares.keys()).collect();
    let mut parts = Vec::new();
    for team in teams {
        match (current.shares.get(team), project.shares.get(team)) {
            (None, Some(s)) => parts.push(format!("+ {team} as {}", share_text(s))),
            (Some(s), None) => parts.push(format!("- {team} (was {})", share_text(s))),
            (Some(a), Some(b)) if a != b => {
                parts.push(format!("~ {team}: {} -> {}", share_text(a), share_text(b)))
            }
            _ => {}
        }
    }
    format!(
        "the shares differ ({}); the API replaces the whole list",
        parts.join(", ")
    )
}

/// How an operation touches the access of the API key's own user (`me`)
/// in the admin team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnAccess {
    /// It lowers it, for this reason: refused unless `--allow-self-lockout`,
    /// and then run last.
    Lowers(String),
    /// An update of the role `me` holds there now, while the same operations
    /// move `me` to a role at least as strong: it must run after that move,
    /// where it lowers nobody who runs the plan.
    AfterMove,
}

/// For each of `ops`, how it touches `me`'s access in the admin team (none:
/// it does not). `apply` runs every operation that does after all the
/// others, each in a request of its own, so none of them runs unless
/// everything before it was confirmed.
pub fn own_access(
    ops: &[PlannedOperation],
    me: &str,
    live: &State,
    target: &Target,
) -> Vec<Option<OwnAccess>> {
    let moves_up = ops.iter().any(|op| {
        matches!(&op.operation, Operation::AddToTeam { email, team, .. }
            if email == me && *team == target.admin_team)
            && lockout(&op.operation, me, live, target).is_none()
    });
    let held = live
        .users
        .get(me)
        .and_then(|u| u.teams.get(&target.admin_team));
    // The role `me` leaves for one at least as strong.
    let leaving = held.filter(|_| moves_up);
    ops.iter()
        .map(|op| match &op.operation {
            Operation::UpdateRole { key, .. } if Some(key) == leaving => Some(OwnAccess::AfterMove),
            other => lockout(other, me, live, target).map(OwnAccess::Lowers),
        })
        .collect()
}

/// Why an operation would lower `me`'s own access in the admin team, if it
/// does: removing them from it, moving them to a role that lacks some of
/// what they hold there now, or taking permissions from that role.
fn lockout(op: &Operation, me: &str, live: &State, target: &Target) -> Option<String> {
    let admin = target.admin_team.as_str();
    let held = live.users.get(me).and_then(|u| u.teams.get(admin))?;
    let held_perms: BTreeSet<&String> = live
        .roles
        .get(held)
        .map(|r| r.permissions.iter().collect())
        .unwrap_or_default();
    let lost = |after: &[String]| -> Vec<String> {
        let after: BTreeSet<&String> = after.iter().collect();
        held_perms
            .difference(&after)
            .map(|p| p.to_string())
            .collect()
    };
    match op {
        Operation::RemoveFromTeam { email, team } if email == me && team == admin => Some(format!(
            "it removes you (`{me}`, the API key's user) from the admin team `{admin}`"
        )),
        Operation::AddToTeam { email, team, role } if email == me && team == admin => {
            let after = target
                .roles
                .get(role)
                .or_else(|| live.roles.get(role))
                .map(|r| r.permissions.as_slice())
                .unwrap_or_default();
            let lost = lost(after);
            (!lost.is_empty()).then(|| {
                format!(
                    "it lowers your own role (`{me}`, the API key's user) in the admin team `{admin}` from `{held}` to `{role}`, which lacks {}",
                    names(lost)
                )
            })
        }
        Operation::UpdateRole {
            key, permissions, ..
        } if key == held => {
            let lost = lost(permissions);
            (!lost.is_empty()).then(|| {
                format!(
                    "it takes {} from `{key}`, your own role (`{me}`, the API key's user) in the admin team `{admin}`",
                    names(lost)
                )
            })
        }
        _ => None,
    }
}

/// An operation in one line, as the text plan shows it.
pub fn describe(op: &Operation) -> String {
    match op {
        Operation::CreateTeam { key, name } => format!("teams.create {key} {name:?}"),
        Operation::CreateRole {
            key,
            name,
            permissions,
        } => format!(
            "roles.create {key} {name:?} with {}",
            if permissions.is_empty() {
                "no permission".to_string()
            } else {
                permissions.join(", ")
            }
        ),
        Operation::UpdateRole { key, name, .. } => format!("roles.update {key} {name:?}"),
        Operation::CreateUser { email, name, teams } => {
            let teams: BTreeMap<String, String> = teams
                .iter()
                .map(|m| (m.team.clone(), m.role.clone()))
                .collect();
            format!("users.create {email} {name:?} {}", memberships_text(&teams))
        }
        Operation::AddToTeam { email, team, role } => {
            format!("users.add_to_team {email} to {team} as {role}")
        }
        Operation::ShareProject { project, shares } => {
            let list: Vec<String> = shares
                .iter()
                .map(|s| {
                    format!(
                        "{} as {}{}",
                        s.team,
                        s.role,
                        if s.owner { " owner" } else { "" }
                    )
                })
                .collect();
            format!("projects.share {project} with {}", list.join(", "))
        }
        Operation::RemoveFromTeam { email, team } => {
            format!("users.remove_from_team {email} from {team}")
        }
    }
}
