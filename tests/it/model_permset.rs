//! A permission set is its permissions: two sets with the same members are
//! equal and hash alike, whatever room each was made with (the derived
//! equality compared the bitsets' lengths too, so `{p1}` with room for 3
//! and `{p1}` with room for 70 were different sets).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use rolegraph::resolve::{PermId, PermSet};

fn hash(set: &PermSet) -> u64 {
    let mut h = DefaultHasher::new();
    set.hash(&mut h);
    h.finish()
}

fn set(capacity: usize, members: &[u16]) -> PermSet {
    let mut s = PermSet::with_capacity(capacity);
    for &p in members {
        s.insert(PermId(p));
    }
    s
}

#[test]
fn sets_with_the_same_members_are_equal_whatever_their_capacity() {
    for members in [&[][..], &[0], &[1, 31], &[1, 32, 33], &[64, 2]] {
        for (a, b) in [(0, 3), (3, 70), (33, 32), (0, 1000)] {
            let (x, y) = (set(a, members), set(b, members));
            assert_eq!(x, y, "{members:?} with room for {a} and for {b}");
            assert_eq!(hash(&x), hash(&y), "{members:?}: {a} vs {b}");
        }
    }
    assert_eq!(PermSet::default(), PermSet::with_capacity(100));
}

#[test]
fn sets_with_other_members_differ() {
    assert_ne!(set(70, &[1]), set(70, &[2]));
    assert_ne!(set(3, &[1]), set(70, &[1, 64]));
    assert_ne!(set(40, &[33]), PermSet::default());
}
