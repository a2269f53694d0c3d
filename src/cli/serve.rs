//! `serve`: the decision service (SPEC §11). Parses the flags, reads the
//! token, and hands over to the library's [`crate::serve`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::output::{say, usage_error, CmdResult, Exit};
use super::Cli;
use crate::serve::{self, Options, ServeError};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Where to listen. Loopback unless told otherwise (`0.0.0.0:8181`
    /// listens on every interface).
    #[arg(long, default_value = "127.0.0.1:8181", value_name = "HOST:PORT")]
    pub addr: SocketAddr,
    /// A file holding the bearer token that every request but `/health`
    /// and `/health/ready` must carry (`Authorization: Bearer <token>`).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Append one JSON line per decision to FILE.
    #[arg(long, value_name = "FILE")]
    pub decision_log: Option<PathBuf>,
    /// Decision-log lines that may wait to be written; past that, lines are
    /// dropped and counted in `/metrics`.
    #[arg(long, default_value_t = 100_000, value_name = "LINES", hide = true)]
    pub decision_log_queue: usize,
    /// The largest request body, in bytes (413 past it).
    #[arg(long, default_value_t = 10 * 1024 * 1024, value_name = "BYTES")]
    pub max_body: u64,
    /// How long a client may take to send a request's headers, and how
    /// long an idle keep-alive connection stays open.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub header_timeout: Duration,
    /// How long a client may take to send a request's body (408 past it).
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub body_timeout: Duration,
    /// Connections open at once; more wait to be accepted.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_connections: usize,
    /// How long requests in flight get to finish after SIGTERM.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub shutdown_timeout: Duration,
    /// Do not watch the policy's files; reload on SIGHUP only.
    #[arg(long)]
    pub no_watch: bool,
}

pub fn run(cli: &Cli, args: &ServeArgs) -> CmdResult {
    let token = match &args.token_file {
        Some(path) => Some(read_token(path)?),
        None => None,
    };
    let options = Options {
        policy: cli.policy.clone(),
        addr: args.addr,
        token,
        decision_log: args.decision_log.clone(),
        decision_log_queue: args.decision_log_queue,
        max_body: args.max_body,
        header_timeout: args.header_timeout,
        body_timeout: args.body_timeout,
        max_connections: args.max_connections,
        shutdown_timeout: args.shutdown_timeout,
        watch: !args.no_watch,
    };
    match serve::run(options) {
        Ok(()) => Ok(Exit::Success),
        Err(ServeError::Policy(failure)) => {
            if let Some(report) = &failure.report {
                for line in report.lines() {
                    say(line);
                }
            }
            if failure.invalid {
                say(format_args!(
                    "error: {}; run `rolegraph validate`",
                    failure.message
                ));
                Err(Exit::Failure)
            } else {
                Err(usage_error(failure.message))
            }
        }
        Err(e) => Err(usage_error(e)),
    }
}

/// The token: the file's content without surrounding whitespace; it must
/// not be empty.
fn read_token(path: &std::path::Path) -> Result<String, Exit> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        usage_error(format!(
            "cannot read the token file `{}`: {e}",
            path.display()
        ))
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(usage_error(format!(
            "the token file `{}` is empty",
            path.display()
        )));
    }
    Ok(token.to_string())
}
