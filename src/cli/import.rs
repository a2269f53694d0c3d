//! PLACEHOLDER: being written; replaced before this lands.

use super::output::{usage_error, CmdResult};
#[allow(unused_imports)]
use super::Cli;

pub fn helm(_cli: &Cli, _values: &std::path::Path) -> CmdResult {
    Err(usage_error("not implemented yet"))
}
