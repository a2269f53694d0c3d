//! The keywords of the policy language: the one table the parser's
//! suggestions, the scanner, the resolver's help, `fmt` and the editor's
//! completion read. `tests/it/syntax_keyword_table.rs` holds it against the
//! literal words of `grammar/policy.pest`, so a keyword added to the grammar
//! and not here (or the other way round) fails a test.

/// The words that start an item.
pub const ITEM_KEYWORDS: &[&str] = &[
    "auth",
    "kind",
    "permission",
    "role",
    "user",
    "team",
    "test",
    "invariant",
];

/// The clauses of an `auth` block.
pub const AUTH_KEYWORDS: &[&str] = &[
    "admin_team",
    "default_team",
    "default_role",
    "admins",
    "trust",
];

/// Words of the clauses inside items, for "did you mean" on a misspelt one
/// and for the help on one glued to the next word. `user`, `team` and
/// `role` are item keywords too (`only team …`, `at most 1 user …`).
pub const KEYWORDS: &[&str] = &[
    "admin_team",
    "default_team",
    "default_role",
    "admins",
    "trust",
    "requires",
    "includes",
    "grant",
    "alias",
    "only",
    "member",
    "share",
    "owner",
    "allow",
    "deny",
    "nobody",
    "implies",
    "target",
    "in",
    "as",
    "on",
    "to",
    "may",
    "at",
    "most",
    "users",
    "user",
    "team",
    "role",
];

/// Clause words that, read where an item should start (as a resource
/// kind), say the item before went wrong (`requires owners`) rather than
/// that a kind or an item keyword was misspelt (`users` is `user`, not a
/// stray clause).
pub const STRAY_CLAUSE_WORDS: &[&str] = &[
    "requires", "includes", "grant", "alias", "only", "member", "share", "owner", "allow", "deny",
    "in", "as", "on", "to", "may",
];

/// Whether `word` is a keyword of the language, in any place.
pub fn is_keyword(word: &str) -> bool {
    ITEM_KEYWORDS.contains(&word) || KEYWORDS.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subsets_are_in_the_table() {
        for word in AUTH_KEYWORDS.iter().chain(STRAY_CLAUSE_WORDS) {
            assert!(KEYWORDS.contains(word), "{word}");
        }
    }
}
