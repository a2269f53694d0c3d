//! Warnings: policies that are valid but probably not what was meant.

use std::collections::{BTreeMap, HashSet};

use super::model::{Model, PermSet, RoleId, UserId};
use crate::diagnostics::{Code, Diagnostic};
use crate::source::Span;

pub fn lint(m: &Model, diags: &mut Vec<Diagnostic>) {
    unsatisfiable_only_in(m, diags);
    unused_roles(m, diags);
    empty_teams(m, diags);
    users_in_no_team(m, diags);
    powerful_default_role(m, diags);
    confusable_names(m, diags);
    identical_roles(m, diags);
    useless_shares(m, diags);
    owner_without_resource(m, diags);
}

/// `requires owner` is about shares (SPEC §2): on a permission declared on
/// no resource kind it checks nothing, and the author who wrote it expects
/// fewer people to hold the permission than do.
fn owner_without_resource(m: &Model, diags: &mut Vec<Diagnostic>) {
    for p in &m.perms {
        if p.requires_owner && p.scopes.kinds.is_empty() {
            diags.push(
                Diagnostic::new(
                    Code::OwnerWithoutResource,
                    format!("`requires owner` has no effect on `{}`", p.name),
                    p.span,
                    "declared on no resource kind: there is no owner share to require",
                )
                .with_help(
                    "declare it `on KIND` for the resources it guards, or drop `requires owner`",
                ),
            );
        }
    }
}

fn unsatisfiable_only_in(m: &Model, diags: &mut Vec<Diagnostic>) {
    for role in &m.roles {
        if role.allowed_teams.as_ref().is_some_and(Vec::is_empty) {
            diags.push(
                Diagnostic::new(
                    Code::UnsatisfiableOnlyIn,
                    format!("role `{}` may be assigned in no team", role.key),
                    role.span,
                    "its own and inherited `only in` teams do not overlap",
                )
                .with_help("widen one of the `only in` clauses, or drop an include"),
            );
        }
    }
}

fn unused_roles(m: &Model, diags: &mut Vec<Diagnostic>) {
    let mut used: HashSet<RoleId> = HashSet::new();
    for team in &m.teams {
        used.extend(team.members.iter().map(|mb| mb.role));
    }
    for r in &m.resources {
        used.extend(r.shares.iter().map(|s| s.role));
    }
    for role in &m.roles {
        used.extend(role.includes.iter().map(|(r, _)| *r));
    }
    if let Some((_, role)) = m.auth.default {
        used.insert(role);
    }
    if let Some(admin) = m.role("admin") {
        used.insert(admin); // `admins` and the Adaptive built-ins rely on it
    }
    for id in m.role_ids() {
        if !used.contains(&id) {
            diags.push(
                Diagnostic::new(
                    Code::UnusedRole,
                    format!("role `{}` is never used", m[id].key),
                    m[id].span,
                    "no member, share, include or default uses it",
                )
                .with_help("assign it to a member or a share, or remove it"),
            );
        }
    }
}

fn empty_teams(m: &Model, diags: &mut Vec<Diagnostic>) {
    let default_team = m.auth.default.map(|(t, _)| t);
    for id in m.team_ids() {
        let exempt = Some(id) == m.auth.admin_team || Some(id) == default_team;
        if m[id].members.is_empty() && !exempt {
            diags.push(
                Diagnostic::new(
                    Code::EmptyTeam,
                    format!("team `{}` has no members", m[id].key),
                    m[id].span,
                    "empty team",
                )
                .with_help(format!(
                    "add `member EMAIL as ROLE` in `team {} {{ … }}`",
                    m[id].key
                )),
            );
        }
    }
}

fn users_in_no_team(m: &Model, diags: &mut Vec<Diagnostic>) {
    for user in &m.users {
        if user.explicit && user.memberships.is_empty() {
            // A declared user is not a new login (SPEC §2): the defaults
            // are not theirs, and the evaluator denies them everything.
            let help = match m.auth.default {
                Some((team, role)) => format!(
                    "they can do nothing: a declared user is not a new login, so `{}` in `{}` is not theirs; add `in TEAM as ROLE` to place them",
                    m[role].key, m[team].key
                ),
                None => "they can do nothing; add `in TEAM as ROLE` to place them".to_string(),
            };
            diags.push(
                Diagnostic::new(
                    Code::UserInNoTeam,
                    format!("user `{}` is in no team", user.email),
                    user.span,
                    "declared here",
                )
                .with_help(help),
            );
        }
    }
}

