//! `audit [--fail-on-escalation] [--user EMAIL] [--baseline FILE]
//! [--write-baseline FILE]`: who can raise their own access through actions
//! the policy permits them (formats: text, json).

use std::path::Path;

use super::output::{format, json, load_policy, note, print, say, usage_error, CmdResult, Exit};
use super::{Cli, Format};
use crate::atomic_file::{self, NewFile};
use crate::audit::{baseline, Baseline};
use crate::compile::Subject;

pub struct Args<'a> {
    pub fail_on_escalation: bool,
    pub user: Option<&'a str>,
    pub baseline: Option<&'a Path>,
    pub write_baseline: Option<&'a Path>,
}

pub fn run(cli: &Cli, args: &Args) -> CmdResult {
    let fmt = format(cli, &[Format::Text, Format::Json], Format::Text)?;
    let policy = load_policy(cli)?;
    let accepted = match args.baseline {
        Some(path) => Some(Baseline::read(path, &cli.policy).map_err(usage_error)?),
        None => None,
    };
    let (model, matrix) = (&policy.model, &policy.matrix);
    let mut audited = None;
    let mut report = match args.user {
        None => crate::audit::audit(model, matrix),
        Some(email) => {
            let subject = policy.subject(email);
            let name = match subject {
                Subject::NewLogin if email != "*" => {
                    if fmt == Format::Text {
                        note(format_args!(
                            "`{email}` is declared nowhere: audited as a new login"
                        ));
                    }
                    crate::resolve::fold_email(email)
                }
                _ => subject.label(model).to_string(),
            };
            audited = Some(name.clone());
            crate::audit::audit_subjects(model, matrix, &[(name, subject)])
        }
    };
    if let (Some(accepted), Some(path)) = (&accepted, args.baseline) {
        let file = path.display().to_string();
        report.baseline = Some(accepted.compare(&report, &file, audited.as_deref()));
    }
    if let Some(path) = args.write_baseline {
        write(cli, path, &report)?;
    }
    match fmt {
        Format::Json => print(&json(&report)),
        _ => print(&report.to_text()),
    }
    let failing = report.failing();
    if args.write_baseline.is_some() || !args.fail_on_escalation || failing.is_empty() {
        return Ok(Exit::Success);
    }
    let what = if report.baseline.is_some() {
        "not in the baseline"
    } else {
        "untrusted"
    };
    say(format_args!(
        "error: {} escalation path(s) {what}, e.g. `{}` (finding {})",
        failing.len(),
        failing[0].user,
        failing[0].id
    ));
    Ok(Exit::Failure)
}

/// Writes the baseline that accepts every untrusted finding, atomically.
fn write(cli: &Cli, path: &Path, report: &crate::audit::Report) -> Result<(), Exit> {
    let cannot = |why: String| usage_error(format!("cannot write `{}`: {why}", path.display()));
    let policy = baseline::relative_policy_path(path, &cli.policy)
        .ok_or_else(|| cannot("its directory does not exist".to_string()))?;
    let bytes = Baseline::of(report, policy).to_bytes();
    atomic_file::write(path, &bytes, NewFile::Shared).map_err(|e| cannot(e.to_string()))?;
    note(format_args!(
        "wrote {} finding(s) to `{}`: they no longer fail `--fail-on-escalation` with `--baseline {}`",
        report.escalations.len(),
        path.display(),
        path.display()
    ));
    Ok(())
}
