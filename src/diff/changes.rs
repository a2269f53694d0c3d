//! The summary of changed definitions: permissions, roles (by their effective
//! permissions), teams, members and their roles, users, resources and their
//! shares, and `auth`. Compared by name; where a definition is written (file,
//! line, order) does not count.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::Hash;

use serde::Serialize;

use crate::resolve::{Model, NameMap};

/// One changed definition.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    /// `permission`, `role`, `team`, `member`, `user`, `resource`, `share` or `auth`.
    pub item: &'static str,
    /// The item's name: a key, an email, `EMAIL in TEAM`, `SCOPE with TEAM`,
    /// or an `auth` setting.
    pub name: String,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    /// The definition before, in short, when it was there and matters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    /// The definition after, in short.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    /// Names gained: a role's effective permissions, `admins` entries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<String>,
    /// Names lost.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
}

impl Change {
    /// A definition that is only in `old` (removed), only in `new` (added),
    /// or in both and different (changed).
    fn new(item: &'static str, name: String, old: Option<String>, new: Option<String>) -> Self {
        Change {
            item,
            name,
            change: change_kind(old.as_ref(), new.as_ref()),
            old,
            new,
            added: Vec::new(),
            removed: Vec::new(),
        }
    }
}

/// Every definition that differs, in the order above, then by name.
pub fn changes(old: &Model, new: &Model) -> Vec<Change> {
    let mut out = Vec::new();
    compare(&mut out, "permission", permissions(old), permissions(new));
    roles(&mut out, old, new);
    compare(&mut out, "team", teams(old), teams(new));
    members(&mut out, old, new);
    users(&mut out, old, new);
    resources(&mut out, old, new);
    shares(&mut out, old, new);
    auth(&mut out, old, new);
    out
}

/// Compares two maps of name -> short description.
fn compare(
    out: &mut Vec<Change>,
    item: &'static str,
    old: BTreeMap<String, String>,
    new: BTreeMap<String, String>,
) {
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for name in names {
        let (o, n) = (old.get(name), new.get(name));
        if o != n {
            out.push(Change::new(item, name.clone(), o.cloned(), n.cloned()));
        }
    }
}

fn quoted(s: &Option<String>) -> String {
    s.as_ref().map(|t| format!(" {t:?}")).unwrap_or_default()
}

fn permissions(m: &Model) -> BTreeMap<String, String> {
    m.perms
        .iter()
        .map(|p| {
            let mut on: Vec<&str> = p.scopes.kinds.iter().map(|&k| m[k].key.as_str()).collect();
            on.sort_unstable();
            if p.scopes.team {
                on.insert(0, "team");
            }
            if p.scopes.global {
                on.push("global");
            }
            let mut requires = Vec::new();
            if p.requires_owner {
                requires.push("owner");
            }
            if p.target_team {
                requires.push("target team");
            }
            let requires = if requires.is_empty() {
                String::new()
            } else {
                format!(" requires {}", requires.join(", "))
            };
            let text = format!("on {}{requires}{}", on.join(", "), quoted(&p.description));
            (p.name.clone(), text)
        })
        .collect()
}

/// A role's shape apart from its permissions: what it includes, where it may
/// be assigned, its title.
fn role_shape(m: &Model, r: &crate::resolve::Role) -> String {
    let mut parts = Vec::new();
    let mut includes: Vec<&str> = r.includes.iter().map(|&(i, _)| m[i].key.as_str()).collect();
    includes.sort_unstable();
    if !includes.is_empty() {
        parts.push(format!("includes {}", includes.join(", ")));
    }
    if let Some((teams, _)) = &r.only_in {
        let mut teams: Vec<&str> = teams.iter().map(|&t| m[t].key.as_str()).collect();
        teams.sort_unstable();
        parts.push(format!("only in {}", teams.join(", ")));
    }
    if let Some(t) = &r.title {
        parts.push(format!("title {t:?}"));
    }
    parts.join("; ")
}

fn role_perms(m: &Model, r: &crate::resolve::Role) -> BTreeSet<String> {
    r.perms.iter().map(|p| m[p].name.clone()).collect()
}

fn roles(out: &mut Vec<Change>, old: &Model, new: &Model) {
    let keys: BTreeSet<&str> = old
        .roles
        .iter()
        .chain(&new.roles)
        .map(|r| r.key.as_str())
        .collect();
    let old_roles: BTreeMap<&str, &crate::resolve::Role> =
        old.roles.iter().map(|r| (r.key.as_str(), r)).collect();
    let new_roles: BTreeMap<&str, &crate::resolve::Role> =
        new.roles.iter().map(|r| (r.key.as_str(), r)).collect();
    for key in keys {
        let (o, n) = (old_roles.get(key), new_roles.get(key));
        let before = o.map(|r| role_perms(old, r)).unwrap_or_default();
        let after = n.map(|r| role_perms(new, r)).unwrap_or_default();
        let shape_old = o.map(|r| role_shape(old, r));
        let shape_new = n.map(|r| role_shape(new, r));
        if o.is_some() && n.is_some() && before == after && shape_old == shape_new {
            continue;
        }
        let change = change_kind(o, n);
        let (old_text, new_text) = if shape_old == shape_new {
            (None, None)
        } else {
            (
                shape_old.filter(|s| !s.is_empty()),
                shape_new.filter(|s| !s.is_empty()),
            )
        };
        out.push(Change {
            item: "role",
            name: key.to_string(),
            change,
            old: old_text,
            new: new_text,
            added: after.difference(&before).cloned().collect(),
            removed: before.difference(&after).cloned().collect(),
        });
    }
}

fn teams(m: &Model) -> BTreeMap<String, String> {
    m.teams
        .iter()
        .map(|t| (t.key.clone(), quoted(&t.title).trim_start().to_string()))
        .collect()
}

