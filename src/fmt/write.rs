//! Rewriting a policy file in place without ever losing it.
//!
//! In: the path of a regular file and its new text. Out: the file replaced
//! whole, or left exactly as it was. `std::fs::write` truncates first, so a
//! write that fails half-way (a full disk) leaves half a file — half a
//! policy that may still validate. Here the text goes to a temporary file in
//! the same directory, is synced, and is renamed over the original: a reader
//! sees the old file or the new one, never a part.

use std::io::Write;
use std::path::Path;

/// Replaces the regular file at `path` with `text`, keeping its permissions.
/// A symbolic link (or anything else not a regular file) at `path` is
/// refused: `fmt` never writes through a link.
pub fn replace_file(path: &Path, text: &str) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.file_type().is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a symbolic link?): not rewritten",
        ));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".rolegraph-fmt-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(text.as_bytes())?;
    temp.as_file().set_permissions(meta.permissions())?;
    temp.as_file().sync_all()?;
    // On failure the temporary file is removed when `persist`'s error drops.
    temp.persist(path).map_err(|e| e.error)?;
    // The rename is durable once the directory is synced; a platform that
    // cannot open a directory has nothing to sync.
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}
