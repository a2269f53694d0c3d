//! Forged bundles: a checksum that matches says nothing about the contents.
//! Each bundle here is framed with a valid CRC around a model whose ids,
//! lengths, spans or derived tables are wrong; each must be refused as an
//! invalid bundle (exit 2), never answered from, never a panic, an
//! out-of-bounds read or a huge allocation. Before the checks, the bit-set
//! cases read out of bounds (`count_ones` over a `length` past the blocks)
//! or grew to gigabytes (`union_with` to `length`), and the id cases
//! panicked.

use std::path::Path;

use predicates::prelude::*;
use proptest::prelude::*;
use rolegraph::bundle::{self, BundleError};
use rolegraph::resolve::{
    InvariantKind, Model, PermId, PermSet, ResourceId, RoleId, Scope, TeamId, UserId,
};
use rolegraph::source::{FileId, Span};
use rolegraph::Policy;

use crate::common::{rolegraph, POLICIES};

fn shipped() -> Policy {
    Policy::load(Path::new(POLICIES)).unwrap()
}

/// The shipped policy's bundle after `forge` changed its model: written with
/// a valid checksum, as anyone who can write a file can.
fn forged(forge: impl FnOnce(&mut Model)) -> Vec<u8> {
    let mut policy = shipped();
    forge(&mut policy.model);
    policy.to_bundle().unwrap()
}

/// The bundle is refused as invalid, and the reason names `says`.
#[track_caller]
fn refused(bytes: &[u8], says: &str) {
    match Policy::from_bundle(bytes) {
        Err(BundleError::Invalid(why)) => assert!(
            why.contains(says),
            "refused, but for another reason: {why} (expected `{says}`)"
        ),
        Err(other) => panic!("refused as {other:?}, not as invalid"),
        Ok(_) => panic!("a forged bundle loaded (expected `{says}`)"),
    }
}

fn role(m: &Model, key: &str) -> usize {
    m.roles.iter().position(|r| r.key == key).unwrap()
}

fn team(m: &Model, key: &str) -> usize {
    m.teams.iter().position(|t| t.key == key).unwrap()
}

#[test]
fn the_unforged_bundle_loads() {
    let bytes = forged(|_| {});
    let policy = Policy::from_bundle(&bytes).unwrap();
    assert_eq!(policy.compiled_json(), shipped().compiled_json());
}

#[test]
fn ids_out_of_range_are_refused() {
    refused(
        &forged(|m| m.roles[0].includes.push((RoleId(9_999), Span::default()))),
        "names role #9999",
    );
    refused(
        &forged(|m| {
            let t = team(m, "ml-team");
            m.teams[t].members[0].role = RoleId(u32::MAX);
        }),
        "names role #4294967295",
    );
    refused(
        &forged(|m| m.resources[0].shares[0].team = TeamId(77_777)),
        "names team #77777",
    );
    refused(
        &forged(|m| m.auth.admins.push(UserId(123_456))),
        "names user #123456",
    );
    refused(
        &forged(|m| m.tests[0].lines[0].perm = PermId(60_000)),
        "names permission #60000",
    );
    refused(
        &forged(|m| m.tests[0].lines[0].scope = Scope::Resource(ResourceId(5_000))),
        "names resource #5000",
    );
    refused(
        &forged(|m| {
            let inv = m
                .invariants
                .first_mut()
                .expect("the example has invariants");
            inv.rules[0].kind = InvariantKind::OnlyTeam(vec![TeamId(4_242)]);
        }),
        "names team #4242",
    );
    refused(
        &forged(|m| {
            m.perms[0]
                .scopes
                .kinds
                .push(rolegraph::resolve::KindId(999))
        }),
        "names kind #999",
    );
}

#[test]
fn spans_outside_their_file_are_refused() {
    refused(
        &forged(|m| m.roles[0].span.file = FileId(500)),
        "outside its file",
    );
    refused(
        &forged(|m| m.users[0].span.end = u32::MAX),
        "outside its file",
    );
    refused(
        &forged(|m| {
            let span = &mut m.teams[0].span;
            span.start = span.end + 1;
        }),
        "outside its file",
    );
}

#[test]
fn permission_sets_larger_than_the_permissions_are_refused() {
    refused(
        &forged(|m| {
            let beyond = m.perms.len() + 40;
            let mut set = PermSet::with_capacity(beyond);
            set.insert(PermId((beyond - 1).try_into().unwrap()));
            let r = role(m, "admin");
            m.roles[r].perms = set;
        }),
        "has room for",
    );
}

