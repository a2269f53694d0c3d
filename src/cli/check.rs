//! `validate`, `test` and `compile`.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::output::{
    self, format, load_policy, load_sources, print, print_diagnostics, say, warning, CmdResult,
    Exit,
};
use super::{Cli, Format};
use crate::diagnostics::{self, Severity};
use crate::resolve;
use crate::testing;

pub fn validate(cli: &Cli, deny_warnings: bool) -> CmdResult {
    let fmt = format(
        cli,
        &[Format::Text, Format::Json, Format::Github, Format::Sarif],
        Format::Text,
    )?;
    let sources = load_sources(cli)?;
    let files = sources.files.len();
    let checked = output::until_exit(resolve::check(sources));
    if fmt == Format::Sarif {
        let base = std::env::current_dir().ok();
        print(&diagnostics::sarif::render(
            &checked.diagnostics,
            &checked.sources,
            base.as_deref(),
        ));
    } else {
        print_diagnostics(&checked.diagnostics, &checked.sources, fmt);
    }
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
    let fmt = format(
        cli,
        &[Format::Text, Format::Json, Format::Junit, Format::Lcov],
        Format::Text,
    )?;
    let policy = match load_policy(cli) {
        // A test report that says why no test ran, rather than no report.
        Err(Exit::Failure) if fmt == Format::Junit => {
            print(&testing::junit::render_policy_errors());
            return Err(Exit::Failure);
        }
        loaded => loaded?,
    };
    if fmt == Format::Text {
        print_diagnostics(&policy.warnings, &policy.model.sources, fmt);
    }
    let with_coverage = coverage || coverage_min.is_some() || fmt == Format::Lcov;
    let report = testing::run(policy, with_coverage);
    match fmt {
        Format::Json => print(&output::json(&report)),
        Format::Junit => print(&testing::junit::render(&report)),
        Format::Lcov => {
            if let Some(c) = &report.coverage {
                let lcov = testing::lcov::render(c);
                for file in &lcov.skipped {
                    warning(format_args!("`{}` is left out of the LCOV report: LCOV cannot name a file with a line break",
                        crate::escape::text(file)
                    ));
                }
                print(&lcov.text);
            }
        }
        _ => print(&report.to_text()),
    }
    if matches!(fmt, Format::Junit | Format::Lcov) {
        say(format_args!(
            "{} passed, {} failed",
            report.passed, report.failed
        ));
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
        // Whole or not at all: a failure leaves the file that was there.
        Some(path) => {
            crate::atomic_file::write_with(path, crate::atomic_file::NewFile::Shared, |out| {
                write(out)
            })
        }
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
