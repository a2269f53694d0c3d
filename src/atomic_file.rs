//! The one way rolegraph writes a file: whole or not at all.
//!
//! `std::fs::write` and `File::create` truncate first, so a write that fails
//! half-way (a full disk, an interrupted run) leaves half a file: half a
//! policy that may still validate, half a plan, half a matrix. Here the
//! bytes go to a temporary file in the same directory, are synced, and the
//! temporary file is renamed over the target: a reader sees the old file or
//! the new one, never a part, and a failure leaves what was there before.
//!
//! Used by `fmt` (policy files rewritten in place), `compile -o`, `pull -o`,
//! `plan -o`, `import adaptive -o`, `init`, `audit --write-baseline` and
//! `man --dir`.

use std::io::{BufWriter, Write};
use std::path::Path;

/// Who may read a file that did not exist before (an existing file keeps
/// its permissions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NewFile {
    /// Its owner only: a state file lists every user, a plan every change.
    // Only the command line writes those.
    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
    Private,
    /// As any new file (the umask decides): policy text, a matrix.
    Shared,
}

/// Writes `bytes` to `path` whole or not at all; see [`write_with`].
pub(crate) fn write(path: &Path, bytes: &[u8], new: NewFile) -> std::io::Result<()> {
    write_with(path, new, |out| out.write_all(bytes))
}

/// Writes what `fill` writes to `path`, whole or not at all: if `fill` or
/// anything after it fails, `path` is left as it was.
///
/// An existing file keeps its permissions; a new one gets those `new`
/// says. Anything at `path` that is not a regular file (a
/// symbolic link, a directory, a device) is refused: rolegraph never writes
/// through a link.
pub(crate) fn write_with(
    path: &Path,
    new: NewFile,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let existing = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_file() => Some(meta.permissions()),
        Ok(_) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a regular file (a symbolic link?): not written",
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".rolegraph-").suffix(".tmp");
    // A temporary file is its owner's only; a shared one starts as any new
    // file does (the umask then applies).
    #[cfg(unix)]
    if new == NewFile::Shared {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    #[cfg(not(unix))]
    let _ = new;
    let temp = builder.tempfile_in(dir)?;
    let mut out = BufWriter::with_capacity(1 << 16, temp);
    fill(&mut out)?;
    let temp = out.into_inner().map_err(|e| e.into_error())?;
    if let Some(permissions) = existing {
        temp.as_file().set_permissions(permissions)?;
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_failed_fill_leaves_the_old_file_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        std::fs::write(&path, "old").unwrap();
        let err = write_with(&path, NewFile::Shared, |out| {
            out.write_all(b"half")?;
            Err(std::io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_new_file_is_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.json");
        write(&path, b"{}\n", NewFile::Private).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_file_keeps_its_permissions_and_a_link_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared.txt");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write(&path, b"new", NewFile::Private).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert!(write(&link, b"through", NewFile::Shared).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
    }
}
