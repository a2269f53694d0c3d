//! The one place that turns problems into reports.
//!
//! In: [`Diagnostic`]s from every stage (syntax, resolve, test). Out: miette
//! reports for people, the JSON object of SPEC §4 for machines, and GitHub
//! Actions workflow commands for CI annotations.

pub mod sarif;

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};
use serde::Serialize;

use crate::source::{Sources, Span};

mod snippet;
pub mod suggest;

pub use snippet::escape_controls;
use snippet::Snippet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

macro_rules! codes {
    ($( $variant:ident => $severity:ident, $code:literal, $what:literal; )*) => {
        /// Every diagnostic rolegraph emits. The string codes are stable: CI
        /// configurations and editors match on them.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum Code { $($variant),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code),* }
            }

            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity),* }
            }

            /// One line saying when the diagnostic fires (the README's table).
            pub fn what(self) -> &'static str {
                match self { $(Code::$variant => $what),* }
            }
        }
    };
}

codes! {
    Syntax => Error, "rolegraph::syntax::error", "the text does not follow the grammar; the report says what was expected";
    InvalidEmail => Error, "rolegraph::syntax::invalid_email", "a quoted email that is not `local@domain`, or holds whitespace or a control or format character";
    Duplicate => Error, "rolegraph::resolve::duplicate", "the same kind, permission, role (or alias), team, user, resource, share, test, invariant or `auth` setting defined twice (both places are shown), or a built-in scope (`global`, `team`) declared as a kind";
    UnknownRole => Error, "rolegraph::resolve::unknown_role", "a role name that is not declared (with a suggestion)";
    UnknownTeam => Error, "rolegraph::resolve::unknown_team", "a team name that is not declared, in a membership, share, auth or scope";
    UnknownPermission => Error, "rolegraph::resolve::unknown_permission", "a permission that is not declared, in a grant, test line or invariant";
    UnknownKind => Error, "rolegraph::resolve::unknown_kind", "a resource kind, or a permission scope, that is not declared";
    UnknownScope => Error, "rolegraph::resolve::unknown_scope", "a scope that is neither `global`, `team/KEY` nor `KIND/KEY` of a declared resource, or a `to` that names no team";
    IncludeCycle => Error, "rolegraph::resolve::include_cycle", "role includes that form a cycle (the whole path is shown)";
    WildcardMatchesNothing => Error, "rolegraph::resolve::wildcard_matches_nothing", "a `prefix:*` grant that matches no declared permission";
    ConflictingRoles => Error, "rolegraph::resolve::conflicting_roles", "a member given two different roles in one team";
    OnlyInViolation => Error, "rolegraph::resolve::only_in_violation", "a role assigned in a team its `only in` (own or inherited) does not allow, the `default_role` in the `default_team` included";
    MissingOwner => Error, "rolegraph::resolve::missing_owner", "a resource with no owner share";
    IncompleteDefaults => Error, "rolegraph::resolve::incomplete_defaults", "`auth` setting only one of `default_team` and `default_role`";
    AdminsWithoutAdminRole => Error, "rolegraph::resolve::admins_without_admin_role", "`admins` listed but no role `admin` declared";
    MissingTarget => Error, "rolegraph::resolve::missing_target", "a test line for a `target team` permission without `to team/…`";
    UnexpectedTarget => Error, "rolegraph::resolve::unexpected_target", "a test line with `to` for a permission that is not `target team`";
    UnknownUser => Error, "rolegraph::resolve::unknown_user", "a `trust user` naming an email that no `user` item, `member` line or `admins` declares (with a suggestion)";
    TooMany => Error, "rolegraph::resolve::too_many", "more permissions or kinds than 65,536 (or more roles, teams, users or resources than 4,294,967,296): ids would wrap and name other items";
    UnsatisfiableOnlyIn => Warning, "rolegraph::lint::unsatisfiable_only_in", "a role whose inherited `only in` restrictions leave no team";
    UnusedRole => Warning, "rolegraph::lint::unused_role", "a role no member, share, include or default uses (role `admin` is exempt)";
    EmptyTeam => Warning, "rolegraph::lint::empty_team", "a team with no members (the admin and default teams are exempt)";
    UserInNoTeam => Warning, "rolegraph::lint::user_in_no_team", "a declared user who is a member of no team";
    PowerfulDefaultRole => Warning, "rolegraph::lint::powerful_default_role", "a `default_role` that grants `global` or `admin:` permissions to every new login";
    ConfusableNames => Warning, "rolegraph::lint::confusable_names", "two keys that differ only by case or `-`/`_`, or an email with look-alike characters";
    IdenticalRoles => Warning, "rolegraph::lint::identical_roles", "two roles with the same effective permissions";
    MisspeltUser => Warning, "rolegraph::lint::misspelt_user", "a test line names an undeclared user (a new login) whose email is a typo away from a declared one";
    UselessShare => Warning, "rolegraph::lint::useless_share", "a share whose role gives the team's members nothing";
    OwnerWithoutResource => Warning, "rolegraph::lint::owner_without_resource", "a permission that `requires owner` but is declared on no resource kind: only a resource share is an owner share, so at `team` and `global` the requirement checks nothing";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A labelled place in the source.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

/// One error or warning. The first label is the primary location.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(
        code: Code,
        message: impl Into<String>,
        span: Span,
        label: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            labels: vec![Label {
                span,
                text: label.into(),
            }],
            help: None,
        }
    }

    /// `role `x` is defined twice`, at the second definition, pointing at
    /// the first.
    pub fn duplicate(what: &str, name: &str, again: Span, first: Span) -> Self {
        Diagnostic::new(
            Code::Duplicate,
            format!("{what} `{name}` is defined twice"),
            again,
            "defined again here",
        )
        .with_label(first, "first defined here")
        .with_help("remove one definition, or give it another name")
    }

    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_help_opt(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }

    fn primary(&self) -> Span {
        self.labels.first().map(|l| l.span).unwrap_or_default()
    }
}

