//! A [`Graph`] -> Mermaid flowchart, Graphviz DOT, or JSON text.
//!
//! Labels are names from the policy: control characters are escaped first
//! ([`crate::escape`]), then each format's own quoting is applied, so a
//! label can neither end its quoted string nor drive a terminal.

use super::{EdgeKind, Graph, NodeKind};
use crate::escape;

fn edge_label(kind: EdgeKind, role: &str, owner: bool) -> String {
    match (kind, owner) {
        (EdgeKind::Includes, _) => "includes".to_string(),
        (EdgeKind::Share, true) => format!("{role}, owner"),
        _ => role.to_string(),
    }
}

/// Mermaid takes its own entity codes inside quoted labels.
fn mermaid_text(s: &str) -> String {
    escape::text(s)
        .replace('&', "#amp;")
        .replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

pub fn mermaid(graph: &Graph) -> String {
    let mut out = String::from("flowchart LR\n");
    for n in &graph.nodes {
        let label = mermaid_text(&n.label);
        let shape = match n.kind {
            NodeKind::Role => format!("([\"{label}\"])"),
            NodeKind::Team => format!("[[\"{label}\"]]"),
            NodeKind::User => format!("(\"{label}\")"),
            NodeKind::Members => format!("{{{{\"{label}\"}}}}"),
            NodeKind::Resource => format!("[(\"{label}\")]"),
        };
        out.push_str(&format!("  {}{shape}\n", n.id));
    }
    for e in &graph.edges {
        let arrow = match (e.kind, e.owner) {
            (EdgeKind::Includes, _) => "-.->",
            (EdgeKind::Share, true) => "==>",
            _ => "-->",
        };
        let label = mermaid_text(&edge_label(e.kind, &e.role, e.owner));
        out.push_str(&format!("  {} {arrow}|\"{label}\"| {}\n", e.from, e.to));
    }
    out
}

fn dot_text(s: &str) -> String {
    escape::text(s).replace('\\', "\\\\").replace('"', "\\\"")
}

pub fn dot(graph: &Graph) -> String {
    let mut out = String::from("digraph rolegraph {\n  rankdir=LR;\n");
    for n in &graph.nodes {
        let shape = match n.kind {
            NodeKind::Role => "shape=box, style=rounded",
            NodeKind::Team => "shape=box3d",
            NodeKind::User => "shape=ellipse",
            NodeKind::Members => "shape=hexagon",
            NodeKind::Resource => "shape=cylinder",
        };
        out.push_str(&format!(
            "  {} [label=\"{}\", {shape}];\n",
            n.id,
            dot_text(&n.label)
        ));
    }
    for e in &graph.edges {
        let style = match (e.kind, e.owner) {
            (EdgeKind::Includes, _) => ", style=dashed",
            (EdgeKind::Share, true) => ", style=bold",
            _ => "",
        };
        out.push_str(&format!(
            "  {} -> {} [label=\"{}\"{style}];\n",
            e.from,
            e.to,
            dot_text(&edge_label(e.kind, &e.role, e.owner))
        ));
    }
    out.push_str("}\n");
    out
}