#[test]
fn derived_tables_that_disagree_with_their_sources_are_refused() {
    // A role whose flattened permissions are not its grants and includes:
    // `check` would say allow where `explain` finds no path.
    refused(
        &forged(|m| {
            let r = role(m, "inference");
            m.roles[r].perms = PermSet::with_capacity(m.perms.len());
        }),
        "other permissions than its grants and includes",
    );
    refused(
        &forged(|m| {
            let r = role(m, "inference");
            m.roles[r].direct = m.roles[r].perms.clone();
        }),
        "other permissions than its grants",
    );
    // An include cycle: the resolver refuses one, and a walk may assume none.
    refused(
        &forged(|m| {
            let (a, b) = (role(m, "read-only"), role(m, "inference"));
            m.roles[a]
                .includes
                .push((RoleId(b as u32), Span::default()));
        }),
        "cycle",
    );
    // `only in` widened behind the resolver's back.
    refused(
        &forged(|m| {
            let r = role(m, "platform-admin");
            m.roles[r].allowed_teams = None;
        }),
        "`only in`",
    );
}

#[test]
fn memberships_that_disagree_are_refused() {
    // The user's side lists a team whose side does not list the user: `can`
    // reads one side, `who` the other.
    refused(
        &forged(|m| {
            let u = m
                .users
                .iter()
                .position(|u| u.email == "carol@acme.com")
                .unwrap();
            let mut extra = m.users[u].memberships[0];
            extra.team = TeamId(team(m, "admin") as u32);
            m.users[u].memberships.push(extra);
            m.users[u].memberships.sort_by_key(|x| x.team);
        }),
        "disagree about their membership",
    );
    refused(
        &forged(|m| {
            let t = team(m, "ml-team");
            m.teams[t].members.reverse();
        }),
        "out of order",
    );
    refused(
        &forged(|m| {
            let t = team(m, "ml-team");
            m.teams[t].members.pop();
        }),
        "disagree about their membership",
    );
    // The team's side lists a member whose user does not list the team.
    refused(
        &forged(|m| {
            let t = team(m, "ml-team");
            let carol = m
                .users
                .iter()
                .position(|u| u.email == "carol@acme.com")
                .unwrap();
            let mut extra = m.teams[t].members[0];
            extra.user = UserId(carol as u32);
            m.teams[t].members.push(extra);
            m.teams[t].members.sort_by_key(|x| x.user);
        }),
        "membership",
    );
    // A restricted role assigned where `only in` forbids it.
    refused(
        &forged(|m| {
            let (t, r) = (team(m, "ml-team"), role(m, "platform-admin"));
            let user = m.teams[t].members[0].user;
            m.teams[t].members[0].role = RoleId(r as u32);
            for mb in &mut m.users[user.index()].memberships {
                if mb.team == TeamId(t as u32) {
                    mb.role = RoleId(r as u32);
                }
            }
        }),
        "does not allow there",
    );
}

#[test]
fn names_and_warnings_are_checked() {
    refused(
        &forged(|m| {
            let email = m.users[0].email.clone();
            m.users[1].email = email;
        }),
        "declared twice",
    );
    refused(
        &forged(|m| m.users[0].email = "eve\u{1b}[2J@acme.com".into()),
        "not a name the language accepts",
    );
    refused(
        &forged(|m| m.teams[0].key = "team\nx".into()),
        "not a name the language accepts",
    );
    refused(
        &forged(|m| {
            let r = m.resources[0].shares.iter_mut();
            r.for_each(|s| s.owner = false);
        }),
        "no owner share",
    );
    let mut policy = shipped();
    let error = rolegraph::diagnostics::Diagnostic::new(
        rolegraph::diagnostics::Code::UnknownRole,
        "unknown role",
        Span::default(),
        "here",
    );
    policy.warnings.push(error);
    refused(&policy.to_bundle().unwrap(), "among its warnings");
    // A warning's label is rendered with a snippet: it must not split a
    // character.
    let mut policy = shipped();
    let inside = policy
        .model
        .sources
        .files
        .iter()
        .enumerate()
        .find_map(|(i, f)| {
            f.text
                .char_indices()
                .find(|(_, c)| c.len_utf8() > 1)
                .map(|(at, _)| (i, at + 1))
        });
    let (file, at) = inside.expect("the shipped policy has a non-ASCII character");
    let warning = rolegraph::diagnostics::Diagnostic::new(
        rolegraph::diagnostics::Code::UnusedRole,
        "unused",
        Span::new(FileId(file as u32), at, at + 1),
        "here",
    );
    policy.warnings.push(warning);
    refused(&policy.to_bundle().unwrap(), "splits a character");
}

