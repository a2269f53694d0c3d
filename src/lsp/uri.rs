//! File paths <-> `file:` URIs.
//!
//! Editors name documents by URI; the policy is read from paths. A URI the
//! editor sent is kept as it spelt it (clients differ in what they
//! percent-encode), and a path is turned into a URI only for files the
//! editor has not opened.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::Uri;

/// The local path a `file:` URI names, or `None` for any other URI.
pub fn to_path(uri: &Uri) -> Option<PathBuf> {
    let scheme = uri.scheme()?;
    if !scheme.as_str().eq_ignore_ascii_case("file") {
        return None;
    }
    let bytes = uri.path().as_estr().decode().into_bytes();
    let path = path_from_bytes(&bytes)?;
    path.is_absolute().then_some(path)
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> Option<PathBuf> {
    // `/C:/dir/file.policy` on Windows.
    let text = std::str::from_utf8(bytes).ok()?;
    let text = match text.as_bytes() {
        [b'/', _, b':', ..] => &text[1..],
        _ => text,
    };
    Some(PathBuf::from(text))
}

/// The `file:` URI of an absolute path: every byte but the unreserved
/// characters and `/` percent-encoded.
pub fn from_path(path: &Path) -> Option<Uri> {
    let text = path.to_str()?.replace('\\', "/");
    let mut uri = String::with_capacity(text.len() + 8);
    uri.push_str("file://");
    if !text.starts_with('/') {
        uri.push('/'); // `C:/…`
    }
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            uri.push(b as char);
        } else if b == b':' && uri.len() <= 10 {
            uri.push(':'); // a drive letter
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&uri).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn round_trip_with_odd_characters() {
        for p in [
            "/tmp/a b/é#1.policy",
            "/x/%41.policy",
            "/plain/teams.policy",
        ] {
            let uri = from_path(Path::new(p)).unwrap();
            assert_eq!(to_path(&uri).unwrap(), PathBuf::from(p), "{}", uri.as_str());
        }
    }

    #[test]
    fn other_schemes_are_no_path() {
        let uri = Uri::from_str("untitled:Untitled-1").unwrap();
        assert_eq!(to_path(&uri), None);
        let uri = Uri::from_str("file:///a/B%20c.policy").unwrap();
        assert_eq!(to_path(&uri).unwrap(), PathBuf::from("/a/B c.policy"));
    }
}
