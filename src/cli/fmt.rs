//! `rolegraph fmt [--check]`: rewrite policy files in the canonical layout.

use super::output::{
    format, load_sources, print, print_diagnostics, say, usage_error, CmdResult, Exit,
};
use super::{Cli, Format};
use crate::diagnostics;
use crate::fmt::{format_policy, replace_file};

pub fn run(cli: &Cli, check: bool) -> CmdResult {
    let fmt = format(cli, &[Format::Text, Format::Json], Format::Text)?;
    let sources = load_sources(cli)?;
    let mut changed = Vec::new();
    let mut refused = Vec::new();
    let mut unparsed = 0;
    let mut linked = 0;
    for (id, file) in sources.iter() {
        match format_policy(id, &file.text) {
            // `fmt` drops a byte-order mark, so a file that had one changes.
            Ok(formatted) if file.bom || formatted != *file.text => {
                if !check {
                    // Written to the file that was read (its real path, not
                    // the name shown), never through a link.
                    match &file.path {
                        Some(path) if !file.via_link => {
                            replace_file(path, &formatted).map_err(|e| {
                                usage_error(format!("cannot write `{}`: {e}", file.name))
                            })?
                        }
                        _ => {
                            linked += 1;
                            say(format_args!("error: `{}` is reached through a symbolic link; not formatted (format the file it points to)",
                                file.name
                            ));
                            continue;
                        }
                    }
                }
                changed.push(file.name.clone());
            }
            Ok(_) => {}
            Err(diag) => {
                unparsed += 1;
                if fmt == Format::Text {
                    print_diagnostics(&[diag], &sources, Format::Text);
                    say(format_args!(
                        "error: `{}` does not parse; not formatted",
                        file.name
                    ));
                } else {
                    refused.push(diag);
                }
            }
        }
    }
    if fmt == Format::Json {
        let value = serde_json::json!({
            "check": check,
            "changed": changed,
            "unparsed": diagnostics::to_json_value(&refused, &sources)["diagnostics"],
        });
        print(&super::output::json(&value));
    } else {
        let verb = if check { "would reformat" } else { "formatted" };
        for name in &changed {
            if check {
                print(&format!("{}\n", crate::escape::text(name)));
            } else {
                say(format_args!("{verb} {name}"));
            }
        }
        if check && !changed.is_empty() {
            say(format_args!(
                "{} file(s) would be reformatted; run `{}`",
                changed.len(),
                cli.hint("fmt")
            ));
        }
    }
    if unparsed > 0 || linked > 0 || (check && !changed.is_empty()) {
        Ok(Exit::Failure)
    } else {
        Ok(Exit::Success)
    }
}
