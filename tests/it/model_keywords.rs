//! Every keyword is a whole word (issue 13.9): `role r { grantdoc:r }` was
//! read as `grant doc:r`, and `member u@x.io asreader` as `as reader`. The
//! grammar, and the bulk scanner with it, now refuse a keyword glued to the
//! word after it.

use rolegraph::source::FileId;
use rolegraph::syntax::{parse_file, parse_with_grammar, scan_bulk};

/// A valid policy that uses every keyword of the language, each followed by
/// a word it could be glued to (`auth`, `test` and `invariant` are followed
/// by `{` or a string, which is no gluing).
const EVERY_KEYWORD: &str = r#"auth {
  admin_team admin
  default_team lobby
  default_role reader
  admins root@acme.com, ops@acme.com
}
kind doc
permission doc:read on doc
permission doc:share on doc requires owner, target team
permission admin:users on team, global
role admin { grant * }
role reader { grant doc:read alias viewer }
role lead { includes reader grant doc:share only in lobby }
team admin { member root@acme.com as admin }
team lobby { member ana@acme.com as lead }
user bo@acme.com { in lobby as reader }
doc handbook { share lobby as lead owner share admin as admin }
invariant "rules" {
  only team admin may admin:users on global
  only role admin may admin:users
  nobody may doc:share on doc/handbook
  at most 3 users may admin:users
  at most 1 user may admin:users
  doc:share implies doc:read
}
test "lines" {
  allow ana@acme.com doc:read on doc/handbook
  deny bo@acme.com doc:share on doc/handbook to team/lobby
}
"#;

const WORDS: &[&str] = &[
    "admin_team",
    "default_team",
    "default_role",
    "admins",
    "on",
    "requires",
    "owner",
    "target",
    "team",
    "role",
    "grant",
    "alias",
    "includes",
    "only",
    "in",
    "as",
    "member",
    "share",
    "may",
    "nobody",
    "at",
    "most",
    "users",
    "user",
    "implies",
    "allow",
    "deny",
    "to",
    "kind",
    "permission",
];

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

#[test]
fn the_policy_with_every_keyword_is_valid() {
    parse_with_grammar(FileId(0), EVERY_KEYWORD).unwrap();
    let policy = rolegraph::Policy::from_text("k.policy", EVERY_KEYWORD);
    assert!(policy.is_ok(), "{policy:?}");
}

/// Each keyword, glued to the word after it, is a syntax error: to the
/// grammar, and so to the scanner (which may only answer what the grammar
/// accepts).
#[test]
fn a_keyword_glued_to_the_next_word_is_a_syntax_error() {
    let mut glued_any = std::collections::BTreeSet::new();
    for (at, _) in EVERY_KEYWORD.char_indices() {
        let rest = &EVERY_KEYWORD[at..];
        let before = EVERY_KEYWORD[..at].chars().next_back();
        if before.is_some_and(is_word_char) {
            continue; // not the start of a word
        }
        for word in WORDS {
            let Some(after) = rest.strip_prefix(word) else {
                continue;
            };
            let spaces = after.len() - after.trim_start_matches(' ').len();
            let next = after[spaces..].chars().next();
            if spaces == 0 || !next.is_some_and(is_word_char) {
                continue; // not followed by a space and a word
            }
            let text = format!("{}{word}{}", &EVERY_KEYWORD[..at], &after[spaces..]);
            assert!(
                parse_with_grammar(FileId(0), &text).is_err(),
                "`{word}` glued to the next word parses:\n{text}"
            );
            assert!(scan_bulk(FileId(0), &text).is_none(), "scanned:\n{text}");
            assert!(parse_file(FileId(0), &text).is_err());
            glued_any.insert(*word);
        }
    }
    // Every keyword was tried at least once (`*` after `grant` is no word to
    // glue to, but `grant doc:read` is).
    let missing: Vec<_> = WORDS.iter().filter(|w| !glued_any.contains(*w)).collect();
    assert!(missing.is_empty(), "never glued: {missing:?}");
}

#[test]
fn the_issues_examples_are_refused() {
    for text in [
        "kind doc\npermission doc:r on doc\nrole r { grantdoc:r }",
        "kind doc\npermission doc:r on doc\nrole reader { grant doc:r }\nteam t { member u@x.io asreader }",
    ] {
        assert!(parse_file(FileId(0), text).is_err(), "{text}");
    }
}

/// In the grammar file, every literal word is a keyword's whole-word rule
/// (`kw_… = @{ "word" ~ !key_char }`), comes right after the lookahead of
/// such a rule (`&kw_grant ~ "grant"`), or starts an item (the item
/// dispatch checks `kw_item` first).
#[test]
fn every_literal_word_in_the_grammar_is_checked_as_a_whole_word() {
    let grammar = include_str!("../../grammar/policy.pest");
    let items = rolegraph::syntax::ITEM_KEYWORDS;
    let mut unchecked = Vec::new();
    for line in grammar.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let Some((name, body)) = code.split_once('=') else {
            continue;
        };
        let name = name.trim();
        let mut rest = body;
        while let Some(start) = rest.find('"') {
            let Some(len) = rest[start + 1..].find('"') else {
                break;
            };
            let literal = &rest[start + 1..start + 1 + len];
            let before = rest[..start].trim_end();
            rest = &rest[start + len + 2..];
            if literal.is_empty() || !literal.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
                continue;
            }
            let in_keyword_rule =
                (name.starts_with("kw_") || name == "expect") && body.contains("!key_char");
            let item_start = name == literal.trim_end_matches("_decl") && items.contains(&literal)
                || name == "kind_decl" && literal == "kind";
            let after_lookahead = before
                .trim_end_matches(['~', '(', ' '])
                .rsplit(['&', ' '])
                .next()
                .is_some_and(|w| w.starts_with("kw_"))
                && before.contains("&kw_");
            let alternative = before.ends_with('|'); // `("users" | "user")`
            if !(in_keyword_rule || item_start || after_lookahead || alternative) {
                unchecked.push(format!("{name}: \"{literal}\""));
            }
        }
    }
    assert!(
        unchecked.is_empty(),
        "literal words without a whole-word check: {unchecked:?}"
    );
}
