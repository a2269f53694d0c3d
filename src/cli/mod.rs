//! The `rolegraph` command line: thin. Parse arguments, call the library,
//! print. Exit codes (SPEC §4): 0 success or allow; 1 policy errors, failed
//! tests or invariants, or a deny; 2 usage or I/O errors.

// Everything the CLI shows goes through `output` (escaped, write errors
// noticed): no other module prints.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod apply;
mod audit;
mod check;
mod completions;
mod diff;
pub mod examples;
mod export;
mod files;
mod fmt;
pub mod formats;
mod graph;
mod import;
mod init;
mod live;
mod lsp;
mod man;
mod output;
mod plan;
mod pull;
mod query;
mod serve;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::escape;
use formats::{
    CompileFormat, GraphFormat, JsonOnly, ReportFormat, TestFormat, TextOnly, TextOrJson,
    ValidateFormat,
};

pub use output::Exit;

/// The policy path when `--policy` is not given.
pub const DEFAULT_POLICY: &str = "policies";

#[derive(Parser, Debug)]
#[command(
    name = "rolegraph",
    version,
    about = "Policy-as-code for team-based access control: check, compile, query, test and diff `.policy` files",
    after_help = examples::ROLEGRAPH
)]
pub struct Cli {
    /// The policy: a `.policy` file, or a directory of them (searched recursively)
    ///
    /// `validate`, `fmt` and `diff` read policy text; the other commands
    /// also read a bundle written by `compile --format bundle`.
    #[arg(long, global = true, default_value = DEFAULT_POLICY, value_name = "PATH")]
    pub policy: PathBuf,

    /// The output format written before the command name
    /// (`rolegraph --format json can …`); the command checks it. Each
    /// command's own `--format` lists the values it accepts.
    #[arg(long = "format", id = "format_before_command", value_enum, hide = true)]
    pub format_before_command: Option<Format>,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The output format asked for, after the command name or before it.
    pub fn format(&self) -> Option<Format> {
        self.command.format().or(self.format_before_command)
    }

    /// How to run `command` on this policy, for a hint: `rolegraph
    /// validate`, or `rolegraph --policy 'my org' validate` when the policy
    /// is not the default one.
    pub fn hint(&self, command: &str) -> String {
        hint_for(&self.policy, command)
    }
}

/// How to run `command` on the policy at `policy`, quoted for a POSIX
/// shell when it needs to be.
pub fn hint_for(policy: &Path, command: &str) -> String {
    if policy == Path::new(DEFAULT_POLICY) {
        return format!("rolegraph {command}");
    }
    let path = policy.to_string_lossy();
    let plain = !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@%".contains(c));
    if plain {
        format!("rolegraph --policy {path} {command}")
    } else {
        format!(
            "rolegraph --policy '{}' {command}",
            path.replace('\'', r"'\''")
        )
    }
}

/// Every format some command writes; the type the commands work with.
/// On the command line each command offers its own subset (`formats`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Github,
    Lines,
    Markdown,
    Dot,
    Mermaid,
    /// `compile` only: the checked policy saved for fast loading.
    Bundle,
    /// `validate` only: SARIF 2.1.0, for code scanning.
    Sarif,
    /// `test` only: JUnit XML, for CI test reports.
    Junit,
    /// `test` only: policy coverage as LCOV (implies --coverage).
    Lcov,
}

