//! One analysis of the workspace, shared by every request until the next
//! change.
//!
//! In: a [`Snapshot`] of every file. Out: an [`Analysis`]: each file
//! indexed (its names located), the policy checked and compiled by the
//! library ([`Policy::from_sources`]: parse, resolve, lint, compile), its
//! tests and invariants run ([`testing::run`]), and every problem as an LSP
//! diagnostic on the file it is about. Files outside the policy are only
//! parsed. Nothing here re-does a stage of the library: the diagnostics are
//! exactly those of `validate`, the failures exactly those of `test`.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, Location, NumberOrString,
    Position, Range, Uri,
};

use super::index::FileIndex;
use super::position::LineIndex;
use super::workspace::{DocKey, FileInput, Snapshot};
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::resolve::Expect;
use crate::source::{FileId, Sources, Span};
use crate::testing;
use crate::{Policy, PolicyError};

/// The code of a failing test line: not a diagnostic of `validate`, but of
/// `test`.
pub const FAILED_TEST: &str = "rolegraph::test::failed";
/// The code of an invariant rule that does not hold.
pub const FAILED_INVARIANT: &str = "rolegraph::test::invariant_failed";
/// The code of a policy file that could not be read (not UTF-8, too large,
/// unreadable): the policy counts as having an error.
pub const UNREADABLE: &str = "rolegraph::lsp::unreadable";
/// The code of a problem in the server itself.
pub const INTERNAL: &str = "rolegraph::lsp::internal";

/// One file, as analysed.
#[derive(Debug)]
pub struct AnalyzedFile {
    pub key: DocKey,
    pub uri: Uri,
    pub name: String,
    /// As the editor holds it.
    pub text: Arc<str>,
    /// Bytes of byte-order mark at the start of `text`: the policy's spans
    /// count from after it.
    pub shift: usize,
    pub version: Option<i32>,
    pub in_policy: bool,
    /// The file's names; `None` while it does not parse.
    pub index: Option<Arc<FileIndex>>,
    lines: OnceLock<LineIndex>,
}

impl AnalyzedFile {
    /// The text the policy's spans point into (no byte-order mark).
    pub fn source(&self) -> &str {
        &self.text[self.shift..]
    }

    pub fn lines(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(&self.text))
    }

    /// The editor's range of a span's offsets.
    pub fn range(&self, start: usize, end: usize) -> Range {
        self.lines()
            .range(&self.text, start + self.shift, end + self.shift)
    }

    /// The span offset (in [`AnalyzedFile::source`]) of an editor position.
    pub fn offset(&self, position: Position) -> usize {
        self.lines()
            .offset(&self.text, position)
            .saturating_sub(self.shift)
    }

    pub fn location(&self, start: usize, end: usize) -> Location {
        Location::new(self.uri.clone(), self.range(start, end))
    }
}

/// A failing test line or invariant rule.
#[derive(Clone, Debug)]
pub struct Failure {
    pub span: Span,
    pub code: &'static str,
    pub message: String,
}

/// Parsed files, kept while their text does not change, so an edit parses
/// again only the file it is in (for the index; the check reads every file).
#[derive(Default)]
pub struct ParseCache {
    entries: HashMap<DocKey, Parsed>,
    /// The last index of each file that parsed: the names completion offers
    /// while a file is half typed.
    pub last_good: HashMap<DocKey, Arc<FileIndex>>,
}

struct Parsed {
    text: Arc<str>,
    file: FileId,
    result: Result<Arc<FileIndex>, Diagnostic>,
}

impl ParseCache {
    fn parse(&mut self, key: &DocKey, file: FileId, text: &Arc<str>, shift: usize) -> &Parsed {
        let fresh = self
            .entries
            .get(key)
            .is_some_and(|p| p.file == file && Arc::ptr_eq(&p.text, text));
        if !fresh {
            let result = FileIndex::build(file, &text[shift..]).map(Arc::new);
            if let Ok(index) = &result {
                self.last_good.insert(key.clone(), Arc::clone(index));
            }
            let parsed = Parsed {
                text: Arc::clone(text),
                file,
                result,
            };
            self.entries.insert(key.clone(), parsed);
        }
        &self.entries[key]
    }

