//! The reports built on the one decision rule (issue 20): `who`'s words for
//! a permission not declared at the scope and for `*`, a new login said one
//! way in every JSON answer, and invariant counterexamples in a fixed order.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

use crate::common::{self, POLICIES};
use rolegraph::Policy;

fn rolegraph() -> Command {
    common::rolegraph(Path::new(POLICIES))
}

fn stdout_json(cmd: &mut Command) -> Value {
    let out = cmd.output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn who_says_a_permission_not_declared_at_the_scope_as_explain_does() {
    let out = rolegraph().args(["who", "team:manage"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let who = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        who,
        "`team:manage` is not declared on `global` (it is declared on `team`): it cannot be held at this scope\n"
    );
    let out = rolegraph()
        .args(["explain", "alice@acme.com", "team:manage"])
        .output()
        .unwrap();
    let explain = String::from_utf8(out.stdout).unwrap();
    assert!(explain.contains(who.trim_end()), "{explain}");
}

#[test]
fn who_says_what_the_star_is() {
    let out = rolegraph()
        .args(["who", "use_case:read", "use_case/doc-search"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("* (any new login)\tvia "), "{text}");
    // JSON keeps the row's user as SPEC §5 has it.
    let v = stdout_json(rolegraph().args([
        "--format",
        "json",
        "who",
        "use_case:read",
        "use_case/doc-search",
    ]));
    assert_eq!(v["users"][0]["user"], "*");
}

#[test]
fn a_new_login_is_said_one_way_in_every_json_answer() {
    let scope = "use_case/doc-search";
    for (user, new) in [("Newcomer@Acme.com", true), ("li@acme.com", false)] {
        let can = stdout_json(rolegraph().args([
            "--format",
            "json",
            "can",
            user,
            "use_case:read",
            scope,
        ]));
        let explain = stdout_json(rolegraph().args([
            "--format",
            "json",
            "explain",
            user,
            "use_case:read",
            scope,
        ]));
        let what = stdout_json(rolegraph().args(["--format", "json", "what", user]));
        for (name, v) in [("can", &can), ("explain", &explain), ("what", &what)] {
            let want = if new { Some(&Value::Bool(true)) } else { None };
            assert_eq!(v.get("new_login"), want, "{name} {user}: {v}");
        }
        if new {
            assert_eq!(explain["defaults"]["team"], "default", "{explain}");
        } else {
            assert!(explain.get("defaults").is_none(), "{explain}");
        }
    }
}

/// Users declared in reverse order, each holding `doc:read` on two docs, and
/// a new login holding it too: more counterexamples than are shown.
fn many_holders() -> String {
    let mut p = String::from(
        "auth {\n  admin_team admin\n  default_team lobby\n  default_role reader\n}\n\
         kind doc\npermission doc:read on doc\nrole reader { grant doc:read }\n\
         team admin\nteam lobby\nteam t {\n",
    );
    for i in (0..12).rev() {
        p.push_str(&format!("  member u{i:02}@x.com as reader\n"));
    }
    p.push_str("}\ndoc zeta { share t as reader owner share lobby as reader }\n");
    p.push_str("doc alpha { share t as reader owner share lobby as reader }\n");
    p.push_str("invariant \"closed\" {\n  nobody may doc:read\n}\n");
    p
}

#[test]
fn counterexamples_are_the_first_in_user_scope_permission_order() {
    let policy = Policy::from_text("many.policy", &many_holders()).unwrap();
    let report = rolegraph::testing::run(&policy, false);
    let rule = &report.invariants[0].rules[0];
    assert!(!rule.passed);
    let got: Vec<(String, String)> = rule
        .counterexamples
        .iter()
        .map(|c| (c.user.clone(), c.scope.clone()))
        .collect();
    let mut all: Vec<(String, String)> = std::iter::once("*".to_string())
        .chain((0..12).map(|i| format!("u{i:02}@x.com")))
        .flat_map(|u| ["doc/alpha", "doc/zeta"].map(|s| (u.clone(), s.to_string())))
        .collect();
    all.sort();
    assert_eq!(got, all[..got.len()].to_vec());
    assert_eq!(got.len() + rule.more, all.len());
    assert_eq!(got[0].0, "*");
    // The text shows each with its path, `*` said to be any new login.
    let text = report.to_text();
    assert!(
        text.contains(
            "* (any new login) holds doc:read on doc/alpha, via lobby as reader, shared as reader"
        ),
        "{text}"
    );
}
