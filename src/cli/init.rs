//! `init [DIR]`: the starter policy directory, copied from the shipped
//! `policies/` (embedded at build time, so the binary works anywhere).

use std::path::Path;

use super::output::{say, usage_error, CmdResult, Exit};

/// The files of the starter, as (relative path, contents).
pub const STARTER: &[(&str, &str)] = &[
    (
        "adaptive.policy",
        include_str!("../../policies/adaptive.policy"),
    ),
    (
        "example/teams.policy",
        include_str!("../../policies/example/teams.policy"),
    ),
    (
        "example/users.policy",
        include_str!("../../policies/example/users.policy"),
    ),
    (
        "example/use_cases.policy",
        include_str!("../../policies/example/use_cases.policy"),
    ),
    (
        "example/tests.policy",
        include_str!("../../policies/example/tests.policy"),
    ),
    (
        "example/escalation.policy",
        include_str!("../../policies/example/escalation.policy"),
    ),
    // The example's deliberate escalation path, accepted: `audit --baseline
    // DIR/audit-baseline.json --fail-on-escalation` passes. It names its
    // policy relative to itself (`.`), so it holds wherever DIR is.
    (
        "audit-baseline.json",
        include_str!("../../policies/audit-baseline.json"),
    ),
];

pub fn run(dir: &Path) -> CmdResult {
    let io = |e: std::io::Error| usage_error(format!("cannot write `{}`: {e}", dir.display()));
    if dir.exists() {
        let empty = std::fs::read_dir(dir).map_err(io)?.next().is_none();
        if !empty {
            return Err(usage_error(format!(
                "`{}` already exists and is not empty; choose a new directory",
                dir.display()
            )));
        }
    }
    for (rel, text) in STARTER {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        crate::atomic_file::write(&path, text.as_bytes(), crate::atomic_file::NewFile::Shared)
            .map_err(io)?;
    }
    say(format_args!(
        "wrote {} files to `{}`; try `{}`",
        STARTER.len(),
        dir.display(),
        super::hint_for(dir, "test")
    ));
    Ok(Exit::Success)
}
