//! Hover: what a name means in the checked policy.
//!
//! In: a position. Out: Markdown (plain text for an editor that asks for
//! it) read from the resolved model and the
//! compiled matrix: a role's flattened permissions with where each comes
//! from and its `only in`; a permission's declaration and the roles that
//! hold it; a team's members by role and what is shared with it; a user's
//! teams and roles; a resource's shares; a test line's `explain`. While the
//! policy has errors, the last version without errors answers, and says so.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;

use lsp_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

use super::index::{Symbol, TestLine};
use super::server::{Answer, Ctx};
use crate::compile::Subject;
use crate::eval::Decision;
use crate::resolve::{MemberSource, Model, PermId, RoleId, Scope};
use crate::syntax::ast::Expect;
use crate::Policy;

/// Entries shown in a list before "… and N more".
const SHOWN: usize = 20;

pub fn hover(ctx: &Ctx, params: HoverParams) -> Answer<Option<Hover>> {
    let at = params.text_document_position_params;
    let Some(file) = ctx.file(&at.text_document.uri) else {
        return Ok(None);
    };
    let (Some(index), true) = (&file.index, file.in_policy) else {
        return Ok(None);
    };
    let offset = file.offset(at.position);
    let (text, start, end) = if let Some(o) = index.at(offset) {
        (describe(ctx, &o.symbol), o.start, o.end)
    } else if let Some(line) = index.test_line_at(offset) {
        (Some(explain_line(ctx, line)), line.start, line.end)
    } else {
        return Ok(None);
    };
    let markup = |value: String| {
        if ctx.plain_hover {
            MarkupContent {
                kind: MarkupKind::PlainText,
                value: plain(&value),
            }
        } else {
            MarkupContent {
                kind: MarkupKind::Markdown,
                value,
            }
        }
    };
    Ok(text.map(|value| Hover {
        contents: HoverContents::Markup(markup(value)),
        range: Some(file.range(start as usize, end as usize)),
    }))
}

/// The Markdown of a hover as plain text, for an editor that does not
/// render Markdown: no bold, no italic lines, no code fences. Names keep
/// their backticks, as in every message of rolegraph.
fn plain(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for line in markdown.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        if body.starts_with("```") {
            continue;
        }
        let body = body.replace("**", "");
        let body = match body.strip_prefix('*').and_then(|b| b.strip_suffix('*')) {
            Some(inner) if !inner.is_empty() => inner.to_string(),
            _ => body,
        };
        out.push_str(&body);
        out.push_str(end);
    }
    out
}

/// Markdown for a name, or `None` when the policy does not know it.
fn describe(ctx: &Ctx, symbol: &Symbol) -> Option<String> {
    let Some((policy, stale)) = ctx.policy() else {
        return Some(format!(
            "{} `{}`\n\n*The policy has errors: details appear once it validates.*",
            symbol.what(),
            symbol.name()
        ));
    };
    let m = &policy.model;
    let mut text = match symbol {
        Symbol::Role(name) => role(m, name)?,
        Symbol::Permission(name) => permission(m, m.perm(name)?),
        Symbol::Pattern(pattern) => pattern_text(m, pattern),
        Symbol::Team(key) => team(policy, key)?,
        Symbol::User(email) => user(m, email),
        Symbol::Kind(key) => kind(m, key)?,
        Symbol::Resource { kind, key } => resource(m, kind, key)?,
    };
    if stale {
        text.push_str("\n\n*As of the last version of the policy without errors.*");
    }
    Some(text)
}

fn list(items: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = items.into_iter().collect();
    let shown: Vec<&str> = items.iter().take(SHOWN).map(String::as_str).collect();
    let mut out = shown.join(", ");
    if items.len() > SHOWN {
        let _ = write!(out, ", … and {} more", items.len() - SHOWN);
    }
    out
}

fn quoted(name: &str) -> String {
    format!("`{name}`")
}

fn title(title: &Option<String>) -> String {
    title
        .as_ref()
        .map(|t| format!(" — {t}"))
        .unwrap_or_default()
}

