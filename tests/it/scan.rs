//! The bulk scanner (`syntax::scan_bulk`) against the grammar: whenever the
//! scanner answers, it gives the AST the grammar gives, spans included, and
//! it does answer for the files a large org is made of.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::orgen;

use proptest::prelude::*;
use rolegraph::source::FileId;
use rolegraph::syntax::{parse_with_grammar, scan_bulk};

/// Whether the scanner answered; panics if its answer differs from the
/// grammar's.
fn scans_like_the_grammar(text: &str) -> bool {
    let Some(scanned) = scan_bulk(FileId(3), text) else {
        return false;
    };
    let parsed = parse_with_grammar(FileId(3), text).unwrap_or_else(|e| {
        panic!("the scanner accepted what the grammar rejects: {e:?}\n{text:?}")
    });
    // `Debug` shows every span; `==` on the AST ignores them.
    assert_eq!(
        format!("{scanned:?}"),
        format!("{parsed:?}"),
        "scanner and grammar differ on {text:?}"
    );
    true
}

fn policy_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            policy_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "policy") {
            out.push(path);
        }
    }
}

#[test]
fn every_shipped_policy_file_scans_like_the_grammar_or_not_at_all() {
    let mut files = Vec::new();
    policy_files(std::path::Path::new("policies"), &mut files);
    policy_files(std::path::Path::new("tests/fixtures"), &mut files);
    assert!(files.len() > 20, "found only {} policy files", files.len());
    let mut scanned = Vec::new();
    for path in &files {
        if scans_like_the_grammar(&std::fs::read_to_string(path).unwrap()) {
            scanned.push(path.to_string_lossy().replace('\\', "/"));
        }
    }
    // The example org's people and use cases take the fast path; its roles,
    // tests and `auth` block do not.
    for bulk in [
        "policies/example/users.policy",
        "policies/example/use_cases.policy",
    ] {
        assert!(
            scanned.iter().any(|s| s == bulk),
            "{bulk} not scanned: {scanned:?}"
        );
    }
    assert!(!scanned.iter().any(|s| s.ends_with("adaptive.policy")));
}

#[test]
fn a_generated_org_scans_except_its_builtins_and_auth() {
    let org = orgen::generate(orgen::Size::S, 7);
    for (name, text) in org.files() {
        let expected = name.starts_with("users-") || name.starts_with("use_cases-");
        assert_eq!(scans_like_the_grammar(&text), expected, "{name}");
    }
}

#[test]
fn glued_or_unusual_forms_go_to_the_grammar() {
    for text in [
        "user\"a@b.com\"",                            // quoted email
        "user a@b.com { in t as r sharex }",          // unknown clause
        "use_case x { share t asr }",                 // `as` glued to the role
        "use_case x { share t as r owners }",         // `owners`
        "use_case x { sharet as r }",                 // `share` glued to the team
        "team t { memberx@y as r }",                  // `member` glued to the email
        "user a@b.com \"bad \\q escape\"",            // unknown escape
        "user a@b.com \"open",                        // unterminated string
        "user a@@b.com",                              // two `@`
        "user @b.com",                                // no local part
        "role r { grant * }",                         // not a bulk item
        "use_case x { share t as r }\ntest \"t\" {}", // a test after bulk items
        "use_case x {",                               // unclosed
        "use_case 9x",                                // not a key
    ] {
        assert!(!scans_like_the_grammar(text), "scanned {text:?}");
    }
}

#[test]
fn plain_forms_with_comments_crlf_and_escapes_scan() {
    for text in [
        "",
        "# only a comment",
        "user a@b.com",
        "user a@b.com\"Ana \\\"A\\\" \\\\ \\n\"{in t as r}",
        "user ü@b.com # comment { in x as y }\r\n{\r\n in t-1 as r_2 # why\r\n}\r\n",
        "team t \"T\" { member a@b.com as r member c@d.e as s }",
        "use_case x.y \"X\" { share t as r owner share u as v }",
        "kind_of k{share t as owner owner}",
        "use_case x { share t as r\n# trailing\n}",
    ] {
        assert!(scans_like_the_grammar(text), "not scanned: {text:?}");
    }
}

/// Tokens that meet each other in every order: keywords, names, emails,
/// strings, braces, trivia, and characters the grammar gives meaning to.
const TOKENS: &[&str] = &[
    "user",
    "team",
    "use_case",
    "in",
    "as",
    "member",
    "share",
    "owner",
    "owners",
    "role",
    "auth",
    "a@b.com",
    "x@y",
    "@",
    "t-1",
    "_k",
    "r.2",
    "9",
    "\"T\"",
    "\"a\\\"b\"",
    "\"a\\q\"",
    "\"",
    "{",
    "}",
    " ",
    "  ",
    "\n",
    "\t",
    "\r\n",
    "# c\n",
    "#",
    ",",
    ":",
    "/",
    "ü",
    "\\",
    "\x0b",
    "\u{feff}",
];

/// The bulk items, a `~` where trivia goes between two tokens.
const ITEMS: [&str; 3] = [
    "user~a@b.com~\"A\"~{~in~t~as~r~}",
    "team~t~{~member~c@d~as~r~}",
    "use_case~u~{~share~t~as~r~owner~share~v~as~w~}",
];

/// One bulk item, with the trivia between its tokens chosen by the caller.
fn item(kind: usize, gaps: &[&str]) -> String {
    let mut out = String::new();
    for (i, token) in ITEMS[kind % ITEMS.len()].split('~').enumerate() {
        if i > 0 {
            out.push_str(gaps[(i - 1) % gaps.len()]);
        }
        out.push_str(token);
    }
    out
}

const GAPS: &[&str] = &["", " ", "\n", "\t", "\r", "# c\n", " # c\r\n  "];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn any_token_soup_scans_like_the_grammar_or_not_at_all(
        tokens in prop::collection::vec(prop::sample::select(TOKENS), 0..40)
    ) {
        scans_like_the_grammar(&tokens.concat());
    }

    #[test]
    fn bulk_items_with_any_spacing_scan_like_the_grammar(
        items in prop::collection::vec(
            (0usize..3, prop::collection::vec(prop::sample::select(GAPS), 12)),
            1..6,
        ),
        splice in prop::option::of((any::<prop::sample::Index>(), prop::sample::select(TOKENS))),
    ) {
        let mut text: String = items.iter().map(|(k, gaps)| item(*k, gaps) + "\n").collect();
        if let Some((at, token)) = splice {
            let at = at.index(text.len() + 1);
            if text.is_char_boundary(at) {
                text.insert_str(at, token);
            }
        }
        scans_like_the_grammar(&text);
    }
}
