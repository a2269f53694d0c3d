//! The audit's report: its JSON shape and its text.

use std::fmt::Write as _;

use serde::Serialize;

use crate::escape::text as esc;

/// Every subject who can raise their own access, and how many were checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub escalations: Vec<Escalation>,
    pub users_checked: usize,
}

/// One subject's escalation: the steps, in order, and what they gain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Escalation {
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

/// One action the subject takes on their own behalf.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// `join_team`, `set_role`, `create_team`, `share` or `create_role`.
    pub action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    pub enabled_by: EnabledBy,
}

/// The permission, held at the scope (today or after earlier steps), that
/// allows a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnabledBy {
    pub permission: String,
    pub scope: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Gain {
    pub permission: String,
    pub scope: String,
}

impl Step {
    fn describe(&self) -> String {
        let team = esc(self.team.as_deref().unwrap_or_default());
        let role = esc(self.role.as_deref().unwrap_or_default());
        match self.action {
            "join_team" => format!("add themselves to team `{team}` as `{role}`"),
            "set_role" => format!("set their own role in team `{team}` to `{role}`"),
            "create_team" => format!("create a team and put themselves in it as `{role}`"),
            "share" => format!(
                "share {} with team `{team}` as `{role}`, owner",
                esc(self.resource.as_deref().unwrap_or_default())
            ),
            _ => "create a role with every permission and take it in the admin team".to_string(),
        }
    }
}

impl Report {
    /// Whether anyone can raise their own access.
    pub fn any(&self) -> bool {
        !self.escalations.is_empty()
    }

    /// Text for people; names are escaped ([`crate::escape`]).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for e in &self.escalations {
            let who = if e.user == "*" {
                "* (any new login)".into()
            } else {
                esc(&e.user)
            };
            let n = e.steps.len();
            let _ = if e.reaches_everything {
                writeln!(out, "{who} can reach everything:")
            } else {
                writeln!(
                    out,
                    "{who} can raise their own access in {n} step{}:",
                    if n == 1 { "" } else { "s" }
                )
            };
            for (i, s) in e.steps.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "  {}. {} (enabled by {} on {})",
                    i + 1,
                    s.describe(),
                    esc(&s.enabled_by.permission),
                    esc(&s.enabled_by.scope)
                );
            }
            if !e.gains.is_empty() {
                let _ = writeln!(out, "  gains:");
                let mut i = 0;
                while i < e.gains.len() {
                    let scope = &e.gains[i].scope;
                    let perms: Vec<_> = e.gains[i..]
                        .iter()
                        .take_while(|g| &g.scope == scope)
                        .map(|g| esc(&g.permission))
                        .collect();
                    i += perms.len();
                    let _ = writeln!(out, "    {}: {}", esc(scope), perms.join(", "));
                }
            }
            out.push('\n');
        }
        let users = |n: usize| format!("{n} user{}", if n == 1 { "" } else { "s" });
        let _ = if self.escalations.is_empty() {
            writeln!(
                out,
                "no escalation paths: nobody can raise their own access ({} checked)",
                users(self.users_checked)
            )
        } else {
            writeln!(
                out,
                "{} of {} checked can raise their own access",
                self.escalations.len(),
                users(self.users_checked)
            )
        };
        out
    }
}
