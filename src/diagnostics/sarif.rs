//! `validate --format sarif`: diagnostics as a SARIF 2.1.0 log, for code
//! scanning (GitHub's `upload-sarif`, GitLab, Azure DevOps, IDE viewers).
//!
//! In: [`Diagnostic`]s and their [`Sources`]. Out: one run whose tool lists
//! every diagnostic code as a rule (with its description and default level)
//! and whose results carry the primary span as the location and every other
//! label (the first definition of a duplicate, each step of an include
//! cycle) as a related location. The types are the `serde-sarif` crate's.
#![cfg(feature = "cli")]

use std::collections::BTreeMap;
use std::path::{Component, Path};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::json;
use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, PropertyBag,
    Region, ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run,
    Sarif, Tool, ToolComponent,
};

use super::{Code, Diagnostic, Severity};
use crate::source::{Sources, Span};

/// Where SARIF 2.1.0's schema is published (what GitHub's examples cite).
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The base that relative artifact URIs are resolved against: the directory
/// the command ran in, which in CI is the repository's root.
pub const SRCROOT: &str = "%SRCROOT%";

/// Characters a path segment keeps as they are; everything else (spaces,
/// `%`, `#`, `?`, non-ASCII) is percent-encoded as UTF-8.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The SARIF log, pretty-printed. `base` is the directory relative file
/// names are relative to (the current directory); file names under it become
/// URIs relative to [`SRCROOT`], others absolute `file:` URIs.
pub fn render(diags: &[Diagnostic], sources: &Sources, base: Option<&Path>) -> String {
    let mut s = serde_json::to_string_pretty(&log(diags, sources, base)).unwrap_or_default();
    s.push('\n');
    s
}

/// The SARIF log as data.
pub fn log(diags: &[Diagnostic], sources: &Sources, base: Option<&Path>) -> Sarif {
    let results: Vec<SarifResult> = diags.iter().map(|d| result(d, sources, base)).collect();
    let mut run = Run::builder()
        .tool(tool())
        .results(results)
        .column_kind(json!("unicodeCodePoints"))
        .build();
    if let Some(base) = base {
        let root = ArtifactLocation::builder()
            .uri(format!("{}/", file_uri(base).trim_end_matches('/')))
            .build();
        run.original_uri_base_ids = Some(BTreeMap::from([(SRCROOT.to_string(), root)]));
    }
    Sarif::builder()
        .schema(SCHEMA_URI)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}

fn text(s: impl Into<String>) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s).build()
}

fn level_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// `rolegraph::resolve::unknown_role` -> `ResolveUnknownRole`.
fn rule_name(code: Code) -> String {
    let name = code.as_str().trim_start_matches("rolegraph::");
    name.split(['_', ':'])
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect()
}

fn rule(code: Code) -> ReportingDescriptor {
    // `rolegraph::STAGE::name`: the stage is a useful tag to filter on.
    let stage = code.as_str().split("::").nth(1).unwrap_or_default();
    ReportingDescriptor::builder()
        .id(code.as_str())
        .name(rule_name(code))
        .short_description(text(code.what()))
        .full_description(text(code.what()))
        .help(
            MultiformatMessageString::builder()
                .text(format!("{}: {}", code.as_str(), code.what()))
                .markdown(format!("`{}`: {}", code.as_str(), code.what()))
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!(level_name(code.severity())))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(vec!["policy".to_string(), stage.to_string()])
                .build(),
        )
        .build()
}

