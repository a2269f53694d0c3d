//! PLACEHOLDER: being written; replaced before this lands.

use super::output::{usage_error, CmdResult};
#[allow(unused_imports)]
use super::Cli;

pub fn completions(_shell: clap_complete::Shell) -> CmdResult {
    Err(usage_error("not implemented yet"))
}

pub fn man() -> CmdResult {
    Err(usage_error("not implemented yet"))
}
