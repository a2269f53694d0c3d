//! Hostile input: every case gets a clear answer (a diagnostic or a valid
//! policy), never a panic, a hang or a stack overflow.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;

use rolegraph::diagnostics::Code;
use rolegraph::resolve;
use rolegraph::source::Sources;
use rolegraph::Policy;

const BASE: &str = "kind use_case\npermission use_case:read on use_case\n";

fn check(text: &str) -> resolve::Checked {
    let mut sources = Sources::default();
    sources.add("hostile.policy", text);
    resolve::check(sources)
}

fn codes(text: &str) -> Vec<Code> {
    check(text).diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn nul_bytes_are_a_syntax_error() {
    assert_eq!(codes("kind use_case\n\0\0role x {}"), vec![Code::Syntax]);
}

#[test]
fn bom_and_crlf_are_valid() {
    let text = format!("\u{feff}{}", BASE.replace('\n', "\r\n"));
    let checked = check(&text);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
}

#[test]
fn unterminated_blocks_and_strings_are_reported() {
    for text in [
        "role a {\n  grant use_case:read\n",
        "role a \"Title {\n}\n",
        "team t {\n  member a@b.c as\n}",
        "test \"x\" {",
    ] {
        assert_eq!(
            codes(&format!("{BASE}{text}")),
            vec![Code::Syntax],
            "{text}"
        );
    }
}

#[test]
fn fifty_thousand_nested_braces_fail_fast() {
    let text = format!("role a {}{}", "{".repeat(50_000), "}".repeat(50_000));
    assert_eq!(codes(&text), vec![Code::Syntax]);
}

#[test]
fn a_ten_thousand_deep_include_chain_is_valid() {
    let mut text = String::from(BASE);
    text.push_str("role r0 { grant use_case:read }\n");
    for i in 1..10_000 {
        writeln!(text, "role r{i} {{ includes r{} }}", i - 1).unwrap();
    }
    text.push_str("team t { member a@b.c as r9999 }\nuse_case u { share t as r9999 owner }\n");
    let policy = Policy::from_text("deep.policy", &text).expect("valid");
    let q = policy
        .query("a@b.c", "use_case:read", Some("use_case/u"), None)
        .unwrap();
    assert!(policy.check(&q));
    let explanation = policy.explain(&q, "a@b.c");
    assert_eq!(explanation.paths[0].chain.len(), 10_000);
}

#[test]
fn a_ten_thousand_role_include_cycle_is_reported_whole() {
    let mut text = String::from(BASE);
    for i in 0..10_000 {
        writeln!(text, "role r{i} {{ includes r{} }}", (i + 1) % 10_000).unwrap();
    }
    let checked = check(&text);
    let cycle = checked
        .diagnostics
        .iter()
        .find(|d| d.code == Code::IncludeCycle)
        .expect("a cycle");
    assert_eq!(cycle.message.matches(" -> ").count(), 10_000);
}

#[test]
fn a_five_megabyte_line_is_handled() {
    let title = "x".repeat(5 << 20);
    let text = format!("{BASE}kind dataset \"{title}\"\n");
    assert!(!check(&text).has_errors());
    let garbage = format!("{BASE}{}", "y".repeat(5 << 20));
    assert_eq!(codes(&garbage), vec![Code::Syntax]);
}

#[test]
fn a_hundred_thousand_members_in_one_team() {
    let mut text = String::from(BASE);
    text.push_str("role reader { grant use_case:read }\nteam big {\n");
    for i in 0..100_000 {
        writeln!(text, "  member user{i}@acme.com as reader").unwrap();
    }
    text.push_str("}\nuse_case u { share big as reader owner }\n");
    let policy = Policy::from_text("big.policy", &text).expect("valid");
    let q = policy
        .query(
            "USER99999@acme.com",
            "use_case:read",
            Some("use_case/u"),
            None,
        )
        .unwrap();
    assert!(policy.check(&q));
}

#[test]
fn ten_thousand_files_and_an_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("base.policy"), BASE).unwrap();
    for i in 0..10_000 {
        let sub = dir.path().join(format!("d{}", i % 100));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(format!("t{i}.policy")), format!("team t{i}\n")).unwrap();
    }
    let sources = Sources::load(dir.path()).unwrap();
    assert_eq!(sources.files.len(), 10_001);
    let empty = tempfile::tempdir().unwrap();
    let err = Sources::load(empty.path()).unwrap_err();
    assert!(err.to_string().contains("no `.policy` files"), "{err}");
}

#[cfg(unix)]
#[test]
fn symlink_loops_in_the_policy_directory_end() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("base.policy"), BASE).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("sub/loop")).unwrap();
    std::os::unix::fs::symlink("../sub", dir.path().join("sub/up")).unwrap();
    // Links to directories inside the root are not walked twice.
    let sources = Sources::load(dir.path()).unwrap();
    assert_eq!(sources.files.len(), 1);
    // A link to itself never resolves: it is refused, not looped on.
    std::os::unix::fs::symlink("self", dir.path().join("sub/self")).unwrap();
    let err = Sources::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("sub/self") && err.contains("loops"), "{err}");
}

/// A dangling `.policy` link used to be skipped, so that replacing
/// `tests.policy` by one turned "10 passed" into "1 passed" (issue 14).
#[cfg(unix)]
#[test]
fn a_dangling_policy_link_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("base.policy"), BASE).unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("missing"),
        dir.path().join("dangling.policy"),
    )
    .unwrap();
    let err = Sources::load(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("dangling.policy") && err.contains("points to nothing"),
        "{err}"
    );
}

#[test]
fn non_utf8_files_are_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.policy");
    std::fs::write(&path, b"kind caf\xe9\n").unwrap();
    let err = Sources::load(&path).unwrap_err().to_string();
    assert!(err.contains("not valid UTF-8"), "{err}");
}

#[test]
fn confusable_emails_and_keys_warn() {
    let text = format!(
        "{BASE}role reader {{ grant use_case:read }}\nrole Reader {{ includes reader }}\n\
         team t {{ member \"аlice@acme.com\" as reader\n member bob@acme.com as Reader }}\n\
         use_case u {{ share t as reader owner }}\n"
    );
    let found = codes(&text);
    assert_eq!(
        found
            .iter()
            .filter(|c| **c == Code::ConfusableNames)
            .count(),
        2,
        "{found:?}"
    );
}