/// A scope as a query takes it (`can`, `explain`, `who`).
const SCOPE_HELP: &str =
    "The scope: `global` (when absent), `team/KEY`, or a resource `KIND/KEY` (`use_case/support-bot`)";

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a starter policy directory: the Adaptive built-ins and an example org with tests.
    #[command(after_help = examples::INIT)]
    Init {
        /// Where to write it (must not exist, or be empty).
        #[arg(default_value = DEFAULT_POLICY)]
        dir: PathBuf,
    },
    /// Parse, resolve and lint.
    #[command(after_help = examples::VALIDATE)]
    Validate {
        /// Exit 1 on warnings too.
        #[arg(long)]
        deny_warnings: bool,
        /// Output format, `text` by default (on standard error; the others on standard output).
        #[arg(long, value_enum)]
        format: Option<ValidateFormat>,
    },
    /// Validate, then run every test and invariant.
    #[command(after_help = examples::TEST)]
    Test {
        /// Report roles, grants, memberships and shares no test exercised.
        #[arg(long)]
        coverage: bool,
        /// Fail when overall coverage is below this percentage, 0 to 100
        /// (implies --coverage).
        #[arg(long, value_name = "PCT", value_parser = check::parse_percent)]
        coverage_min: Option<f64>,
        /// Output format, `text` by default.
        #[arg(long, value_enum)]
        format: Option<TestFormat>,
    },
    /// Write the compiled matrix, or a bundle of the checked policy.
    #[command(after_help = examples::COMPILE)]
    Compile {
        /// Write to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Output format, `json` by default.
        #[arg(long, value_enum)]
        format: Option<CompileFormat>,
    },
    /// Allow (exit 0) or deny (exit 1); `--batch` answers JSON lines.
    #[command(after_help = examples::CAN)]
    Can {
        /// The user's email; one declared nowhere is answered as a new login.
        #[arg(required_unless_present = "batch")]
        user: Option<String>,
        /// The permission (`use_case:adapt`).
        #[arg(required_unless_present = "batch")]
        permission: Option<String>,
        #[arg(help = SCOPE_HELP)]
        scope: Option<String>,
        /// The target team of a `target team` permission (`team/KEY`).
        #[arg(long, value_name = "team/KEY")]
        to: Option<String>,
        /// Read `{"user","permission","scope","to"}` lines from FILE (`-` for stdin).
        #[arg(long, value_name = "FILE", conflicts_with_all = ["user", "permission", "scope", "to"])]
        batch: Option<String>,
        /// Output format, `text` by default (`--batch` always writes JSON lines).
        #[arg(long, value_enum)]
        format: Option<TextOrJson>,
    },
    /// The decision with every path considered, and why each grants or fails.
    #[command(after_help = examples::EXPLAIN)]
    Explain {
        /// The user's email; one declared nowhere is answered as a new login.
        user: String,
        /// The permission (`use_case:adapt`).
        permission: String,
        #[arg(help = SCOPE_HELP)]
        scope: Option<String>,
        /// The target team of a `target team` permission (`team/KEY`).
        #[arg(long, value_name = "team/KEY")]
        to: Option<String>,
        /// Output format, `text` by default.
        #[arg(long, value_enum)]
        format: Option<TextOrJson>,
    },
    /// The users who hold a permission at a scope, with the team and role it comes through.
    #[command(after_help = examples::WHO)]
    Who {
        /// The permission (`use_case:adapt`).
        permission: String,
        #[arg(help = SCOPE_HELP)]
        scope: Option<String>,
        /// Output format, `text` by default.
        #[arg(long, value_enum)]
        format: Option<TextOrJson>,
    },
    /// Everything a user can do, by scope.
    #[command(after_help = examples::WHAT)]
    What {
        /// The user's email; one declared nowhere is shown as a new login.
        user: String,
        /// Output format, `text` by default.
        #[arg(long, value_enum)]
        format: Option<TextOrJson>,
    },
    /// Access granted and revoked between two policies.
    #[command(after_help = examples::DIFF)]
    Diff {
        /// The old policy: a path, `git:REV[:PATH]`, or `adaptive:STATE.json`
        /// (a deployment's state file, read through the new policy).
        old: String,
        /// The new policy: a path, or `git:REV[:PATH]`.
        new: String,
        /// Exit 1 if a granted row's permission matches this glob (e.g. `admin:*`).
        #[arg(long, value_name = "GLOB")]
        fail_on_grant: Option<String>,
        /// Also audit both policies: list the escalation paths the change
        /// introduces or removes, and exit 1 if it introduces one.
        #[arg(long)]
        audit: bool,
        /// Output format, `text` by default.
        #[arg(long, value_enum)]
        format: Option<ReportFormat>,
    },
    /// Rewrite policy files in the canonical layout, keeping comments.
    #[command(after_help = examples::FMT)]
    Fmt {
        /// Change nothing; exit 1 naming the files that would change.
        #[arg(long)]
        check: bool,
        /// Output format, `text` by default.
        #[arg(long, value_enum)]
        format: Option<TextOrJson>,
    },
    /// Role includes, team memberships and shares as a graph.
    #[command(after_help = examples::GRAPH)]
    Graph {
        /// Only this team, its members and what is shared with it.
        #[arg(long)]
        team: Option<String>,
        /// Only this role, what it includes and where it is used.
        #[arg(long)]
        role: Option<String>,
        /// Only this resource (`KIND/KEY`) and its shares.
        #[arg(long)]
        resource: Option<String>,
        /// Output format, `mermaid` by default.
        #[arg(long, value_enum)]
        format: Option<GraphFormat>,
    },
    /// Privilege-escalation paths: who can raise their own access.
    #[command(after_help = examples::AUDIT)]
    Audit {
        /// Exit 1 when an untrusted escalation path exists (with --baseline:
        /// one the baseline does not hold).
        #[arg(long)]
        fail_on_escalation: bool,
        /// Only this user.
        #[arg(long, value_name = "EMAIL")]
        user: Option<String>,
        /// Accept the findings this file holds (written by --write-baseline):
        /// only new ones fail, and those gone are listed as fixed.
        #[arg(long, value_name = "FILE")]
        baseline: Option<PathBuf>,
        /// Write every untrusted finding to FILE as the accepted baseline.
        #[arg(long, value_name = "FILE", conflicts_with = "user")]
        write_baseline: Option<PathBuf>,
        /// Output format, `text` by default.
        #[arg(long, value_enum)]
        format: Option<TextOrJson>,
    },
    /// The operations that take the live deployment to the policy, and what
    /// cannot be done.
    #[command(after_help = examples::PLAN)]
    Plan {
        #[command(flatten)]
        args: plan::PlanArgs,
        /// Output format, `text` by default.
        #[arg(long, value_enum)]
        format: Option<ReportFormat>,
    },
    /// Change the live deployment to match the policy: plan, confirm, run
    /// the operations, then read it again to check that nothing is left.
    #[command(after_help = examples::APPLY)]
    Apply {
        #[command(flatten)]
        args: apply::ApplyArgs,
        /// Output format, `text` by default.
        #[arg(long, value_enum)]
        format: Option<TextOrJson>,
    },
    /// Read the live Adaptive deployment and write its state file (key from `ADAPTIVE_API_KEY`).
    #[command(after_help = examples::PULL)]
    Pull {
        /// The deployment's base URL (default: `ADAPTIVE_URL`).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// Write the state file here, atomically, instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Output format: the state file is JSON.
        #[arg(long, value_enum)]
        format: Option<JsonOnly>,
    },
    /// Import settings from another tool.
    #[command(subcommand, after_help = examples::IMPORT)]
    Import(ImportSource),
    /// Run the language server on stdio, for editors (LSP 3.17).
    ///
    /// The workspace is `--policy`: a relative path is taken from the folder
    /// the editor opened (by default its `policies/` folder).
    #[command(after_help = examples::LSP)]
    Lsp {
        /// Accepted and ignored: stdio is the only transport (some clients
        /// add this flag).
        #[arg(long, hide = true)]
        stdio: bool,
    },
    /// Write settings for another tool from the policy.
    #[command(subcommand, after_help = examples::EXPORT)]
    Export(ExportTarget),
    /// Print a shell completion script.
    #[command(after_help = examples::COMPLETIONS)]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff): the index page, or one command's.
    #[command(after_help = examples::MAN)]
    Man {
        /// The command whose page to print (`can`, `import helm`); the
        /// index page `rolegraph(1)` when absent.
        #[arg(value_name = "COMMAND")]
        command: Vec<String>,
        /// Write every page (`rolegraph.1`, `rolegraph-can.1`, …) into this
        /// directory instead of printing one.
        #[arg(long, value_name = "DIR", conflicts_with = "command")]
        dir: Option<PathBuf>,
    },
    /// Answer `can`, `explain`, `who` and `what` over HTTP (also AuthZEN and
    /// OPA's data API), reloading the policy when it changes.
    #[command(after_help = examples::SERVE)]
    Serve(serve::ServeArgs),
}