/// The entries two maps disagree on, sorted by key. The maps borrow from the
/// models, so the many members and users of a large org cost no formatting.
fn differences<'m, K, V>(
    old: &'m NameMap<K, V>,
    new: &'m NameMap<K, V>,
) -> Vec<(&'m K, Option<&'m V>, Option<&'m V>)>
where
    K: Hash + Eq + Ord,
    V: PartialEq,
{
    let mut out: Vec<_> = old
        .iter()
        .filter_map(|(k, v)| match new.get(k) {
            Some(w) if w == v => None,
            w => Some((k, Some(v), w)),
        })
        .chain(
            new.iter()
                .filter(|(k, _)| !old.contains_key(k))
                .map(|(k, w)| (k, None, Some(w))),
        )
        .collect();
    out.sort_by(|a, b| a.0.cmp(b.0));
    out
}

fn change_kind<V>(old: Option<V>, new: Option<V>) -> &'static str {
    match (old, new) {
        (None, _) => "added",
        (_, None) => "removed",
        _ => "changed",
    }
}

fn members(out: &mut Vec<Change>, old: &Model, new: &Model) {
    // (email, team) -> role
    fn map(m: &Model) -> NameMap<(&str, &str), &str> {
        m.teams
            .iter()
            .flat_map(|t| {
                t.members.iter().map(move |ms| {
                    (
                        (m[ms.user].email.as_str(), t.key.as_str()),
                        m[ms.role].key.as_str(),
                    )
                })
            })
            .collect()
    }
    let (a, b) = (map(old), map(new));
    for ((email, team), o, n) in differences(&a, &b) {
        out.push(Change::new(
            "member",
            format!("{email} in {team}"),
            o.map(|r| format!("as {r}")),
            n.map(|r| format!("as {r}")),
        ));
    }
}

fn users(out: &mut Vec<Change>, old: &Model, new: &Model) {
    fn map(m: &Model) -> NameMap<&str, Option<&str>> {
        m.users
            .iter()
            .map(|u| (u.email.as_str(), u.name.as_deref()))
            .collect()
    }
    let (a, b) = (map(old), map(new));
    let text = |name: &Option<&str>| name.map(|n| format!("{n:?}")).unwrap_or_default();
    for (email, o, n) in differences(&a, &b) {
        let (old_name, new_name) = (o.map(text), n.map(text));
        let mut change = Change::new(
            "user",
            email.to_string(),
            old_name.filter(|t| !t.is_empty()),
            new_name.filter(|t| !t.is_empty()),
        );
        change.change = change_kind(o, n); // a user without a name is still there
        out.push(change);
    }
}

/// Changes named by their scope (`KIND/KEY …`), sorted by that name as
/// written, as every other item's are.
fn push_by_name(out: &mut Vec<Change>, mut changes: Vec<Change>) {
    changes.sort_by(|a, b| a.name.cmp(&b.name));
    out.extend(changes);
}

fn resources(out: &mut Vec<Change>, old: &Model, new: &Model) {
    // (kind, key) -> title
    fn map(m: &Model) -> NameMap<(&str, &str), Option<&str>> {
        m.resources
            .iter()
            .map(|r| ((m[r.kind].key.as_str(), r.key.as_str()), r.title.as_deref()))
            .collect()
    }
    let (a, b) = (map(old), map(new));
    let text = |title: &Option<&str>| title.map(|t| format!("{t:?}")).unwrap_or_default();
    let changes = differences(&a, &b)
        .into_iter()
        .map(|((kind, key), o, n)| {
            Change::new(
                "resource",
                format!("{kind}/{key}"),
                o.map(text),
                n.map(text),
            )
        })
        .collect();
    push_by_name(out, changes);
}

fn shares(out: &mut Vec<Change>, old: &Model, new: &Model) {
    // (kind, key, team) -> (role, owner)
    fn map(m: &Model) -> NameMap<(&str, &str, &str), (&str, bool)> {
        m.resources
            .iter()
            .flat_map(|r| {
                r.shares.iter().map(move |s| {
                    let key = (
                        m[r.kind].key.as_str(),
                        r.key.as_str(),
                        m[s.team].key.as_str(),
                    );
                    (key, (m[s.role].key.as_str(), s.owner))
                })
            })
            .collect()
    }
    let (a, b) = (map(old), map(new));
    let text =
        |&(role, owner): &(&str, bool)| format!("as {role}{}", if owner { " owner" } else { "" });
    let changes = differences(&a, &b)
        .into_iter()
        .map(|((kind, key, team), o, n)| {
            let name = format!("{kind}/{key} with {team}");
            Change::new("share", name, o.map(text), n.map(text))
        })
        .collect();
    push_by_name(out, changes);
}

fn auth(out: &mut Vec<Change>, old: &Model, new: &Model) {
    // The settings that are set: `admin_team` always (it has a default),
    // the defaults when both are.
    let settings = |m: &Model| {
        let mut set = BTreeMap::from([("admin_team".to_string(), m.auth.admin_team_key.clone())]);
        if let Some((team, role)) = m.auth.default {
            set.insert("default_team".to_string(), m[team].key.clone());
            set.insert("default_role".to_string(), m[role].key.clone());
        }
        set
    };
    compare(out, "auth", settings(old), settings(new));
    let admins = |m: &Model| -> BTreeSet<String> {
        m.auth.admins.iter().map(|&u| m[u].email.clone()).collect()
    };
    let (a, b) = (admins(old), admins(new));
    if a != b {
        out.push(Change {
            change: "changed",
            added: b.difference(&a).cloned().collect(),
            removed: a.difference(&b).cloned().collect(),
            ..Change::new("auth", "admins".into(), None, None)
        });
    }
}
