//! `rolegraph import helm VALUES.yaml`: the `auth` block for a Helm values file.

use super::output::{format, json, note, print, usage_error, warning, CmdResult, Exit};
use super::{Cli, Format};
use crate::import::helm;
use crate::Policy;

pub fn helm(cli: &Cli, values: &std::path::Path) -> CmdResult {
    let fmt = format(cli, &[Format::Text, Format::Json], Format::Text)?;
    let yaml = std::fs::read_to_string(values)
        .map_err(|e| usage_error(format!("cannot read `{}`: {e}", values.display())))?;
    let mut auth =
        helm::parse(&yaml).map_err(|e| usage_error(format!("`{}`: {e}", values.display())))?;
    for key in &auth.ignored {
        note(format_args!(
            "ignoring `auth.{key}`: rolegraph does not model it"
        ));
    }
    // Names are checked against the policy when there is one that loads.
    if cli.policy.exists() {
        match Policy::load(&cli.policy) {
            Ok(policy) => auth.resolve(&policy.model),
            Err(e) => note(format_args!(
                "the policy at `{}` did not load ({e}); names are printed as written",
                cli.policy.display()
            )),
        }
    }
    for text in &auth.notes {
        if text.starts_with("unknown") {
            warning(text);
        } else {
            note(text);
        }
    }
    print(&match fmt {
        Format::Json => json(&auth),
        _ => auth.to_policy(),
    });
    Ok(Exit::Success)
}
