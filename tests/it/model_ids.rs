//! Ids never wrap (issue 13.4): permissions and kinds are numbered with 16
//! bits, and the 65,537th used to become the first again — a role granting
//! only the last permission was allowed the first, and a permission on the
//! 65,537th kind compiled as one on the first. Past the limit, the policy is
//! refused with `rolegraph::resolve::too_many`.

use std::fmt::Write as _;

use rolegraph::diagnostics::Code;
use rolegraph::resolve::{KindId, PermId};
use rolegraph::{Policy, PolicyError};

fn errors(text: &str) -> Vec<(Code, String)> {
    match Policy::from_text("ids.policy", text) {
        Ok(_) => vec![],
        Err(PolicyError::Invalid { diagnostics, .. }) => diagnostics
            .into_iter()
            .filter(|d| d.is_error())
            .map(|d| (d.code, d.message))
            .collect(),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn the_limits_are_what_the_ids_can_number() {
    assert_eq!(PermId::LIMIT, 65_536);
    assert_eq!(KindId::LIMIT, 65_536);
    assert_eq!(PermId::new(65_535), Some(PermId(65_535)));
    assert_eq!(PermId::new(65_536), None);
    assert_eq!(PermId::first(70_000).count(), 65_536);
}

/// 65,537 permissions; the role grants only the last, and the question is
/// about the first.
fn many_permissions(n: usize) -> String {
    let mut text = String::from("kind doc\n");
    for i in 0..n {
        writeln!(text, "permission p:a{i} on global").unwrap();
    }
    writeln!(
        text,
        "role admin {{ grant p:a{} }}\nteam admin {{ member eve@x.io as admin }}",
        n - 1
    )
    .unwrap();
    text
}

#[test]
fn the_permission_past_the_limit_is_refused_not_wrapped_onto_the_first() {
    let errors = errors(&many_permissions(PermId::LIMIT + 1));
    assert_eq!(
        errors,
        vec![(
            Code::TooMany,
            "too many permissions: a policy may declare at most 65,536".to_string()
        )],
    );
}

#[test]
fn exactly_the_limit_is_valid_and_exact() {
    let policy = Policy::from_text("ids.policy", &many_permissions(PermId::LIMIT)).unwrap();
    let last = format!("p:a{}", PermId::LIMIT - 1);
    let can = |perm: &str| policy.check(&policy.query("eve@x.io", perm, None, None).unwrap());
    assert!(can(&last));
    assert!(!can("p:a0"));
}

#[test]
fn a_kind_past_the_limit_is_refused_not_read_as_the_first() {
    let mut text = String::new();
    for i in 0..KindId::LIMIT {
        writeln!(text, "kind k{i}").unwrap();
    }
    text.push_str("kind vault\npermission vault:open on vault\n");
    let errors = errors(&text);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, Code::TooMany);
    assert!(errors[0].1.starts_with("too many kinds"), "{errors:?}");
}
