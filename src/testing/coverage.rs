//! Coverage: which roles, grants (role × permission), memberships and shares
//! no test line exercised. A test line exercises what its explanation walks
//! through: the member's role and include chain, the grant that holds the
//! permission, the membership, and the share considered.
//!
//! Items are joined on ids (role, permission, user, team, resource), and
//! named only in the report.
//!
//! It also counts, per policy line that holds a grant, a membership or a
//! share, how many test lines exercised it ([`LineHits`]: what LCOV reports).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::compile::Subject;
use crate::escape::text as esc;
use crate::eval::{Explanation, Link};
use crate::resolve::{Model, PermId, ResourceId, RoleId, Scope, TeamId, UserId};
use crate::source::{FileId, Span};
use crate::Policy;

#[derive(Clone, Debug, Serialize)]
pub struct CoverageKind {
    pub total: usize,
    pub covered: usize,
    pub percent: f64,
    /// What no test exercised.
    pub uncovered: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Coverage {
    pub roles: CoverageKind,
    pub grants: CoverageKind,
    pub memberships: CoverageKind,
    pub shares: CoverageKind,
    /// All four kinds together.
    pub percent: f64,
    /// Every grant, membership and share line, with how many test lines
    /// exercised it, by file and line. Not in the JSON: LCOV reports it.
    #[serde(skip)]
    pub lines: Vec<LineHits>,
}

/// A policy line holding grants, memberships or shares, and how many test
/// lines exercised something on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineHits {
    /// The file's name as shown to users.
    pub file: String,
    /// 1-based.
    pub line: usize,
    pub hits: usize,
    /// What the line holds (`role × permission`, `user in team`, `resource
    /// with team`), each with how many test lines exercised it. A line such
    /// as `grant a:*, b:c` holds several: LCOV shows them as branches.
    pub items: Vec<(String, usize)>,
}

/// A kind of item from each item's name and whether a test exercised it.
fn kind(all: impl Iterator<Item = (String, bool)>) -> CoverageKind {
    let mut total = 0;
    let mut uncovered = Vec::new();
    for (name, covered) in all {
        total += 1;
        if !covered {
            uncovered.push(name);
        }
    }
    let covered = total - uncovered.len();
    CoverageKind {
        total,
        covered,
        percent: percent(covered, total),
        uncovered,
    }
}

fn percent(covered: usize, total: usize) -> f64 {
    if total == 0 {
        100.0
    } else {
        (covered as f64 * 1000.0 / total as f64).round() / 10.0
    }
}

/// A grant (role × permission), a membership or a share: what coverage
/// counts, by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    Grant(RoleId, PermId),
    Member(UserId, TeamId),
    Share(ResourceId, TeamId),
}

impl Item {
    /// How the item is named in the report.
    fn name(self, m: &Model) -> String {
        match self {
            Item::Grant(r, p) => format!("{} × {}", m[r].key, m[p].name),
            Item::Member(u, t) => format!("{} in {}", m[u].email, m[t].key),
            Item::Share(r, t) => format!("{} with {}", m.scope_name(Scope::Resource(r)), m[t].key),
        }
    }
}

/// What one test line's explanation walked through.
#[derive(Default)]
struct Touched {
    roles: BTreeSet<RoleId>,
    items: BTreeSet<Item>,
}

impl Touched {
    fn chain(&mut self, chain: &[Link], perm: PermId) {
        self.roles.extend(chain.iter().map(|link| link.role));
        if let Some(last) = chain.last() {
            self.items.insert(Item::Grant(last.role, perm));
        }
    }
}

fn touched(e: &Explanation) -> Touched {
    let mut t = Touched::default();
    for path in &e.paths {
        let p = &path.path;
        if let (Some(role), Some(team)) = (p.member, p.team) {
            t.roles.insert(role);
            if let Subject::User(u) = e.subject {
                t.items.insert(Item::Member(u, team));
            }
        }
        t.chain(&path.chain, e.perm);
        if let Some(share) = p.share {
            t.roles.insert(share.role);
            t.chain(&path.share_chain, e.perm);
            if p.member.is_some() {
                t.items.insert(Item::Share(share.resource, share.team));
            }
        }
    }
    t
}

