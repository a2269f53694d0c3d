//! `trust` in `auth` (issue 21): who is expected to hold global powers, so
//! that `audit` reports their paths as trusted and gates on the others.
//! Semantics of each form and of the default, the gate, the grammar (whole
//! words, the scanner's agreement), `fmt`, and errors for unknown names.

use rolegraph::audit::{self, Report};
use rolegraph::fmt::{format_policy, format_text};
use rolegraph::source::FileId;
use rolegraph::syntax::{parse_file, parse_with_grammar, scan_bulk};
use rolegraph::Policy;

use crate::common::rolegraph;

/// An org where everyone can escalate: Alice and Omar hold global powers
/// in the admin team (as `admin` and `ops`), Lee leads t1 (`team:manage`),
/// and new logins land in t1 as leads too.
fn org(trust: &str) -> String {
    format!(
        r#"
auth {{
  admin_team   admin
  default_team t1
  default_role lead
  {trust}
}}
kind use_case
permission use_case:read  on use_case "read"
permission use_case:adapt on use_case "adapt"
permission team:manage    on team "manage"
permission admin:manage_users on team, global "users"
permission admin:manage_roles on team, global "roles"
role admin {{ grant * }}
role ops   {{ grant admin:manage_roles, admin:manage_users  only in admin }}
role lead  {{ grant use_case:read, team:manage }}
team admin {{ member alice@x.com as admin  member omar@x.com as ops }}
team t1    {{ member lee@x.com as lead }}
use_case bot {{ share t1 as admin owner }}
"#
    )
}

fn report(trust: &str) -> Report {
    let text = org(trust);
    let p = Policy::from_text("org.policy", &text)
        .unwrap_or_else(|e| panic!("invalid policy: {e:?}\n{text}"));
    audit::audit(&p.model, &p.matrix)
}

fn users(list: &[audit::Escalation]) -> Vec<&str> {
    list.iter().map(|e| e.user.as_str()).collect()
}

#[test]
fn by_default_the_admin_teams_admin_members_are_trusted() {
    let r = report("");
    assert_eq!(users(&r.trusted), ["alice@x.com"]);
    assert_eq!(users(&r.escalations), ["*", "lee@x.com", "omar@x.com"]);
    assert!(r.trust.default);
    assert_eq!(r.trust.principals, ["team admin as admin"]);
    // The report says whom it trusts, and that it is the default.
    let text = r.to_text();
    assert!(
        text.contains("trusted: `team admin as admin` (the default"),
        "{text}"
    );
    assert!(text.contains("; 1 trusted"), "{text}");
}

#[test]
fn each_form_trusts_whom_it_names() {
    let cases: &[(&str, &[&str])] = &[
        ("trust team admin", &["alice@x.com", "omar@x.com"]),
        ("trust team admin as ops", &["omar@x.com"]),
        ("trust role ops", &["omar@x.com"]),
        // `role` trusts whoever holds it, in any team: the new login too.
        ("trust role lead", &["*", "lee@x.com"]),
        ("trust user lee@x.com", &["lee@x.com"]),
        ("trust user LEE@x.com", &["lee@x.com"]),
        // New logins are members of the default team.
        ("trust team t1", &["*", "lee@x.com"]),
        (
            "trust team admin, user lee@x.com\n trust role lead",
            &["*", "alice@x.com", "lee@x.com", "omar@x.com"],
        ),
        ("trust nobody", &[]),
    ];
    for (trust, trusted) in cases {
        let r = report(trust);
        assert_eq!(users(&r.trusted), *trusted, "{trust}");
        assert_eq!(
            r.trusted.len() + r.escalations.len(),
            4,
            "{trust}: a path was lost"
        );
        assert!(!r.trust.default, "{trust}");
    }
    assert_eq!(
        report("trust nobody").trust.principals,
        Vec::<String>::new()
    );
    assert!(report("trust nobody")
        .to_text()
        .contains("\ntrusted: nobody\n"));
    assert_eq!(
        report("trust role lead, team admin as ops, user lee@x.com, team t1")
            .trust
            .principals,
        [
            "team admin as ops",
            "team t1",
            "role lead",
            "user lee@x.com"
        ]
    );
}

#[test]
fn without_an_admin_team_the_default_trusts_nobody() {
    // `admin_team` names the default, `admin`, which is not declared.
    let text = org("")
        .replace("only in admin", "")
        .replace("admin_team   admin", "")
        .replace(
            "team admin { member alice@x.com as admin  member omar@x.com as ops }",
            "",
        );
    let p = Policy::from_text("org.policy", &text).unwrap();
    let r = audit::audit(&p.model, &p.matrix);
    assert!(r.trust.default);
    assert!(r.trust.principals.is_empty());
    assert!(r.trusted.is_empty());
}

