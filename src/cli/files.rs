//! Files the command line reads whole and writes. Input files are read up
//! to a limit, so `/dev/zero` or a pipe that never ends is refused instead
//! of read until memory runs out. Output files are written atomically: into
//! a temporary file beside the target, then renamed over it, so a reader
//! never sees half a file, and a failure (a full disk, an interrupted run)
//! leaves what was there before.
//!
//! The one writer of the command line's output files: `pull -o`, `plan -o`,
//! `import adaptive -o`. (`fmt` rewrites policy files in place with its own
//! rules: `crate::fmt::write`.)

use std::io::{Read, Write};
use std::path::Path;

use super::output::{usage_error, Exit};

/// The bytes of the file at `path`, at most `max` of them. A larger file is
/// a usage error: "`PATH` is larger than N MiB", then `too_large` (what the
/// file was expected to be).
pub fn read_at_most(path: &Path, max: u64, too_large: &str) -> Result<Vec<u8>, Exit> {
    let cannot = |e: std::io::Error| usage_error(format!("cannot read `{}`: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.len() as u64 > max {
        return Err(usage_error(format!(
            "`{}` is larger than {} MiB{too_large}",
            path.display(),
            max >> 20
        )));
    }
    Ok(bytes)
}

/// Writes `bytes` to `path` whole or not at all. A new file is readable by
/// its owner only (a state file lists every user, a plan every change); an
/// existing one keeps its permissions.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".rolegraph-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    if let Ok(meta) = std::fs::metadata(path) {
        tmp.as_file().set_permissions(meta.permissions())?;
    }
    tmp.as_file().sync_all()?;
    // On failure the temporary file is removed when `persist`'s error drops.
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