/// "did you mean `x`?" when a candidate is close enough ([`suggest`] says
/// what close means, and bounds the work).
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    suggest::closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// ` (did you mean `x`?)`, or nothing: the tail of a one-line error message.
pub fn did_you_mean_suffix<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    did_you_mean(name, candidates)
        .map(|h| format!(" ({h})"))
        .unwrap_or_default()
}

/// Sorts diagnostics by file, position and code, so output is deterministic.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        let (sa, sb) = (a.primary(), b.primary());
        (sa.file, sa.start, a.code, &a.message).cmp(&(sb.file, sb.start, b.code, &b.message))
    });
}

// ---------------------------------------------------------------- text

/// A diagnostic bound to its source, in the shape miette renders.
#[derive(Debug)]
struct Report {
    code: Code,
    /// Related reports (a label in another file) render as advice.
    related_part: bool,
    message: String,
    help: Option<String>,
    source: Option<Snippet>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        // A related part (the other file of a duplicate) is not a second
        // diagnostic: repeating the code would make it read like one, so its
        // header (miette writes `Advice: …`) says why it is shown.
        Some(Box::new(if self.related_part {
            "in another file"
        } else {
            self.code.as_str()
        }))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.code.severity() {
            _ if self.related_part => miette::Severity::Advice,
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

/// Labels drawn per diagnostic; the rest are counted in its help (a
/// 100,000-role include cycle has a label per include, and miette's work
/// grows with labels × lines).
pub const MAX_LABELS: usize = 16;

fn report(diag: &Diagnostic, sources: &Sources) -> Report {
    let primary_file = diag.primary().file;
    let (shown, hidden) = diag.labels.split_at(diag.labels.len().min(MAX_LABELS));
    // Labels in another file (a duplicate defined elsewhere) become related
    // reports: miette draws one source per report.
    let (here, elsewhere): (Vec<&Label>, Vec<&Label>) =
        shown.iter().partition(|l| l.span.file == primary_file);
    // Each file is handed to miette as a snippet of the lines shown.
    let snippet = |labels: &[&Label], file| {
        let ranges: Vec<snippet::Range> = labels
            .iter()
            .map(|l| (l.span.start as usize, l.span.end as usize))
            .collect();
        let (snippet, moved) = Snippet::new(sources.file(file), &ranges);
        let labeled = labels
            .iter()
            .zip(moved)
            .map(|(l, (start, end))| {
                LabeledSpan::new(Some(escape_controls(&l.text)), start, end - start)
            })
            .collect();
        (snippet, labeled)
    };
    let (source, labels) = if here.is_empty() {
        (None, Vec::new())
    } else {
        let (source, labels) = snippet(&here, primary_file);
        (Some(source), labels)
    };
    let mut help = diag.help.as_deref().map(escape_controls);
    if !hidden.is_empty() {
        let more = format!(
            "{} more place{} not shown",
            hidden.len(),
            if hidden.len() == 1 { "" } else { "s" }
        );
        help = Some(match help {
            Some(h) => format!("{h} ({more})"),
            None => more,
        });
    }
    Report {
        code: diag.code,
        related_part: false,
        message: escape_controls(&diag.message),
        help,
        source,
        labels,
        related: elsewhere
            .into_iter()
            .map(|l| {
                let (source, labels) = snippet(&[l], l.span.file);
                Report {
                    code: diag.code,
                    related_part: true,
                    message: escape_controls(&l.text),
                    help: None,
                    source: Some(source),
                    labels,
                    related: vec![],
                }
            })
            .collect(),
    }
}

/// Whether reports on this stream should use colour: only on a terminal, and
/// never when `NO_COLOR` is set.
pub fn use_colour(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Diagnostics rendered as text at most; the rest are counted (JSON and
/// GitHub output list them all).
pub const MAX_RENDERED: usize = 200;

/// Renders diagnostics as miette reports: at most [`MAX_RENDERED`], errors
/// before warnings (each kept in its place in the order), then a line that
/// counts the rest.
pub fn render_text(diags: &[Diagnostic], sources: &Sources, colour: bool) -> String {
    let theme = if colour {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false)
        .with_context_lines(1);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings_shown = MAX_RENDERED.saturating_sub(errors);
    let mut warnings_seen = 0;
    let mut errors_seen = 0;
    let mut out = String::new();
    for diag in diags {
        let shown = if diag.is_error() {
            errors_seen += 1;
            errors_seen <= MAX_RENDERED
        } else {
            warnings_seen += 1;
            warnings_seen <= warnings_shown
        };
        if shown {
            // Writing into a String cannot fail.
            let _ = handler.render_report(&mut out, &report(diag, sources));
            out.push('\n');
        }
    }
    let hidden = diags.len().saturating_sub(MAX_RENDERED);
    if hidden > 0 {
        let hidden_errors = errors.saturating_sub(MAX_RENDERED);
        out.push_str(&format!(
            "… and {hidden} more not shown ({}): `--format json` lists every diagnostic\n\n",
            summary_counts(hidden_errors, hidden - hidden_errors)
        ));
    }
    out
}

/// `N errors, M warnings` (empty when there is nothing to say).
pub fn summary(diags: &[Diagnostic]) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    summary_counts(errors, diags.len() - errors)
}

fn summary_counts(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

// ---------------------------------------------------------------- json

/// Fields in key order: the document is written straight from this struct
/// (a `serde_json::Value` of 2,000,000 diagnostics took gigabytes), in the
/// sorted order a `Value` would have given.
#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    column: usize,
    end_column: usize,
    end_line: usize,
    file: &'a str,
    help: Option<&'a str>,
    line: usize,
    message: &'a str,
    severity: Severity,
}

#[derive(Serialize)]
struct JsonDiagnostics<'a> {
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

fn json_diagnostic<'a>(diag: &'a Diagnostic, sources: &'a Sources) -> JsonDiagnostic<'a> {
    let span = diag.primary();
    let file = sources.file(span.file);
    let (line, column) = file.line_col(span.start);
    let (end_line, end_column) = file.line_col(span.end);
    JsonDiagnostic {
        severity: diag.severity(),
        code: diag.code.as_str(),
        message: &diag.message,
        file: &file.name,
        line,
        column,
        end_line,
        end_column,
        help: diag.help.as_deref(),
    }
}

/// `{"diagnostics":[…]}` as fixed by SPEC §4.
pub fn to_json_value(diags: &[Diagnostic], sources: &Sources) -> serde_json::Value {
    let doc = JsonDiagnostics {
        diagnostics: diags.iter().map(|d| json_diagnostic(d, sources)).collect(),
    };
    serde_json::to_value(doc).unwrap_or_default()
}

pub fn render_json(diags: &[Diagnostic], sources: &Sources) -> String {
    let doc = JsonDiagnostics {
        diagnostics: diags.iter().map(|d| json_diagnostic(d, sources)).collect(),
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

// ---------------------------------------------------------------- github

/// A workflow command's data: `%`, CR and LF encoded as the runner
/// decodes them, and every other control character written out, so an ESC
/// in a policy cannot colour or hide text in the Actions log.
fn escape_data(s: &str) -> String {
    let s = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    escape_controls(&s)
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands: one `::error …::message` line each.
pub fn render_github(diags: &[Diagnostic], sources: &Sources) -> String {
    let mut out = String::new();
    for diag in diags {
        let j = json_diagnostic(diag, sources);
        let level = match j.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut message = j.message.to_string();
        if let Some(help) = j.help {
            message.push_str(&format!(" (help: {help})"));
        }
        out.push_str(&format!(
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(j.file),
            j.line,
            j.column,
            j.end_line,
            j.end_column,
            escape_property(j.code),
            escape_data(&message)
        ));
    }
    out
}
