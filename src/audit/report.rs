//! The audit's report: its JSON shape and its text.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::baseline::Comparison;
use crate::escape::{code_span, text as esc};

/// Every subject who can raise their own access, and how many were checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Paths of users the policy does not trust, sorted by user.
    pub escalations: Vec<Escalation>,
    /// Paths of users the policy trusts to hold global powers (`trust` in
    /// `auth`): reported, never failing the gate.
    pub trusted: Vec<Escalation>,
    /// Who is trusted.
    pub trust: TrustNote,
    pub users_checked: usize,
    /// The comparison with `--baseline`, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Comparison>,
}

/// Who the report trusts, as the language writes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TrustNote {
    /// No `trust` line: the admin team's members with role `admin`.
    pub default: bool,
    /// `team admin as admin`, `role auditor`, `user ana@acme.com`; empty
    /// for nobody.
    pub principals: Vec<String>,
}

/// One subject's escalation: the steps, in order, and what they gain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    /// The finding's stable id: a short hash of the user, the steps and the
    /// gains ([`finding_id`]). The same path in another run, or in another
    /// version of the policy, has the same id.
    pub id: String,
    /// An email, or `*` for any new login.
    pub user: String,
    /// The subject can create a role with every permission: gains are not
    /// listed.
    pub reaches_everything: bool,
    pub steps: Vec<Step>,
    /// (permission, scope) rows the subject does not hold today, sorted by
    /// scope then permission.
    pub gains: Vec<Gain>,
}

/// What a step does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    JoinTeam,
    SetRole,
    CreateTeam,
    Share,
    CreateRole,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::JoinTeam => "join_team",
            Action::SetRole => "set_role",
            Action::CreateTeam => "create_team",
            Action::Share => "share",
            Action::CreateRole => "create_role",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One action the subject takes on their own behalf.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub action: Action,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    pub enabled_by: EnabledBy,
}

/// The permission, held at the scope (today or after earlier steps), that
/// allows a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnabledBy {
    pub permission: String,
    pub scope: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gain {
    pub permission: String,
    pub scope: String,
}

/// The id of a finding: the first 12 hex digits of the SHA-256 of its user,
/// steps and gains as JSON. Names, not ids, go in, so the same path has the
/// same id in two versions of a policy; a path that gains more, or takes
/// other steps, is another finding.
pub fn finding_id(user: &str, reaches_everything: bool, steps: &[Step], gains: &[Gain]) -> String {
    #[derive(Serialize)]
    struct Key<'a> {
        user: &'a str,
        reaches_everything: bool,
        steps: &'a [Step],
        gains: &'a [Gain],
    }
    let key = Key {
        user,
        reaches_everything,
        steps,
        gains,
    };
    // Strings and booleans always serialize.
    let json = serde_json::to_vec(&key).unwrap_or_default();
    let digest = Sha256::new()
        .chain_update(b"rolegraph audit finding 1\n")
        .chain_update(&json)
        .finalize();
    digest.iter().take(6).fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

impl Escalation {
    /// Builds a finding, with its id.
    pub fn new(user: String, reaches_everything: bool, steps: Vec<Step>, gains: Vec<Gain>) -> Self {
        Escalation {
            id: finding_id(&user, reaches_everything, &steps, &gains),
            user,
            reaches_everything,
            steps,
            gains,
        }
    }

    /// Whether the id is the one its contents hash to (a baseline entry
    /// edited by hand is not).
    pub fn id_matches(&self) -> bool {
        self.id
            == finding_id(
                &self.user,
                self.reaches_everything,
                &self.steps,
                &self.gains,
            )
    }

    /// `alice@acme.com`, or `* (any new login)`.
    fn who(&self, name: impl Fn(&str) -> String) -> String {
        if self.user == "*" {
            format!("{} (any new login)", name("*"))
        } else {
            name(&self.user)
        }
    }

    /// `can reach everything` or `can raise their own access in N steps`.
    fn what(&self) -> String {
        let n = self.steps.len();
        if self.reaches_everything {
            "can reach everything".to_string()
        } else {
            format!(
                "can raise their own access in {n} step{}",
                if n == 1 { "" } else { "s" }
            )
        }
    }

    /// The gains grouped by scope: (scope, permissions).
    fn gains_by_scope(&self) -> Vec<(&str, Vec<&str>)> {
        let mut out: Vec<(&str, Vec<&str>)> = Vec::new();
        for g in &self.gains {
            match out.last_mut() {
                Some((scope, perms)) if *scope == g.scope => perms.push(&g.permission),
                _ => out.push((&g.scope, vec![&g.permission])),
            }
        }
        out
    }

    /// The finding for people: a heading, each step, the gains; every line
    /// indented by `indent`, the heading marked with `mark` after the id.
    pub fn write_text(&self, out: &mut String, indent: &str, mark: &str) {
        let _ = writeln!(
            out,
            "{indent}[{}{mark}] {} {}:",
            esc(&self.id),
            self.who(|s| esc(s).into_owned()),
            self.what()
        );
        for (i, s) in self.steps.iter().enumerate() {
            let _ = writeln!(
                out,
                "{indent}  {}. {} (enabled by {} on {})",
                i + 1,
                s.describe(false),
                esc(&s.enabled_by.permission),
                esc(&s.enabled_by.scope)
            );
        }
        if !self.gains.is_empty() {
            let _ = writeln!(out, "{indent}  gains:");
            for (scope, perms) in self.gains_by_scope() {
                let perms: Vec<_> = perms.iter().map(|p| esc(p)).collect();
                let _ = writeln!(out, "{indent}    {}: {}", esc(scope), perms.join(", "));
            }
        }
    }

