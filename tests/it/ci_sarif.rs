//! `validate --format sarif` (SPEC §12): every log is valid against the SARIF
//! 2.1.0 JSON schema (vendored from a package, see
//! `tests/fixtures/sarif/ORIGIN.md`), with formats (`uri`, `uri-reference`)
//! checked; and the log says what code scanning needs: rules for every code,
//! a location for every result, related locations for the other labels.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rolegraph::diagnostics::sarif;
use rolegraph::diagnostics::{Code, Diagnostic};
use rolegraph::resolve;
use rolegraph::source::Sources;
use serde_json::Value;

use crate::ci_support::{root, run, SHIPPED, UNICODE, UNICODE_BROKEN};

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let text =
            std::fs::read_to_string(root().join("tests/fixtures/sarif/sarif-schema-2.1.0.json"))
                .unwrap();
        let mut schema: Value = serde_json::from_str(&text).unwrap();
        // The 2.1.0 schema's `language` patterns have a stray `]` (the
        // errata rewrote them) that ECMA-262 regexes reject, and draft-07's
        // meta-schema checks that patterns are such regexes: it would refuse
        // the schema itself. Our logs never set `language`; the patterns are
        // replaced in memory by the errata's, the file is left as shipped.
        let fixed = fix_language_patterns(&mut schema);
        assert_eq!(fixed, 2, "the vendored schema changed: review this fix");
        jsonschema::draft7::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap()
    })
}

fn fix_language_patterns(schema: &mut Value) -> usize {
    const BAD: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    match schema {
        Value::Object(map) => {
            let mut n = 0;
            for (key, value) in map.iter_mut() {
                if key == "pattern" && value == BAD {
                    *value = Value::from("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
                    n += 1;
                } else {
                    n += fix_language_patterns(value);
                }
            }
            n
        }
        Value::Array(items) => items.iter_mut().map(fix_language_patterns).sum(),
        _ => 0,
    }
}

/// Panics with every schema error, each with where it is.
fn assert_valid(log: &Value, what: &str) {
    let errors: Vec<String> = validator()
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: not valid SARIF 2.1.0:\n{}",
        errors.join("\n")
    );
}

/// The log for a policy, by path relative to the crate root (cargo runs
/// integration tests there).
fn sarif_of(path: &Path) -> (Vec<Diagnostic>, Value) {
    let sources = Sources::load(path).unwrap();
    let checked = resolve::check(sources);
    let text = sarif::render(&checked.diagnostics, &checked.sources, Some(root()));
    (checked.diagnostics, serde_json::from_str(&text).unwrap())
}

fn fixtures() -> Vec<PathBuf> {
    let mut all = vec![PathBuf::from(UNICODE), PathBuf::from(UNICODE_BROKEN)];
    for stage in ["syntax", "resolve", "lint"] {
        let dir = root().join("tests/fixtures").join(stage).join("err");
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .path()
                    .strip_prefix(root())
                    .unwrap()
                    .to_path_buf()
            })
            .collect();
        paths.sort();
        all.extend(paths);
    }
    all
}

#[test]
fn every_error_fixture_gives_a_valid_log_that_code_scanning_accepts() {
    let fixtures = fixtures();
    assert!(fixtures.len() > 40, "fixtures not found");
    for path in fixtures {
        let what = path.display().to_string();
        let (diags, log) = sarif_of(&path);
        assert_valid(&log, &what);
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), diags.len(), "{what}");
        assert!(
            !results.is_empty(),
            "{what}: an error fixture with no result"
        );
        for (result, diag) in results.iter().zip(&diags) {
            // The rule the result names is at its index.
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index]["id"], result["ruleId"], "{what}");
            assert_eq!(result["ruleId"], diag.code.as_str(), "{what}");
            assert_eq!(
                result["level"],
                rules[index]["defaultConfiguration"]["level"]
            );
            // Code scanning rejects a result without a location.
            let locations = result["locations"].as_array().unwrap();
            assert_eq!(locations.len(), 1, "{what}");
            let region = &locations[0]["physicalLocation"]["region"];
            assert!(region["startLine"].as_u64().unwrap() >= 1, "{what}");
            assert!(region["endLine"].as_u64() >= region["startLine"].as_u64());
            // Every other label (both places of a duplicate, each step of a
            // cycle) is a related location.
            let related = result["relatedLocations"].as_array().map_or(0, Vec::len);
            assert_eq!(related, diag.labels.len() - 1, "{what}");
            if let Some(help) = &diag.help {
                assert!(result["message"]["text"]
                    .as_str()
                    .unwrap()
                    .contains(help.as_str()));
            }
        }
    }
}

