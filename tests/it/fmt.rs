#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `fmt`: canonical layout, idempotent, meaning-preserving.

use crate::common;

use std::path::Path;

use common::rolegraph;
use proptest::prelude::*;
use rolegraph::fmt::{format_policy, format_text};
use rolegraph::source::{FileId, Sources};
use rolegraph::Policy;

fn lines_of(text: &str) -> String {
    match Policy::from_text("p.policy", text) {
        Ok(p) => p.compiled_lines(),
        Err(e) => panic!("policy does not compile: {e}\n{text}"),
    }
}

/// `fmt` is idempotent and `x`, `fmt(x)` compile to the same matrix.
fn assert_fmt_laws(text: &str) {
    let once = format_policy(FileId(0), text).expect("parses");
    assert_eq!(format_text(&once), once, "not idempotent:\n{once}");
    assert_eq!(lines_of(text), lines_of(&once), "meaning changed:\n{once}");
}

#[test]
fn fixtures_snapshot() {
    insta::glob!("..", "fixtures/fmt/*.policy", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        assert_fmt_laws(&text);
        insta::assert_snapshot!(format_text(&text));
    });
}

#[test]
fn shipped_policies_are_canonical_and_keep_their_matrix() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let sources = Sources::load(&root).unwrap();
    let mut formatted = Sources::default();
    for (_, file) in sources.iter() {
        let raw = std::fs::read_to_string(&file.name).unwrap();
        let out = format_text(&raw);
        assert_eq!(out, raw, "`{}` is not in canonical form", file.name);
        formatted.add(file.name.clone(), &out);
    }
    let before = Policy::from_sources(sources).unwrap().compiled_lines();
    let after = Policy::from_sources(formatted).unwrap().compiled_lines();
    assert_eq!(before, after);
}

// ------------------------------------------------------------ random policies

/// A tiny deterministic generator, seeded by proptest.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }
    fn chance(&mut self) -> bool {
        self.next().is_multiple_of(2)
    }
}

/// A valid policy's tokens, one item per vector.
fn random_items(g: &mut Gen) -> Vec<Vec<String>> {
    let t = |s: &str| s.to_string();
    let perms = ["use_case:read", "use_case:adapt", "team:manage"];
    let mut items = vec![
        vec![
            t("kind"),
            t("use_case"),
            t("\"Use \\\"case\\\" # not a comment\""),
        ],
        vec![
            t("permission"),
            t("use_case:read"),
            t("on"),
            t("use_case"),
            t("\"Read\""),
        ],
        vec![t("permission"), t("use_case:adapt"), t("on"), t("use_case")],
        vec![
            t("permission"),
            t("team:manage"),
            t("on"),
            t("team"),
            t(","),
            t("global"),
        ],
    ];
    let roles = 1 + g.below(4);
    for r in 0..roles {
        let mut item = vec![t("role"), format!("r{r}")];
        if g.chance() {
            item.push(t("\"Role\""));
        }
        item.push(t("{"));
        if r > 0 && g.chance() {
            item.extend([t("includes"), format!("r{}", g.below(r))]);
        }
        item.extend([t("grant"), t(perms[g.below(3)])]);
        if g.chance() {
            item.extend([t(","), t(perms[g.below(3)])]);
        }
        item.push(t("}"));
        items.push(item);
    }
    let teams = 1 + g.below(3);
    for tm in 0..teams {
        let mut item = vec![t("team"), format!("t{tm}"), t("{")];
        for u in 0..g.below(4) {
            let email = if g.chance() {
                format!("u{u}@x.io")
            } else {
                format!("\"U{u}@x.io\"")
            };
            item.extend([t("member"), email, t("as"), format!("r{}", g.below(roles))]);
        }
        item.push(t("}"));
        items.push(item);
    }
    for c in 0..g.below(3) {
        let mut item = vec![t("use_case"), format!("c{c}"), t("{")];
        let owner = g.below(teams);
        item.extend([t("share"), format!("t{owner}"), t("as")]);
        item.extend([format!("r{}", g.below(roles)), t("owner")]);
        if teams > 1 && g.chance() {
            let other = format!("t{}", (owner + 1) % teams);
            item.extend([t("share"), other, t("as"), t("r0")]);
        }
        item.push(t("}"));
        items.push(item);
    }
    // Items in any order.
    for i in (1..items.len()).rev() {
        items.swap(i, g.below(i + 1));
    }
    items
}

fn random_policy(seed: u64) -> String {
    let mut g = Gen(seed | 1);
    let seps = [
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
        "   \t ",
    ];
    let mut text = String::new();
    if g.below(4) == 0 {
        text.push('\u{feff}');
    }
    for item in random_items(&mut g) {
        for (i, tok) in item.iter().enumerate() {
            let punct = |s: &str| matches!(s, "{" | "}" | ",");
            let glue = i > 0 && (punct(tok) || punct(&item[i - 1])) && g.chance();
            if i > 0 && !glue {
                text.push_str(seps[g.below(seps.len())]);
            }
            text.push_str(tok);
        }
        text.push_str(["\n", "\n\n", " # end\n", "\r\n\r\n\r\n"][g.below(4)]);
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn random_policies_keep_their_meaning(seed in any::<u64>()) {
        assert_fmt_laws(&random_policy(seed));
    }
}

// ------------------------------------------------------------ command line

#[test]
fn check_then_write_then_check() {
    let dir = tempfile::tempdir().unwrap();
    let messy = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fmt/messy.policy"),
    )
    .unwrap();
    let file = dir.path().join("org.policy");
    std::fs::write(&file, &messy).unwrap();

    let out = rolegraph(dir.path())
        .args(["fmt", "--check"])
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(stdout.contains("org.policy"), "{stdout}");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        messy,
        "--check wrote the file"
    );

    rolegraph(dir.path()).arg("fmt").assert().code(0);
    assert_ne!(std::fs::read(&file).unwrap(), messy);
    rolegraph(dir.path())
        .args(["fmt", "--check"])
        .assert()
        .code(0);

    let json = rolegraph(dir.path())
        .args(["fmt", "--check", "--format", "json"])
        .assert()
        .code(0);
    let value: serde_json::Value = serde_json::from_slice(&json.get_output().stdout).unwrap();
    assert_eq!(value["changed"], serde_json::json!([]));
}

/// A formatted file that starts with a byte-order mark still changes: `fmt`
/// drops the mark.
#[test]
fn a_byte_order_mark_is_a_change_and_fmt_drops_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("org.policy");
    let formatted =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/adaptive.policy"))
            .unwrap();
    std::fs::write(&file, [b"\xef\xbb\xbf".as_slice(), &formatted].concat()).unwrap();
    rolegraph(dir.path())
        .args(["fmt", "--check"])
        .assert()
        .code(1)
        .stdout(predicates::str::contains("org.policy"));
    rolegraph(dir.path()).arg("fmt").assert().code(0);
    assert_eq!(std::fs::read(&file).unwrap(), formatted);
    rolegraph(dir.path())
        .args(["fmt", "--check"])
        .assert()
        .code(0);
}

#[test]
fn a_file_that_does_not_parse_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.policy");
    std::fs::write(&file, "role   x {  grant\n").unwrap();
    let out = rolegraph(dir.path()).arg("fmt").assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("does not parse"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "role   x {  grant\n"
    );
}
