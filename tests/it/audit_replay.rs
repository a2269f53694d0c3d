//! Every audit witness, replayed step by step, really gains the access it
//! claims (issue 20): on random policies that declare the actions the audit
//! models, each reported step is applied to the policy — set the member's
//! role, create the team, share the resource, create the role — after
//! checking that the subject is allowed to take it at that moment, and then
//! every claimed gain is checked: denied before, allowed after, by the naive
//! reference of SPEC §2 (`tests/it/reference`) and by rolegraph's own
//! evaluator on the replayed policy, written out as text and loaded again.

use std::collections::BTreeSet;

use proptest::prelude::*;
use rolegraph::audit::{self, Action, Escalation};
use rolegraph::Policy;

use crate::reference::{Member, Perm, RefPolicy, Resource, Role, Scope, Share, User};

const KINDS: [&str; 2] = ["uc", "ds"];
/// The team a `create_team` step makes, in the replayed policy.
const NEW_TEAM: &str = "replay-new-team";
/// The role a `create_role` step makes.
const EVERYTHING: &str = "replay-everything";
/// The user that stands for `*` (any new login) in the replay.
const NEW_LOGIN: &str = "replay-new-login@x.test";

/// A raw share: (team, role, owner).
type RawShare = (u8, u8, bool);

/// Small integers that `build` turns into a valid policy.
#[derive(Clone, Debug)]
struct Raw {
    /// Per permission of `perm_table`: scope and requirement bits.
    perm_bits: Vec<u8>,
    /// (include bits over earlier roles, grant bits over the permissions,
    /// `*` instead, only-in bits)
    roles: Vec<(u8, u16, bool, u8)>,
    n_teams: usize,
    admin_team: bool,
    /// Per user, per team: a role pick (0 = not a member).
    users: Vec<Vec<u8>>,
    defaults: Option<(u8, u8)>,
    /// (kind, shares: (team, role, owner))
    resources: Vec<(u8, Vec<RawShare>)>,
}

fn raw() -> impl Strategy<Value = Raw> {
    (
        prop::collection::vec(any::<u8>(), 10),
        prop::collection::vec(
            (
                any::<u8>(),
                any::<u16>(),
                prop::bool::weighted(0.1),
                any::<u8>(),
            ),
            1..6,
        ),
        1..4usize,
        prop::bool::weighted(0.8),
        prop::collection::vec(prop::collection::vec(0..5u8, 5), 1..5),
        prop::option::of((any::<u8>(), any::<u8>())),
        prop::collection::vec(
            (
                any::<u8>(),
                prop::collection::vec((any::<u8>(), any::<u8>(), any::<bool>()), 1..4),
            ),
            1..4,
        ),
    )
        .prop_map(
            |(perm_bits, roles, n_teams, admin_team, users, defaults, resources)| Raw {
                perm_bits,
                roles,
                n_teams,
                admin_team,
                users,
                defaults,
                resources,
            },
        )
}

/// The permissions: the audit's actions (found by name), and some to gain.
/// Bits pick extra scopes and requirements: 1 global, 2 team, 4 owner,
/// 8 target team.
fn perm_table(bits: &[u8]) -> Vec<Perm> {
    let perm =
        |name: &str, global: bool, team: bool, kinds: &[&str], owner: bool, target: bool| Perm {
            name: name.into(),
            global,
            team,
            kinds: kinds.iter().map(|k| k.to_string()).collect(),
            requires_owner: owner,
            target_team: target,
        };
    let b = |i: usize, bit: u8| bits[i] & bit != 0;
    vec![
        perm("uc:read", false, false, &["uc"], false, false),
        perm("uc:adapt", b(1, 1), false, &["uc"], false, false),
        perm("uc:share", false, false, &["uc"], b(2, 4), !b(2, 16)),
        perm("ds:read", b(3, 1), false, &["ds"], false, false),
        perm("ds:share", b(4, 1), false, &["ds"], b(4, 4), b(4, 8)),
        perm("team:manage", b(5, 1), true, &[], false, false),
        perm(
            "admin:manage_users",
            b(6, 1) || !b(6, 2),
            b(6, 2),
            &[],
            false,
            false,
        ),
        perm(
            "admin:manage_roles",
            b(7, 1) || !b(7, 2),
            b(7, 2),
            &[],
            false,
            false,
        ),
        perm(
            "admin:manage_teams",
            b(8, 1) || !b(8, 2),
            b(8, 2),
            &[],
            false,
            false,
        ),
        perm("x:run", b(9, 1), true, &[], false, false),
    ]
}

