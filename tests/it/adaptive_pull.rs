//! `rolegraph pull` against the stand-in deployment: the state file's bytes.

use crate::standin::{self, Standin};

#[test]
fn smoke() {
    let s = Standin::start(&standin::sample());
    let c = rolegraph::adaptive::client::Connection::new(s.url(), standin::KEY).unwrap();
    let live = c.read().unwrap();
    assert_eq!(String::from_utf8(live.state.to_json()).unwrap(), standin::SAMPLE);
}
