//! `validate`, `test` and `compile`.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::output::{
    self, format, load_policy, load_sources, print, print_diagnostics, say, CmdResult, Exit,
};
use super::{Cli, Format};
use crate::diagnostics::{self, Severity};
use crate::resolve;
use crate::testing;

pub fn validate(cli: &Cli, deny_warnings: bool) -> CmdResult {
    let fmt = format(
        cli,
        &[Format::Text, Format::Json, Format::Github],
        Format::Text,
    )?;
    let sources = load_sources(cli)?;
    let files = sources.files.len();
    let checked = output::until_exit(resolve::check(sources));
    print_diagnostics(&checked.diagnostics, &checked.sources, fmt);
    let errors = checked.has_errors();
    let warnings = checked
        .diagnostics
        .iter()
        .any(|d| d.severity() == Severity::Warning);
    if fmt == Format::Text {
        let what = match &checked.model {
            Some(m) => format!(
                "{files} file(s), {} roles, {} teams, {} users, {} resources",
                m.roles.len(),
                m.teams.len(),
                m.users.len(),
                m.resources.len()
            ),
            None => format!("{files} file(s)"),
        };
        let verdict = if errors { "invalid" } else { "valid" };
        say(format_args!(
            "{}: {verdict}: {what}; {}",
            cli.policy.display(),
            diagnostics::summary(&checked.diagnostics)
        ));
    }
    Ok(if errors || (deny_warnings && warnings) {
        Exit::Failure
    } else {
        Exit::Success
    })
}

pub fn test(cli: &Cli, coverage: bool, coverage_min: Option<f64>) -> CmdResult {
    let fmt = format(cli, &[Format::Text, Format::Json], Format::Text)?;
    let policy = load_policy(cli)?;
    if fmt == Format::Text {
        print_diagnostics(&policy.warnings, &policy.model.sources, fmt);
    }
    let report = testing::run(policy, coverage || coverage_min.is_some());
    match fmt {
        Format::Json => print(&output::json(&report)),
        _ => print(&report.to_text()),
    }
    let below = match (coverage_min, &report.coverage) {
        (Some(min), Some(c)) if c.percent < min => {
            say(format_args!(
                "error: coverage {:.1}% is below the required {min:.1}%",
                c.percent
            ));
            true
        }
        _ => false,
    };
    Ok(if report.success() && !below {
        Exit::Success
    } else {
        Exit::Failure
    })
}

/// `--coverage-min`: a percentage from 0 to 100. `NaN` compares false with
/// everything, so it would turn the gate off; `150` could never be met.
pub fn parse_percent(text: &str) -> Result<f64, String> {
    let pct: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number; give a percentage from 0 to 100"))?;
    if (0.0..=100.0).contains(&pct) {
        Ok(pct)
    } else {
        Err(format!("`{text}` is not a percentage from 0 to 100"))
    }
}

pub fn compile(cli: &Cli, output: Option<&Path>) -> CmdResult {
    let fmt = format(
        cli,
        &[Format::Json, Format::Lines, Format::Bundle],
        Format::Json,
    )?;
    if fmt == Format::Bundle && output.is_none() {
        return Err(output::usage_error(
            "a bundle is binary: write it to a file with `-o FILE`",
        ));
    }
    let policy = load_policy(cli)?;
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        match fmt {
            Format::Bundle => out.write_all(&policy.to_bundle().map_err(std::io::Error::other)?),
            Format::Lines => policy.write_compiled_lines(out),
            _ => policy.write_compiled_json(out),
        }?;
        out.flush()
    };
    let written = match output {
        Some(path) => std::fs::File::create(path)
            .and_then(|file| write(&mut BufWriter::with_capacity(1 << 16, file))),
        // A reader that stops early (`compile | head`) is not an error.
        None => match write(&mut BufWriter::with_capacity(
            1 << 16,
            std::io::stdout().lock(),
        )) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        },
    };
    written.map_err(|e| {
        let to = output.map_or("standard output".to_string(), |p| {
            format!("`{}`", p.display())
        });
        output::usage_error(format!("cannot write {to}: {e}"))
    })?;
    Ok(Exit::Success)
}
