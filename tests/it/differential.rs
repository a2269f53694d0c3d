//! Differential test: rolegraph's compiled evaluator against the naive
//! reference of SPEC §2 (`tests/reference`), on random valid policies.
//!
//! The strategy draws small integers; `build` turns them into a policy that is
//! valid by construction (includes only point to earlier roles, so no cycle;
//! members only get roles allowed in their team; every resource has an owner
//! share; admins are not given another role in the admin team). Queries mix
//! declared users in any letter case with new logins.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::reference;

use std::collections::BTreeSet;

use proptest::prelude::*;
use reference::{Member, Perm, RefPath, RefPolicy, Resource, Role, Scope, Share, User};
use rolegraph::eval::{Failure, Path, Through, Via};
use rolegraph::resolve::Model;
use rolegraph::Policy;

const PREFIXES: [&str; 3] = ["a", "b", "c"];
const KINDS: [&str; 2] = ["uc", "ds"];

/// (team, role, owner)
type RawShare = (u8, u8, bool);

#[derive(Clone, Debug)]
pub(crate) struct Raw {
    n_kinds: usize,
    /// (prefix, scope bits: global, team, kind0, kind1; owner; target)
    perms: Vec<(u8, u8, bool, bool)>,
    /// (include bits over earlier roles, grant picks, only-in bits)
    roles: Vec<(u8, Vec<u8>, u8)>,
    n_teams: usize,
    /// 0: `admin_team boss` + team boss; 1: team `admin` (the default key);
    /// 2: no admin team at all.
    admin_mode: u8,
    /// Per user: per team a role pick (0 = not a member); how it is written.
    users: Vec<(Vec<u8>, u8, bool)>,
    admins: u8,
    defaults: Option<(u8, u8)>,
    /// (kind, shares: (team, role, owner))
    resources: Vec<(u8, Vec<RawShare>)>,
    /// (user pick, perm, scope, to, case)
    queries: Vec<(u8, u8, u8, u8, u8)>,
    /// The order items are written in (see `RefPolicy::render`).
    layout: u8,
}

pub(crate) fn raw() -> impl Strategy<Value = Raw> {
    (
        1..=2usize,
        prop::collection::vec(
            (0..3u8, 1..16u8, any::<bool>(), prop::bool::weighted(0.2)),
            2..7,
        ),
        prop::collection::vec(
            (
                any::<u8>(),
                prop::collection::vec(any::<u8>(), 0..3),
                any::<u8>(),
            ),
            1..6,
        ),
        1..4usize,
        0..3u8,
        prop::collection::vec(
            (prop::collection::vec(0..4u8, 4), any::<u8>(), any::<bool>()),
            1..6,
        ),
        any::<u8>(),
        prop::option::of((any::<u8>(), any::<u8>())),
        prop::collection::vec(
            (
                any::<u8>(),
                prop::collection::vec((any::<u8>(), any::<u8>(), any::<bool>()), 1..4),
            ),
            0..4,
        ),
        prop::collection::vec(
            (
                any::<u8>(),
                any::<u8>(),
                any::<u8>(),
                any::<u8>(),
                any::<u8>(),
            ),
            12,
        ),
        any::<u8>(),
    )
        .prop_map(
            |(
                n_kinds,
                perms,
                roles,
                n_teams,
                admin_mode,
                users,
                admins,
                defaults,
                resources,
                queries,
                layout,
            )| Raw {
                n_kinds,
                perms,
                roles,
                n_teams,
                admin_mode,
                users,
                admins,
                defaults,
                resources,
                queries,
                layout,
            },
        )
}

