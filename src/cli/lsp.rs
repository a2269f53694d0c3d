//! `rolegraph lsp`: the language server, on stdio until the editor closes it.
//!
//! Exit codes, as LSP asks: 0 after `shutdown` then `exit`; 1 for `exit`
//! (or the end of stdin) without `shutdown`, or before `initialize`; 2 for
//! an input the server cannot read (a broken header).

use super::output::{usage_error, CmdResult, Exit};
use super::Cli;
use crate::lsp::Ended;

pub fn run(cli: &Cli) -> CmdResult {
    match crate::lsp::run(&cli.policy).map_err(|e| usage_error(format!("language server: {e}")))? {
        Ended::AfterShutdown => Ok(Exit::Success),
        Ended::WithoutShutdown => Err(Exit::Failure),
    }
}
