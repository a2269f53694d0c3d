//! The role graph: includes form a DAG (petgraph). Out: each role's flattened
//! permissions and the teams it may be assigned in; include cycles reported
//! with their whole path.

use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use super::model::{Model, RoleId, TeamId};
use crate::diagnostics::{Code, Diagnostic};

/// Builds the graph with one node per role (node index == role index) and an
/// edge from each role to every role it includes.
pub fn role_graph(model: &Model) -> DiGraph<RoleId, ()> {
    let mut graph = DiGraph::with_capacity(model.roles.len(), 0);
    for id in model.role_ids() {
        graph.add_node(id);
    }
    for id in model.role_ids() {
        for (included, _) in &model[id].includes {
            graph.add_edge(
                NodeIndex::new(id.index()),
                NodeIndex::new(included.index()),
                (),
            );
        }
    }
    graph
}

pub fn resolve_role_graph(model: &mut Model, diags: &mut Vec<Diagnostic>) {
    let graph = role_graph(model);
    // Components come in post order: every role after the roles it includes,
    // so one pass flattens them. Kosaraju's implementation is iterative, so a
    // 10,000-deep include chain cannot overflow the stack.
    for component in kosaraju_scc(&graph) {
        let is_cycle = component.len() > 1 || graph.contains_edge(component[0], component[0]);
        if is_cycle {
            diags.push(cycle_diagnostic(model, &graph, &component));
        }
        for node in component {
            let id = graph[node];
            let mut perms = model[id].direct.clone();
            // Both sides sorted, so each intersection is one merge: linear,
            // where `contains` per team was teams × teams (40,000 teams in
            // eleven roles' `only in` took seconds).
            let mut allowed: Option<Vec<TeamId>> =
                model[id].only_in.as_ref().map(|(t, _)| t.clone());
            for &(included, _) in &model[id].includes {
                if included == id {
                    continue;
                }
                perms.union_with(&model[included].perms);
                if let Some(theirs) = &model[included].allowed_teams {
                    allowed = Some(match allowed {
                        Some(mine) => intersect_sorted(&mine, theirs),
                        None => theirs.clone(),
                    });
                }
            }
            let role = &mut model.roles[id.index()];
            role.perms = perms;
            role.allowed_teams = allowed;
        }
    }
}

/// The teams in both sorted, deduplicated lists, sorted.
fn intersect_sorted(a: &[TeamId], b: &[TeamId]) -> Vec<TeamId> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().min(b.len()));
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        match x.cmp(&y) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(x);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// `a -> b -> a`: a shortest include path from the component's smallest role
/// back to itself. Breadth first over the component's edges, so every step
/// of the reported path is an include that exists and the path closes.
fn cycle_diagnostic(
    model: &Model,
    graph: &DiGraph<RoleId, ()>,
    component: &[NodeIndex],
) -> Diagnostic {
    let start = component.iter().copied().min().unwrap_or(component[0]);
    let mut in_component = vec![false; graph.node_count()];
    component
        .iter()
        .for_each(|n| in_component[n.index()] = true);
    // `parent[n]` is the node the search reached `n` from; visiting each
    // successor in key order keeps the reported cycle deterministic.
    let mut parent: Vec<Option<NodeIndex>> = vec![None; graph.node_count()];
    let mut queue = std::collections::VecDeque::from([start]);
    let mut last = start;
    'search: while let Some(node) = queue.pop_front() {
        let mut successors: Vec<NodeIndex> = graph
            .neighbors(node)
            .filter(|n| in_component[n.index()])
            .collect();
        successors.sort();
        successors.dedup();
        for next in successors {
            if next == start {
                last = node;
                break 'search;
            }
            if parent[next.index()].is_none() {
                parent[next.index()] = Some(node);
                queue.push_back(next);
            }
        }
    }
    // Walk back from the node whose include closes the cycle.
    let mut path = vec![last];
    while let Some(&node) = path.last() {
        match parent[node.index()] {
            Some(before) if node != start => path.push(before),
            _ => break,
        }
    }
    path.reverse();
    path.push(start);
    let ids: Vec<RoleId> = path.iter().map(|&n| graph[n]).collect();
    let cycle = ids
        .iter()
        .map(|&r| model[r].key.as_str())
        .collect::<Vec<_>>()
        .join(" -> ");
    let mut d = Diagnostic::new(
        Code::IncludeCycle,
        format!("role includes form a cycle: {cycle}"),
        model[ids[0]].span,
        "this role includes itself through the cycle",
    );
    for step in ids.windows(2) {
        let (from, to) = (step[0], step[1]);
        if let Some((_, span)) = model[from].includes.iter().find(|(r, _)| *r == to) {
            d = d.with_label(
                *span,
                format!("`{}` includes `{}`", model[from].key, model[to].key),
            );
        }
    }
    d.with_help("includes must form a hierarchy: remove one of these includes")
}
