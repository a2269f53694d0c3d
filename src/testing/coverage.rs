//! Coverage: which roles, grants (role × permission), memberships and shares
//! no test line exercised. A test line exercises what its explanation walks
//! through: the member's role and include chain, the grant that holds the
//! permission, the membership, and the share considered.
//!
//! It also counts, per policy line that holds a grant, a membership or a
//! share, how many test lines exercised it ([`LineHits`]: what LCOV reports).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::compile::Subject;
use crate::escape::text as esc;
use crate::eval::{Explanation, Link};
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

fn kind(all: Vec<String>, covered: &BTreeSet<String>) -> CoverageKind {
    let total = all.len();
    let uncovered: Vec<String> = all.into_iter().filter(|x| !covered.contains(x)).collect();
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

fn walk_chain(
    chain: &[Link],
    perm: &str,
    roles: &mut BTreeSet<String>,
    grants: &mut BTreeSet<String>,
) {
    for link in chain {
        roles.insert(link.role.clone());
    }
    if let Some(last) = chain.last() {
        grants.insert(format!("{} × {perm}", last.role));
    }
}

/// What one test line's explanation walked through, by coverage key.
#[derive(Default)]
struct Touched {
    roles: BTreeSet<String>,
    grants: BTreeSet<String>,
    members: BTreeSet<String>,
    shares: BTreeSet<String>,
}

fn touched(subject: Subject, e: &Explanation) -> Touched {
    let mut t = Touched::default();
    for path in &e.paths {
        if let Some(role) = &path.role {
            t.roles.insert(role.clone());
            if let Subject::User(_) = subject {
                t.members.insert(format!("{} in {}", e.user, path.team));
            }
        }
        walk_chain(&path.chain, &e.permission, &mut t.roles, &mut t.grants);
        if let Some(share) = &path.share {
            t.roles.insert(share.role.clone());
            walk_chain(&share.chain, &e.permission, &mut t.roles, &mut t.grants);
            if path.role.is_some() {
                t.shares
                    .insert(format!("{} with {}", share.resource, share.team));
            }
        }
    }
    t
}

pub fn measure(policy: &Policy, explanations: &[(Subject, Explanation)]) -> Coverage {
    let m = &policy.model;
    // Every coverable item by key, with the span of the line that holds it.
    // A grant key (role × permission) is held by the role's first `grant`
    // line that matches the permission: the one `explain` shows.
    let all_grants: Vec<(String, Option<Span>)> = m
        .roles
        .iter()
        .flat_map(|r| {
            r.direct.iter().map(move |p| {
                let line = r.grants.iter().find(|g| g.perms.contains(&p));
                (format!("{} × {}", r.key, m[p].name), line.map(|g| g.span))
            })
        })
        .collect();
    let all_members: Vec<(String, Option<Span>)> = m
        .teams
        .iter()
        .flat_map(|t| {
            t.members
                .iter()
                .map(move |mb| (format!("{} in {}", m[mb.user].email, t.key), Some(mb.span)))
        })
        .collect();
    let all_shares: Vec<(String, Option<Span>)> = m
        .resource_ids()
        .flat_map(|r| {
            m[r].shares.iter().map(move |s| {
                let key = format!(
                    "{} with {}",
                    m.scope_name(crate::resolve::Scope::Resource(r)),
                    m[s.team].key
                );
                (key, Some(s.span))
            })
        })
        .collect();

    let line_of = |span: Span| (span.file, m.sources.file(span.file).line_col(span.start).0);
    let mut lines_of: BTreeMap<&str, Vec<(FileId, usize)>> = BTreeMap::new();
    let mut hits: BTreeMap<(FileId, usize), usize> = BTreeMap::new();
    for (key, span) in all_grants.iter().chain(&all_members).chain(&all_shares) {
        if let Some(span) = span {
            lines_of.entry(key).or_default().push(line_of(*span));
            hits.entry(line_of(*span)).or_default();
        }
    }

    let mut seen = Touched::default();
    let mut item_hits: BTreeMap<&str, usize> = BTreeMap::new();
    for (subject, e) in explanations {
        let t = touched(*subject, e);
        for key in t.grants.iter().chain(&t.members).chain(&t.shares) {
            if let Some((key, _)) = lines_of.get_key_value(key.as_str()) {
                *item_hits.entry(key).or_default() += 1;
            }
        }
        // A line counts once per test line, however many of its items it touched.
        let here: BTreeSet<(FileId, usize)> = t
            .grants
            .iter()
            .chain(&t.members)
            .chain(&t.shares)
            .filter_map(|key| lines_of.get(key.as_str()))
            .flatten()
            .copied()
            .collect();
        for line in here {
            *hits.entry(line).or_default() += 1;
        }
        seen.roles.extend(t.roles);
        seen.grants.extend(t.grants);
        seen.members.extend(t.members);
        seen.shares.extend(t.shares);
    }

    let mut items: BTreeMap<(FileId, usize), Vec<(String, usize)>> = BTreeMap::new();
    for (key, span) in all_grants.iter().chain(&all_members).chain(&all_shares) {
        if let Some(span) = span {
            let n = item_hits.get(key.as_str()).copied().unwrap_or(0);
            items
                .entry(line_of(*span))
                .or_default()
                .push((key.clone(), n));
        }
    }
    let keys = |all: &[(String, Option<Span>)]| all.iter().map(|(k, _)| k.clone()).collect();
    let all_roles: Vec<String> = m.roles.iter().map(|r| r.key.clone()).collect();
    let roles = kind(all_roles, &seen.roles);
    let grants = kind(keys(&all_grants), &seen.grants);
    let memberships = kind(keys(&all_members), &seen.members);
    let shares = kind(keys(&all_shares), &seen.shares);
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
