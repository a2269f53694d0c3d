//! The library contract of SPEC §7: a loaded policy is `Send + Sync`, and a
//! check allocates nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use rolegraph::Policy;

/// Counts allocations made on this process (the test below runs alone in its
/// binary's only test, so nothing else allocates while it measures).
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn a_policy_is_send_and_sync_and_a_check_allocates_nothing() {
    assert_send_sync::<Policy>();
    let policy = Policy::load("policies".as_ref()).unwrap();
    let questions = [
        (
            "john@acme.com",
            "use_case:adapt",
            Some("use_case/support-bot"),
            None,
        ),
        (
            "carol@acme.com",
            "use_case:adapt",
            Some("use_case/support-bot"),
            None,
        ),
        (
            "alice@acme.com",
            "admin:manage_users",
            Some("team/ml-team"),
            None,
        ),
        ("alice@acme.com", "model:manage_models", None, None),
        (
            "nobody@acme.com",
            "use_case:read",
            Some("use_case/doc-search"),
            None,
        ),
        (
            "maria@acme.com",
            "use_case:share",
            Some("use_case/fraud-detector"),
            Some("team/customer-support-team"),
        ),
    ];
    let queries: Vec<_> = questions
        .iter()
        .map(|(u, p, s, t)| policy.query(u, p, *s, *t).unwrap())
        .collect();
    let expected = [true, false, true, true, true, true];

    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut answers = [false; 6];
    for _ in 0..1000 {
        for (answer, q) in answers.iter_mut().zip(&queries) {
            *answer = policy.check(q);
        }
    }
    let after = ALLOCATIONS.load(Ordering::Relaxed);

    assert_eq!(answers, expected);
    assert_eq!(after - before, 0, "checks allocated");

    // Resolving an already lower-case question allocates nothing either.
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let q = policy
        .query(
            "john@acme.com",
            "use_case:adapt",
            Some("use_case/support-bot"),
            None,
        )
        .unwrap();
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert!(policy.check(&q));
    assert_eq!(after - before, 0, "query resolution allocated");

    // Shared across threads.
    let policy = std::sync::Arc::new(policy);
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let (policy, q) = (std::sync::Arc::clone(&policy), queries[0]);
            std::thread::spawn(move || policy.check(&q))
        })
        .collect();
    assert!(handles.into_iter().all(|h| h.join().unwrap()));
}
