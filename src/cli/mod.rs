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
mod export;
mod files;
mod fmt;
mod graph;
mod import;
mod init;
mod live;
mod lsp;
mod output;
mod plan;
mod pull;
mod query;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::escape;

pub use output::Exit;

#[derive(Parser, Debug)]
#[command(
    name = "rolegraph",
    version,
    about = "Policy-as-code for team-based access control: check, compile, query, test and diff `.policy` files"
)]
pub struct Cli {
    /// A `.policy` file, a directory searched recursively for `*.policy`, or
    /// a bundle written by `compile --format bundle` (read by every command
    /// but `validate`, `fmt` and `diff`, which read policy text).
    #[arg(long, global = true, default_value = "policies", value_name = "PATH")]
    pub policy: PathBuf,

    /// Output format; which ones a command accepts is listed in its help.
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,

    #[command(subcommand)]
    pub command: Command,
}

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

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a starter policy directory: the Adaptive built-ins and an example org with tests.
    Init {
        /// Where to write it (must not exist, or be empty).
        #[arg(default_value = "policies")]
        dir: PathBuf,
    },
    /// Parse, resolve and lint (formats: text, json, github, sarif).
    Validate {
        /// Exit 1 on warnings too.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Validate, then run every test and invariant (formats: text, json, junit, lcov).
    Test {
        /// Report roles, grants, memberships and shares no test exercised.
        #[arg(long)]
        coverage: bool,
        /// Fail when overall coverage is below this percentage, 0 to 100
        /// (implies --coverage).
        #[arg(long, value_name = "PCT", value_parser = check::parse_percent)]
        coverage_min: Option<f64>,
    },
    /// Write the compiled matrix (formats: json, the default, and lines).
    Compile {
        /// Write to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Allow (exit 0) or deny (exit 1); `--batch` answers JSON lines.
    Can {
        #[arg(required_unless_present = "batch")]
        user: Option<String>,
        #[arg(required_unless_present = "batch")]
        permission: Option<String>,
        /// `global` (the default), `team/KEY` or `KIND/KEY`.
        scope: Option<String>,
        /// The target team of a `target team` permission (`team/KEY`).
        #[arg(long, value_name = "team/KEY")]
        to: Option<String>,
        /// Read `{"user","permission","scope","to"}` lines from FILE (`-` for stdin).
        #[arg(long, value_name = "FILE", conflicts_with_all = ["user", "permission", "scope", "to"])]
        batch: Option<String>,
    },
    /// The decision with every path considered (formats: text, json).
    Explain {
        user: String,
        permission: String,
        scope: Option<String>,
        #[arg(long, value_name = "team/KEY")]
        to: Option<String>,
    },
    /// The users who hold a permission at a scope, with the team and role it comes through.
    Who {
        permission: String,
        scope: Option<String>,
    },
    /// Everything a user can do, by scope.
    What { user: String },
    /// Access granted and revoked between two policies (formats: text, json, markdown).
    Diff {
        /// The old policy: a path, `git:REV[:PATH]`, or `adaptive:STATE.json`
        /// (a deployment's state file, read through the new policy).
        old: String,
        /// The new policy: a path, or `git:REV[:PATH]`.
        new: String,
        /// Exit 1 if a granted row's permission matches this glob (e.g. `admin:*`).
        #[arg(long, value_name = "GLOB")]
        fail_on_grant: Option<String>,
    },
    /// Rewrite policy files in the canonical layout, keeping comments.
    Fmt {
        /// Change nothing; exit 1 naming the files that would change.
        #[arg(long)]
        check: bool,
    },
    /// Role includes, team memberships and shares as a graph (formats: dot, mermaid).
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
    },
    /// Privilege-escalation paths: who can raise their own access (formats: text, json).
    Audit {
        /// Exit 1 when any escalation path exists.
        #[arg(long)]
        fail_on_escalation: bool,
        /// Only this user.
        #[arg(long, value_name = "EMAIL")]
        user: Option<String>,
    },
    /// The operations that take the live deployment to the policy, and what
    /// cannot be done (formats: text, json, markdown).
    Plan(plan::PlanArgs),
    /// Change the live deployment to match the policy: plan, confirm, run
    /// the operations, then check that nothing is left (formats: text, json).
    Apply(apply::ApplyArgs),
    /// Read the live Adaptive deployment and write its state file (key from `ADAPTIVE_API_KEY`).
    Pull {
        /// The deployment's base URL (default: `ADAPTIVE_URL`).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// Write the state file here, atomically, instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Import settings from another tool.
    #[command(subcommand)]
    Import(ImportSource),
    /// Run the language server on stdio, for editors (LSP 3.17).
    ///
    /// The workspace is `--policy`: a relative path is taken from the folder
    /// the editor opened (by default its `policies/` folder).
    Lsp {
        /// Accepted and ignored: stdio is the only transport (some clients
        /// add this flag).
        #[arg(long, hide = true)]
        stdio: bool,
    },
    /// Write settings for another tool from the policy.
    #[command(subcommand)]
    Export(ExportTarget),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
    /// Answer `can`, `explain`, `who` and `what` over HTTP (also AuthZEN and
    /// OPA's data API), reloading the policy when it changes.
    Serve(serve::ServeArgs),
}

#[derive(Subcommand, Debug)]
pub enum ImportSource {
    /// Print the `auth` block for a Helm `values.yaml` `auth:` section.
    Helm {
        #[arg(value_name = "VALUES.yaml")]
        values: PathBuf,
    },
    /// Write policy files that describe a deployment's state file.
    Adaptive {
        #[arg(value_name = "STATE.json")]
        state: PathBuf,
        /// Write the files into this directory (new or empty) instead of
        /// printing one policy.
        #[arg(short, long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Take `auth` from a Helm `values.yaml` instead of the defaults.
        #[arg(long, value_name = "values.yaml")]
        helm: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ExportTarget {
    /// Print the `auth:` section of a Helm `values.yaml` from the policy's `auth` block.
    Helm,
}

/// Runs the command line; the binary's `main`.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            print_clap_error(&e);
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let exit = run(&cli);
    ExitCode::from(exit.code())
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
        Command::Validate { deny_warnings } => check::validate(cli, *deny_warnings),
        Command::Test {
            coverage,
            coverage_min,
        } => check::test(cli, *coverage, *coverage_min),
        Command::Compile { output } => check::compile(cli, output.as_deref()),
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
        } => query::explain(
            cli,
            &query::Question {
                user,
                permission,
                scope: scope.as_deref(),
                to: to.as_deref(),
            },
        ),
        Command::Who { permission, scope } => query::who(cli, permission, scope.as_deref()),
        Command::What { user } => query::what(cli, user),
        Command::Diff {
            old,
            new,
            fail_on_grant,
        } => diff::run(cli, old, new, fail_on_grant.as_deref()),
        Command::Fmt { check } => fmt::run(cli, *check),
        Command::Graph {
            team,
            role,
            resource,
        } => graph::run(cli, team.as_deref(), role.as_deref(), resource.as_deref()),
        Command::Audit {
            fail_on_escalation,
            user,
        } => audit::run(cli, *fail_on_escalation, user.as_deref()),
        Command::Plan(args) => plan::run(cli, args),
        Command::Apply(args) => apply::run(cli, args),
        Command::Pull { url, output } => pull::run(cli, url.as_deref(), output.as_deref()),
        Command::Import(ImportSource::Helm { values }) => import::helm(cli, values),
        Command::Lsp { .. } => lsp::run(cli),
        Command::Import(ImportSource::Adaptive {
            state,
            output,
            helm,
        }) => import::adaptive(cli, state, output.as_deref(), helm.as_deref()),
        Command::Export(ExportTarget::Helm) => export::helm(cli),
        Command::Completions { shell } => completions::completions(*shell),
        Command::Man => completions::man(),
        Command::Serve(args) => serve::run(cli, args),
    };
    output::finish(result.unwrap_or_else(|exit| exit))
}
