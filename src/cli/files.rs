//! Files the command line reads whole. They are read up to a limit, so
//! `/dev/zero` or a pipe that never ends is refused instead of read until
//! memory runs out. (Every file the command line writes goes through
//! `crate::atomic_file`: whole or not at all.)

use std::io::Read;
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