#[test]
fn trusted_paths_do_not_fail_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("org.policy");
    // Only the admins can escalate: Lee's team manages nothing.
    let only_admins = |trust: &str| {
        org(trust)
            .replace("default_team t1\n  default_role lead", "")
            .replace("member lee@x.com as lead", "member lee@x.com as reader")
            + "role reader { grant use_case:read }\n"
    };
    std::fs::write(&file, only_admins("trust team admin")).unwrap();
    let out = rolegraph(&file)
        .args(["audit", "--fail-on-escalation"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("trusted to hold global powers:\n  ["),
        "{text}"
    );
    assert!(
        text.ends_with("no untrusted escalation paths (4 users checked; 2 trusted)\n"),
        "{text}"
    );
    // The default trusts Alice only: Omar fails the gate.
    std::fs::write(&file, only_admins("")).unwrap();
    let out = rolegraph(&file)
        .args(["audit", "--fail-on-escalation"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("`omar@x.com`"), "{err}");
    // `--format json` says whom it trusts.
    let out = rolegraph(&file)
        .args(["--format", "json", "audit"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["trust"],
        serde_json::json!({"default": true, "principals": ["team admin as admin"]})
    );
    assert_eq!(json["trusted"][0]["user"], "alice@x.com");
    assert_eq!(json["escalations"][0]["user"], "omar@x.com");
}

#[test]
fn unknown_names_are_policy_errors_with_suggestions() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("org.policy");
    std::fs::write(
        &file,
        org("trust team admn as opps, role laed, user le@x.com, user nobody@else.org"),
    )
    .unwrap();
    let out = rolegraph(&file).arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    for want in [
        "unknown team `admn`",
        "did you mean `admin`?",
        "unknown role `laed`",
        "did you mean `lead`?",
        "unknown user `le@x.com`",
        "did you mean `lee@x.com`?",
        "unknown user `nobody@else.org`",
        "org.policy:6:",
    ] {
        assert!(err.contains(want), "{want}:\n{err}");
    }
    // `audit` refuses the policy the same way, exit 1.
    let out = rolegraph(&file)
        .args(["audit", "--fail-on-escalation"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn trust_is_one_setting() {
    let text = org("trust team admin") + "auth { trust user lee@x.com }\n";
    let Err(rolegraph::PolicyError::Invalid { diagnostics, .. }) =
        Policy::from_text("org.policy", &text)
    else {
        panic!("two `trust` settings accepted");
    };
    assert!(
        diagnostics
            .iter()
            .any(|d| d.message == "auth setting `trust` is defined twice"),
        "{diagnostics:?}"
    );
}

/// Every form of the clause, in one valid policy.
const EVERY_FORM: &str = "auth {\n  admin_team admin\n  trust team admin as admin, team admin, role admin, user root@acme.com, user \"Root@Acme.com\"\n}\nrole admin { grant * }\nteam admin { member root@acme.com as admin }\n";

#[test]
fn keywords_are_whole_words() {
    parse_with_grammar(FileId(0), EVERY_FORM).unwrap();
    assert!(Policy::from_text("k.policy", EVERY_FORM).is_ok());
    for glued in [
        "trustteam admin",
        "trust teamadmin",
        "trust team admin asadmin",
        "trust roleadmin",
        "trust userroot@acme.com",
        "trust nobodyx",
        "trust nobody x",
        "trust nobody, user root@acme.com",
        "trust",
        "trust admin",
    ] {
        let text = format!("auth {{\n  {glued}\n}}\n");
        assert!(
            parse_with_grammar(FileId(0), &text).is_err(),
            "`{glued}` parses"
        );
        assert!(parse_file(FileId(0), &text).is_err(), "`{glued}` parses");
        assert!(scan_bulk(FileId(0), &text).is_none(), "scanned: {glued}");
    }
    // Outside `auth`, `trust` is a name like any other.
    let names = "kind trust\npermission trust:read on trust\nrole trust { grant trust:read }\nteam trusted { member a@x.io as trust }\ntrust vault { share trusted as trust owner }\n";
    assert!(Policy::from_text("n.policy", names).is_ok());
    assert_eq!(
        format!("{:?}", parse_file(FileId(0), names).unwrap()),
        format!("{:?}", parse_with_grammar(FileId(0), names).unwrap())
    );
}

#[test]
fn syntax_errors_name_what_trust_takes() {
    let err = parse_with_grammar(FileId(0), "auth {\n  trust admin\n}\n").unwrap_err();
    assert_eq!(
        err.message,
        "expected `nobody`, `role`, `team` or `user`, found `admin`"
    );
    let err = parse_with_grammar(FileId(0), "auth {\n  trsut nobody\n}\n").unwrap_err();
    assert_eq!(err.help.as_deref(), Some("did you mean `trust`?"));
}

#[test]
fn fmt_prints_the_clause_canonically() {
    let messy = "auth {\n  admin_team admin\n    trust   team admin as admin ,role admin,\nuser root@acme.com   # the admins\n  admins root@acme.com\n}\nrole admin { grant * }\nteam admin\n";
    // A continuation line ends an aligned group, as everywhere in `fmt`.
    let want = "auth {\n  admin_team admin\n  trust      team admin as admin, role admin,\n    user root@acme.com  # the admins\n  admins root@acme.com\n}\nrole admin { grant * }\nteam admin\n";
    let once = format_policy(FileId(0), messy).unwrap();
    assert_eq!(once, want);
    assert_eq!(format_text(&once), once);
    let before = Policy::from_text("a.policy", messy).unwrap();
    let after = Policy::from_text("a.policy", &once).unwrap();
    assert_eq!(before.model.trust, after.model.trust);
}

#[test]
fn a_bundle_keeps_the_trust() {
    let p = Policy::from_text("org.policy", &org("trust role ops, user lee@x.com")).unwrap();
    let back = Policy::from_bundle(&p.to_bundle().unwrap()).unwrap();
    assert_eq!(back.model.trust, p.model.trust);
    assert_eq!(
        audit::audit(&back.model, &back.matrix),
        audit::audit(&p.model, &p.matrix)
    );
}