    /// Forgets the files no longer in the workspace.
    fn retain(&mut self, keys: &[DocKey]) {
        self.entries.retain(|k, _| keys.contains(k));
        self.last_good.retain(|k, _| keys.contains(k));
    }
}

#[derive(Debug, Default)]
pub struct Analysis {
    /// The policy's files (`FileId(i)` is `files[i]`), then stand-alone ones.
    pub files: Vec<AnalyzedFile>,
    /// The policy, checked and compiled, when it has no errors.
    pub policy: Option<Arc<Policy>>,
    /// Every problem of `validate`, and the syntax errors of stand-alone
    /// files; a span's file is an index in `files`.
    pub problems: Vec<Diagnostic>,
    pub failures: Vec<Failure>,
    /// What is published, per file.
    pub diagnostics: Vec<Vec<lsp_types::Diagnostic>>,
    by_key: HashMap<DocKey, usize>,
}

impl Analysis {
    pub fn run(snapshot: Snapshot, cache: &mut ParseCache) -> Analysis {
        let started = std::time::Instant::now();
        let keys: Vec<DocKey> = snapshot.files.iter().map(|f| f.key.clone()).collect();
        cache.retain(&keys);
        let mut analysis = Analysis::default();
        let mut sources = Sources::default();
        let mut syntax_errors = Vec::new();
        let mut unreadable = Vec::new();
        for (i, input) in snapshot.files.into_iter().enumerate() {
            let FileInput {
                key,
                uri,
                name,
                text,
                version,
                in_policy,
                unreadable: why,
            } = input;
            let id = FileId(super::position::saturating_u32(i));
            if let (true, Some(why)) = (in_policy, why) {
                unreadable.push(Failure {
                    span: Span::new(id, 0, 0),
                    code: UNREADABLE,
                    message: why.to_string(),
                });
            }
            let shift = if text.starts_with('\u{feff}') { 3 } else { 0 };
            let parsed = cache.parse(&key, id, &text, shift);
            let index = parsed.result.as_ref().ok().cloned();
            if in_policy {
                sources.add(name.clone(), &text);
            }
            if let Err(d) = &parsed.result {
                syntax_errors.push((in_policy, d.clone()));
            }
            analysis.by_key.insert(key.clone(), i);
            analysis.files.push(AnalyzedFile {
                key,
                uri,
                name,
                text,
                shift,
                version,
                in_policy,
                index,
                lines: OnceLock::new(),
            });
        }
        // A policy with a syntax error stops at parsing: its diagnostics
        // are the syntax errors of its files, in file order (what
        // `resolve::check` reports), already known from the files' parses.
        // A keystroke usually leaves the file it is in half typed; this
        // spares parsing every other file again for nothing.
        // A file that cannot be read breaks the policy as a syntax error
        // does: the check would find every name it declares missing.
        let policy_broken =
            syntax_errors.iter().any(|(in_policy, _)| *in_policy) || !unreadable.is_empty();
        analysis
            .problems
            .extend(syntax_errors.into_iter().map(|(_, d)| d));
        let indexed = started.elapsed();
        if !policy_broken && !sources.files.is_empty() {
            analysis.check(sources);
        }
        let checked = started.elapsed();
        analysis.failures.extend(unreadable);
        analysis.publishable();
        if std::env::var_os("ROLEGRAPH_LSP_TRACE").is_some() {
            eprintln!(
                "rolegraph lsp: analysis of {} file(s): index {:?}, check and tests {:?}, total {:?}",
                analysis.files.len(),
                indexed,
                checked - indexed,
                started.elapsed()
            );
        }
        analysis
    }