fn build(raw: &Raw) -> RefPolicy {
    let mut p = RefPolicy {
        kinds: KINDS.iter().map(|k| k.to_string()).collect(),
        perms: perm_table(&raw.perm_bits),
        ..RefPolicy::default()
    };
    p.teams = (0..raw.n_teams).map(|i| format!("t{i}")).collect();
    if raw.admin_team {
        p.teams.push("admin".into());
    }
    for (i, &(include_bits, grant_bits, star, only_bits)) in raw.roles.iter().enumerate() {
        let includes = (0..i)
            .filter(|j| include_bits >> (j % 8) & 1 == 1)
            .map(|j| format!("r{j}"))
            .collect();
        let mut grants: Vec<String> = if star {
            vec!["*".into()]
        } else {
            p.perms
                .iter()
                .enumerate()
                .filter(|(j, _)| grant_bits >> j & 1 == 1)
                .map(|(_, q)| q.name.clone())
                .collect()
        };
        if grants.is_empty() {
            grants.push("uc:read".into());
        }
        let only_in = p.only_in_from_bits(only_bits);
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
    for (i, picks) in raw.users.iter().enumerate() {
        let email = format!("u{i}@acme.com");
        for (j, team) in p.teams.clone().iter().enumerate() {
            let pick = picks.get(j).copied().unwrap_or(0);
            if pick == 0 {
                continue;
            }
            let role = p.roles[(pick as usize * 3 + i + j) % n_roles].key.clone();
            if allowed(&p, &role, team) {
                p.members.push(Member {
                    team: team.clone(),
                    email: email.clone(),
                    role,
                });
            }
        }
        if !p.members.iter().any(|m| m.email == email) {
            p.users.push(User {
                email,
                teams: vec![],
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
                role: p.roles[r as usize % n_roles].key.clone(),
                owner,
            });
        }
        if !out.iter().any(|s| s.owner) {
            out[0].owner = true;
        }
        p.resources.push(Resource {
            kind: KINDS[*kind as usize % KINDS.len()].to_string(),
            key: format!("res{i}"),
            shares: out,
        });
    }
    p
}

fn load(text: &str) -> Result<Policy, TestCaseError> {
    Policy::from_text("replay.policy", text).map_err(|e| {
        let diags = match &e {
            rolegraph::PolicyError::Invalid { diagnostics, .. } => diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| d.message.clone())
                .collect::<Vec<_>>()
                .join("\n"),
            other => other.to_string(),
        };
        TestCaseError::fail(format!("not a valid policy:\n{text}\n{diags}"))
    })
}

/// A scope as the report writes it, in the reference's terms; a team the
/// subject created is the replay's new team.
fn scope(text: &str) -> Scope {
    match text.split_once('/') {
        None => Scope::Global,
        Some(("team", t)) => Scope::Team(team_name(t)),
        Some((kind, key)) => Scope::Resource(kind.into(), key.into()),
    }
}

fn team_name(t: &str) -> String {
    if t == audit::NEW_TEAM {
        NEW_TEAM.to_string()
    } else {
        t.to_string()
    }
}

/// Whether `email` holds `perm` at `scope` in `p`, by the reference and by
/// rolegraph on the same policy written as text; a `target team`
/// permission is asked with `to` (by the reference) one of the user's teams.
fn holds(
    p: &RefPolicy,
    policy: &Policy,
    email: &str,
    perm: &str,
    at: &Scope,
) -> Result<bool, TestCaseError> {
    let by_reference = p.holds(email, perm, at);
    let target = p.perms.iter().any(|q| q.name == perm && q.target_team);
    let to = p
        .teams
        .iter()
        .find(|t| p.role_in(email, t).is_some())
        .map(|t| format!("team/{t}"));
    let by_rolegraph = match (target, &to) {
        // Held before the target condition, which no team can meet.
        (true, None) => by_reference,
        _ => {
            let q = policy
                .query(
                    email,
                    perm,
                    Some(&at.text()),
                    if target { to.as_deref() } else { None },
                )
                .map_err(|e| {
                    TestCaseError::fail(format!("query {email} {perm} {}: {e}", at.text()))
                })?;
            policy.check(&q)
        }
    };
    prop_assert_eq!(
        by_reference,
        by_rolegraph,
        "reference and rolegraph disagree on {} {} {}",
        email,
        perm,
        at.text()
    );
    Ok(by_reference)
}

/// Makes `email` a member of `team` with `role`, replacing their role there.
fn set_member(p: &mut RefPolicy, email: &str, team: &str, role: &str) {
    p.members.retain(|m| !(m.email == email && m.team == team));
    for u in &mut p.users {
        if u.email == email {
            u.teams.retain(|(t, _)| t != team);
        }
    }
    p.members.push(Member {
        team: team.into(),
        email: email.into(),
        role: role.into(),
    });
}

