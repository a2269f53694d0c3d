//! `audit [--fail-on-escalation] [--user EMAIL]`: who can raise their own
//! access through actions the policy permits them (formats: text, json).

use super::output::{format, json, load_policy, note, print, CmdResult, Exit};
use super::{Cli, Format};
use crate::compile::Subject;

pub fn run(cli: &Cli, fail_on_escalation: bool, user: Option<&str>) -> CmdResult {
    let fmt = format(cli, &[Format::Text, Format::Json], Format::Text)?;
    let policy = load_policy(cli)?;
    let (model, matrix) = (&policy.model, &policy.matrix);
    let report = match user {
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
            crate::audit::audit_subjects(model, matrix, &[(name, subject)])
        }
    };
    match fmt {
        Format::Json => print(&json(&report)),
        _ => print(&report.to_text()),
    }
    Ok(if fail_on_escalation && report.any() {
        Exit::Failure
    } else {
        Exit::Success
    })
}