fn information_uri() -> String {
    [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
        .into_iter()
        .find(|u| !u.is_empty())
        .map_or_else(
            || format!("https://crates.io/crates/{}", env!("CARGO_PKG_NAME")),
            str::to_string,
        )
}

fn tool() -> Tool {
    let driver = ToolComponent::builder()
        .name(env!("CARGO_PKG_NAME"))
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(information_uri())
        .rules(Code::ALL.iter().map(|&c| rule(c)).collect::<Vec<_>>())
        .build();
    Tool::builder().driver(driver).build()
}

fn result(diag: &Diagnostic, sources: &Sources, base: Option<&Path>) -> SarifResult {
    let mut message = diag.message.clone();
    if let Some(help) = &diag.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let rule_index = Code::ALL.iter().position(|&c| c == diag.code);
    let level = match diag.severity() {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
    };
    let mut result = SarifResult::builder()
        .rule_id(diag.code.as_str())
        .level(level)
        .message(Message::builder().text(message).build())
        .build();
    result.rule_index = rule_index.map(|i| i as i64);
    let mut labels = diag.labels.iter();
    let primary = match labels.next() {
        Some(label) => location(label.span, &label.text, sources, base),
        // Code scanning drops a result without a location: a diagnostic with
        // no span is placed on the first policy file, without a region.
        None => sources.files.first().map(|f| {
            Location::builder()
                .physical_location(physical(&f.name, None, base))
                .build()
        }),
    };
    result.locations = Some(primary.into_iter().collect());
    let related: Vec<Location> = labels
        .filter_map(|l| location(l.span, &l.text, sources, base))
        .enumerate()
        .map(|(i, mut loc)| {
            loc.id = Some(i as i64 + 1);
            loc
        })
        .collect();
    if !related.is_empty() {
        result.related_locations = Some(related);
    }
    result
}

fn location(span: Span, label: &str, sources: &Sources, base: Option<&Path>) -> Option<Location> {
    let file = sources.files.get(span.file.0 as usize)?;
    let (start_line, start_column) = file.line_col(span.start);
    let (end_line, end_column) = file.line_col(span.end.max(span.start));
    let region = Region::builder()
        .start_line(start_line as i64)
        .start_column(start_column as i64)
        .end_line(end_line as i64)
        .end_column(end_column as i64)
        .build();
    let mut location = Location::builder()
        .physical_location(physical(&file.name, Some(region), base))
        .build();
    if !label.is_empty() {
        location.message = Some(Message::builder().text(label).build());
    }
    Some(location)
}

fn physical(name: &str, region: Option<Region>, base: Option<&Path>) -> PhysicalLocation {
    let mut physical = PhysicalLocation::builder()
        .artifact_location(artifact(name, base))
        .build();
    physical.region = region;
    physical
}

/// A file name as a URI: relative to [`SRCROOT`] when the name is relative
/// (or absolute under `base`), else an absolute `file:` URI.
fn artifact(name: &str, base: Option<&Path>) -> ArtifactLocation {
    let path = Path::new(name);
    let relative = if path.is_absolute() {
        base.and_then(|b| path.strip_prefix(b).ok())
    } else {
        Some(path)
    };
    match relative {
        Some(rel) => ArtifactLocation::builder()
            .uri(segments(rel).join("/"))
            .uri_base_id(SRCROOT)
            .build(),
        None => ArtifactLocation::builder().uri(file_uri(path)).build(),
    }
}

fn file_uri(path: &Path) -> String {
    format!("file:///{}", segments(path).join("/"))
}

/// A path's segments, each percent-encoded; `.` dropped, the root implied.
fn segments(path: &Path) -> Vec<String> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(s) => {
                Some(utf8_percent_encode(&s.to_string_lossy(), SEGMENT).to_string())
            }
            Component::ParentDir => Some("..".to_string()),
            // A Windows drive (`C:`) stays as written: `file:///C:/…`.
            Component::Prefix(p) => Some(p.as_os_str().to_string_lossy().into_owned()),
            Component::RootDir | Component::CurDir => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(rule_name(Code::UnknownRole), "ResolveUnknownRole");
        assert_eq!(rule_name(Code::Syntax), "SyntaxError");
    }

    #[test]
    fn uris_are_relative_and_encoded() {
        let a = artifact("./policies/équipe a#1.policy", None);
        assert_eq!(
            a.uri.as_deref(),
            Some("policies/%C3%A9quipe%20a%231.policy")
        );
        assert_eq!(a.uri_base_id.as_deref(), Some(SRCROOT));
        let b = artifact("/repo/policies/x.policy", Some(Path::new("/repo")));
        assert_eq!(b.uri.as_deref(), Some("policies/x.policy"));
        let c = artifact("/elsewhere/x.policy", Some(Path::new("/repo")));
        assert_eq!(c.uri.as_deref(), Some("file:///elsewhere/x.policy"));
        assert_eq!(c.uri_base_id, None);
    }
}