/// Writes an email in a letter case chosen by `bits`.
fn cased(email: &str, bits: u8) -> String {
    email
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if bits >> (i % 8) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

pub(crate) fn build(raw: &Raw) -> RefPolicy {
    let mut p = RefPolicy {
        kinds: KINDS[..raw.n_kinds].iter().map(|k| k.to_string()).collect(),
        ..RefPolicy::default()
    };
    for (i, &(prefix, bits, owner, target)) in raw.perms.iter().enumerate() {
        let kinds: Vec<String> = (0..raw.n_kinds)
            .filter(|k| bits >> (2 + k) & 1 == 1)
            .map(|k| KINDS[k].to_string())
            .collect();
        let (mut global, team) = (bits & 1 == 1, bits & 2 == 2);
        if !global && !team && kinds.is_empty() {
            global = true;
        }
        p.perms.push(Perm {
            name: format!("{}:p{i}", PREFIXES[prefix as usize]),
            global,
            team,
            kinds,
            requires_owner: owner,
            target_team: target,
        });
    }
    p.teams = (0..raw.n_teams).map(|i| format!("t{i}")).collect();
    let admin_team = match raw.admin_mode {
        0 => {
            p.admin_team_line = Some("boss".into());
            Some("boss".to_string())
        }
        1 => Some("admin".to_string()),
        _ => None,
    };
    if let Some(t) = &admin_team {
        p.teams.push(t.clone());
    }
    let prefixes: Vec<&str> = PREFIXES
        .iter()
        .copied()
        .filter(|pre| {
            p.perms
                .iter()
                .any(|q| q.name.starts_with(&format!("{pre}:")))
        })
        .collect();
    for (i, (include_bits, grants, only_bits)) in raw.roles.iter().enumerate() {
        let includes = (0..i)
            .filter(|j| include_bits >> (j % 8) & 1 == 1)
            .map(|j| format!("r{j}"))
            .collect();
        let n = p.perms.len() + prefixes.len() + 1;
        let grants = grants
            .iter()
            .map(|&g| {
                let g = g as usize % n;
                if g < p.perms.len() {
                    p.perms[g].name.clone()
                } else if g < p.perms.len() + prefixes.len() {
                    format!("{}:*", prefixes[g - p.perms.len()])
                } else {
                    "*".to_string()
                }
            })
            .collect();
        // Half the roles are unrestricted; the others name some teams.
        let only_in = p.only_in_from_bits(*only_bits);
        p.roles.push(Role {
            key: format!("r{i}"),
            includes,
            grants,
            only_in,
        });
    }
    p.roles.push(Role::admin());
    let n_roles = p.roles.len();
    let allowed = |p: &RefPolicy, role: &str, team: &str| {
        p.allowed_teams(role).is_none_or(|t| t.contains(team))
    };
    let admin_bits = if admin_team.is_some() { raw.admins } else { 0 };
    for (i, (picks, case, in_user_block)) in raw.users.iter().enumerate() {
        let email = format!("u{i}@acme.com");
        let is_admin = admin_bits >> i & 1 == 1;
        if is_admin {
            p.admins.push(cased(&email, case.rotate_left(3)));
        }
        let mut in_lines = Vec::new();
        for (j, team) in p.teams.clone().iter().enumerate() {
            let pick = picks.get(j).copied().unwrap_or(0);
            if pick == 0 {
                continue;
            }
            let mut role = format!("r{}", (pick as usize * 7 + i + j) % n_roles);
            if role == format!("r{}", n_roles - 1) {
                role = "admin".into();
            }
            if is_admin && Some(team) == admin_team.as_ref() && role != "admin" {
                continue; // admins hold `admin` there; another role is a conflict
            }
            if !allowed(&p, &role, team) {
                continue;
            }
            if *in_user_block && j % 2 == 0 {
                in_lines.push((team.clone(), role));
            } else {
                p.members.push(Member {
                    team: team.clone(),
                    email: cased(&email, case.rotate_left(u32::try_from(j).unwrap())),
                    role,
                });
            }
        }
        // Some users have a `user` item; the rest are declared only by
        // member lines or `admins` (or not at all: then a new login).
        if !in_lines.is_empty() || case & 1 == 1 {
            p.users.push(User {
                email: cased(&email, *case),
                teams: in_lines,
            });
        }
    }
    if let Some((t, r)) = raw.defaults {
        let team = p.teams[t as usize % p.teams.len()].clone();
        let role = p.roles[r as usize % n_roles].key.clone();
        if allowed(&p, &role, &team) {
            p.defaults = Some((team, role));
        }
    }
    for (i, (kind, shares)) in raw.resources.iter().enumerate() {
        let mut out: Vec<Share> = Vec::new();
        for &(t, r, owner) in shares {
            let team = p.teams[t as usize % p.teams.len()].clone();
            if out.iter().any(|s| s.team == team) {
                continue;
            }
            out.push(Share {
                team,
                role: p.roles[r as usize % n_roles].key.clone(), // `only in` does not apply
                owner,
            });
        }
        if !out.iter().any(|s| s.owner) {
            out[0].owner = true;
        }
        p.resources.push(Resource {
            kind: KINDS[*kind as usize % raw.n_kinds].to_string(),
            key: format!("res{i}"),
            shares: out,
        });
    }
    p
}

/// A path of rolegraph's, by name, as the reference writes its candidates.
fn named(model: &Model, path: &Path) -> RefPath {
    RefPath {
        through: through(path.through),
        team: path.team.map(|t| model[t].key.clone()),
        role: path.member.map(|r| model[r].key.clone()),
        share: path.share.map(|s| (model[s.role].key.clone(), s.owner)),
        failure: path.failure.map(|f| match f {
            Failure::NoAdminTeam => "no_admin_team",
            Failure::NotMember => "not_member",
            Failure::RoleLacks => "role_lacks",
            Failure::ShareCaps => "share_caps",
            Failure::NotOwnerShare => "not_owner",
        }),
    }
}

/// A granting path as `who` shows it: how, team, member's role, share role.
type ViaKey = (&'static str, Option<String>, Option<String>, Option<String>);

fn via_named(model: &Model, via: &Via) -> ViaKey {
    (
        through(via.through),
        Some(model[via.team].key.clone()),
        Some(model[via.role].key.clone()),
        via.share_role.map(|r| model[r].key.clone()),
    )
}

fn through(t: Through) -> &'static str {
    match t {
        Through::Membership => "membership",
        Through::Share => "share",
        Through::Global => "global",
    }
}

/// Every row subject: each declared user, and `*` as an email declared
/// nowhere.
fn subjects(reference: &RefPolicy) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = reference
        .declared_users()
        .into_iter()
        .map(|u| (u.clone(), u))
        .collect();
    out.push(("*".into(), "nobody-declared@new.login".into()));
    out
}

