//! Emails are one identity each (issue 13.5): compared with ASCII case
//! folding only, holding no whitespace, control or format character, and
//! warned about when they look like another.

use rolegraph::compile::Subject;
use rolegraph::diagnostics::Code;
use rolegraph::resolve;
use rolegraph::source::{FileId, Sources};
use rolegraph::syntax::{parse_file, parse_with_grammar, scan_bulk};
use rolegraph::{Policy, QueryError};

const POLICY: &str = "kind doc\npermission doc:read on doc\nrole reader { grant doc:read }\n\
    team t { member ken@acme.com as reader }\ndoc d { share t as reader owner }\n";

fn codes(text: &str) -> Vec<Code> {
    let mut sources = Sources::default();
    sources.add("e.policy", text);
    resolve::check(sources)
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect()
}

#[test]
fn the_kelvin_sign_is_not_a_k() {
    let policy = Policy::from_text("e.policy", POLICY).unwrap();
    let kelvin = "\u{212a}en@acme.com";
    assert_eq!(policy.subject(kelvin), Subject::NewLogin);
    let q = policy
        .query(kelvin, "doc:read", Some("doc/d"), None)
        .unwrap();
    assert!(!policy.check(&q), "U+212A was folded to `k`");
    // ASCII case still folds.
    let q = policy
        .query("KEN@Acme.COM", "doc:read", Some("doc/d"), None)
        .unwrap();
    assert!(policy.check(&q));
    // And the declared look-alike is named.
    assert_eq!(policy.similar_user(kelvin), Some("ken@acme.com"));
    assert_eq!(policy.similar_user("ken@acme.com"), None);
}

#[test]
fn a_kelvin_sign_in_the_policy_is_another_user() {
    let text = format!("{POLICY}user \u{212a}EN@acme.com {{ in t as reader }}\n");
    let policy = Policy::from_text("e.policy", &text).unwrap();
    assert_eq!(policy.model.users.len(), 2, "one user with two spellings");
    assert!(policy
        .model
        .users
        .iter()
        .any(|u| u.email == "\u{212a}en@acme.com"));
}

/// Each of these, appended to a bare email, made a distinct user that looks
/// like another: ESC (a terminal escape), NUL, backspace, a no-break space,
/// a zero-width space, a right-to-left override.
const HOSTILE: &[&str] = &[
    "\u{1b}[8m",
    "\0",
    "\u{8}\u{8}",
    "\u{a0}",
    "\u{200b}",
    "\u{202e}",
];

#[test]
fn a_bare_email_with_a_control_or_invisible_character_is_a_syntax_error() {
    for bad in HOSTILE {
        for text in [
            format!("{POLICY}team u {{ member bob@x.io{bad} as reader }}\n"),
            format!("{POLICY}user bob@x.io{bad}\n"),
            format!("{POLICY}user b{bad}ob@x.io\n"),
        ] {
            assert_eq!(codes(&text), vec![Code::Syntax], "{text:?}");
            assert!(scan_bulk(FileId(0), &text).is_none(), "{text:?}");
            assert!(parse_file(FileId(0), &text).is_err());
        }
    }
}

#[test]
fn a_quoted_email_with_whitespace_or_a_control_character_is_invalid() {
    for bad in HOSTILE.iter().chain(&[" ", "\\n", "\t"]) {
        let text = format!("{POLICY}user \"bob@x.io{bad}\"\n");
        assert_eq!(codes(&text), vec![Code::InvalidEmail], "{text:?}");
    }
    // A trailing space, as the issue found it.
    let text = format!("{POLICY}team u {{ member \"bob@x.io \" as reader }}\n");
    assert_eq!(codes(&text), vec![Code::InvalidEmail]);
}

#[test]
fn the_scanner_and_the_grammar_agree_on_emails() {
    for email in [
        "ana@acme.com",
        "änä@acme.com",
        "ana@acme.com\u{a0}",
        "a\u{2028}na@acme.com",
        "ana@acme.com\u{7f}",
        "ana@ac\u{feff}me.com",
    ] {
        let text = format!("user {email}\n");
        if let Some(scanned) = scan_bulk(FileId(0), &text) {
            let parsed = parse_with_grammar(FileId(0), &text).expect("scanner accepted");
            assert_eq!(format!("{scanned:?}"), format!("{parsed:?}"));
        } else {
            assert!(parse_with_grammar(FileId(0), &text).is_err() || email.is_ascii());
        }
    }
}

#[test]
fn a_query_for_an_email_with_a_control_character_is_a_usage_error() {
    let policy = Policy::from_text("e.policy", POLICY).unwrap();
    for bad in HOSTILE.iter().chain(&[" "]) {
        let user = format!("ken@acme.com{bad}");
        match policy.query(&user, "doc:read", Some("doc/d"), None) {
            Err(QueryError::InvalidEmail(shown, _)) => {
                assert!(!shown.contains(['\u{1b}', '\0', '\u{8}']), "{shown:?}");
            }
            other => panic!("{user:?}: {other:?}"),
        }
    }
}

#[test]
fn emails_that_look_alike_are_warned_about() {
    let text =
        std::fs::read_to_string("tests/fixtures/lint/err/confusable_names.ascii_email.policy")
            .unwrap();
    let mut sources = Sources::default();
    sources.add("e.policy", &text);
    let messages: Vec<String> = resolve::check(sources)
        .diagnostics
        .into_iter()
        .filter(|d| d.code == Code::ConfusableNames)
        .map(|d| d.message)
        .collect();
    assert_eq!(
        messages,
        [
            "email `arnie@acme.com` looks like `amie@acme.com`",
            "email `aiice@acme.com` looks like `alice@acme.com`",
        ]
    );
}