fn powerful_default_role(m: &Model, diags: &mut Vec<Diagnostic>) {
    let Some((_, role)) = m.auth.default else {
        return;
    };
    let risky: Vec<&str> = m[role]
        .perms
        .iter()
        .filter(|&p| m[p].scopes.global || m[p].prefix() == "admin")
        .map(|p| m[p].name.as_str())
        .collect();
    if risky.is_empty() {
        return;
    }
    let span = m
        .auth
        .default_role_span
        .or(m.auth.span)
        .unwrap_or(m[role].span);
    let shown: Vec<String> = risky.iter().take(4).map(|p| format!("`{p}`")).collect();
    let more = if risky.len() > 4 { ", …" } else { "" };
    diags.push(
        Diagnostic::new(
            Code::PowerfulDefaultRole,
            format!(
                "every new login gets role `{}`, which grants {}{more}",
                m[role].key,
                shown.join(", ")
            ),
            span,
            "default role set here",
        )
        .with_help("make the default role a read-only one, e.g. `default_role read-only`"),
    );
}

/// What a name looks like to a reviewer: case and `-`/`_` ignored, and the
/// ASCII characters fonts make look alike (Unicode TR39's confusables within
/// ASCII) mapped to one of them: `1`, `I` and `|` to `l`, `0` to `o`, `rn` to
/// `m`, `vv` to `w`. Written text, not folded: `AIice` (a capital `I`) looks
/// like `Alice`, though it folds to `aiice`.
pub(super) fn skeleton(written: &str) -> String {
    let mut out = String::with_capacity(written.len());
    for c in written.chars() {
        out.push(match c {
            '1' | 'I' | '|' => 'l',
            '0' => 'o',
            '-' => '_',
            c => c.to_ascii_lowercase(),
        });
    }
    out.replace("rn", "m").replace("vv", "w")
}

/// The sets (of two or more) of `items` whose names look alike, each in
/// the order given, the sets in the order of their first item. Only a hash
/// of each skeleton is kept (a million names' skeletons in a map were a
/// tenth of what validating a million roles took); names whose hashes meet
/// are compared by skeleton.
fn look_alike<'n, T: Copy>(items: &[(&'n str, T)]) -> Vec<Vec<(&'n str, T)>> {
    use std::hash::{BuildHasher, BuildHasherDefault};
    let hasher = BuildHasherDefault::<rustc_hash::FxHasher>::default();
    let mut keyed: Vec<(u64, usize)> = items
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (hasher.hash_one(skeleton(name)), i))
        .collect();
    keyed.sort_unstable();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for run in keyed
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|run| run.len() > 1)
    {
        let mut by_look: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for &(_, i) in run {
            by_look.entry(skeleton(items[i].0)).or_default().push(i);
        }
        groups.extend(by_look.into_values().filter(|g| g.len() > 1));
    }
    groups.sort_unstable_by_key(|g| g[0]);
    groups
        .into_iter()
        .map(|g| g.into_iter().map(|i| items[i]).collect())
        .collect()
}

/// `Read-Only` vs `read_only`, `adrnin` vs `admin`: keys and emails that
/// look like one another, and emails with characters outside ASCII.
fn confusable_names(m: &Model, diags: &mut Vec<Diagnostic>) {
    let normal = |s: &str| s.to_lowercase().replace('-', "_");
    let groups: [(&str, Vec<(&str, Span)>); 4] = [
        (
            "role",
            m.roles.iter().map(|r| (r.key.as_str(), r.span)).collect(),
        ),
        (
            "team",
            m.teams.iter().map(|t| (t.key.as_str(), t.span)).collect(),
        ),
        (
            "kind",
            m.kinds.iter().map(|k| (k.key.as_str(), k.span)).collect(),
        ),
        (
            "permission",
            m.perms.iter().map(|p| (p.name.as_str(), p.span)).collect(),
        ),
    ];
    for (what, names) in groups {
        for same in look_alike(&names) {
            let (first, first_span) = same[0];
            for &(other, span) in &same[1..] {
                let message = if normal(other) == normal(first) {
                    format!("{what} `{other}` differs from `{first}` only by case or `-`/`_`")
                } else {
                    format!("{what} `{other}` looks like `{first}`: they differ only by look-alike characters")
                };
                diags.push(
                    Diagnostic::new(Code::ConfusableNames, message, span, "this name")
                        .with_label(first_span, "looks like this one")
                        .with_help("reviewers will confuse them: rename one"),
                );
            }
        }
    }
    look_alike_emails(m, diags);
    for user in &m.users {
        if !user.email.is_ascii() {
            let odd: String = user.email.chars().filter(|c| !c.is_ascii()).collect();
            diags.push(
                Diagnostic::new(
                    Code::ConfusableNames,
                    format!("email `{}` contains non-ASCII characters ({odd})", user.email),
                    user.span,
                    "may look like another address",
                )
                .with_help("check that this is the address you meant; look-alike letters can impersonate a user"),
            );
        }
    }
}