/// The useless-share warning fires exactly on the shares through which no
/// member of the team (the new login too, in the default team) holds
/// anything at the resource, by the reference.
fn check_useless_shares(
    reference: &RefPolicy,
    policy: &Policy,
    text: &str,
) -> Result<(), TestCaseError> {
    for res in &reference.resources {
        let scope = Scope::Resource(res.kind.clone(), res.key.clone());
        for share in &res.shares {
            let members: Vec<String> = subjects(reference)
                .into_iter()
                .map(|(_, email)| email)
                .filter(|email| reference.role_in(email, &share.team).is_some())
                .collect();
            let gives = members.iter().any(|email| {
                reference.perms.iter().any(|p| {
                    reference
                        .candidates(email, &p.name, &scope)
                        .iter()
                        .any(|c| {
                            c.through == "share"
                                && c.team.as_deref() == Some(share.team.as_str())
                                && c.failure.is_none()
                        })
                })
            });
            let prefix = format!("sharing `{}` with `{}` as", res.key, share.team);
            let warned = policy.warnings.iter().any(|d| {
                d.code.as_str() == "rolegraph::lint::useless_share"
                    && d.message.starts_with(&prefix)
            });
            prop_assert_eq!(
                warned,
                !members.is_empty() && !gives,
                "useless share {}/{} with {}\n{}",
                res.kind,
                res.key,
                share.team,
                text
            );
        }
    }
    Ok(())
}

