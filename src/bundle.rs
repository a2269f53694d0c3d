//! A checked policy saved for fast loading (`compile --format bundle`).
//!
//! In: the [`Model`] of a policy with no errors. Out: bytes — a header line,
//! the version line of the rolegraph that wrote them, the model in postcard
//! (without its name tables, which are rebuilt), then the CRC-32 of all
//! that — and back. Loading a bundle skips reading,
//! parsing, resolving and linting: the model comes back as it was checked,
//! sources included (for `explain`'s file:line), and is compiled again, which
//! takes milliseconds.
//!
//! A bundle is a build artifact, like an OPA bundle: it is read only by the
//! rolegraph version that wrote it (another asks for a rebuild), and the
//! checksum turns a truncated or damaged file into an error. It is trusted as
//! the policy it was built from is (SECURITY.md).

use crate::resolve::Model;

/// The first line of every bundle.
const MAGIC: &[u8] = b"rolegraph bundle\n";
const VERSION: &str = env!("CARGO_PKG_VERSION");
const CHECKSUM_LEN: usize = 4;

/// A bundle is checked for damage (a truncated download, a flipped bit), not
/// for forgery, so CRC-32 rather than SHA-256, which took 22 ms of the
/// 0.14 s that loading M's bundle took.
fn checksum(bytes: &[u8]) -> [u8; CHECKSUM_LEN] {
    crc32fast::hash(bytes).to_le_bytes()
}

/// Why bytes are not a bundle this rolegraph can load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("it was built by rolegraph {0} and this is rolegraph {VERSION}: rebuild it with `rolegraph compile --format bundle -o FILE`")]
    OtherVersion(String),
    #[error("it is damaged (its checksum does not match): rebuild it with `rolegraph compile --format bundle -o FILE`")]
    Damaged,
    #[error("it could not be written: {0}")]
    Encode(String),
}

/// Whether the file at `path` is a bundle: a file (not a directory) that
/// starts like one. Unreadable files are left to the loader to report.
pub fn is_bundle_file(path: &std::path::Path) -> bool {
    use std::io::Read;
    let mut head = [0; MAGIC.len()];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| head == MAGIC)
}

/// The bundle of a checked model.
pub(crate) fn write(model: &Model) -> Result<Vec<u8>, BundleError> {
    let mut bytes = [MAGIC, VERSION.as_bytes(), b"\n"].concat();
    bytes = postcard::to_extend(model, bytes).map_err(|e| BundleError::Encode(e.to_string()))?;
    bytes.extend_from_slice(&checksum(&bytes));
    Ok(bytes)
}

/// The model saved in a bundle, its name tables still empty:
/// [`crate::Policy::from_bundle`] indexes them while it compiles the matrix.
pub(crate) fn read(bytes: &[u8]) -> Result<Model, BundleError> {
    let rest = bytes.strip_prefix(MAGIC).ok_or(BundleError::Damaged)?;
    let line_end = rest
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(BundleError::Damaged)?;
    let version = String::from_utf8_lossy(&rest[..line_end]);
    if version != VERSION {
        return Err(BundleError::OtherVersion(version.into_owned()));
    }
    let body_len = bytes
        .len()
        .checked_sub(CHECKSUM_LEN)
        .ok_or(BundleError::Damaged)?;
    let (body, saved) = bytes.split_at(body_len);
    if checksum(body) != saved {
        return Err(BundleError::Damaged);
    }
    let payload = body
        .get(MAGIC.len() + line_end + 1..)
        .ok_or(BundleError::Damaged)?;
    postcard::from_bytes(payload).map_err(|_| BundleError::Damaged)
}
