//! `rolegraph graph`: the policy as a Mermaid (default), DOT or JSON graph.

use super::output::{format, json, load_policy, print, usage_error, CmdResult, Exit};
use super::{Cli, Format};
use crate::diagnostics::did_you_mean_suffix;
use crate::graph::{self, render, Filter};
use crate::resolve::Scope;

fn unknown<'a>(what: &str, name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Exit {
    let hint = did_you_mean_suffix(name, candidates);
    usage_error(format!("unknown {what} `{name}`{hint}"))
}

pub fn run(cli: &Cli, team: Option<&str>, role: Option<&str>, resource: Option<&str>) -> CmdResult {
    let fmt = format(
        cli,
        &[Format::Mermaid, Format::Dot, Format::Json],
        Format::Mermaid,
    )?;
    let policy = load_policy(cli)?;
    let m = &policy.model;
    let mut filter = Filter::default();
    if let Some(name) = team {
        let t = m
            .team(name)
            .ok_or_else(|| unknown("team", name, m.teams.iter().map(|t| t.key.as_str())))?;
        filter.team = Some(t);
    }
    if let Some(name) = role {
        let r = m
            .role(name)
            .ok_or_else(|| unknown("role", name, m.names.roles.keys().map(String::as_str)))?;
        filter.role = Some(r);
    }
    if let Some(name) = resource {
        match policy.scope(name) {
            Ok(Scope::Resource(r)) => filter.resource = Some(r),
            Ok(_) => {
                return Err(usage_error(format!(
                    "`--resource` takes `KIND/KEY`, not `{name}`"
                )))
            }
            Err(e) => return Err(usage_error(e)),
        }
    }
    let g = graph::build(m, filter);
    print(&match fmt {
        Format::Dot => render::dot(&g),
        Format::Json => json(&g),
        _ => render::mermaid(&g),
    });
    Ok(Exit::Success)
}
