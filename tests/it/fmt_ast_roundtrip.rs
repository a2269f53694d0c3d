//! `fmt` keeps every word of a policy, not only its matrix (issue 20): a
//! policy and its formatted text parse to equal ASTs (spans aside), titles,
//! descriptions, tests and invariants included. The policies come from a
//! proptest strategy, so a failure shrinks to the smallest one.

use proptest::prelude::*;
use rolegraph::fmt::{format_policy, format_text};
use rolegraph::source::FileId;
use rolegraph::syntax::{parse_file, parse_with_grammar};

type Tokens = Vec<String>;

fn pick(words: &'static [&'static str]) -> BoxedStrategy<String> {
    prop::sample::select(words).prop_map(String::from).boxed()
}

fn name() -> BoxedStrategy<String> {
    pick(&["a", "b-1", "c.d", "_e", "f9"])
}

fn email() -> BoxedStrategy<String> {
    pick(&["u@x.io", "v.w@x.io", "\"Q@x.io\""])
}

fn title() -> BoxedStrategy<Option<String>> {
    prop::option::of(pick(&[
        "\"T\"",
        "\"Use \\\"case\\\" # not a comment\"",
        "\"{ a, b }\"",
        "\"\"",
    ]))
    .boxed()
}

fn perm_pattern() -> BoxedStrategy<String> {
    pick(&["doc:read", "doc:*", "*", "team:manage"])
}

fn scope_pattern() -> BoxedStrategy<Option<String>> {
    prop::option::of(pick(&["global", "team/*", "team/a", "doc/b-1"])).boxed()
}

/// `first, second, …` after `head`.
fn list(head: &str, words: Vec<String>) -> Tokens {
    let mut out = vec![head.to_string()];
    for (i, w) in words.into_iter().enumerate() {
        if i > 0 {
            out.push(",".into());
        }
        out.push(w);
    }
    out
}

fn some_names() -> BoxedStrategy<Vec<String>> {
    prop::collection::vec(name(), 1..3).boxed()
}

/// `head KEY "title" { clauses }`, the title and block each optional.
fn item(head: Tokens, title: Option<String>, body: Option<Vec<Tokens>>) -> Tokens {
    let mut out = head;
    out.extend(title);
    if let Some(clauses) = body {
        out.push("{".into());
        out.extend(clauses.into_iter().flatten());
        out.push("}".into());
    }
    out
}

fn items() -> BoxedStrategy<Tokens> {
    let kind = (name(), title()).prop_map(|(k, t)| item(vec!["kind".into(), k], t, None));
    let permission = (
        pick(&["doc:read", "team:manage", "a.b:c-d"]),
        prop::collection::vec(pick(&["doc", "team", "global"]), 1..3),
        prop::sample::select(vec![
            vec![],
            vec!["owner"],
            vec!["target team"],
            vec!["owner", "target team"],
        ]),
        title(),
    )
        .prop_map(|(p, scopes, requires, t)| {
            let mut head = vec!["permission".into(), p];
            head.extend(list("on", scopes));
            if !requires.is_empty() {
                let words = requires.iter().map(|r| r.to_string()).collect();
                head.extend(list("requires", words));
            }
            item(head, t, None)
        });
    let clause = prop_oneof![
        some_names().prop_map(|n| list("includes", n)),
        prop::collection::vec(perm_pattern(), 1..3).prop_map(|p| list("grant", p)),
        some_names().prop_map(|n| list("alias", n)),
        some_names().prop_map(|n| {
            let mut c = vec!["only".to_string()];
            c.extend(list("in", n));
            c
        }),
    ];
    let role = (
        name(),
        title(),
        prop::option::of(prop::collection::vec(clause, 0..4)),
    )
        .prop_map(|(k, t, b)| item(vec!["role".into(), k], t, b));
    let membership = (name(), name()).prop_map(|(t, r)| vec!["in".into(), t, "as".into(), r]);
    let user = (
        email(),
        title(),
        prop::option::of(prop::collection::vec(membership, 0..3)),
    )
        .prop_map(|(e, t, b)| item(vec!["user".into(), e], t, b));
    let member = (email(), name()).prop_map(|(e, r)| vec!["member".into(), e, "as".into(), r]);
    let team = (
        name(),
        title(),
        prop::option::of(prop::collection::vec(member, 0..3)),
    )
        .prop_map(|(k, t, b)| item(vec!["team".into(), k], t, b));
    let share = (name(), name(), any::<bool>()).prop_map(|(t, r, owner)| {
        let mut c = vec!["share".into(), t, "as".into(), r];
        if owner {
            c.push("owner".into());
        }
        c
    });
    let resource = (
        pick(&["doc", "use_case"]),
        name(),
        title(),
        prop::option::of(prop::collection::vec(share, 0..3)),
    )
        .prop_map(|(kind, k, t, b)| item(vec![kind, k], t, b));
    let auth_clause = prop_oneof![
        name().prop_map(|n| vec!["admin_team".into(), n]),
        name().prop_map(|n| vec!["default_team".into(), n]),
        name().prop_map(|n| vec!["default_role".into(), n]),
        prop::collection::vec(email(), 0..3).prop_map(|e| match e.is_empty() {
            true => vec!["admins".into()],
            false => list("admins", e),
        }),
    ];
    // Each single setting once per block (a second is a duplicate
    // definition); `admins` lines may repeat.
    let auth = prop::collection::vec(auth_clause, 0..4).prop_map(|clauses| {
        let mut once: Vec<Vec<String>> = Vec::new();
        for c in clauses {
            if c[0] == "admins" || !once.iter().any(|o| o[0] == c[0]) {
                once.push(c);
            }
        }
        item(vec!["auth".into()], None, Some(once))
    });
    let line = (
        pick(&["allow", "deny"]),
        email(),
        pick(&["doc:read", "team:manage"]),
        scope_pattern(),
        prop::option::of(pick(&["team/a", "team/f9"])),
    )
        .prop_map(|(expect, e, p, on, to)| {
            let mut c = vec![expect, e, p];
            if let Some(s) = on {
                c.extend(["on".into(), s.replace('*', "a")]);
            }
            if let Some(t) = to {
                c.extend(["to".into(), t]);
            }
            c
        });
    let test = (
        pick(&["\"t\"", "\"a \\\"b\\\"\""]),
        prop::collection::vec(line, 0..3),
    )
        .prop_map(|(n, b)| item(vec!["test".into(), n], None, Some(b)));
    let rule = prop_oneof![
        (
            pick(&["team", "role"]),
            some_names(),
            perm_pattern(),
            scope_pattern()
        )
            .prop_map(|(what, names, p, on)| {
                let mut c = vec!["only".to_string()];
                c.extend(list(&what, names));
                c.extend(["may".into(), p]);
                c.extend(on.map(|s| ["on".to_string(), s]).into_iter().flatten());
                c
            }),
        (perm_pattern(), scope_pattern()).prop_map(|(p, on)| {
            let mut c = vec!["nobody".into(), "may".into(), p];
            c.extend(on.map(|s| ["on".to_string(), s]).into_iter().flatten());
            c
        }),
        (0u32..5, perm_pattern()).prop_map(|(n, p)| {
            let users = if n == 1 { "user" } else { "users" };
            vec![
                "at".into(),
                "most".into(),
                n.to_string(),
                users.into(),
                "may".into(),
                p,
            ]
        }),
        (perm_pattern(), perm_pattern(), scope_pattern()).prop_map(|(p, q, on)| {
            let mut c = vec![p, "implies".into(), q];
            c.extend(on.map(|s| ["on".to_string(), s]).into_iter().flatten());
            c
        }),
    ];
    let invariant = (
        pick(&["\"i\"", "\"no # here\""]),
        prop::collection::vec(rule, 0..3),
    )
        .prop_map(|(n, b)| item(vec!["invariant".into(), n], None, Some(b)));
    prop_oneof![kind, permission, role, user, team, resource, auth, test, invariant].boxed()
}

