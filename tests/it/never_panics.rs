//! The pipeline never panics: arbitrary bytes and mutated valid policies go
//! through load, check, compile and queries, and come out as diagnostics or
//! answers. Bounded so that it runs in CI.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use rolegraph::source::Sources;
use rolegraph::{resolve, Policy};

const SEED: &str = include_str!("../../policies/adaptive.policy");
const ORG: &str = include_str!("../../policies/example/teams.policy");
const USERS: &str = include_str!("../../policies/example/users.policy");
const SHARES: &str = include_str!("../../policies/example/use_cases.policy");
const TESTS: &str = include_str!("../../policies/example/tests.policy");
const ESCALATION: &str = include_str!("../../policies/example/escalation.policy");

/// Runs everything a user could run on a text, and the queries of the
/// example tests, ignoring the answers: only a panic fails.
fn exercise(text: &str) {
    let mut sources = Sources::default();
    sources.add("fuzz.policy", text);
    let checked = resolve::check(sources.clone());
    let _ = rolegraph::diagnostics::render_json(&checked.diagnostics, &checked.sources);
    let _ = rolegraph::diagnostics::render_text(&checked.diagnostics, &checked.sources, false);
    let _ = rolegraph::diagnostics::render_github(&checked.diagnostics, &checked.sources);
    if let Ok(policy) = Policy::from_sources(sources) {
        let _ = policy.compiled_json();
        let _ = rolegraph::testing::run(&policy, true);
        for user in ["alice@acme.com", "JOHN@acme.com", "nobody@x.y"] {
            let _ = policy.what(user);
            for perm in [
                "use_case:read",
                "use_case:share",
                "model:manage_models",
                "nope:x",
            ] {
                for scope in [
                    None,
                    Some("team/ml-team"),
                    Some("use_case/support-bot"),
                    Some("bad"),
                ] {
                    for to in [None, Some("team/ml-team"), Some("use_case/x")] {
                        if let Ok(q) = policy.query(user, perm, scope, to) {
                            let _ = policy.check(&q);
                            let _ = policy.explain(&q, user).to_text();
                            let _ = policy.who(q.perm, q.scope);
                        }
                    }
                }
            }
        }
    }
}

fn whole_org() -> String {
    [SEED, ORG, USERS, SHARES, TESTS, ESCALATION].join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        exercise(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mutated_valid_policies(
        cuts in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..40), 1..4),
        inserts in proptest::collection::vec((any::<prop::sample::Index>(), "[{}#\",:*/@ a-z\\n]{0,6}"), 0..4),
    ) {
        let mut text = whole_org();
        for (at, len) in cuts {
            let start = floor_char_boundary(&text, at.index(text.len()));
            let end = floor_char_boundary(&text, (start + len).min(text.len()));
            text.replace_range(start..end, "");
        }
        for (at, insert) in inserts {
            let i = floor_char_boundary(&text, at.index(text.len() + 1));
            text.insert_str(i, &insert);
        }
        exercise(&text);
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i.min(s.len())
}

#[test]
fn the_unmutated_org_is_valid() {
    let policy = Policy::from_text("org.policy", &whole_org()).unwrap();
    assert!(rolegraph::testing::run(&policy, false).success());
}
