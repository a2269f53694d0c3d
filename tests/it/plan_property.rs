//! The plan converges: for random deployments and random policies, the
//! plan's operations, applied in order as the API would (`apply_to_state`),
//! are all accepted, and a fresh plan of the result has nothing left to do —
//! whatever `--prune`, the API key's user and `--allow-self-lockout` are.
//! (`apply_property` runs the same generators through the real `apply`.)

use std::collections::BTreeMap;
use std::fmt::Write;

use proptest::prelude::*;
use rolegraph::adaptive::simulate::apply_to_state;
use rolegraph::adaptive::{plan, PlanOptions, State};
use rolegraph::Policy;

use super::plan_support::{Builder, PERMISSIONS};

const TEAMS: [&str; 5] = ["admin", "default", "t1", "t2", "t3"];
/// Role keys of the policy; `r1` may have the alias `r1_old`.
const ROLES: [&str; 4] = ["admin", "r1", "r2", "r3"];
pub(super) const USERS: [&str; 5] = ["u0", "u1", "u2", "u3", "u4"];
pub(super) const PROJECTS: [&str; 3] = ["p0", "p1", "p2"];

/// Per team, a share's role index and owner flag, if shared with it.
type Shares = Vec<Option<(usize, bool)>>;

/// A policy over the universe above, as data.
#[derive(Clone, Debug)]
pub(super) struct PolicySpec {
    teams: Vec<bool>,                       // per TEAMS[1..]
    roles: Vec<Option<Vec<bool>>>,          // per ROLES[1..]: its grants
    alias: bool,                            // `alias r1_old`
    defaults: Option<usize>,                // default_role, as an index into declared roles
    admins: bool,                           // `admins u0@acme.com`
    users: Vec<Option<Vec<Option<usize>>>>, // per user, per team, a role index
    projects: Vec<Option<Shares>>,
    titles: bool,
}

pub(super) fn spec() -> impl Strategy<Value = PolicySpec> {
    let perms = prop::collection::vec(any::<bool>(), PERMISSIONS.len());
    (
        prop::collection::vec(any::<bool>(), TEAMS.len() - 1),
        prop::collection::vec(prop::option::of(perms), ROLES.len() - 1),
        any::<bool>(),
        prop::option::of(0usize..4),
        any::<bool>(),
        prop::collection::vec(
            prop::option::of(prop::collection::vec(
                prop::option::of(0usize..4),
                TEAMS.len(),
            )),
            USERS.len(),
        ),
        prop::collection::vec(
            prop::option::of(prop::collection::vec(
                prop::option::of((0usize..4, any::<bool>())),
                TEAMS.len(),
            )),
            PROJECTS.len(),
        ),
        any::<bool>(),
    )
        .prop_map(
            |(teams, roles, alias, defaults, admins, users, projects, titles)| PolicySpec {
                teams,
                roles,
                alias,
                defaults,
                admins,
                users,
                projects,
                titles,
            },
        )
}

