//! `rolegraph export helm`: the `auth:` section of a Helm values file.

use super::output::{format, load_policy, print, CmdResult, Exit};
use super::{Cli, Format};
use crate::export::helm;

pub fn helm(cli: &Cli) -> CmdResult {
    format(cli, &[Format::Text], Format::Text)?;
    let policy = load_policy(cli)?;
    print(&helm::to_yaml(&policy.model));
    Ok(Exit::Success)
}
