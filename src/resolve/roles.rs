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
            let id = RoleId(node.index() as u32);
            let mut perms = model[id].direct.clone();
            let mut allowed: Option<Vec<TeamId>> =
                model[id].only_in.as_ref().map(|(t, _)| t.clone());
            for (included, _) in model[id].includes.clone() {
                if included == id {
                    continue;
                }
                perms.union_with(&model[included].perms);
                if let Some(theirs) = &model[included].allowed_teams {
                    allowed = Some(match allowed {
                        Some(mine) => mine.into_iter().filter(|t| theirs.contains(t)).collect(),
                        None => theirs.clone(),
                    });
                }
            }
            if let Some(teams) = &mut allowed {
                teams.sort();
                teams.dedup();
            }
            let role = &mut model.roles[id.index()];
            role.perms = perms;
            role.allowed_teams = allowed;
        }
    }
}

/// `a -> b -> a`, walking include edges inside the component from its
/// smallest role back to itself.
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
    let mut on_path = vec![false; graph.node_count()];
    on_path[start.index()] = true;
    let mut path = vec![start];
    let mut current = start;
    // Follow, at each step, the smallest successor in the component that is
    // not yet on the path, until an edge closes the cycle.
    loop {
        let mut successors: Vec<NodeIndex> = graph
            .neighbors(current)
            .filter(|n| in_component[n.index()])
            .collect();
        successors.sort();
        if successors.contains(&start) {
            break;
        }
        match successors.into_iter().find(|n| !on_path[n.index()]) {
            Some(next) => {
                on_path[next.index()] = true;
                path.push(next);
                current = next;
            }
            None => break,
        }
    }
    let names: Vec<&str> = path
        .iter()
        .chain(std::iter::once(&start))
        .map(|n| model.roles[n.index()].key.as_str())
        .collect();
    let cycle = names.join(" -> ");
    let first = RoleId(start.index() as u32);
    let mut d = Diagnostic::new(
        Code::IncludeCycle,
        format!("role includes form a cycle: {cycle}"),
        model[first].span,
        "this role includes itself through the cycle",
    );
    for window in path
        .iter()
        .chain(std::iter::once(&start))
        .collect::<Vec<_>>()
        .windows(2)
    {
        let (from, to) = (
            RoleId(window[0].index() as u32),
            RoleId(window[1].index() as u32),
        );
        if let Some((_, span)) = model[from].includes.iter().find(|(r, _)| *r == to) {
            d = d.with_label(
                *span,
                format!("`{}` includes `{}`", model[from].key, model[to].key),
            );
        }
    }
    d.with_help("includes must form a hierarchy: remove one of these includes")
}
