//! Batching keeps the request count low: 1,000 operations at the default
//! batch size go in 20 requests (at most 25), counted by the stand-in, and
//! land in the order planned.

use std::fmt::Write;

use rolegraph::adaptive::client::Connection;

use super::apply_support::{apply, policy_file};
use super::plan_support::{org_state, ORG};
use super::standin::{self, Standin};

const USERS: usize = 1_000;

fn email(u: usize) -> String {
    format!("crowd-{u:04}@acme.com")
}

#[test]
fn a_thousand_operations_take_at_most_25_requests() {
    let mut text = format!("{ORG}\nteam crowd \"Crowd\" {{\n");
    for u in 0..USERS {
        let role = if u.is_multiple_of(2) {
            "viewer"
        } else {
            "builder"
        };
        let _ = writeln!(text, "  member {} as {role}", email(u));
    }
    text.push_str("}\n");
    let policy = policy_file(&text);
    let mut state = org_state().team("crowd", "Crowd");
    for u in 0..USERS {
        state = state.user(&email(u), &email(u), &[]);
    }
    let s = Standin::start(&state.build());

    let before = s.requests();
    Connection::new(s.url(), standin::KEY)
        .unwrap()
        .read()
        .unwrap();
    let per_read = s.requests() - before;

    let before = s.requests();
    let r = apply(&policy.path, &s, &["--yes", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.report()["done"].as_array().unwrap().len(), USERS);
    assert_eq!(s.mutations(), USERS as u64);
    // The read before and the read after, and the operations in batches of 50.
    let mutation_requests = s.requests() - before - 2 * per_read;
    assert_eq!(mutation_requests, 20);
    assert!(mutation_requests <= 25);
    let after = s.state();
    for u in 0..USERS {
        let role = if u.is_multiple_of(2) {
            "viewer"
        } else {
            "builder"
        };
        assert_eq!(after.users[&email(u)].teams["crowd"], role);
    }
}