impl PolicySpec {
    fn teams(&self) -> Vec<&'static str> {
        let mut t = vec!["admin"];
        t.extend(
            TEAMS[1..]
                .iter()
                .zip(&self.teams)
                .filter(|(_, d)| **d)
                .map(|(t, _)| *t),
        );
        t
    }
    fn roles(&self) -> Vec<&'static str> {
        let mut r = vec!["admin"];
        r.extend(
            ROLES[1..]
                .iter()
                .zip(&self.roles)
                .filter(|(_, d)| d.is_some())
                .map(|(r, _)| *r),
        );
        r
    }

    pub(super) fn text(&self) -> String {
        let (teams, roles) = (self.teams(), self.roles());
        let title = |what: &str| {
            if self.titles {
                format!(" \"{what} title\"")
            } else {
                String::new()
            }
        };
        let mut t = String::from("kind project\n");
        t.push_str("permission project:read on project\npermission project:adapt on project\n");
        t.push_str("permission project:share on project requires owner, target team\n");
        t.push_str(
            "permission team:manage on team\npermission admin:manage_users on team, global\n",
        );
        t.push_str("auth {\n  admin_team admin\n");
        if let (Some(d), true) = (self.defaults, teams.contains(&"default")) {
            let _ = writeln!(
                t,
                "  default_team default\n  default_role {}",
                roles[d % roles.len()]
            );
        }
        if self.admins {
            t.push_str("  admins u0@acme.com\n");
        }
        t.push_str("}\n");
        let _ = writeln!(t, "role admin{} {{ grant * }}", title("admin"));
        for (key, grants) in ROLES[1..].iter().zip(&self.roles) {
            let Some(grants) = grants else { continue };
            let _ = writeln!(t, "role {key}{} {{", title(key));
            if *key == "r1" && self.alias {
                t.push_str("  alias r1_old\n");
            }
            let granted: Vec<&str> = PERMISSIONS
                .iter()
                .zip(grants)
                .filter(|(_, g)| **g)
                .map(|(p, _)| *p)
                .collect();
            if !granted.is_empty() {
                let _ = writeln!(t, "  grant {}", granted.join(", "));
            }
            t.push_str("}\n");
        }
        for team in &teams {
            let _ = writeln!(t, "team {team}{}", title(team));
        }
        for (user, memberships) in USERS.iter().zip(&self.users) {
            let Some(memberships) = memberships else {
                continue;
            };
            let _ = writeln!(t, "user {user}@acme.com{} {{", title(user));
            for (team, role) in TEAMS.iter().zip(memberships) {
                let Some(role) = role else { continue };
                let admin_via_auth = *user == "u0" && self.admins && *team == "admin";
                if teams.contains(team) && !admin_via_auth {
                    let _ = writeln!(t, "  in {team} as {}", roles[role % roles.len()]);
                }
            }
            t.push_str("}\n");
        }
        for (project, shares) in PROJECTS.iter().zip(&self.projects) {
            let Some(shares) = shares else { continue };
            let mut lines: Vec<(String, bool)> = TEAMS
                .iter()
                .zip(shares)
                .filter(|(team, s)| s.is_some() && teams.contains(team))
                .map(|(team, s)| {
                    let (role, owner) = s.unwrap();
                    (format!("{team} as {}", roles[role % roles.len()]), owner)
                })
                .collect();
            if lines.is_empty() {
                lines.push(("admin as admin".into(), true));
            }
            if !lines.iter().any(|(_, o)| *o) {
                lines[0].1 = true;
            }
            let _ = writeln!(t, "project {project}{} {{", title(project));
            for (line, owner) in lines {
                let _ = writeln!(t, "  share {line}{}", if owner { " owner" } else { "" });
            }
            t.push_str("}\n");
        }
        t
    }
}

/// A deployment over the same universe, with extras the policy never has.
pub(super) fn state() -> impl Strategy<Value = State> {
    let teams = ["admin", "default", "t1", "t2", "t3", "legacy"];
    let roles = ["admin", "r1", "r1_old", "r2", "r3", "legacy"];
    let users = ["u0", "u1", "u2", "u3", "u4", "x"];
    let projects = ["p0", "p1", "p2", "px"];
    let perms = prop::collection::vec(any::<bool>(), PERMISSIONS.len());
    (
        prop::collection::vec(any::<bool>(), teams.len()),
        prop::collection::vec(prop::option::of(perms), roles.len()),
        prop::collection::vec(
            prop::option::of(prop::collection::vec(
                prop::option::of(0usize..6),
                teams.len(),
            )),
            users.len(),
        ),
        prop::collection::vec(
            prop::option::of(prop::collection::vec(
                prop::option::of((0usize..6, any::<bool>())),
                teams.len(),
            )),
            projects.len(),
        ),
        any::<bool>(),
    )
        .prop_map(move |(t, r, u, p, renamed)| {
            let name = |k: &str| {
                if renamed {
                    format!("{k} (old name)")
                } else {
                    k.to_string()
                }
            };
            let mut b = Builder::new(&PERMISSIONS);
            let live_teams: Vec<&str> = teams
                .iter()
                .zip(&t)
                .filter(|(_, x)| **x)
                .map(|(k, _)| *k)
                .collect();
            for team in &live_teams {
                b = b.team(team, &name(team));
            }
            let mut live_roles = Vec::new();
            for (key, perms) in roles.iter().zip(&r) {
                let Some(perms) = perms else { continue };
                let held: Vec<&str> = PERMISSIONS
                    .iter()
                    .zip(perms)
                    .filter(|(_, g)| **g)
                    .map(|(p, _)| *p)
                    .collect();
                b = b.role(key, &name(key), &held);
                live_roles.push(*key);
            }
            for (user, memberships) in users.iter().zip(&u) {
                let Some(memberships) = memberships else {
                    continue;
                };
                let mut m = Vec::new();
                if !live_roles.is_empty() {
                    for (team, role) in teams.iter().zip(memberships) {
                        if let (Some(role), true) = (role, live_teams.contains(team)) {
                            m.push((*team, live_roles[role % live_roles.len()]));
                        }
                    }
                }
                b = b.user(&format!("{user}@acme.com"), &name(user), &m);
            }
            for (project, shares) in projects.iter().zip(&p) {
                let Some(shares) = shares else { continue };
                let mut s = Vec::new();
                if !live_roles.is_empty() {
                    for (team, share) in teams.iter().zip(shares) {
                        if let (Some((role, owner)), true) = (share, live_teams.contains(team)) {
                            s.push((*team, live_roles[role % live_roles.len()], *owner));
                        }
                    }
                }
                b = b.project(project, &name(project), &s);
            }
            b.build()
        })
}

