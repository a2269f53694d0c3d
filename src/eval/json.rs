//! The JSON documents of `explain`, `who` and `what` (`--format json`), built
//! here once so that the command line and the decision service (`serve`)
//! print the same bytes.
//!
//! In: a [`Named`] explanation, `who` or `what` answer. Out: the document,
//! pretty-printed, with a final newline.

use serde::Serialize;

use super::{Explanation, Named, What, Who};

/// `explain --format json`.
pub fn explain(e: &Named<'_, Explanation>) -> String {
    pretty(e)
}

/// `who --format json`: `{"users":[{"user":…,"via":[…]}]}` (SPEC §5), each
/// object's keys in alphabetical order.
pub fn who(w: &Named<'_, Who>) -> String {
    pretty(w)
}

/// `what --format json`.
pub fn what(w: &Named<'_, What>) -> String {
    pretty(w)
}

fn pretty<T: Serialize>(value: &T) -> String {
    // These documents hold only strings, booleans and plain structs, which
    // serialise without error.
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}
