//! `rolegraph pull [--url URL] [-o FILE]`: the live deployment's access
//! state as a state file (SPEC §9), on standard output or written
//! atomically to FILE.

use std::path::Path;

use super::live;
use super::output::{format, print, say, usage_error, CmdResult, Exit};
use super::{Cli, Format};
use crate::adaptive::client::ClientError;
use crate::atomic_file::{self, NewFile};

pub fn run(cli: &Cli, url: Option<&str>, output: Option<&Path>) -> CmdResult {
    format(cli, &[Format::Json], Format::Json)?;
    let connection = live::connect(url, &ClientError::NoUrl.to_string())?;
    let live = live::read(&connection)?;
    let bytes = live.state.to_json();
    match output {
        Some(path) => atomic_file::write(path, &bytes, NewFile::Private)
            .map_err(|e| usage_error(format!("cannot write `{}`: {e}", path.display())))?,
        None => print(&String::from_utf8_lossy(&bytes)),
    }
    let s = &live.state;
    say(format_args!(
        "read {} roles, {} teams, {} users and {} projects from `{}`",
        s.roles.len(),
        s.teams.len(),
        s.users.len(),
        s.projects.len(),
        connection.url()
    ));
    Ok(Exit::Success)
}