fn check_policy(raw: &Raw) -> Result<(), TestCaseError> {
    let reference = build(raw);
    let text = reference.render(raw.layout);
    let policy = match Policy::from_text("random.policy", &text) {
        Ok(p) => p,
        Err(e) => {
            let diags = match &e {
                rolegraph::PolicyError::Invalid { diagnostics, .. } => diagnostics
                    .iter()
                    .filter(|d| d.is_error())
                    .map(|d| format!("{d:?}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                other => other.to_string(),
            };
            return Err(TestCaseError::fail(format!(
                "a valid policy was rejected:\n{text}\n{diags}"
            )));
        }
    };

    // The compiled matrix, as `lines`, is exactly the reference's rows.
    let lines: BTreeSet<(String, String, String)> = policy
        .compiled_lines()
        .lines()
        .map(|l| {
            let mut parts = l.split('\t').map(str::to_string);
            (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            )
        })
        .collect();
    let expected = reference.rows();
    prop_assert!(
        lines == expected,
        "compiled rows differ\n{text}\nonly in rolegraph: {:?}\nonly in reference: {:?}",
        lines.difference(&expected).collect::<Vec<_>>(),
        expected.difference(&lines).collect::<Vec<_>>()
    );

    check_useless_shares(&reference, &policy, &text)?;

    // Random queries, through the public query API.
    let scopes = reference.scopes();
    let n_users = raw.users.len() + 2;
    for &(u, perm, scope, to, case) in &raw.queries {
        let u = u as usize % n_users;
        // The last two picks are new logins: never declared anywhere.
        let email = if u < raw.users.len() {
            cased(&format!("u{u}@acme.com"), case)
        } else {
            cased(&format!("new{u}@acme.com"), case)
        };
        let p = &reference.perms[perm as usize % reference.perms.len()];
        let scope = &scopes[scope as usize % scopes.len()];
        let to_team = p
            .target_team
            .then(|| reference.teams[to as usize % reference.teams.len()].clone());
        let to_text = to_team.as_ref().map(|t| format!("team/{t}"));
        let scope_text = scope.text();
        let scope_arg = (*scope != Scope::Global || case & 1 == 1).then_some(scope_text.as_str());
        let q = policy
            .query(&email, &p.name, scope_arg, to_text.as_deref())
            .map_err(|e| TestCaseError::fail(format!("query rejected: {e}")))?;
        let want = reference.can(&email, &p.name, scope, to_team.as_deref());
        let got = policy.check(&q);
        prop_assert_eq!(
            got,
            want,
            "can {} {} {} {:?}\n{}",
            email,
            p.name,
            scope_text,
            to_team,
            text
        );
        // explain shows exactly the reference's candidate paths (for an
        // allow, those that grant), each failing where the reference says;
        // so it has a granting path iff the reference holds. Its decision is
        // its own, from those paths and the target check.
        let e = policy.explain(&q, &email);
        let holds = reference.holds(&email, &p.name, scope);
        let mut want_paths = reference.candidates(&email, &p.name, scope);
        prop_assert_eq!(
            want_paths.iter().any(|c| c.failure.is_none()),
            holds,
            "the reference's candidates disagree with its rule"
        );
        if want {
            want_paths.retain(|c| c.failure.is_none());
        }
        let mut got_paths: Vec<RefPath> = e
            .paths
            .iter()
            .map(|path| named(&policy.model, &path.path))
            .collect();
        want_paths.sort();
        got_paths.sort();
        prop_assert_eq!(
            &got_paths,
            &want_paths,
            "explain {} {} {}\n{}",
            email,
            p.name,
            scope_text,
            text
        );
        prop_assert_eq!(e.paths.iter().any(|path| path.granted()), holds);
        prop_assert_eq!(e.decision == rolegraph::eval::Decision::Allow, want);
        prop_assert_eq!(e.new_login(), !reference.declared(&email));

        // `who` lists exactly the row holders at that scope, each with
        // exactly the paths that grant by the reference.
        let resolved = policy.scope(&scope_text).unwrap();
        let who = policy.who(q.perm, resolved);
        let who_users: BTreeSet<String> = who
            .users
            .iter()
            .map(|w| w.subject.label(&policy.model).to_string())
            .collect();
        let want_users: BTreeSet<String> = expected
            .iter()
            .filter(|(_, s, p2)| *s == scope_text && *p2 == p.name)
            .map(|(u, _, _)| u.clone())
            .collect();
        prop_assert_eq!(
            who_users,
            want_users,
            "who {} {}\n{}",
            p.name,
            scope_text,
            text
        );
        prop_assert!(
            who.users.iter().all(|w| !w.via.is_empty()),
            "who without a path\n{}",
            text
        );
        for (label, asked) in subjects(&reference) {
            let mut want_via: Vec<ViaKey> = reference
                .candidates(&asked, &p.name, scope)
                .into_iter()
                .filter(|c| c.failure.is_none())
                .map(|c| (c.through, c.team, c.role, c.share.map(|(role, _)| role)))
                .collect();
            let mut got_via: Vec<ViaKey> = who
                .users
                .iter()
                .filter(|w| w.subject.label(&policy.model) == label)
                .flat_map(|w| &w.via)
                .map(|via| via_named(&policy.model, via))
                .collect();
            want_via.sort();
            got_via.sort();
            prop_assert_eq!(
                &got_via,
                &want_via,
                "who {} {}: the paths of {}\n{}",
                p.name,
                scope_text,
                label,
                text
            );
        }

        // `what` is the user's rows (a new login's are those of `*`).
        let what = policy.what(&email);
        let got_rows: BTreeSet<(String, String)> = what
            .scopes
            .iter()
            .flat_map(|s| {
                let m = &policy.model;
                let scope = m.scope_name(s.scope);
                s.permissions
                    .iter()
                    .map(move |&p2| (scope.clone(), m[p2].name.clone()))
            })
            .collect();
        let row_user = if reference.declared(&email) {
            email.to_lowercase()
        } else {
            "*".to_string()
        };
        let want_rows: BTreeSet<(String, String)> = expected
            .iter()
            .filter(|(u, _, _)| *u == row_user)
            .map(|(_, s, p2)| (s.clone(), p2.clone()))
            .collect();
        prop_assert_eq!(got_rows, want_rows, "what {}\n{}", email, text);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn evaluator_matches_reference(raw in raw()) {
        check_policy(&raw)?;
    }
}