pub fn measure(policy: &Policy, explanations: &[Explanation]) -> Coverage {
    let m = &policy.model;
    // Every coverable item, with the span of the line that holds it. A grant
    // (role × permission) is held by the role's first `grant` line that
    // matches the permission: the one `explain` shows.
    let grant_items: Vec<(Item, Option<Span>)> = m
        .role_ids()
        .flat_map(|r| {
            m[r].direct.iter().map(move |p| {
                let line = m[r].grants.iter().find(|g| g.perms.contains(&p));
                (Item::Grant(r, p), line.map(|g| g.span))
            })
        })
        .collect();
    let member_items: Vec<(Item, Option<Span>)> = m
        .team_ids()
        .flat_map(|t| {
            m[t].members
                .iter()
                .map(move |mb| (Item::Member(mb.user, t), Some(mb.span)))
        })
        .collect();
    let share_items: Vec<(Item, Option<Span>)> = m
        .resource_ids()
        .flat_map(|r| {
            m[r].shares
                .iter()
                .map(move |s| (Item::Share(r, s.team), Some(s.span)))
        })
        .collect();
    let all = || grant_items.iter().chain(&member_items).chain(&share_items);

    let line_of = |span: Span| (span.file, m.sources.file(span.file).line_col(span.start).0);
    let mut lines_of: BTreeMap<Item, Vec<(FileId, usize)>> = BTreeMap::new();
    let mut hits: BTreeMap<(FileId, usize), usize> = BTreeMap::new();
    for (item, span) in all() {
        if let Some(span) = span {
            lines_of.entry(*item).or_default().push(line_of(*span));
            hits.entry(line_of(*span)).or_default();
        }
    }

    let mut seen = Touched::default();
    let mut item_hits: BTreeMap<Item, usize> = BTreeMap::new();
    for e in explanations {
        let t = touched(e);
        for item in &t.items {
            if lines_of.contains_key(item) {
                *item_hits.entry(*item).or_default() += 1;
            }
        }
        // A line counts once per test line, however many of its items it touched.
        let here: BTreeSet<(FileId, usize)> = t
            .items
            .iter()
            .filter_map(|item| lines_of.get(item))
            .flatten()
            .copied()
            .collect();
        for line in here {
            *hits.entry(line).or_default() += 1;
        }
        seen.roles.extend(t.roles);
        seen.items.extend(t.items);
    }

    let mut items: BTreeMap<(FileId, usize), Vec<(String, usize)>> = BTreeMap::new();
    for (item, span) in all() {
        if let Some(span) = span {
            let n = item_hits.get(item).copied().unwrap_or(0);
            items
                .entry(line_of(*span))
                .or_default()
                .push((item.name(m), n));
        }
    }
    let kind_of = |all: &[(Item, Option<Span>)]| {
        kind(
            all.iter()
                .map(|(item, _)| (item.name(m), seen.items.contains(item))),
        )
    };
    let roles = kind(
        m.role_ids()
            .map(|r| (m[r].key.clone(), seen.roles.contains(&r))),
    );
    let grants = kind_of(&grant_items);
    let memberships = kind_of(&member_items);
    let shares = kind_of(&share_items);
    let total = roles.total + grants.total + memberships.total + shares.total;
    let covered = roles.covered + grants.covered + memberships.covered + shares.covered;
    Coverage {
        percent: percent(covered, total),
        roles,
        grants,
        memberships,
        shares,
        lines: hits
            .into_iter()
            .map(|((file, line), hits)| LineHits {
                file: m.sources.file(file).name.clone(),
                line,
                hits,
                items: items.remove(&(file, line)).unwrap_or_default(),
            })
            .collect(),
    }
}

impl Coverage {
    pub fn to_text(&self) -> String {
        let mut out = format!("coverage: {:.1}% overall\n", self.percent);
        for (name, k) in [
            ("roles", &self.roles),
            ("grants", &self.grants),
            ("memberships", &self.memberships),
            ("shares", &self.shares),
        ] {
            out.push_str(&format!(
                "  {name}: {}/{} ({:.1}%)\n",
                k.covered, k.total, k.percent
            ));
            for item in &k.uncovered {
                out.push_str(&format!("    not exercised: {}\n", esc(item)));
            }
        }
        out
    }
}
