//! `rolegraph lsp`: the language server, on stdio until the editor closes it.

use super::output::{usage_error, CmdResult, Exit};
use super::Cli;

pub fn run(cli: &Cli) -> CmdResult {
    crate::lsp::run(&cli.policy).map_err(|e| usage_error(format!("language server: {e}")))?;
    Ok(Exit::Success)
}
