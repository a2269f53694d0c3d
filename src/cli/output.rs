//! Exit codes, printing, and loading the policy for a command.
//!
//! Everything a command prints goes through [`print`] (standard output) and
//! [`usage_error`], [`note`], [`warning`] and [`say`] (standard error). They
//! are the choke point for two promises: names from policies, bundles and
//! queries cannot drive the terminal ([`escape`]), and output that could not
//! be written is an error (exit 2), not a success with half a report.

use std::fmt::Display;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use super::{Cli, Format};
use crate::diagnostics::{self, Diagnostic};
use crate::escape;
use crate::source::Sources;
use crate::{Policy, PolicyError};

/// The process's exit status. `Err(Exit)` ends a command early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Success,
    /// Policy errors, failed tests, a deny.
    Failure,
    /// Usage or I/O errors.
    Usage,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
        }
    }
}

pub type CmdResult = Result<Exit, Exit>;

/// What became of standard output so far.
#[derive(Debug)]
enum Stdout {
    Open,
    /// The reader went away (`| head`): not an error, and nothing more is
    /// written.
    Closed,
    /// A write failed (a full disk, `/dev/full`, an I/O error): the command
    /// ends with exit 2 ([`finish`]).
    Failed(std::io::Error),
}

static STDOUT: Mutex<Stdout> = Mutex::new(Stdout::Open);

/// Writes a report to standard output, every control character in it but
/// its own newlines and tabs escaped. A closed pipe is not an error; any
/// other failure to write is remembered, and [`finish`] turns it into exit 2.
pub fn print(text: &str) {
    let mut state = STDOUT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !matches!(*state, Stdout::Open) {
        return;
    }
    let text = escape::terminal(text);
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => *state = Stdout::Closed,
        Err(e) => *state = Stdout::Failed(e),
    }
}

/// The command's exit status, or exit 2 when standard output could not be
/// written: a report cut short must not pass for a complete one (a CI step
/// that reads `who`'s output from a full disk would see fewer users).
pub fn finish(exit: Exit) -> Exit {
    let mut state = STDOUT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let _ = std::io::stdout().lock().flush();
    match std::mem::replace(&mut *state, Stdout::Open) {
        Stdout::Failed(e) => usage_error(format!("cannot write to standard output: {e}")),
        Stdout::Open | Stdout::Closed => exit,
    }
}

/// One line on standard error, escaped as a whole: a message is one line,
/// and the names in it cannot start another or drive the terminal.
#[expect(clippy::print_stderr, reason = "the CLI's one writer of messages")]
pub fn say(message: impl Display) {
    eprintln!("{}", escape::text(&message.to_string()));
}

/// Asks `question` on standard error (no line break, escaped like [`say`])
/// and reads one line of answer from standard input, without its line end.
/// The end of input is an empty answer.
#[expect(clippy::print_stderr, reason = "the CLI's one writer of questions")]
pub fn ask(question: impl Display) -> std::io::Result<String> {
    eprint!("{}", escape::text(&question.to_string()));
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(answer.trim_end_matches(['\n', '\r']).to_string())
}

/// `note: …` on standard error.
pub fn note(message: impl Display) {
    say(format_args!("note: {message}"));
}

/// `warning: …` on standard error.
pub fn warning(message: impl Display) {
    say(format_args!("warning: {message}"));
}

/// A usage or I/O error: `error: …` on stderr, exit 2.
pub fn usage_error(message: impl Display) -> Exit {
    say(format_args!("error: {message}"));
    Exit::Usage
}

/// The format a command was asked for, if it accepts it.
pub fn format(cli: &Cli, accepted: &[Format], default: Format) -> Result<Format, Exit> {
    let f = cli.format().unwrap_or(default);
    if accepted.contains(&f) {
        Ok(f)
    } else {
        let names: Vec<String> = accepted
            .iter()
            .map(|f| format!("{f:?}").to_lowercase())
            .collect();
        Err(usage_error(format!(
            "this command does not write `--format {}`; it accepts {}",
            format!("{f:?}").to_lowercase(),
            names.join(", ")
        )))
    }
}

/// Prints diagnostics in the chosen format: text to stderr, the machine
/// formats to stdout.
#[expect(
    clippy::print_stderr,
    reason = "the CLI's one writer of text diagnostics"
)]
pub fn print_diagnostics(diags: &[Diagnostic], sources: &Sources, format: Format) {
    match format {
        Format::Json => print(&diagnostics::render_json(diags, sources)),
        Format::Github => print(&diagnostics::render_github(diags, sources)),
        _ => {
            if !diags.is_empty() {
                let colour = diagnostics::use_colour(std::io::stderr().is_terminal());
                eprint!("{}", diagnostics::render_text(diags, sources, colour));
            }
        }
    }
}

pub fn load_sources(cli: &Cli) -> Result<Sources, Exit> {
    Policy::read_text(&cli.policy).map_err(usage_error)
}

/// Keeps a loaded policy until the process ends, and never frees it: one
/// command runs per process, and freeing a large org's millions of names one
/// by one took a tenth of loading it (a quarter of `validate` on L).
pub fn until_exit<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

/// Loads the policy for a query command. A policy with errors prints them and
/// exits 1; warnings are left to `validate`.
pub fn load_policy(cli: &Cli) -> Result<&'static Policy, Exit> {
    checked(cli, Policy::load(&cli.policy)).map(until_exit)
}

/// Checks and compiles sources already read; errors as for [`load_policy`].
pub fn policy_from_sources(cli: &Cli, sources: Sources) -> Result<Policy, Exit> {
    checked(cli, Policy::from_sources(sources))
}

/// A loaded policy, or its errors printed (exit 1) or why it could not be
/// read (exit 2).
fn checked(cli: &Cli, loaded: Result<Policy, PolicyError>) -> Result<Policy, Exit> {
    match loaded {
        Ok(p) => Ok(p),
        Err(e @ (PolicyError::Load(_) | PolicyError::IsBundle(_) | PolicyError::Bundle { .. })) => {
            Err(usage_error(e))
        }
        Err(PolicyError::Invalid {
            diagnostics,
            sources,
        }) => {
            let fmt = match cli.format() {
                Some(Format::Json) => Format::Json,
                Some(Format::Github) => Format::Github,
                _ => Format::Text,
            };
            let errors: Vec<Diagnostic> =
                diagnostics.into_iter().filter(|d| d.is_error()).collect();
            print_diagnostics(&errors, &sources, fmt);
            say(format_args!(
                "error: the policy has errors ({}); run `{}`",
                diagnostics::summary(&errors),
                cli.hint("validate")
            ));
            Err(Exit::Failure)
        }
    }
}

pub fn json<T: serde::Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}