    /// The finding as Markdown: every name in a code span.
    pub fn write_markdown(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "{} {} (finding {}):\n",
            self.who(code_span),
            self.what(),
            code_span(&self.id)
        );
        for (i, s) in self.steps.iter().enumerate() {
            let _ = writeln!(
                out,
                "{}. {} (enabled by {} on {})",
                i + 1,
                s.describe(true),
                code_span(&s.enabled_by.permission),
                code_span(&s.enabled_by.scope)
            );
        }
        if !self.gains.is_empty() {
            out.push_str("\nGains:\n\n");
            for (scope, perms) in self.gains_by_scope() {
                let perms: Vec<_> = perms.iter().map(|p| code_span(p)).collect();
                let _ = writeln!(out, "- {}: {}", code_span(scope), perms.join(", "));
            }
        }
        out.push('\n');
    }
}

impl Step {
    /// The step in words; names in code spans for Markdown, escaped (and in
    /// backticks) for a terminal.
    fn describe(&self, markdown: bool) -> String {
        let name = |s: &Option<String>| {
            let s = s.as_deref().unwrap_or_default();
            if markdown {
                code_span(s)
            } else {
                format!("`{}`", esc(s))
            }
        };
        let (team, role) = (name(&self.team), name(&self.role));
        match self.action {
            Action::JoinTeam => format!("add themselves to team {team} as {role}"),
            Action::SetRole => format!("set their own role in team {team} to {role}"),
            Action::CreateTeam => format!("create a team and put themselves in it as {role}"),
            Action::Share => {
                let resource = self.resource.as_deref().unwrap_or_default();
                let resource = if markdown {
                    code_span(resource)
                } else {
                    esc(resource).into_owned()
                };
                format!("share {resource} with team {team} as {role}, owner")
            }
            Action::CreateRole => {
                "create a role with every permission and take it in the admin team".to_string()
            }
        }
    }
}

impl TrustNote {
    /// `team `admin` as `admin` (the default: …)`, or `nobody`.
    pub fn to_text(&self) -> String {
        let who = if self.principals.is_empty() {
            "nobody".to_string()
        } else {
            let p: Vec<String> = self
                .principals
                .iter()
                .map(|p| format!("`{}`", esc(p)))
                .collect();
            p.join(", ")
        };
        if self.default {
            format!("{who} (the default: the admin team's `admin` members; write `trust` in `auth` to choose)")
        } else {
            who
        }
    }
}

fn users(n: usize) -> String {
    format!("{n} user{}", if n == 1 { "" } else { "s" })
}

impl Report {
    /// Whether anyone the policy does not trust can raise their own access.
    pub fn any(&self) -> bool {
        !self.escalations.is_empty()
    }

    /// The findings that fail the gate: every untrusted path, or, against a
    /// baseline, those it does not hold.
    pub fn failing(&self) -> Vec<&Escalation> {
        match &self.baseline {
            None => self.escalations.iter().collect(),
            Some(b) => self
                .escalations
                .iter()
                .filter(|e| b.new.contains(&e.id))
                .collect(),
        }
    }

    /// Text for people; names are escaped ([`crate::escape`]).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for e in &self.escalations {
            let mark = match &self.baseline {
                Some(b) if b.new.contains(&e.id) => ", new",
                Some(_) => ", in the baseline",
                None => "",
            };
            e.write_text(&mut out, "", mark);
            out.push('\n');
        }
        if !self.trusted.is_empty() {
            out.push_str("trusted to hold global powers:\n");
            for e in &self.trusted {
                e.write_text(&mut out, "  ", "");
            }
            out.push('\n');
        }
        let _ = writeln!(out, "trusted: {}", self.trust.to_text());
        if let Some(b) = &self.baseline {
            if !b.fixed.is_empty() {
                let _ = writeln!(
                    out,
                    "fixed since the baseline `{}` (write it again to drop them):",
                    esc(&b.file)
                );
                for f in &b.fixed {
                    let _ = writeln!(out, "  [{}] {}", esc(&f.id), esc(&f.user));
                }
            }
        }
        let checked = users(self.users_checked);
        let trusted = match self.trusted.len() {
            0 => String::new(),
            n => format!("; {n} trusted"),
        };
        let _ = if self.escalations.is_empty() && self.trusted.is_empty() {
            writeln!(
                out,
                "no escalation paths: nobody can raise their own access ({checked} checked)"
            )
        } else if self.escalations.is_empty() {
            writeln!(
                out,
                "no untrusted escalation paths ({checked} checked{trusted})"
            )
        } else {
            let baseline = match &self.baseline {
                Some(b) => format!(
                    " ({} in the baseline, {} new)",
                    self.escalations.len() - b.new.len(),
                    b.new.len()
                ),
                None => String::new(),
            };
            writeln!(
                out,
                "{} of {checked} checked can raise their own access{baseline}{trusted}",
                self.escalations.len(),
            )
        };
        out
    }
}