fn role(m: &Model, name: &str) -> Option<String> {
    let id = m.role(name)?;
    let r = &m[id];
    let mut out = format!("**role** `{}`{}", r.key, title(&r.title));
    if r.key != name {
        let _ = write!(out, " (`{name}` is an alias)");
    }
    out.push_str("\n\n");
    if !r.aliases.is_empty() {
        let _ = writeln!(
            out,
            "aliases: {}\n",
            list(r.aliases.iter().map(|a| quoted(a)))
        );
    }
    let team_names =
        |teams: &[crate::resolve::TeamId]| list(teams.iter().map(|&t| quoted(&m[t].key)));
    match (&r.only_in, &r.allowed_teams) {
        (_, Some(allowed)) if allowed.is_empty() => out
            .push_str("only in: **no team** (its own and inherited `only in` do not overlap)\n\n"),
        (Some((own, _)), Some(allowed)) if own == allowed => {
            let _ = writeln!(out, "only in: {}\n", team_names(own));
        }
        (_, Some(allowed)) => {
            let _ = writeln!(
                out,
                "only in: {} (inherited from what it includes)\n",
                team_names(allowed)
            );
        }
        (_, None) => {}
    }
    let _ = writeln!(out, "permissions ({}):", r.perms.len());
    for p in r.perms.iter().take(SHOWN * 3) {
        let _ = writeln!(out, "- `{}` — {}", m[p].name, origin(m, id, p));
    }
    if r.perms.len() > SHOWN * 3 {
        let _ = writeln!(out, "- … and {} more", r.perms.len() - SHOWN * 3);
    }
    let members = m
        .teams
        .iter()
        .flat_map(|t| &t.members)
        .filter(|mb| mb.role == id)
        .count();
    let shares = m
        .resources
        .iter()
        .flat_map(|res| &res.shares)
        .filter(|s| s.role == id)
        .count();
    let _ = write!(
        out,
        "\nassigned to {members} member(s); {shares} share(s) at this role"
    );
    Some(out)
}

/// Where a role's permission comes from: its own grant, or the include
/// chain to the role whose grant holds it.
fn origin(m: &Model, role: RoleId, perm: PermId) -> String {
    let grant_of = |r: RoleId| {
        m[r].grants
            .iter()
            .find(|g| g.perms.contains(&perm))
            .map(|g| format!("`grant {}` ({})", g.pattern, m.sources.location(g.span)))
            .unwrap_or_default()
    };
    if m[role].direct.contains(perm) {
        return format!("own {}", grant_of(role));
    }
    // Breadth first: the shortest include chain.
    let mut prev: Vec<Option<RoleId>> = vec![None; m.roles.len()];
    let mut seen = vec![false; m.roles.len()];
    seen[role.index()] = true;
    let mut queue = VecDeque::from([role]);
    while let Some(r) = queue.pop_front() {
        if r != role && m[r].direct.contains(perm) {
            let mut chain = vec![r];
            let mut cur = r;
            while let Some(p) = prev[cur.index()].filter(|&p| p != role) {
                chain.push(p);
                cur = p;
            }
            chain.reverse();
            let names: Vec<String> = chain.iter().map(|&c| quoted(&m[c].key)).collect();
            return format!("included from {}, {}", names.join(" → "), grant_of(r));
        }
        for &(inc, _) in &m[r].includes {
            if !seen[inc.index()] {
                seen[inc.index()] = true;
                prev[inc.index()] = Some(r);
                queue.push_back(inc);
            }
        }
    }
    "included".to_string()
}

fn scopes(m: &Model, p: PermId) -> String {
    let s = &m[p].scopes;
    let mut names: Vec<String> = Vec::new();
    if s.global {
        names.push(quoted("global"));
    }
    if s.team {
        names.push(quoted("team"));
    }
    names.extend(s.kinds.iter().map(|&k| quoted(&m[k].key)));
    names.join(", ")
}

fn permission(m: &Model, p: PermId) -> String {
    let perm = &m[p];
    let mut out = format!("**permission** `{}`", perm.name);
    if let Some(d) = &perm.description {
        let _ = write!(out, " — {d}");
    }
    let _ = write!(out, "\n\non {}", scopes(m, p));
    if perm.requires_owner {
        out.push_str("; requires owner");
    }
    if perm.target_team {
        out.push_str("; target team (a query names the team with `to`)");
    }
    let _ = writeln!(out, "\n\ndeclared at {}\n", m.sources.location(perm.span));
    let holders: Vec<String> = m
        .role_ids()
        .filter(|&r| m[r].perms.contains(p))
        .map(|r| {
            let how = if m[r].direct.contains(p) {
                "own grant"
            } else {
                "included"
            };
            format!("`{}` ({how})", m[r].key)
        })
        .collect();
    if holders.is_empty() {
        out.push_str("held by no role");
    } else {
        let _ = write!(out, "held by {} role(s): {}", holders.len(), list(holders));
    }
    out
}

fn pattern_text(m: &Model, pattern: &str) -> String {
    let prefix = pattern.strip_suffix(":*");
    let matched: Vec<String> = m
        .perm_ids()
        .filter(|&p| prefix.is_none_or(|pre| m[p].prefix() == pre))
        .map(|p| quoted(&m[p].name))
        .collect();
    if matched.is_empty() {
        return format!("`{pattern}` matches no declared permission");
    }
    format!(
        "`{pattern}` matches {} permission(s): {}",
        matched.len(),
        list(matched)
    )
}