#[test]
fn the_tool_lists_every_code_as_a_rule_with_its_description() {
    let (_, log) = sarif_of(Path::new(SHIPPED));
    assert_valid(&log, SHIPPED);
    assert_eq!(log["version"], "2.1.0");
    let driver = &log["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "rolegraph");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(driver["informationUri"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), Code::ALL.len());
    for (rule, code) in rules.iter().zip(Code::ALL) {
        assert_eq!(rule["id"], code.as_str());
        assert_eq!(rule["shortDescription"]["text"], code.what());
        assert!(rule["help"]["text"].as_str().unwrap().contains(code.what()));
    }
    // A clean policy still writes `results`: an empty list is a scan that
    // found nothing (no list would mean no scan).
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn non_ascii_file_names_become_encoded_relative_uris() {
    let (code, stdout, _) = run(UNICODE_BROKEN, &["validate", "--format", "sarif"]);
    assert_eq!(code, 1);
    let log: Value = serde_json::from_str(&stdout).unwrap();
    assert_valid(&log, UNICODE_BROKEN);
    let result = &log["runs"][0]["results"][0];
    let artifact = &result["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(
        artifact["uri"],
        "tests/fixtures/ci/r%C3%A8gles%20cass%C3%A9es.policy"
    );
    assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
    // The base is where the command ran, as a directory URI.
    let base = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    // Messages keep their text as it is.
    assert!(result["message"]["text"]
        .as_str()
        .unwrap()
        .contains("églage"));
    // Columns count characters, as the log declares.
    assert_eq!(log["runs"][0]["columnKind"], "unicodeCodePoints");
}

#[test]
fn warnings_only_exit_0_and_are_warning_results() {
    let (code, stdout, stderr) = run(UNICODE, &["validate", "--format", "sarif"]);
    assert_eq!(code, 0, "{stderr}");
    let log: Value = serde_json::from_str(&stdout).unwrap();
    assert_valid(&log, UNICODE);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        assert_eq!(r["level"], "warning");
        assert_eq!(r["ruleId"], "rolegraph::lint::confusable_names");
    }
    assert!(results[0]["message"]["text"]
        .as_str()
        .unwrap()
        .contains("josé@acme.com"));
    // `--deny-warnings` still fails the run.
    let (code, _, _) = run(
        UNICODE,
        &["validate", "--deny-warnings", "--format", "sarif"],
    );
    assert_eq!(code, 1);
}

#[test]
fn a_diagnostic_without_a_span_still_has_a_location() {
    let mut sources = Sources::default();
    sources.add("policies/only.policy", "kind use_case\n");
    let spanless = Diagnostic {
        code: Code::IncompleteDefaults,
        message: "a problem with no place".to_string(),
        labels: vec![],
        help: None,
    };
    let log: Value = serde_json::from_str(&sarif::render(
        std::slice::from_ref(&spanless),
        &sources,
        None,
    ))
    .unwrap();
    assert_valid(&log, "a span-less diagnostic");
    let location = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "policies/only.policy");
    assert_eq!(location["region"], Value::Null);
    // Without a base, no base URI is claimed.
    assert_eq!(log["runs"][0]["originalUriBaseIds"], Value::Null);

    // With no source at all there is nowhere to point: still valid SARIF.
    let log: Value =
        serde_json::from_str(&sarif::render(&[spanless], &Sources::default(), None)).unwrap();
    assert_valid(&log, "a span-less diagnostic and no sources");
}

#[test]
fn an_absolute_policy_path_is_made_relative_to_the_working_directory() {
    let absolute = root().join(UNICODE_BROKEN);
    let (_, stdout, _) = run(&absolute, &["validate", "--format", "sarif"]);
    let log: Value = serde_json::from_str(&stdout).unwrap();
    assert_valid(&log, "absolute path");
    let artifact =
        &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(
        artifact["uri"],
        "tests/fixtures/ci/r%C3%A8gles%20cass%C3%A9es.policy"
    );
}

#[test]
fn include_cycle_snapshot() {
    let (code, stdout, _) = run(
        "tests/fixtures/resolve/err/include_cycle.policy",
        &["validate", "--format", "sarif"],
    );
    assert_eq!(code, 1);
    let log: Value = serde_json::from_str(&stdout).unwrap();
    assert_valid(&log, "include cycle");
    insta::assert_json_snapshot!(log["runs"][0]["results"]);
}

#[test]
fn duplicate_across_files_snapshot() {
    let (_, stdout, _) = run(
        "tests/fixtures/resolve/err/duplicate.across_files",
        &["validate", "--format", "sarif"],
    );
    let log: Value = serde_json::from_str(&stdout).unwrap();
    assert_valid(&log, "duplicate across files");
    insta::assert_json_snapshot!(log["runs"][0]["results"]);
}

#[test]
fn sarif_is_only_for_validate() {
    for args in [
        &["test", "--format", "sarif"][..],
        &["compile", "--format", "sarif"],
        &["who", "use_case:read", "--format", "sarif"],
    ] {
        let (code, stdout, stderr) = run(SHIPPED, args);
        assert_eq!(code, 2, "{args:?}");
        assert!(stdout.is_empty());
        assert!(
            stderr.contains("does not write `--format sarif`"),
            "{stderr}"
        );
    }
}

#[test]
fn the_schema_check_can_fail() {
    let (_, stdout, _) = run(UNICODE_BROKEN, &["validate", "--format", "sarif"]);
    let good: Value = serde_json::from_str(&stdout).unwrap();
    assert!(validator().is_valid(&good));
    // A URI with a raw space, a result without a message, an unknown level.
    let mut bad = good.clone();
    bad["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
        Value::from("règles cassées.policy");
    assert!(!validator().is_valid(&bad));
    let mut bad = good.clone();
    bad["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!validator().is_valid(&bad));
    let mut bad = good;
    bad["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!validator().is_valid(&bad));
}
