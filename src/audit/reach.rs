//! One subject's reachable access: a monotone fixpoint over a copy of the
//! state the subject can change (their own memberships and the shares of
//! resources with their teams).
//!
//! In: the model, the matrix, the [`Actions`] and a subject. Out: the steps
//! that were enabled, round by round, and the access the final state grants.
//!
//! The state only grows: a team the subject may set their own role in is
//! "opened" (they may hold any role allowed there), a share they may make is
//! "opened" (any role, as owner). Access granted by an opened team is the union
//! of what each allowed role grants, so each reported row is reachable by some
//! sequence; a step is recorded in the round it first became possible, which
//! gives every fact its shortest depth.

use std::collections::BTreeMap;

use super::actions::Actions;
use crate::compile::{Grants, Matrix, Subject};
use crate::eval::paths::{self, Through};
use crate::resolve::{Model, PermId, PermSet, ResourceId, RoleId, Scope, TeamId};

/// A team the subject is or can become a member of; `New` is a team they
/// create themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TeamKey {
    Existing(TeamId),
    New,
}

/// What a step does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RawAction {
    /// Join the team or set one's own role in it (`New`: create the team).
    OpenTeam(TeamKey),
    /// Share the resource with the team, at any role, as owner.
    Share(ResourceId, TeamKey),
    /// Create or change a role to hold every permission.
    CreateRole,
}

#[derive(Clone, Debug)]
pub struct RawStep {
    pub action: RawAction,
    /// The round it became possible in (1 = with today's access).
    pub depth: u32,
    /// The permission, held at the scope, that allows it.
    pub enabled_by: (PermId, Scope),
}

pub type StepId = usize;

#[derive(Clone, Debug, Default)]
struct TeamState {
    current: Option<RoleId>,
    /// The step that opened the team, and the union of its allowed roles.
    opened: Option<(StepId, PermSet)>,
}

#[derive(Clone, Debug, Default)]
struct ShareState {
    current: Option<(RoleId, bool)>,
    opened: Option<StepId>,
}

/// The way a fact came to be: its depth, and the steps it needs, each with
/// the permission it must supply.
pub type Witness = (u32, Vec<StepId>);

pub struct Reach<'a> {
    model: &'a Model,
    matrix: &'a Matrix,
    actions: &'a Actions,
    teams: BTreeMap<TeamKey, TeamState>,
    shares: BTreeMap<(ResourceId, TeamKey), ShareState>,
    pub steps: Vec<RawStep>,
    /// The step that lets the subject reach everything, if any.
    pub everything: Option<StepId>,
}

impl<'a> Reach<'a> {
    pub fn new(
        model: &'a Model,
        matrix: &'a Matrix,
        actions: &'a Actions,
        subject: Subject,
    ) -> Self {
        let mut reach = Reach {
            model,
            matrix,
            actions,
            teams: BTreeMap::new(),
            shares: BTreeMap::new(),
            steps: Vec::new(),
            everything: None,
        };
        for &(team, role) in matrix.memberships(subject) {
            reach
                .teams
                .entry(TeamKey::Existing(team))
                .or_default()
                .current = Some(role);
            reach.add_team_shares(team);
        }
        reach
    }

    fn add_team_shares(&mut self, team: TeamId) {
        for share in self.matrix.team_shares.get(team.index()) {
            self.shares
                .entry((share.resource, TeamKey::Existing(team)))
                .or_default()
                .current = Some((share.role, share.owner));
        }
    }

    fn member_perms(&self, st: &TeamState) -> PermSet {
        let mut set = PermSet::default();
        if let Some(role) = st.current {
            set.union_with(&self.matrix.role_perms[role.index()]);
        }
        if let Some((_, allowed)) = &st.opened {
            set.union_with(allowed);
        }
        set
    }

    /// The access of the current (copied) state, by the rule of SPEC §2,
    /// before target-team conditions: the same rows as `subject_grants`.
    pub fn grants(&self) -> BTreeMap<Scope, PermSet> {
        let m = self.matrix;
        let mut grants = Grants::new(self.model, m);
        let admin = m
            .admin_team
            .and_then(|t| self.teams.get(&TeamKey::Existing(t)));
        if let Some(st) = admin {
            grants.admin(&self.member_perms(st));
        }
        let mut held_by_team: BTreeMap<TeamKey, PermSet> = BTreeMap::new();
        for (&key, st) in &self.teams {
            let held = self.member_perms(st);
            if let TeamKey::Existing(t) = key {
                grants.member(t, &held);
            }
            held_by_team.insert(key, held);
        }
        for (&(resource, key), st) in &self.shares {
            let Some(held) = held_by_team.get(&key) else {
                continue;
            };
            if let Some((role, owner)) = st.current {
                grants.share(resource, held, &m.role_perms[role.index()], owner);
            }
            if st.opened.is_some() {
                // A share the user made themselves: at any role, as owner.
                grants.share(resource, held, &self.actions.any_role, true);
            }
        }
        grants.finish()
    }