fn replay(start: &RefPolicy, e: &Escalation) -> Result<(), TestCaseError> {
    let mut p = start.clone();
    let email = if e.user == "*" {
        // Any new login: a user whose only membership is the default one.
        let (team, role) = p
            .defaults
            .clone()
            .ok_or_else(|| TestCaseError::fail("`*` escalates without defaults"))?;
        set_member(&mut p, NEW_LOGIN, &team, &role);
        NEW_LOGIN.to_string()
    } else {
        e.user.clone()
    };
    let before = p.clone();
    let before_policy = load(&before.render(0))?;
    for (i, step) in e.steps.iter().enumerate() {
        let what = format!("step {} of {} ({:?})", i + 1, e.user, step);
        // Allowed now: the enabling permission is held at its scope, and a
        // share's target team is one of the subject's.
        let policy = load(&p.render(0))?;
        let by = &step.enabled_by;
        prop_assert!(
            holds(&p, &policy, &email, &by.permission, &scope(&by.scope))?,
            "{} is not allowed: {} on {} is not held\n{}",
            what,
            by.permission,
            by.scope,
            p.render(0)
        );
        let team = step.team.as_deref().map(team_name);
        let role = step.role.clone().unwrap_or_default();
        match step.action {
            Action::JoinTeam | Action::SetRole => {
                let team = team.ok_or_else(|| TestCaseError::fail(format!("{what}: no team")))?;
                prop_assert_eq!(
                    step.action == Action::SetRole,
                    p.role_in(&email, &team).is_some(),
                    "{}: join vs set",
                    what
                );
                prop_assert!(
                    p.allowed_teams(&role).is_none_or(|t| t.contains(&team)),
                    "{}: `{}` is not allowed in `{}`",
                    what,
                    role,
                    team
                );
                set_member(&mut p, &email, &team, &role);
            }
            Action::CreateTeam => {
                prop_assert!(
                    p.allowed_teams(&role).is_none(),
                    "{}: restricted role",
                    what
                );
                if !p.teams.iter().any(|t| t == NEW_TEAM) {
                    p.teams.push(NEW_TEAM.into());
                }
                set_member(&mut p, &email, NEW_TEAM, &role);
            }
            Action::Share => {
                let team = team.ok_or_else(|| TestCaseError::fail(format!("{what}: no team")))?;
                let perm = p.perms.iter().find(|q| q.name == by.permission).cloned();
                if perm.is_some_and(|q| q.target_team) {
                    prop_assert!(
                        p.role_in(&email, &team).is_some(),
                        "{}: not a member of the target team",
                        what
                    );
                }
                let Scope::Resource(kind, key) =
                    scope(step.resource.as_deref().unwrap_or_default())
                else {
                    return Err(TestCaseError::fail(format!("{what}: no resource")));
                };
                let res = p
                    .resources
                    .iter_mut()
                    .find(|r| r.kind == kind && r.key == key)
                    .ok_or_else(|| TestCaseError::fail(format!("{what}: unknown resource")))?;
                res.shares.retain(|s| s.team != team);
                res.shares.push(Share {
                    team,
                    role,
                    owner: true,
                });
            }
            Action::CreateRole => {
                if !p.roles.iter().any(|r| r.key == EVERYTHING) {
                    p.roles.push(Role {
                        key: EVERYTHING.into(),
                        includes: vec![],
                        grants: vec!["*".into()],
                        only_in: None,
                    });
                }
                let admin = p.admin_team().to_string();
                set_member(&mut p, &email, &admin, EVERYTHING);
            }
        }
    }
    let after = load(&p.render(0))?;
    for g in &e.gains {
        let at = scope(&g.scope);
        prop_assert!(
            !holds(&before, &before_policy, &email, &g.permission, &at)?,
            "{} already held {} on {} before the steps",
            e.user,
            g.permission,
            g.scope
        );
        prop_assert!(
            holds(&p, &after, &email, &g.permission, &at)?,
            "{} does not hold {} on {} after the steps\n{}",
            e.user,
            g.permission,
            g.scope,
            p.render(0)
        );
    }
    if e.reaches_everything {
        for perm in p.perms.iter().filter(|q| q.global) {
            prop_assert!(
                holds(&p, &after, &email, &perm.name, &Scope::Global)?,
                "{} reaches everything but not {} on global",
                e.user,
                perm.name
            );
        }
    } else {
        prop_assert!(!e.gains.is_empty(), "{} gains nothing", e.user);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 192,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_witness_replays(raw in raw()) {
        let p = build(&raw);
        let policy = load(&p.render(0))?;
        let report = audit::audit(&policy.model, &policy.matrix);
        let mut ids = BTreeSet::new();
        for e in report.escalations.iter().chain(&report.trusted) {
            prop_assert!(ids.insert(e.id.clone()), "id {} twice", e.id);
            prop_assert!(e.id_matches());
            replay(&p, e)?;
        }
    }
}

/// The generator reaches the interesting cases: over a fixed run, reports
/// with each kind of step and chains of several steps come up.
#[test]
fn the_generator_finds_every_kind_of_step() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut chains = 0;
    for _ in 0..300 {
        let raw = raw().new_tree(&mut runner).unwrap().current();
        let p = build(&raw);
        let policy = Policy::from_text("replay.policy", &p.render(0)).unwrap();
        let report = audit::audit(&policy.model, &policy.matrix);
        for e in report.escalations.iter().chain(&report.trusted) {
            seen.extend(e.steps.iter().map(|s| s.action.to_string()));
            if e.steps.len() > 1 {
                chains += 1;
            }
            if e.user == "*" {
                seen.insert("*".into());
            }
        }
    }
    for what in [
        "join_team",
        "set_role",
        "create_team",
        "share",
        "create_role",
        "*",
    ] {
        assert!(
            seen.contains(what),
            "no `{what}` in 300 random policies: {seen:?}"
        );
    }
    assert!(chains > 0, "no chain of steps in 300 random policies");
}
