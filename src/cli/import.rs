//! `rolegraph import helm VALUES.yaml`: the `auth` block for a Helm values file.

use super::output::{format, json, note, print, usage_error, warning, CmdResult, Exit};
use super::{Cli, Format};
use crate::import::helm;
use crate::Policy;

/// A values file larger than this is refused: charts' are kilobytes, and
/// `/dev/zero` or a pipe that never ends must not be read until memory runs out.
const MAX_VALUES_BYTES: u64 = 16 * 1024 * 1024;

fn read_values(path: &std::path::Path) -> Result<String, Exit> {
    use std::io::Read;
    let cannot = |e: std::io::Error| usage_error(format!("cannot read `{}`: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    file.take(MAX_VALUES_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_VALUES_BYTES {
        return Err(usage_error(format!(
            "`{}` is larger than {} MiB; a values file is not",
            path.display(),
            MAX_VALUES_BYTES >> 20
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        usage_error(format!(
            "`{}` is not valid UTF-8 (first bad byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

pub fn helm(cli: &Cli, values: &std::path::Path) -> CmdResult {
    let fmt = format(cli, &[Format::Text, Format::Json], Format::Text)?;
    let yaml = read_values(values)?;
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
