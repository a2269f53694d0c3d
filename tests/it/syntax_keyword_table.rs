//! The keyword table (`rolegraph::syntax::keywords`) is the grammar's: every
//! literal word of `grammar/policy.pest` is in it, and every word in it is a
//! literal word of the grammar (issue 20).

use std::collections::BTreeSet;

use rolegraph::syntax::keywords::{is_keyword, ITEM_KEYWORDS, KEYWORDS};

/// The quoted words (a letter, then letters and `_`) of the grammar, comments left out.
fn grammar_words() -> BTreeSet<String> {
    let grammar = include_str!("../../grammar/policy.pest");
    let mut words = BTreeSet::new();
    for line in grammar.lines() {
        let code = line.split("//").next().unwrap_or_default();
        for (i, literal) in code.split('"').enumerate() {
            let quoted = i % 2 == 1;
            if quoted
                && literal.starts_with(|c: char| c.is_ascii_alphabetic())
                && literal.chars().all(|c| c.is_ascii_alphabetic() || c == '_')
            {
                words.insert(literal.to_string());
            }
        }
    }
    words
}

#[test]
fn the_keyword_table_is_the_grammars_words() {
    let grammar = grammar_words();
    let table: BTreeSet<String> = ITEM_KEYWORDS
        .iter()
        .chain(KEYWORDS)
        .map(|w| w.to_string())
        .collect();
    let not_in_table: Vec<_> = grammar.difference(&table).collect();
    let not_in_grammar: Vec<_> = table.difference(&grammar).collect();
    assert!(
        not_in_table.is_empty() && not_in_grammar.is_empty(),
        "in the grammar, not the table: {not_in_table:?}; in the table, not the grammar: {not_in_grammar:?}"
    );
    assert!(grammar.iter().all(|w| is_keyword(w)));
    assert!(!is_keyword("use_case") && !is_keyword("grants"));
}

/// A word the grammar reads as a keyword is one the table knows, so the
/// parser's "did you mean" can offer it: a misspelt clause word is caught.
#[test]
fn a_misspelt_keyword_from_the_table_gets_a_suggestion() {
    let text = "kind doc\npermission doc:r on doc\nrole r { grnat doc:r }\n";
    let err = rolegraph::syntax::parse_file(rolegraph::source::FileId(0), text).unwrap_err();
    let help = err.help.unwrap_or_default();
    assert!(help.contains("`grant`"), "{help}");
}
