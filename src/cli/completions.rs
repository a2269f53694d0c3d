//! `rolegraph completions SHELL` and `rolegraph man`: generated from the clap
//! definition, so they never drift from the real flags.

use clap::CommandFactory;

use super::output::{print, usage_error, CmdResult, Exit};
use super::Cli;

pub fn completions(shell: clap_complete::Shell) -> CmdResult {
    // Into memory first: the generator panics on a failed write (`| head`).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "rolegraph", &mut script);
    print(&String::from_utf8_lossy(&script));
    Ok(Exit::Success)
}

pub fn man() -> CmdResult {
    let mut out = std::io::stdout().lock();
    match clap_mangen::Man::new(Cli::command()).render(&mut out) {
        Ok(()) => Ok(Exit::Success),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Exit::Success),
        Err(e) => Err(usage_error(format!("cannot write the man page: {e}"))),
    }
}