/// `FixedBitSet { data, length }` as postcard writes it: the shape of a
/// permission set in a bundle.
#[derive(serde::Serialize)]
struct RawBits {
    data: Vec<u32>,
    length: usize,
}

/// The bundle with the first permission set encoded like `set` replaced by
/// `raw`, framed with a valid checksum.
fn with_raw_bits(set: &PermSet, raw: RawBits) -> Vec<u8> {
    let bytes = shipped().to_bundle().unwrap();
    let payload = bundle::payload(&bytes).unwrap();
    let needle = postcard::to_allocvec(set).unwrap();
    let at = payload
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the set is in the payload");
    let spliced = [
        &payload[..at],
        &postcard::to_allocvec(&raw).unwrap(),
        &payload[at + needle.len()..],
    ]
    .concat();
    bundle::frame(&spliced)
}

#[test]
fn bit_sets_whose_length_and_blocks_disagree_are_refused() {
    let policy = shipped();
    let admin = &policy.model.roles[role(&policy.model, "admin")].perms;
    for raw in [
        // The reported attack: 2^40 bits in one block (union_with grew to
        // 128 GiB; count_ones read past the block).
        RawBits {
            data: vec![u32::MAX],
            length: 1 << 40,
        },
        // Fewer blocks than the length needs.
        RawBits {
            data: vec![],
            length: 1_000,
        },
        // More blocks than the length needs.
        RawBits {
            data: vec![1, 2, 3],
            length: 5,
        },
        // A bit set past the length.
        RawBits {
            data: vec![u32::MAX],
            length: 3,
        },
    ] {
        let what = format!("{:?} blocks, length {}", raw.data, raw.length);
        let bytes = with_raw_bits(admin, raw);
        match Policy::from_bundle(&bytes) {
            Err(BundleError::Invalid(_)) => {}
            other => panic!("{what}: {:?}", other.map(|_| "loaded")),
        }
    }
}

#[test]
fn the_command_line_refuses_a_forged_bundle_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("forged.bundle");
    let admin_team = |m: &Model| team(m, "admin");
    std::fs::write(
        &path,
        forged(|m| {
            // Everyone in the admin team, on one side only.
            let t = TeamId(admin_team(m) as u32);
            let r = RoleId(role(m, "admin") as u32);
            for u in &mut m.users {
                if !u.memberships.iter().any(|mb| mb.team == t) {
                    let mut mb = u.memberships.first().copied().unwrap_or_else(|| {
                        panic!("{} is in no team", u.email);
                    });
                    mb.team = t;
                    mb.role = r;
                    u.memberships.push(mb);
                    u.memberships.sort_by_key(|x| x.team);
                }
            }
        }),
    )
    .unwrap();
    for args in [
        &["can", "carol@acme.com", "model:manage_models"][..],
        &["who", "model:manage_models"],
        &["what", "carol@acme.com"],
        &["test"],
        &["audit"],
    ] {
        rolegraph(&path)
            .args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains("is not a valid bundle"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any payload behind a valid checksum either loads as a model every
    /// command can answer from, or is refused: never a panic. (The `bundle`
    /// fuzz target runs the same loop for longer.)
    #[test]
    fn a_forged_payload_loads_or_is_refused(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)
    ) {
        static PAYLOAD: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let payload = PAYLOAD.get_or_init(|| {
            bundle::payload(&shipped().to_bundle().unwrap()).unwrap().to_vec()
        });
        let mut changed = payload.clone();
        for (at, byte) in edits {
            let i = at.index(changed.len());
            changed[i] = byte;
        }
        if let Ok(policy) = Policy::from_bundle(&bundle::frame(&changed)) {
            let _ = policy.compiled_json();
            let _ = rolegraph::testing::run(&policy, true).to_text();
            let _ = rolegraph::audit::audit(&policy.model, &policy.matrix).to_text();
            for user in policy.model.users.iter().take(4) {
                let _ = policy.what(&user.email).to_text();
            }
        }
    }
}