/// What goes between two tokens: any whitespace, line ends of every
/// platform, comments.
const GAPS: &[&str] = &[
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    " # old Mac line end\r",
    "\n\n\n",
    " # note\n",
    "\n  # own line\n",
];

/// A policy's text: the items' tokens, laid out by `gaps` (taken in turn);
/// `{`, `}` and `,` sometimes glued to their neighbours.
fn policy() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(items(), 0..8),
        prop::collection::vec((0..GAPS.len(), any::<bool>()), 1..40),
    )
        .prop_map(|(items, gaps)| {
            let mut gaps = gaps.into_iter().cycle();
            let mut text = String::new();
            for item in items {
                for (i, token) in item.iter().enumerate() {
                    let (gap, glue) = gaps.next().unwrap_or_default();
                    let punct = |s: &str| matches!(s, "{" | "}" | ",");
                    let glued = i > 0 && glue && (punct(token) || punct(&item[i - 1]));
                    if i > 0 && !glued {
                        text.push_str(GAPS[gap]);
                    }
                    text.push_str(token);
                }
                text.push('\n');
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn fmt_keeps_the_ast(text in policy()) {
        let before = parse_with_grammar(FileId(0), &text);
        prop_assert!(before.is_ok(), "the generator wrote a syntax error: {before:?}\n{text}");
        let formatted = format_policy(FileId(0), &text).unwrap();
        prop_assert_eq!(format_text(&formatted), formatted.clone(), "not idempotent");
        let after = parse_with_grammar(FileId(0), &formatted).unwrap();
        prop_assert_eq!(before.unwrap(), after, "fmt changed the policy:\n{}", formatted);
        // The bulk scanner reads the formatted file as the grammar does.
        prop_assert_eq!(parse_file(FileId(0), &formatted).unwrap(), parse_with_grammar(FileId(0), &formatted).unwrap());
    }
}

/// The equality the round trip relies on sees a changed title, a changed
/// test line and a changed invariant, and not a changed layout.
#[test]
fn ast_equality_ignores_layout_only() {
    let parse = |text: &str| parse_with_grammar(FileId(0), text).unwrap();
    let base = "role a \"A\" { grant doc:read }\ntest \"t\" { allow u@x.io doc:read }\ninvariant \"i\" { nobody may doc:* }\n";
    assert_eq!(
        parse(base),
        parse(&format_text(&base.replace(' ', "  \n ")))
    );
    for changed in [
        base.replace("\"A\"", "\"B\""),
        base.replace("allow", "deny"),
        base.replace("doc:*", "*"),
        base.replace("\"t\"", "\"u\""),
    ] {
        assert_ne!(parse(base), parse(&changed), "{changed}");
    }
}