fn team(policy: &Policy, key: &str) -> Option<String> {
    let m = &policy.model;
    let id = m.team(key)?;
    let t = &m[id];
    let mut out = format!("**team** `{}`{}\n\n", t.key, title(&t.title));
    if m.auth.admin_team == Some(id) {
        out.push_str("the admin team: global permissions are held through it\n\n");
    }
    if m.auth.default.is_some_and(|(team, _)| team == id) {
        out.push_str("the default team: every new login is a member\n\n");
    }
    let mut by_role: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for mb in &t.members {
        by_role
            .entry(&m[mb.role].key)
            .or_default()
            .push(m[mb.user].email.clone());
    }
    let _ = writeln!(out, "members ({}):", t.members.len());
    for (role, users) in &by_role {
        let _ = writeln!(
            out,
            "- as `{role}` ({}): {}",
            users.len(),
            list(users.clone())
        );
    }
    let shared = policy.matrix.team_shares.get(id.index());
    let _ = writeln!(out, "\nshared with it ({}):", shared.len());
    for s in shared.iter().take(SHOWN) {
        let owner = if s.owner { " (owner)" } else { "" };
        let _ = writeln!(
            out,
            "- `{}` as `{}`{owner}",
            m.scope_name(Scope::Resource(s.resource)),
            m[s.role].key
        );
    }
    if shared.len() > SHOWN {
        let _ = writeln!(out, "- … and {} more", shared.len() - SHOWN);
    }
    Some(out.trim_end().to_string())
}

fn user(m: &Model, email: &str) -> String {
    let Some(id) = m.user(email) else {
        let mut out = format!("**user** `{email}`\n\ndeclared nowhere: a new login, ");
        match m.auth.default {
            Some((team, role)) => {
                let _ = write!(
                    out,
                    "evaluated as a member of `{}` with role `{}` (auth defaults)",
                    m[team].key, m[role].key
                );
            }
            None => out.push_str("denied everything (no auth defaults)"),
        }
        return out;
    };
    let u = &m[id];
    let name = u
        .name
        .as_ref()
        .map(|n| format!(" — {n}"))
        .unwrap_or_default();
    let mut out = format!("**user** `{}`{name}\n\n", u.email);
    if u.memberships.is_empty() {
        out.push_str("in no team");
    }
    for mb in &u.memberships {
        let how = match mb.source {
            MemberSource::Admins => " (auth admins)",
            _ => "",
        };
        let _ = writeln!(
            out,
            "- in `{}` as `{}`{how} ({})",
            m[mb.team].key,
            m[mb.role].key,
            m.sources.location(mb.span)
        );
    }
    out.trim_end().to_string()
}

fn kind(m: &Model, key: &str) -> Option<String> {
    let k = m.names.kinds.get(key).copied()?;
    let mut out = format!("**kind** `{key}`{}\n\n", title(&m[k].title));
    let resources = m.resources.iter().filter(|r| r.kind == k).count();
    let perms: Vec<String> = m
        .perm_ids()
        .filter(|&p| m[p].scopes.kinds.contains(&k))
        .map(|p| quoted(&m[p].name))
        .collect();
    let _ = write!(
        out,
        "{resources} resource(s); permissions on it: {}",
        if perms.is_empty() {
            "none".to_string()
        } else {
            list(perms)
        }
    );
    Some(out)
}

fn resource(m: &Model, kind: &str, key: &str) -> Option<String> {
    let id = m.names.resources.get(&format!("{kind}/{key}")).copied()?;
    let r = &m[id];
    let mut out = format!("**{kind}** `{key}`{}\n\nshares:\n", title(&r.title));
    for s in &r.shares {
        let owner = if s.owner { " (owner)" } else { "" };
        let _ = writeln!(out, "- `{}` as `{}`{owner}", m[s.team].key, m[s.role].key);
    }
    Some(out.trim_end().to_string())
}

/// A test line's `explain`, with whether it passes.
fn explain_line(ctx: &Ctx, line: &TestLine) -> String {
    let Some((policy, stale)) = ctx.policy() else {
        return "*The policy has errors: the line is explained once it validates.*".to_string();
    };
    let query = policy.query(
        &line.user,
        &line.permission,
        line.scope.as_deref(),
        line.to.as_deref(),
    );
    let mut out = match query {
        Err(e) => format!("cannot ask this question: {e}"),
        Ok(q) => {
            let allowed = policy.check(&q);
            let explanation = policy.explain(&q, &line.user);
            let expected = line.expect == Expect::Allow;
            let verdict = if allowed == expected {
                "passes"
            } else {
                "**fails**"
            };
            let got = match explanation.decision {
                Decision::Allow => "allow",
                Decision::Deny => "deny",
            };
            let want = if expected { "allow" } else { "deny" };
            let new_login = matches!(q.subject, Subject::NewLogin);
            let who = if new_login { " (a new login)" } else { "" };
            format!(
                "**test line**{who}: expected {want}, got {got}: {verdict}\n\n```text\n{}```",
                explanation.to_text()
            )
        }
    };
    if stale {
        out.push_str("\n\n*As of the last version of the policy without errors.*");
    }
    out
}
