//! Every input a fuzzer ever crashed on, run through the whole pipeline again
//! (`tests/fixtures/fuzz/`, raw bytes as the fuzzer found them).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rolegraph::source::Sources;
use rolegraph::{resolve, Policy};

fn pipeline(text: &str) {
    let mut sources = Sources::default();
    sources.add("fuzz.policy", text);
    let checked = resolve::check(sources.clone());
    let _ = rolegraph::diagnostics::render_text(&checked.diagnostics, &checked.sources, false);
    if let Ok(policy) = Policy::from_sources(sources) {
        let _ = policy.compiled_json();
        let _ = rolegraph::testing::run(&policy, true);
        let _ = rolegraph::audit::audit(&policy.model, &policy.matrix);
    }
}

#[test]
fn past_fuzz_findings_give_answers_not_panics() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fuzz");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        // The fuzz targets take `&str` through `arbitrary`, which keeps the
        // longest valid UTF-8 prefix: replay exactly that, and the lossy whole.
        let valid = match std::str::from_utf8(&bytes) {
            Ok(text) => text,
            Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap(),
        };
        pipeline(valid);
        pipeline(&String::from_utf8_lossy(&bytes));
        count += 1;
    }
    assert!(count > 0);
}

#[test]
fn a_role_alias_that_repeats_a_name_of_the_same_role_is_a_duplicate() {
    // Found by the pipeline fuzzer: the role was looked up before it existed.
    let text =
        "kind k\npermission k:r on k\nrole a { alias a\n grant k:r }\nrole b { alias c, c }\n\
                team t { member x@y.z as a\n member q@y.z as c }\nk r1 { share t as a owner }\n";
    let mut sources = Sources::default();
    sources.add("alias.policy", text);
    let checked = resolve::check(sources);
    let dups: Vec<&str> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == rolegraph::diagnostics::Code::Duplicate)
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        dups,
        ["role `a` is defined twice", "role `c` is defined twice"]
    );
}
