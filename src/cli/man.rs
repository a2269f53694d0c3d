//! `rolegraph man`: the man pages, one per command, generated from the clap
//! definition so they never drift from the real flags. `rolegraph(1)` is the
//! index and names `rolegraph-can(1)` and the others; each page ends with
//! the command's EXAMPLES and EXIT STATUS, from its `--help` (`examples.rs`).

use std::path::Path;

use clap::CommandFactory;

use super::examples::{EXAMPLES, EXIT_STATUS};
use super::output::{print, say, usage_error, CmdResult, Exit};
use super::Cli;
use crate::atomic_file::{self, NewFile};

/// One man page: its name (`rolegraph-import-helm`) and its roff text.
pub struct Page {
    pub name: String,
    pub roff: String,
}

/// `rolegraph man [COMMAND…]` prints one page; `--dir DIR` writes them all.
pub fn run(command: &[String], dir: Option<&Path>) -> CmdResult {
    let pages = pages().map_err(|e| usage_error(format!("cannot render the man pages: {e}")))?;
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| usage_error(format!("cannot create `{}`: {e}", dir.display())))?;
        for page in &pages {
            let path = dir.join(format!("{}.1", page.name));
            atomic_file::write(&path, page.roff.as_bytes(), NewFile::Shared)
                .map_err(|e| usage_error(format!("cannot write `{}`: {e}", path.display())))?;
        }
        say(format_args!(
            "wrote {} man pages to `{}`",
            pages.len(),
            dir.display()
        ));
        return Ok(Exit::Success);
    }
    let wanted = std::iter::once("rolegraph")
        .chain(command.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("-");
    match pages.into_iter().find(|p| p.name == wanted) {
        Some(page) => {
            print(&page.roff);
            Ok(Exit::Success)
        }
        None => Err(usage_error(format!(
            "no man page for `{}`: `rolegraph man --dir DIR` writes every page",
            command.join(" ")
        ))),
    }
}

/// Every page: `rolegraph` first, then each visible command and
/// subcommand, depth first.
pub fn pages() -> std::io::Result<Vec<Page>> {
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let mut out = Vec::new();
    collect(&root, "rolegraph", &mut out)?;
    Ok(out)
}

fn collect(cmd: &clap::Command, name: &str, out: &mut Vec<Page>) -> std::io::Result<()> {
    out.push(Page {
        name: name.to_owned(),
        roff: render(cmd, name)?,
    });
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, &format!("{name}-{}", sub.get_name()), out)?;
    }
    Ok(())
}

/// clap_mangen's page, with EXAMPLES and EXIT STATUS from the help's
/// closing text in place of its one "EXTRA" section.
fn render(cmd: &clap::Command, name: &str) -> std::io::Result<String> {
    let source = format!("rolegraph {}", env!("CARGO_PKG_VERSION"));
    let man = clap_mangen::Man::new(cmd.clone().display_name(name))
        .title(name.to_uppercase())
        .source(source);
    let mut roff = Vec::new();
    man.render(&mut roff)?;
    let text = String::from_utf8_lossy(&roff).into_owned();
    let Some(after) = cmd.get_after_help() else {
        return Ok(text);
    };
    let sections = closing_sections(&after.to_string());
    Ok(match text.find(".SH EXTRA\n") {
        Some(start) => {
            let rest = &text[start + 1..];
            let end = rest
                .find("\n.SH ")
                .map_or(text.len(), |e| start + 1 + e + 1);
            format!("{}{sections}{}", &text[..start], &text[end..])
        }
        None => text + &sections,
    })
}

/// The help's `Examples:` and `Exit status:` blocks as roff sections, their
/// lines kept as written.
fn closing_sections(after_help: &str) -> String {
    let mut out = String::new();
    let mut open = false;
    for line in after_help.lines() {
        let heading = match line {
            l if l == EXAMPLES => Some(".SH EXAMPLES"),
            l if l == EXIT_STATUS => Some(".SH \"EXIT STATUS\""),
            _ => None,
        };
        if let Some(heading) = heading {
            if open {
                out.push_str(".fi\n");
            }
            out.push_str(heading);
            out.push_str("\n.nf\n");
            open = true;
        } else if open && !line.trim().is_empty() {
            out.push_str(&roff_line(line.strip_prefix("  ").unwrap_or(line)));
            out.push('\n');
        }
    }
    if open {
        out.push_str(".fi\n");
    }
    out
}

/// A line of text as roff reads it literally.
fn roff_line(line: &str) -> String {
    let escaped = line.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}