pub(super) fn whats(manual: &[rolegraph::adaptive::plan::Manual]) -> Vec<String> {
    let mut w: Vec<String> = manual.iter().map(|m| m.what.clone()).collect();
    w.sort();
    w
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn applying_the_plan_leaves_nothing_to_do(
        spec in spec(),
        live in state(),
        prune in any::<bool>(),
        allow_self_lockout in any::<bool>(),
        me in prop::option::of(0usize..3),
    ) {
        let text = spec.text();
        let policy = match Policy::from_text("random.policy", &text) {
            Ok(p) => p,
            Err(e) => panic!("the generated policy does not check: {e:?}\n{text}"),
        };
        let me = me.map(|i| format!("{}@acme.com", USERS[i]));
        let options = PlanOptions { prune, allow_self_lockout };
        let first = plan(&policy, &live, me.as_deref(), &options).unwrap();

        let mut after = live.clone();
        for op in &first.operations {
            if let Err(e) = apply_to_state(&mut after, &op.operation) {
                panic!("the API would refuse {op:?}: {e}\npolicy:\n{text}");
            }
        }
        let fresh = plan(&policy, &after, me.as_deref(), &options).unwrap();
        prop_assert!(fresh.operations.is_empty(), "left to do: {:#?}\npolicy:\n{}", fresh.operations, text);
        // What only a person can do is still to do, and nothing else.
        prop_assert_eq!(whats(&fresh.manual), whats(&first.manual));

        // Every managed item is as the policy says (names the API cannot
        // change aside).
        // Refused lockouts (manual items) stay as they were.
        let refused = |prefix: String| first.manual.iter().any(|m| m.what.starts_with(&prefix));
        let target = rolegraph::adaptive::Target::new(&policy, &after);
        let target = target.to_state(&after);
        for (key, role) in &target.roles {
            if !refused(format!("roles.update {key} ")) {
                prop_assert_eq!(&after.roles[key], role);
            }
        }
        for (email, user) in &target.users {
            if refused(format!("users.add_to_team {email} ")) || refused(format!("users.remove_from_team {email} ")) {
                continue;
            }
            prop_assert_eq!(&after.users[email].teams, &user.teams);
        }
        for (key, project) in &target.projects {
            if let Some(p) = after.projects.get(key) {
                prop_assert_eq!(&p.shares, &project.shares);
            }
        }
        if prune {
            let kept: BTreeMap<&String, usize> = after
                .users
                .iter()
                .filter(|(e, _)| !target.users.contains_key(*e))
                .map(|(e, u)| (e, u.teams.len()))
                .collect();
            for (email, n) in kept {
                let is_me = Some(email) == me.as_ref();
                prop_assert!(n <= 1 || is_me, "{email} keeps {n} memberships after --prune");
            }
        }
        prop_assert_eq!(after.users.len(), live.users.len() + first.operations.iter().filter(|o| o.operation.name() == "users.create").count());
    }
}