/// Two declared emails that are different users but look alike as written
/// (`arnie@acme.com` and `amie@acme.com`, `AIice@acme.com` and
/// `alice@acme.com`): one can be granted what a reviewer reads as the
/// other's access.
fn look_alike_emails(m: &Model, diags: &mut Vec<Diagnostic>) {
    let written: Vec<(&str, UserId)> = m
        .user_ids()
        .map(|id| {
            let user = &m[id];
            // The email as first written (quotes aside), else as stored.
            let written = m.sources.slice(user.span).trim_matches('"');
            if written.eq_ignore_ascii_case(&user.email) {
                (written, id)
            } else {
                (user.email.as_str(), id)
            }
        })
        .collect();
    let groups: Vec<Vec<(&str, UserId)>> = look_alike(&written);
    for same in groups {
        let first = &m[same[0].1];
        for &(_, other) in &same[1..] {
            let other = &m[other];
            diags.push(
                Diagnostic::new(
                    Code::ConfusableNames,
                    format!("email `{}` looks like `{}`", other.email, first.email),
                    other.span,
                    "this address",
                )
                .with_label(first.span, "looks like this one")
                .with_help("look-alike characters (`rn` and `m`, `1`, `I` and `l`, `0` and `O`, `vv` and `w`) let one address pass for another: check which one is meant"),
            );
        }
    }
}

/// Roles with the same effective permissions: one warning per set, so a
/// million identical roles are one warning, not 999,999 (they were most of
/// the 4.7 GB a million roles took to validate).
fn identical_roles(m: &Model, diags: &mut Vec<Diagnostic>) {
    /// The others named in a warning; the rest are counted.
    const NAMED: usize = 8;
    let mut by_perms: BTreeMap<Vec<u16>, Vec<RoleId>> = BTreeMap::new();
    for id in m.role_ids() {
        let key: Vec<u16> = m[id].perms.iter().map(|p| p.0).collect();
        by_perms.entry(key).or_default().push(id);
    }
    for roles in by_perms.values().filter(|v| v.len() > 1) {
        let (first, others) = (roles[0], &roles[1..]);
        let named: Vec<&str> = others
            .iter()
            .take(NAMED)
            .map(|&r| m[r].key.as_str())
            .collect();
        let more = others.len() - named.len();
        let tail = if more > 0 {
            format!(" and {} more", super::thousands(more))
        } else {
            String::new()
        };
        let message = if others.len() == 1 {
            format!(
                "roles `{}` and `{}` grant exactly the same permissions",
                named[0], m[first].key
            )
        } else {
            format!(
                "roles `{}`{tail} grant exactly the same permissions as `{}`",
                named.join("`, `"),
                m[first].key
            )
        };
        let mut d = Diagnostic::new(
            Code::IdenticalRoles,
            message,
            m[others[0]].span,
            "same permissions",
        )
        .with_label(m[first].span, "as this role");
        for &other in others.iter().take(NAMED).skip(1) {
            d = d.with_label(m[other].span, "same permissions");
        }
        let help = if others.len() == 1 {
            format!(
                "merge them, keeping the other key as an alias: `alias {}`",
                named[0]
            )
        } else {
            format!(
                "merge them into `{}`, keeping the other keys as aliases: `alias {}`{tail}",
                m[first].key,
                named.join(", ")
            )
        };
        diags.push(d.with_help(help));
    }
}

/// A share that gives no member anything at the resource: by SPEC §2 a
/// member holds `p` there through the share only when `p` is declared on
/// the resource's kind, both the member's role and the share's role hold
/// it, and, for a `requires owner` permission, the share is an owner share.
fn useless_shares(m: &Model, diags: &mut Vec<Diagnostic>) {
    for r in &m.resources {
        let on_kind: PermSet = m
            .perm_ids()
            .filter(|&p| m[p].scopes.kinds.contains(&r.kind))
            .collect();
        for share in &r.shares {
            let cap = m[share.role].perms.intersect(&on_kind);
            let mut member_roles: Vec<RoleId> =
                m[share.team].members.iter().map(|mb| mb.role).collect();
            if let Some((team, role)) = m.auth.default {
                if team == share.team {
                    member_roles.push(role);
                }
            }
            if member_roles.is_empty() {
                continue; // an empty team has its own warning
            }
            let overlap = |owner_only_too: bool| {
                member_roles.iter().any(|&role| {
                    m[role]
                        .perms
                        .intersect(&cap)
                        .iter()
                        .any(|p| owner_only_too || !m[p].requires_owner)
                })
            };
            let gives_something = overlap(share.owner);
            if !gives_something {
                // Only `requires owner` permissions overlap: the fix differs.
                let (label, help) = if overlap(true) {
                    (
                        "what members' roles and this share's role both hold requires an owner share",
                        "mark the share `owner`, or share at a role that holds what members need",
                    )
                } else {
                    (
                        "no member's role overlaps this share's role",
                        "a share caps members' roles: share at a role that holds what they need",
                    )
                };
                diags.push(
                    Diagnostic::new(
                        Code::UselessShare,
                        format!(
                            "sharing `{}` with `{}` as `{}` gives its members nothing",
                            r.key, m[share.team].key, m[share.role].key
                        ),
                        share.span,
                        label,
                    )
                    .with_help(help),
                );
            }
        }
    }
}