    fn push(&mut self, action: RawAction, depth: u32, enabled_by: (PermId, Scope)) -> StepId {
        self.steps.push(RawStep {
            action,
            depth,
            enabled_by,
        });
        self.steps.len() - 1
    }

    fn opened(&self, key: TeamKey) -> bool {
        self.teams.get(&key).is_some_and(|st| st.opened.is_some())
    }

    /// Applies every enabled action that changes the state, round by round,
    /// until none does (or the subject can reach everything).
    pub fn run(&mut self) {
        let (model, m, actions) = (self.model, self.matrix, self.actions);
        let mut depth = 0;
        loop {
            depth += 1;
            let grants = self.grants();
            let global = grants.get(&Scope::Global);
            let holds_global =
                |p: Option<PermId>| p.filter(|&p| global.is_some_and(|g| g.contains(p)));
            if let Some(p) = holds_global(actions.roles_global) {
                let id = self.push(RawAction::CreateRole, depth, (p, Scope::Global));
                self.everything = Some(id);
                return;
            }
            let mut open: BTreeMap<TeamKey, (PermId, Scope)> = BTreeMap::new();
            if let Some(p) = holds_global(actions.users_global) {
                for t in model.team_ids() {
                    if !self.opened(TeamKey::Existing(t)) {
                        open.insert(TeamKey::Existing(t), (p, Scope::Global));
                    }
                }
            }
            for (&scope, held) in &grants {
                let Scope::Team(t) = scope else { continue };
                let key = TeamKey::Existing(t);
                if self.opened(key) || open.contains_key(&key) {
                    continue;
                }
                if let Some(&p) = actions.team_manage.iter().find(|&&p| held.contains(p)) {
                    open.insert(key, (p, scope));
                }
            }
            if let Some(p) = holds_global(actions.teams_global) {
                if !self.opened(TeamKey::New) {
                    open.insert(TeamKey::New, (p, Scope::Global));
                }
            }
            // Shares: with any team the subject is a member of at the start
            // of the round, when it would give them something new there.
            let members: Vec<(TeamKey, PermSet)> = self
                .teams
                .iter()
                .map(|(&k, st)| (k, self.member_perms(st).intersect(&actions.any_role)))
                .collect();
            let mut share: Vec<((ResourceId, TeamKey), (PermId, Scope))> = Vec::new();
            for (&scope, held) in &grants {
                let Scope::Resource(r) = scope else { continue };
                let kind = m.resource_kind[r.index()];
                let Some(&p) = actions
                    .share
                    .iter()
                    .find(|&&p| held.contains(p) && m.perms[p.index()].kinds.contains(&kind))
                else {
                    continue;
                };
                for (key, reachable) in &members {
                    let opened = self
                        .shares
                        .get(&(r, *key))
                        .is_some_and(|s| s.opened.is_some());
                    let gains = reachable
                        .iter()
                        .any(|q| m.perms[q.index()].kinds.contains(&kind) && !held.contains(q));
                    if !opened && gains {
                        share.push(((r, *key), (p, scope)));
                    }
                }
            }
            if open.is_empty() && share.is_empty() {
                return;
            }
            for (key, by) in open {
                let id = self.push(RawAction::OpenTeam(key), depth, by);
                let team = match key {
                    TeamKey::Existing(t) => Some(t),
                    TeamKey::New => None,
                };
                let allowed = actions.allowed_union(model, team);
                let st = self.teams.entry(key).or_default();
                let joined = st.current.is_none();
                st.opened = Some((id, allowed));
                if let (true, Some(t)) = (joined, team) {
                    self.add_team_shares(t);
                }
            }
            for ((r, key), by) in share {
                let id = self.push(RawAction::Share(r, key), depth, by);
                self.shares.entry((r, key)).or_default().opened = Some(id);
            }
        }
    }

    /// Whether the subject is a member of the team today.
    pub fn is_member(&self, key: TeamKey) -> bool {
        self.teams.get(&key).is_some_and(|st| st.current.is_some())
    }

