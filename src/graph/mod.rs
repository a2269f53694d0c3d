//! `rolegraph graph`: the resolved model -> a graph of role includes, team
//! memberships and resource shares.
//!
//! In: a [`Model`] and an optional [`Filter`]. Out: a [`Graph`] of nodes with
//! generated ids (names hold `-`, `.`, `@`, which Mermaid and DOT ids do not
//! take) and labelled edges, in a deterministic order, rendered by [`render`].

pub mod render;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::resolve::{Model, ResourceId, RoleId, TeamId};

/// Teams with more members than this show one node per role ("12 members").
pub const AGGREGATE_ABOVE: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Role,
    Team,
    User,
    /// "N members" of a large team, with one role.
    Members,
    Resource,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Node {
    pub id: String,
    pub kind: NodeKind,
    pub label: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// role -> included role
    Includes,
    /// user (or members) -> team, labelled with the role
    Member,
    /// team -> resource, labelled with the share role
    Share,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
    /// The role of a membership or share; empty for includes.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub role: String,
    /// An owner share.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub owner: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// What to keep; all `None` keeps everything. Several are a union.
#[derive(Clone, Copy, Debug, Default)]
pub struct Filter {
    /// The team, every member (never aggregated) and what is shared with it.
    pub team: Option<TeamId>,
    /// The role, the roles it includes or is included by, the memberships
    /// and shares at that role.
    pub role: Option<RoleId>,
    /// The resource and its shares.
    pub resource: Option<ResourceId>,
}

impl Filter {
    fn is_empty(&self) -> bool {
        self.team.is_none() && self.role.is_none() && self.resource.is_none()
    }
}

/// Ids by sorted name, so they do not depend on the order of files.
fn ids<'a>(prefix: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let names: Vec<&str> = names.collect();
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by_key(|&i| names[i]);
    let mut ids = vec![String::new(); names.len()];
    for (n, i) in order.into_iter().enumerate() {
        ids[i] = format!("{prefix}{n}");
    }
    ids
}

/// Roles reachable from `start` along includes (`down`) or against them.
fn closure(model: &Model, start: RoleId, down: bool) -> BTreeSet<RoleId> {
    // The include edges in the direction walked, built once.
    let mut next: Vec<Vec<RoleId>> = vec![Vec::new(); model.roles.len()];
    for r in model.role_ids() {
        for &(included, _) in &model[r].includes {
            let (from, to) = if down { (r, included) } else { (included, r) };
            next[from.index()].push(to);
        }
    }
    let mut seen = BTreeSet::from([start]);
    let mut stack = vec![start];
    while let Some(r) = stack.pop() {
        for &n in &next[r.index()] {
            if seen.insert(n) {
                stack.push(n);
            }
        }
    }
    seen
}

pub fn build(model: &Model, filter: Filter) -> Graph {
    let role_ids = ids("role", model.roles.iter().map(|r| r.key.as_str()));
    let team_ids = ids("team", model.teams.iter().map(|t| t.key.as_str()));
    let user_ids = ids("user", model.users.iter().map(|u| u.email.as_str()));
    let res_names: Vec<String> = model
        .resource_ids()
        .map(|r| model.scope_name(crate::resolve::Scope::Resource(r)))
        .collect();
    let res_ids = ids("res", res_names.iter().map(String::as_str));

    let all = filter.is_empty();
    let role_set: BTreeSet<RoleId> = match filter.role {
        Some(r) => closure(model, r, true)
            .union(&closure(model, r, false))
            .copied()
            .collect(),
        None if all => model.role_ids().collect(),
        None => BTreeSet::new(),
    };

    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    let mut edges: Vec<Edge> = Vec::new();
    let mut node = |id: &str, kind: NodeKind, label: &str| {
        nodes.entry(id.to_string()).or_insert_with(|| Node {
            id: id.to_string(),
            kind,
            label: label.to_string(),
        });
    };

    for &r in &role_set {
        node(&role_ids[r.index()], NodeKind::Role, &model[r].key);
        for &(inc, _) in &model[r].includes {
            if role_set.contains(&inc) {
                edges.push(Edge {
                    from: role_ids[r.index()].clone(),
                    to: role_ids[inc.index()].clone(),
                    kind: EdgeKind::Includes,
                    role: String::new(),
                    owner: false,
                });
            }
        }
    }

    for t in model.team_ids() {
        let team = &model[t];
        let whole_team = all || filter.team == Some(t);
        let members: Vec<_> = team
            .members
            .iter()
            .filter(|m| whole_team || filter.role == Some(m.role))
            .collect();
        if !whole_team && members.is_empty() {
            continue;
        }
        let tid = &team_ids[t.index()];
        node(tid, NodeKind::Team, &team.key);
        let aggregate = filter.team != Some(t) && team.members.len() > AGGREGATE_ABOVE;
        if aggregate {
            let mut by_role: BTreeMap<&str, usize> = BTreeMap::new();
            for m in &members {
                *by_role.entry(model[m.role].key.as_str()).or_default() += 1;
            }
            for (n, (role, count)) in by_role.into_iter().enumerate() {
                let id = format!("{tid}_members{n}");
                let plural = if count == 1 { "member" } else { "members" };
                node(&id, NodeKind::Members, &format!("{count} {plural}"));
                edges.push(Edge {
                    from: id,
                    to: tid.clone(),
                    kind: EdgeKind::Member,
                    role: role.to_string(),
                    owner: false,
                });
            }
        } else {
            for m in members {
                let uid = &user_ids[m.user.index()];
                node(uid, NodeKind::User, &model[m.user].email);
                edges.push(Edge {
                    from: uid.clone(),
                    to: tid.clone(),
                    kind: EdgeKind::Member,
                    role: model[m.role].key.clone(),
                    owner: false,
                });
            }
        }
    }

    for r in model.resource_ids() {
        let res = &model[r];
        let shares: Vec<_> = res
            .shares
            .iter()
            .filter(|s| {
                all || filter.resource == Some(r)
                    || filter.team == Some(s.team)
                    || filter.role == Some(s.role)
            })
            .collect();
        if shares.is_empty() && !(all || filter.resource == Some(r)) {
            continue;
        }
        let rid = &res_ids[r.index()];
        node(rid, NodeKind::Resource, &res_names[r.index()]);
        for s in shares {
            let tid = &team_ids[s.team.index()];
            node(tid, NodeKind::Team, &model[s.team].key);
            edges.push(Edge {
                from: tid.clone(),
                to: rid.clone(),
                kind: EdgeKind::Share,
                role: model[s.role].key.clone(),
                owner: s.owner,
            });
        }
    }

    let mut nodes: Vec<Node> = nodes.into_values().collect();
    nodes.sort_by(|a, b| (a.kind, &a.label).cmp(&(b.kind, &b.label)));
    edges.sort_by(|a, b| (a.kind, &a.from, &a.to, &a.role).cmp(&(b.kind, &b.from, &b.to, &b.role)));
    edges.dedup();
    Graph { nodes, edges }
}