    /// The library's check of the policy, and its tests when it is valid.
    fn check(&mut self, sources: Sources) {
        let checked = std::panic::catch_unwind(|| match Policy::from_sources(sources) {
            Ok(policy) => {
                let failures = failures(&policy);
                (policy.warnings.clone(), Some(Arc::new(policy)), failures)
            }
            Err(PolicyError::Invalid { diagnostics, .. }) => (diagnostics, None, vec![]),
            Err(
                e @ (PolicyError::Load(_) | PolicyError::IsBundle(_) | PolicyError::Bundle { .. }),
            ) => (vec![], None, vec![internal(e.to_string())]),
        });
        let (problems, policy, failures) = checked.unwrap_or_else(|panic| {
            let what = super::server::panic_message(&*panic);
            eprintln!("rolegraph lsp: checking the policy panicked: {what}");
            let message = format!("internal error: checking the policy failed: {what}");
            (vec![], None, vec![internal(message)])
        });
        self.problems.extend(problems);
        self.policy = policy;
        self.failures = failures;
    }

    pub fn file(&self, key: &DocKey) -> Option<&AnalyzedFile> {
        self.by_key.get(key).map(|&i| &self.files[i])
    }

    pub fn file_id(&self, key: &DocKey) -> Option<usize> {
        self.by_key.get(key).copied()
    }

    /// The policy's files (whose spans the policy's diagnostics use).
    pub fn policy_files(&self) -> impl Iterator<Item = (usize, &AnalyzedFile)> {
        self.files.iter().enumerate().filter(|(_, f)| f.in_policy)
    }

    /// The editor's range of a span.
    pub fn range(&self, span: Span) -> Option<(&AnalyzedFile, Range)> {
        let file = self.files.get(span.file.0 as usize)?;
        Some((file, file.range(span.start as usize, span.end as usize)))
    }

    fn publishable(&mut self) {
        let mut per_file: Vec<Vec<lsp_types::Diagnostic>> = vec![Vec::new(); self.files.len()];
        for d in &self.problems {
            if let Some((i, diag)) = self.to_lsp(d) {
                per_file[i].push(diag);
            }
        }
        for f in &self.failures {
            if let Some((_, range)) = self.range(f.span) {
                per_file[f.span.file.0 as usize].push(lsp_types::Diagnostic {
                    range,
                    severity: Some(DiagnosticSeverity::ERROR),
                    code: Some(NumberOrString::String(f.code.to_string())),
                    source: Some("rolegraph".to_string()),
                    message: f.message.clone(),
                    ..Default::default()
                });
            }
        }
        self.diagnostics = per_file;
    }