impl Command {
    /// The `--format` given after the command name, if any.
    fn format(&self) -> Option<Format> {
        match self {
            Command::Validate { format, .. } => format.map(Format::from),
            Command::Test { format, .. } => format.map(Format::from),
            Command::Compile { format, .. } => format.map(Format::from),
            Command::Can { format, .. }
            | Command::Explain { format, .. }
            | Command::Who { format, .. }
            | Command::What { format, .. }
            | Command::Fmt { format, .. }
            | Command::Audit { format, .. }
            | Command::Apply { format, .. } => format.map(Format::from),
            Command::Diff { format, .. } | Command::Plan { format, .. } => format.map(Format::from),
            Command::Graph { format, .. } => format.map(Format::from),
            Command::Pull { format, .. } => format.map(Format::from),
            Command::Import(ImportSource::Helm { format, .. }) => format.map(Format::from),
            Command::Import(ImportSource::Adaptive { format, .. })
            | Command::Export(ExportTarget::Helm { format }) => format.map(Format::from),
            Command::Init { .. }
            | Command::Lsp { .. }
            | Command::Completions { .. }
            | Command::Man { .. }
            | Command::Serve(_) => None,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum ImportSource {
    /// Print the `auth` block for a Helm `values.yaml` `auth:` section.
    #[command(after_help = examples::IMPORT_HELM)]
    Helm {
        /// The chart's values file; only its `auth:` section is read.
        #[arg(value_name = "VALUES.yaml")]
        values: PathBuf,
        /// Output format, `text` by default.
        #[arg(long, value_enum)]
        format: Option<TextOrJson>,
    },
    /// Write policy files that describe a deployment's state file.
    #[command(after_help = examples::IMPORT_ADAPTIVE)]
    Adaptive {
        /// The deployment's state file, as `pull` writes it.
        #[arg(value_name = "STATE.json")]
        state: PathBuf,
        /// Write the files into this directory (new or empty) instead of
        /// printing one policy.
        #[arg(short, long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Take `auth` from a Helm `values.yaml` instead of the defaults.
        #[arg(long, value_name = "values.yaml")]
        helm: Option<PathBuf>,
        /// Output format: policy text.
        #[arg(long, value_enum)]
        format: Option<TextOnly>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ExportTarget {
    /// Print the `auth:` section of a Helm `values.yaml` from the policy's `auth` block.
    #[command(after_help = examples::EXPORT_HELM)]
    Helm {
        /// Output format: YAML text.
        #[arg(long, value_enum)]
        format: Option<TextOnly>,
    },
}

/// Runs the command line; the binary's `main`.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            if let Some(message) = format_not_written(&e) {
                return ExitCode::from(output::usage_error(message).code());
            }
            print_clap_error(&e);
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let exit = run(&cli);
    ExitCode::from(exit.code())
}

/// `validate --format junit`: a format rolegraph writes, but not this
/// command. Said as when it comes before the command name (the command's
/// own check, [`output::format`]), naming what the command accepts; a value
/// no command writes keeps clap's message and its suggestion.
fn format_not_written(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::InvalidValue {
        return None;
    }
    let arg = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => arg,
        _ => return None,
    };
    let value = match e.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(value)) => value,
        _ => return None,
    };
    let accepted = match e.get(ContextKind::ValidValue) {
        Some(ContextValue::Strings(values)) => values.join(", "),
        _ => return None,
    };
    if !arg.starts_with("--format") || Format::from_str(value, false).is_err() {
        return None;
    }
    Some(format!(
        "this command does not write `--format {value}`; it accepts {accepted}"
    ))
}

