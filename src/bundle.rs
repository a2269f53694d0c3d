//! A checked policy saved for fast loading (`compile --format bundle`).
//!
//! In: the [`Model`] of a policy with no errors, and its warnings. Out:
//! bytes — a header line, the line of the rolegraph build that wrote them,
//! the model and warnings in postcard (without the model's name tables,
//! which are rebuilt), then the CRC-32 of all that — and back. Loading a
//! bundle skips reading, parsing, resolving and linting: the model comes
//! back as it was checked, sources included (for `explain`'s file:line), and
//! is compiled again, which takes milliseconds.
//!
//! A bundle is a build artifact, like an OPA bundle: it is read only by a
//! rolegraph of the same version and model layout as the one that wrote it
//! (another asks for a rebuild), and the checksum turns a truncated or
//! damaged file into an error. The checksum guards against accidents, not
//! forgery, so a bundle is not trusted either: the decoded model is checked
//! ([`check`]) — every id, length and span, and every derived table — before
//! anything reads it. Whatever its bytes, a bundle loads as a model
//! rolegraph could have written, or it is refused (SECURITY.md).

mod check;

use serde::{Deserialize, Serialize};

use crate::diagnostics::Diagnostic;
use crate::resolve::Model;

/// The first line of every bundle. `0xFF` is never in UTF-8, so no policy
/// text starts like a bundle.
const MAGIC: &[u8] = b"\xffrolegraph bundle\n";
const VERSION: &str = env!("CARGO_PKG_VERSION");
const CHECKSUM_LEN: usize = 4;

/// The build line: the version, and a fingerprint of the source of every
/// type a bundle holds, so that a build whose model differs (a development
/// build between two releases) never reads another's bundle as its own.
fn build_line() -> String {
    let layout = [
        include_str!("resolve/model.rs"),
        include_str!("source.rs"),
        include_str!("diagnostics.rs"),
        include_str!("bundle.rs"),
    ]
    .concat();
    format!("{VERSION} model {:08x}", crc32fast::hash(layout.as_bytes()))
}

/// What a bundle holds, as written and as read (postcard writes fields in
/// order, so the two agree).
#[derive(Serialize)]
struct Saving<'a> {
    model: &'a Model,
    warnings: &'a [Diagnostic],
}

#[derive(Deserialize)]
pub(crate) struct Saved {
    pub model: Model,
    pub warnings: Vec<Diagnostic>,
}

/// A bundle is checked for damage (a truncated download, a flipped bit), not
/// for forgery, so CRC-32 rather than SHA-256, which took 22 ms of the
/// 0.14 s that loading M's bundle took.
fn checksum(bytes: &[u8]) -> [u8; CHECKSUM_LEN] {
    crc32fast::hash(bytes).to_le_bytes()
}

/// Why bytes are not a bundle this rolegraph can load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("it was built by rolegraph {0}, and this is rolegraph {1}: rebuild it with `rolegraph compile --format bundle -o FILE`")]
    OtherVersion(String, String),
    #[error("it is damaged (cut short, or changed since it was written): rebuild it with `rolegraph compile --format bundle -o FILE`")]
    Damaged,
    /// The checksum matches, but the contents are not a model rolegraph
    /// writes: forged, or written by a broken build.
    #[error("it is not a valid bundle ({0}): rebuild it with `rolegraph compile --format bundle -o FILE`")]
    Invalid(String),
    #[error("it could not be written: {0}")]
    Encode(String),
}

/// Whether the file at `path` is a bundle: a regular file (not a directory,
/// and not a pipe, whose first bytes a look would use up) that starts like
/// one. Unreadable files are left to the loader to report.
pub(crate) fn is_bundle_file(path: &std::path::Path) -> bool {
    use std::io::Read;
    let mut head = [0; MAGIC.len()];
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
        && std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok_and(|()| head == MAGIC)
}

/// The bundle of a checked model and its warnings.
pub(crate) fn write(model: &Model, warnings: &[Diagnostic]) -> Result<Vec<u8>, BundleError> {
    let mut bytes = [MAGIC, build_line().as_bytes(), b"\n"].concat();
    bytes = postcard::to_extend(&Saving { model, warnings }, bytes)
        .map_err(|e| BundleError::Encode(e.to_string()))?;
    bytes.extend_from_slice(&checksum(&bytes));
    Ok(bytes)
}

/// The model and warnings saved in a bundle, the model's name tables still
/// empty: [`crate::Policy::from_bundle`] indexes them while it compiles the
/// matrix.
pub(crate) fn read(bytes: &[u8]) -> Result<Saved, BundleError> {
    let rest = bytes.strip_prefix(MAGIC).ok_or(BundleError::Damaged)?;
    let line_end = rest
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(BundleError::Damaged)?;
    let built_by = String::from_utf8_lossy(&rest[..line_end]);
    let ours = build_line();
    if built_by != ours {
        return Err(BundleError::OtherVersion(built_by.into_owned(), ours));
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
    let mut saved: Saved = match postcard::take_from_bytes(payload) {
        Ok((saved, [])) => saved,
        Ok(_) => return Err(BundleError::Invalid("bytes follow the model".into())),
        Err(e) => return Err(BundleError::Invalid(format!("it does not decode: {e}"))),
    };
    // The line tables are rebuilt on one core while the model is checked on
    // the others (the check reads the texts, never the tables).
    let (files, checked) = std::thread::scope(|scope| {
        let files = scope.spawn(|| check::reindexed(&saved.model.sources));
        let checked = check::check(&saved.model, &saved.warnings);
        (files.join(), checked)
    });
    checked.map_err(BundleError::Invalid)?;
    saved.model.sources.files = files.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    Ok(saved)
}

/// `payload` framed as a bundle of this build: the header lines before it
/// and the checksum after. For the `bundle` fuzz target and tests, which
/// forge payloads past the checksum to reach the decoder and [`check`].
#[doc(hidden)]
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut bytes = [MAGIC, build_line().as_bytes(), b"\n", payload].concat();
    bytes.extend_from_slice(&checksum(&bytes));
    bytes
}

/// The payload of a bundle: what [`frame`] wraps.
#[doc(hidden)]
pub fn payload(bundle: &[u8]) -> Option<&[u8]> {
    let rest = bundle.strip_prefix(MAGIC)?;
    let line_end = rest.iter().position(|&b| b == b'\n')?;
    rest.get(line_end + 1..rest.len().checked_sub(CHECKSUM_LEN)?)
}
