//! Large policies stay linear (issue 14.8): inherited `only in` lists are
//! intersected by merging, identical roles are one warning per set, and a
//! violation of a long `only in` names a few teams and counts the rest.
//! (Time and memory are benchmark figures, in BENCHMARKS.md; these check
//! the answers at sizes that were slow.)

use std::fmt::Write as _;

use rolegraph::diagnostics::Code;
use rolegraph::resolve;
use rolegraph::source::Sources;

const BASE: &str = "kind doc\npermission doc:read on doc\n";

fn check(text: &str) -> resolve::Checked {
    let mut sources = Sources::default();
    sources.add("s.policy", text);
    resolve::check(sources)
}

/// Eleven chained roles, each restricted to the same 4,000 teams.
fn restricted(n_teams: usize, extra: &str) -> String {
    let mut text = String::from(BASE);
    text.push_str("role reader { grant doc:read }\n");
    let teams: Vec<String> = (0..n_teams).map(|i| format!("t{i}")).collect();
    for (i, t) in teams.iter().enumerate() {
        writeln!(text, "team {t} {{ member u{i}@acme.com as reader }}").unwrap();
    }
    for r in 0..11 {
        let includes = if r > 0 {
            format!(" includes o{}", r - 1)
        } else {
            String::new()
        };
        writeln!(
            text,
            "role o{r} {{ grant doc:read{includes}\n only in {} }}",
            teams.join(", ")
        )
        .unwrap();
    }
    text.push_str(extra);
    text
}

#[test]
fn inherited_only_in_over_thousands_of_teams() {
    let checked = check(&restricted(4_000, "user z@acme.com { in t3999 as o10 }\n"));
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let model = checked.model.unwrap();
    let o10 = model.role("o10").unwrap();
    assert_eq!(model[o10].allowed_teams.as_ref().unwrap().len(), 4_000);
}

#[test]
fn a_violation_names_a_few_allowed_teams_and_counts_the_rest() {
    let text = restricted(4_000, "team outside { member z@acme.com as o10 }\n");
    let checked = check(&text);
    let violations: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::OnlyInViolation)
        .collect();
    assert_eq!(violations.len(), 1);
    assert_eq!(
        violations[0].help.as_deref(),
        Some("`o10` may only be assigned in `t0`, `t1`, `t2`, `t3`, `t4`, `t5`, `t6`, `t7` and 3,992 more")
    );
}

#[test]
fn ten_thousand_identical_roles_are_one_warning() {
    let mut text = String::from(BASE);
    for i in 0..10_000 {
        writeln!(text, "role r{i} {{ grant doc:read }}").unwrap();
        writeln!(text, "team t{i} {{ member u{i}@acme.com as r{i} }}").unwrap();
    }
    let checked = check(&text);
    let identical: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::IdenticalRoles)
        .collect();
    assert_eq!(identical.len(), 1, "one warning for the set");
    let d = identical[0];
    assert_eq!(
        d.message,
        "roles `r1`, `r2`, `r3`, `r4`, `r5`, `r6`, `r7`, `r8` and 9,991 more grant exactly the same permissions as `r0`"
    );
    assert_eq!(d.labels.len(), 9);
    assert_eq!(checked.diagnostics.len(), 1, "nothing else to say");
}
