//! `rolegraph completions SHELL`: generated from the clap definition, so it
//! never drifts from the real flags (as the man pages, `man.rs`).

use clap::CommandFactory;

use super::output::{print, CmdResult, Exit};
use super::Cli;

pub fn completions(shell: clap_complete::Shell) -> CmdResult {
    // Into memory first: the generator panics on a failed write (`| head`).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "rolegraph", &mut script);
    print(&String::from_utf8_lossy(&script));
    Ok(Exit::Success)
}