    /// A library diagnostic as the editor shows it: the first label's span,
    /// the help on a line of its own, the other labels as related
    /// information (the first definition of a duplicate, each step of a
    /// cycle).
    pub fn to_lsp(&self, d: &Diagnostic) -> Option<(usize, lsp_types::Diagnostic)> {
        let primary = d.labels.first()?;
        let (_, range) = self.range(primary.span)?;
        let related: Vec<DiagnosticRelatedInformation> = d.labels[1..]
            .iter()
            .filter_map(|l| {
                let (file, range) = self.range(l.span)?;
                Some(DiagnosticRelatedInformation {
                    location: Location::new(file.uri.clone(), range),
                    message: l.text.clone(),
                })
            })
            .collect();
        let message = match &d.help {
            Some(help) => format!("{}\nhelp: {help}", d.message),
            None => d.message.clone(),
        };
        let tags = (d.code == Code::UnusedRole).then(|| vec![DiagnosticTag::UNNECESSARY]);
        let diag = lsp_types::Diagnostic {
            range,
            severity: Some(match d.severity() {
                Severity::Error => DiagnosticSeverity::ERROR,
                Severity::Warning => DiagnosticSeverity::WARNING,
            }),
            code: Some(NumberOrString::String(d.code.as_str().to_string())),
            source: Some("rolegraph".to_string()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            tags,
            ..Default::default()
        };
        Some((primary.span.file.0 as usize, diag))
    }
}

/// A problem of the server itself, shown at the start of the first file.
fn internal(message: String) -> Failure {
    Failure {
        span: Span::default(),
        code: INTERNAL,
        message,
    }
}

/// Each failing test line and invariant rule, with what `test` prints for it.
fn failures(policy: &Policy) -> Vec<Failure> {
    let model = &policy.model;
    let report = testing::run(policy, false);
    let mut out = Vec::new();
    for (test, result) in model.tests.iter().zip(&report.tests) {
        for (line, result) in test.lines.iter().zip(&result.lines) {
            if result.passed {
                continue;
            }
            let word = |e: Expect| match e {
                Expect::Allow => "allow",
                Expect::Deny => "deny",
            };
            let got = match result.decision {
                crate::eval::Decision::Allow => "allow",
                crate::eval::Decision::Deny => "deny",
            };
            let mut message = format!(
                "test \"{}\": expected {}, got {got}: {}",
                test.name,
                word(result.expect),
                result.text.trim()
            );
            if let Some(e) = &result.explanation {
                message.push('\n');
                message.push_str(e.to_text().trim_end());
            }
            out.push(Failure {
                span: line.span,
                code: FAILED_TEST,
                message,
            });
        }
    }
    for (inv, result) in model.invariants.iter().zip(&report.invariants) {
        for (rule, result) in inv.rules.iter().zip(&result.rules) {
            if result.passed {
                continue;
            }
            let mut message = format!(
                "invariant \"{}\": `{}` does not hold",
                inv.name, result.rule
            );
            for line in result
                .message
                .iter()
                .cloned()
                .chain(result.counterexamples.iter().map(|c| c.to_text()))
            {
                message.push('\n');
                message.push_str(&line);
            }
            if result.more > 0 {
                message.push_str(&format!("\n… and {} more", result.more));
            }
            out.push(Failure {
                span: rule.span,
                code: FAILED_INVARIANT,
                message,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::str::FromStr;

    use super::*;

    fn input(name: &str, text: &str, in_policy: bool) -> FileInput {
        FileInput {
            key: DocKey::Other(name.to_string()),
            uri: Uri::from_str(&format!("file:///{name}")).unwrap(),
            name: name.to_string(),
            text: Arc::from(text),
            version: None,
            in_policy,
            unreadable: None,
        }
    }

    #[test]
    fn failing_tests_are_diagnostics_on_their_line() {
        let text = "kind k\npermission k:r on k\nrole r { grant k:r }\nteam t { member a@x.io as r }\nk bot { share t as r owner }\n\u{1f600}\ntest \"t\" {\n  deny a@x.io k:r on k/bot\n}\n";
        let text = text.replace('\u{1f600}', "# é😀");
        let snapshot = Snapshot {
            files: vec![input("a.policy", &format!("\u{feff}{text}"), true)],
        };
        let analysis = Analysis::run(snapshot, &mut ParseCache::default());
        assert!(analysis.policy.is_some());
        let diags = &analysis.diagnostics[0];
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].range.start, Position::new(7, 2));
        assert!(diags[0]
            .message
            .starts_with("test \"t\": expected deny, got allow"));
    }

    #[test]
    fn outside_files_get_syntax_errors_only() {
        let snapshot = Snapshot {
            files: vec![
                input("a.policy", "role r { grant x:y }\n", true),
                input("b.policy", "role q { grant nope:nope }\nrole {", false),
            ],
        };
        let analysis = Analysis::run(snapshot, &mut ParseCache::default());
        assert_eq!(analysis.diagnostics[0].len(), 1); // unknown permission
        assert_eq!(analysis.diagnostics[1].len(), 1); // syntax only
        assert_eq!(analysis.diagnostics[1][0].range.start, Position::new(1, 5));
    }
}
