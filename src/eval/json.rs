//! The JSON documents of `explain`, `who` and `what` (`--format json`), built
//! here once so that the command line and the decision service (`serve`)
//! print the same bytes.
//!
//! In: an [`Explanation`], `who`'s entries or a [`What`]. Out: the document,
//! pretty-printed, with a final newline.

use serde::Serialize;

use super::{Explanation, What, WhoEntry};

/// `explain --format json`.
pub fn explain(e: &Explanation) -> String {
    pretty(e)
}

/// `who --format json`: `{"users":[{"user":…,"via":[…]}]}` (SPEC §5), each
/// object's keys in alphabetical order.
pub fn who(users: &[WhoEntry]) -> String {
    pretty(&serde_json::json!({ "users": users }))
}

/// `what --format json`.
pub fn what(w: &What) -> String {
    pretty(w)
}

fn pretty<T: Serialize>(value: &T) -> String {
    // These documents hold only strings, numbers and plain structs, which
    // serialise without error.
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}