/// clap's message (or `--help`), which may quote an argument as given. When
/// an argument holds a control character, the arguments are escaped and
/// parsed again, so the message quotes them escaped and keeps its layout.
fn print_clap_error(e: &clap::Error) {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if !args.iter().any(|a| a.chars().any(escape::is_unsafe)) {
        let _ = e.print();
        return;
    }
    let escaped = args.iter().map(|a| escape::text(a).into_owned());
    let shown = match Cli::try_parse_from(escaped) {
        Err(again) => again.render().to_string(),
        Ok(_) => escape::text(&e.render().to_string()).into_owned(),
    };
    if e.use_stderr() {
        #[expect(clippy::print_stderr, reason = "clap's own error, already escaped")]
        {
            eprint!("{}", escape::terminal(&shown));
        }
    } else {
        output::print(&shown);
    }
}

pub fn run(cli: &Cli) -> Exit {
    let result = match &cli.command {
        Command::Init { dir } => init::run(dir),
        Command::Validate { deny_warnings, .. } => check::validate(cli, *deny_warnings),
        Command::Test {
            coverage,
            coverage_min,
            ..
        } => check::test(cli, *coverage, *coverage_min),
        Command::Compile { output, .. } => check::compile(cli, output.as_deref()),
        Command::Can {
            batch: Some(batch), ..
        } => query::batch(cli, batch),
        Command::Can {
            user,
            permission,
            scope,
            to,
            ..
        } => query::can(
            cli,
            &query::Question {
                user: user.as_deref().unwrap_or_default(),
                permission: permission.as_deref().unwrap_or_default(),
                scope: scope.as_deref(),
                to: to.as_deref(),
            },
        ),
        Command::Explain {
            user,
            permission,
            scope,
            to,
            ..
        } => query::explain(
            cli,
            &query::Question {
                user,
                permission,
                scope: scope.as_deref(),
                to: to.as_deref(),
            },
        ),
        Command::Who {
            permission, scope, ..
        } => query::who(cli, permission, scope.as_deref()),
        Command::What { user, .. } => query::what(cli, user),
        Command::Diff {
            old,
            new,
            fail_on_grant,
            audit,
            ..
        } => diff::run(cli, old, new, fail_on_grant.as_deref(), *audit),
        Command::Fmt { check, .. } => fmt::run(cli, *check),
        Command::Graph {
            team,
            role,
            resource,
            ..
        } => graph::run(cli, team.as_deref(), role.as_deref(), resource.as_deref()),
        Command::Audit {
            fail_on_escalation,
            user,
            baseline,
            write_baseline,
            ..
        } => audit::run(
            cli,
            &audit::Args {
                fail_on_escalation: *fail_on_escalation,
                user: user.as_deref(),
                baseline: baseline.as_deref(),
                write_baseline: write_baseline.as_deref(),
            },
        ),
        Command::Plan { args, .. } => plan::run(cli, args),
        Command::Apply { args, .. } => apply::run(cli, args),
        Command::Pull { url, output, .. } => pull::run(cli, url.as_deref(), output.as_deref()),
        Command::Import(ImportSource::Helm { values, .. }) => import::helm(cli, values),
        Command::Lsp { .. } => lsp::run(cli),
        Command::Import(ImportSource::Adaptive {
            state,
            output,
            helm,
            ..
        }) => import::adaptive(cli, state, output.as_deref(), helm.as_deref()),
        Command::Export(ExportTarget::Helm { .. }) => export::helm(cli),
        Command::Completions { shell } => completions::completions(*shell),
        Command::Man { command, dir } => man::run(command, dir.as_deref()),
        Command::Serve(args) => serve::run(cli, args),
    };
    output::finish(result.unwrap_or_else(|exit| exit))
}