    /// The earliest way the final state grants `p` at `scope`: the steps it
    /// needs, each of which must supply `p`. The candidate paths are SPEC
    /// §2's, from the one path enumerator ([`crate::eval::paths`]) reading
    /// this state; of those that grant, the one with the fewest rounds, then
    /// the fewest steps (ties: a team's own membership before the admin
    /// team; the admin team before a share).
    pub fn witness(&self, p: PermId, scope: Scope) -> Option<Witness> {
        let (mut local, mut global) = (None, None);
        paths::for_each_path(self, p, scope, |path| {
            if !path.grants() {
                return;
            }
            let mut witness = path
                .member
                .map_or((0, Vec::new()), |m| self.way_witness(m.1));
            if let Some(ShareWay::Opened(id)) = path.share {
                witness.0 = witness.0.max(self.steps[id].depth);
                witness.1.push(id);
            }
            let best = match path.through {
                Through::Global => &mut global,
                Through::Membership | Through::Share => &mut local,
            };
            *best = earliest(best.take(), Some(witness));
        });
        match scope {
            Scope::Resource(_) => earliest(global, local),
            Scope::Global | Scope::Team(_) => earliest(local, global),
        }
    }

    fn way_witness(&self, way: MemberWay) -> Witness {
        match way {
            MemberWay::Role(_) => (0, Vec::new()),
            MemberWay::Opened(id) => (self.steps[id].depth, vec![id]),
        }
    }
}

/// `a` unless `b` takes fewer rounds, or as many and fewer steps.
fn earliest(a: Option<Witness>, b: Option<Witness>) -> Option<Witness> {
    match (a, b) {
        (Some(a), Some(b)) if (b.0, b.1.len()) < (a.0, a.1.len()) => Some(b),
        (a, b) => a.or(b),
    }
}

/// How the subject is a member of a team in the reached state.
#[derive(Clone, Copy, Debug)]
pub enum MemberWay {
    /// The role they hold there today.
    Role(RoleId),
    /// Any role allowed there, taken by this step.
    Opened(StepId),
}

/// How a resource is shared with a team in the reached state.
#[derive(Clone, Copy, Debug)]
pub enum ShareWay {
    /// Today's share: its role, and whether it is an owner share.
    Current(RoleId, bool),
    /// A share the subject makes by this step: at any role, as owner.
    Opened(StepId),
}

/// The reached state read by the rule of SPEC §2: a team may be joined in
/// two ways (today's role, an opened one), a resource shared in two ways.
impl paths::Access for Reach<'_> {
    type Team = TeamKey;
    type Member = (TeamKey, MemberWay);
    type Share = ShareWay;

    fn matrix(&self) -> &Matrix {
        self.matrix
    }
    fn team(&self, team: TeamId) -> TeamKey {
        TeamKey::Existing(team)
    }
    fn admin_team(&self) -> Option<TeamKey> {
        self.matrix.admin_team.map(TeamKey::Existing)
    }
    fn members(&self, team: TeamKey) -> impl Iterator<Item = (TeamKey, MemberWay)> {
        let st = self.teams.get(&team);
        let today = st.and_then(|st| st.current).map(MemberWay::Role);
        let opened = st
            .and_then(|st| st.opened.as_ref())
            .map(|&(id, _)| MemberWay::Opened(id));
        today.into_iter().chain(opened).map(move |way| (team, way))
    }
    fn member_holds(&self, (team, way): (TeamKey, MemberWay), perm: PermId) -> bool {
        match way {
            MemberWay::Role(role) => self.matrix.role_perms[role.index()].contains(perm),
            MemberWay::Opened(_) => self
                .teams
                .get(&team)
                .and_then(|st| st.opened.as_ref())
                .is_some_and(|(_, allowed)| allowed.contains(perm)),
        }
    }
    fn shares(&self, resource: ResourceId) -> impl Iterator<Item = (TeamKey, ShareWay)> {
        let range = (resource, TeamKey::Existing(TeamId(0)))..=(resource, TeamKey::New);
        self.shares.range(range).flat_map(|(&(_, team), st)| {
            let today = st
                .current
                .map(|(role, owner)| ShareWay::Current(role, owner));
            let opened = st.opened.map(ShareWay::Opened);
            today.into_iter().chain(opened).map(move |way| (team, way))
        })
    }
    fn share_holds(&self, share: ShareWay, perm: PermId) -> bool {
        match share {
            ShareWay::Current(role, _) => self.matrix.role_perms[role.index()].contains(perm),
            ShareWay::Opened(_) => self.actions.any_role.contains(perm),
        }
    }
    fn share_is_owner(&self, share: ShareWay) -> bool {
        match share {
            ShareWay::Current(_, owner) => owner,
            ShareWay::Opened(_) => true,
        }
    }
}
