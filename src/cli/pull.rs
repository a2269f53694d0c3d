//! `rolegraph pull [--url URL] [-o FILE]`: the live deployment's access
//! state as a state file (SPEC §9), on standard output or written
//! atomically to FILE.

use std::io::Write;
use std::path::Path;

use super::output::{format, print, say, usage_error, warning, CmdResult, Exit};
use super::{Cli, Format};
use crate::adaptive::client::Connection;

pub fn run(cli: &Cli, url: Option<&str>, output: Option<&Path>) -> CmdResult {
    format(cli, &[Format::Json], Format::Json)?;
    let connection = Connection::from_env(url).map_err(usage_error)?;
    if let Some(text) = connection.insecure_warning() {
        warning(text);
    }
    let live = connection.read().map_err(usage_error)?;
    let bytes = live.state.to_json();
    match output {
        Some(path) => write_atomically(path, &bytes)
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

/// Writes `bytes` to a temporary file beside `path`, then renames it over
/// `path`: a reader sees the old file or the new one, never half of one.
/// A new file is private to its owner (it lists every user); an existing
/// one keeps its permissions.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".rolegraph-pull-")
        .tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    if let Ok(meta) = std::fs::metadata(path) {
        file.as_file().set_permissions(meta.permissions())?;
    }
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}
