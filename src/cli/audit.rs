//! PLACEHOLDER: being written; replaced before this lands.

use super::output::{usage_error, CmdResult};
#[allow(unused_imports)]
use super::Cli;

pub fn run(_cli: &Cli, _fail: bool, _user: Option<&str>) -> CmdResult {
    Err(usage_error("not implemented yet"))
}
