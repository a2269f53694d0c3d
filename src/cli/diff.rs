//! `diff OLD NEW`: access granted and revoked between two policies, each a
//! path or `git:REV[:PATH]`; or, with OLD `adaptive:STATE.json`, between a
//! deployment (read through NEW) and NEW.

use globset::Glob;

use super::output::{
    format, json, note, policy_from_sources, print, say, until_exit, usage_error, CmdResult, Exit,
};
use super::{Cli, Format};
use crate::adaptive::as_policy;
use crate::diff::{self, git, Diff};
use crate::Policy;

/// The OLD side that names a deployment's state file.
const ADAPTIVE: &str = "adaptive:";

pub fn run(cli: &Cli, old: &str, new: &str, fail_on_grant: Option<&str>, audit: bool) -> CmdResult {
    let fmt = format(
        cli,
        &[Format::Text, Format::Json, Format::Markdown],
        Format::Text,
    )?;
    let glob = match fail_on_grant {
        Some(g) => Some(
            Glob::new(g)
                .map_err(|e| usage_error(format!("invalid `--fail-on-grant` glob `{g}`: {e}")))?
                .compile_matcher(),
        ),
        None => None,
    };
    if let Some(state) = old.strip_prefix(ADAPTIVE) {
        return adaptive(cli, state, new, fmt, glob.as_ref(), fail_on_grant, audit);
    }
    // Read both before checking either, so a bad revision is reported as a
    // usage error whatever the other side holds.
    let old_sources = read(cli, old)?;
    let new_sources = read(cli, new)?;
    let old_policy = check(cli, "old", old, old_sources);
    let new_policy = check(cli, "new", new, new_sources);
    let (Some(old_policy), Some(new_policy)) = (old_policy, new_policy) else {
        return Ok(Exit::Failure);
    };

    let mut d = diff::diff(&old_policy, &new_policy);
    d.audit = audit.then(|| audit_diff(&old_policy, &new_policy));
    report(&d, &[], fmt, glob.as_ref(), fail_on_grant)
}

/// The escalation paths NEW has and OLD has not, and the reverse.
fn audit_diff(old: &Policy, new: &Policy) -> crate::audit::AuditDiff {
    let report = |p: &Policy| crate::audit::audit(&p.model, &p.matrix);
    crate::audit::compare(&report(old), &report(new))
}

/// `diff adaptive:STATE.json NEW`: the deployment as it is against NEW.
fn adaptive(
    cli: &Cli,
    state: &str,
    new: &str,
    fmt: Format,
    glob: Option<&globset::GlobMatcher>,
    fail_on_grant: Option<&str>,
    audit: bool,
) -> CmdResult {
    if new.starts_with(ADAPTIVE) {
        return Err(usage_error(
            "`diff adaptive:STATE.json NEW` compares a deployment with a policy: NEW must be a policy path or `git:REV[:PATH]`",
        ));
    }
    let state = until_exit(super::plan::read_state(std::path::Path::new(state))?);
    let new_sources = read(cli, new)?;
    let Some(new_policy) = check(cli, "new", new, new_sources) else {
        return Ok(Exit::Failure);
    };
    let sides = until_exit(as_policy::diff_sides(state, &new_policy));
    for text in &sides.notes {
        note(text);
    }
    let new_side = sides.new.as_ref().unwrap_or(&new_policy);
    let mut d = diff::diff(&sides.old, new_side);
    d.audit = audit.then(|| audit_diff(&sides.old, new_side));
    report(&d, &sides.notes, fmt, glob, fail_on_grant)
}

/// A diff as JSON with the notes of `diff adaptive:` beside its rows; the
/// key is left out when there are none, so a policy diff reads as before.
#[derive(serde::Serialize)]
struct WithNotes<'a> {
    #[serde(flatten)]
    diff: &'a Diff,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
}

/// Prints a diff and its `notes` (JSON and Markdown carry them; text has
/// them on stderr already); exit 1 when a granted row matches
/// `--fail-on-grant`, or (`--audit`) the change introduces an escalation path.
fn report(
    d: &Diff,
    notes: &[String],
    fmt: Format,
    glob: Option<&globset::GlobMatcher>,
    fail_on_grant: Option<&str>,
) -> CmdResult {
    match fmt {
        Format::Json => print(&json(&WithNotes { diff: d, notes })),
        Format::Markdown => {
            let mut md = diff::to_markdown(d);
            diff::append_notes_markdown(&mut md, notes);
            print(&md)
        }
        _ => print(&diff::to_text(d)),
    }
    let mut failed = false;
    if let Some(glob) = glob {
        let hits = diff::matching(&d.granted, glob);
        if let Some(first) = hits.first() {
            say(format_args!(
                "error: {} granted row(s) match `--fail-on-grant {}`, e.g. {} {} on {}",
                hits.len(),
                fail_on_grant.unwrap_or_default(),
                first.user,
                first.permission,
                first.scope
            ));
            failed = true;
        }
    }
    let introduced = d.audit.as_ref().map_or(&[][..], |a| &a.introduced[..]);
    if let Some(first) = introduced.first() {
        say(format_args!(
            "error: the change introduces {} escalation path(s), e.g. `{}` (finding {}): see the audit section",
            introduced.len(),
            first.user,
            first.id
        ));
        failed = true;
    }
    Ok(if failed { Exit::Failure } else { Exit::Success })
}

fn read(cli: &Cli, spec: &str) -> Result<crate::source::Sources, Exit> {
    git::load(&git::Origin::parse(spec, &cli.policy)).map_err(usage_error)
}

/// The compiled policy, or `None` after printing its errors.
fn check(cli: &Cli, side: &str, spec: &str, sources: crate::source::Sources) -> Option<Policy> {
    match policy_from_sources(cli, sources) {
        Ok(p) => Some(p),
        Err(_) => {
            say(format_args!(
                "error: the {side} policy (`{spec}`) has errors"
            ));
            None
        }
    }
}
