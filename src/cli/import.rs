//! `rolegraph import helm VALUES.yaml`: the `auth` block for a Helm values
//! file; `rolegraph import adaptive STATE.json`: policy files for a deployment.

use std::path::Path;

use super::files::read_at_most;
use super::output::{
    format, json, note, print, print_diagnostics, say, usage_error, warning, CmdResult, Exit,
};
use super::{Cli, Format};
use crate::atomic_file::{self, NewFile};
use crate::diagnostics::{self, Diagnostic};
use crate::import::{adaptive, helm};
use crate::resolve;
use crate::source::Sources;
use crate::Policy;

/// A values file larger than this is refused: charts' are kilobytes, and
/// `/dev/zero` or a pipe that never ends must not be read until memory runs out.
const MAX_VALUES_BYTES: u64 = 16 * 1024 * 1024;

fn read_values(path: &std::path::Path) -> Result<String, Exit> {
    let bytes = read_at_most(path, MAX_VALUES_BYTES, "; a values file is not")?;
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

/// `rolegraph import adaptive STATE.json [-o DIR] [--helm values.yaml]`:
/// policy files that describe a deployment, checked after they are written.
pub fn adaptive(
    cli: &Cli,
    state: &Path,
    output: Option<&Path>,
    values: Option<&Path>,
) -> CmdResult {
    format(cli, &[Format::Text], Format::Text)?;
    let state = super::plan::read_state(state)?;
    let auth = match values {
        Some(values) => {
            let yaml = std::fs::read_to_string(values)
                .map_err(|e| usage_error(format!("cannot read `{}`: {e}", values.display())))?;
            let auth = helm::parse(&yaml)
                .map_err(|e| usage_error(format!("`{}`: {e}", values.display())))?;
            for key in &auth.ignored {
                note(format_args!(
                    "ignoring `auth.{key}`: rolegraph does not model it"
                ));
            }
            Some(auth)
        }
        None => None,
    };
    if let Some(dir) = output {
        refuse_non_empty(dir)?;
    }
    let imported = adaptive::import(&state, auth.as_ref()).map_err(usage_error)?;
    let mut sources = Sources::default();
    match output {
        None => {
            print(&imported.joined());
            for (name, text) in &imported.files {
                sources.add(name.clone(), text);
            }
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| usage_error(format!("cannot create `{}`: {e}", dir.display())))?;
            for (name, text) in &imported.files {
                let path = dir.join(name);
                atomic_file::write(&path, text.as_bytes(), NewFile::Shared)
                    .map_err(|e| usage_error(format!("cannot write `{}`: {e}", path.display())))?;
                sources.add(path.display().to_string(), text);
            }
            say(format_args!(
                "wrote {} policy files to `{}`",
                imported.files.len(),
                dir.display()
            ));
        }
    }
    for text in &imported.notes {
        note(text);
    }
    // Checked after writing: a deployment may hold what a policy may not (a
    // project without an owner share), and the files show where.
    let checked = resolve::check(sources);
    let validate = match output {
        Some(dir) => super::hint_for(dir, "validate"),
        None => "rolegraph --policy FILE validate".to_string(),
    };
    let errors: Vec<Diagnostic> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    if !errors.is_empty() {
        print_diagnostics(&errors, &checked.sources, Format::Text);
        say(format_args!("error: the imported policy does not validate ({}): fix the files (or the deployment), then run `{validate}`",
            diagnostics::summary(&errors)
        ));
        return Ok(Exit::Failure);
    }
    let warnings = checked.diagnostics.len();
    if warnings > 0 {
        note(format_args!(
            "the imported policy has {warnings} warning(s): `{validate}` shows them"
        ));
    }
    Ok(Exit::Success)
}

/// Import writes only into a new or empty directory: its files would
/// otherwise meet policy files already there (duplicate definitions, or a
/// silent mix of two policies).
fn refuse_non_empty(dir: &Path) -> Result<(), Exit> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(usage_error(format!(
                    "`{}` is not empty: import into a new or empty directory",
                    dir.display()
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(usage_error(format!("cannot use `{}`: {e}", dir.display()))),
    }
}
