//! Coverage: which roles, grants (role × permission), memberships and shares
//! no test line exercised. A test line exercises what its explanation walks
//! through: the member's role and include chain, the grant that holds the
//! permission, the membership, and the share considered.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::compile::Subject;
use crate::escape::text as esc;
use crate::eval::{Explanation, Link};
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

pub fn measure(policy: &Policy, explanations: &[(Subject, Explanation)]) -> Coverage {
    let m = &policy.model;
    let (mut roles, mut grants, mut members, mut shares) = (
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
    );
    for (subject, e) in explanations {
        for path in &e.paths {
            if let Some(role) = &path.role {
                roles.insert(role.clone());
                if let Subject::User(_) = subject {
                    members.insert(format!("{} in {}", e.user, path.team));
                }
            }
            walk_chain(&path.chain, &e.permission, &mut roles, &mut grants);
            if let Some(share) = &path.share {
                roles.insert(share.role.clone());
                walk_chain(&share.chain, &e.permission, &mut roles, &mut grants);
                if path.role.is_some() {
                    shares.insert(format!("{} with {}", share.resource, share.team));
                }
            }
        }
    }
    let all_roles: Vec<String> = m.roles.iter().map(|r| r.key.clone()).collect();
    let all_grants: Vec<String> = m
        .roles
        .iter()
        .flat_map(|r| {
            r.direct
                .iter()
                .map(move |p| format!("{} × {}", r.key, m[p].name))
        })
        .collect();
    let all_members: Vec<String> = m
        .teams
        .iter()
        .flat_map(|t| {
            t.members
                .iter()
                .map(move |mb| format!("{} in {}", m[mb.user].email, t.key))
        })
        .collect();
    let all_shares: Vec<String> = m
        .resource_ids()
        .flat_map(|r| {
            m[r].shares.iter().map(move |s| {
                format!(
                    "{} with {}",
                    m.scope_name(crate::resolve::Scope::Resource(r)),
                    m[s.team].key
                )
            })
        })
        .collect();
    let roles = kind(all_roles, &roles);
    let grants = kind(all_grants, &grants);
    let memberships = kind(all_members, &members);
    let shares = kind(all_shares, &shares);
    let total = roles.total + grants.total + memberships.total + shares.total;
    let covered = roles.covered + grants.covered + memberships.covered + shares.covered;
    Coverage {
        percent: percent(covered, total),
        roles,
        grants,
        memberships,
        shares,
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
