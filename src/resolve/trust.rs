//! `trust` in `auth` -> [`Trust`]: who is expected to hold global powers.
//!
//! In: every `auth` block, and a model whose teams, roles and users are all
//! declared (members included). Out: the model's [`Trust`], and a diagnostic
//! for each unknown name (with "did you mean") or contradiction.
//!
//! Like `admins`, `trust` is one setting: its lines may be repeated in one
//! `auth` block, not spread over two.

use super::lookup::unknown;
use super::{Model, Trust, Trusted};
use crate::diagnostics::suggest::Suggester;
use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::ast;

/// Resolves the `trust` lines of the `auth` blocks into `model.trust`.
pub(super) fn resolve(model: &mut Model, blocks: &[&ast::Auth], diags: &mut Vec<Diagnostic>) {
    let mut written = blocks.iter().filter_map(|b| b.trust.as_ref());
    let Some(entries) = written.next() else {
        return; // the default: the admin team's `admin` members
    };
    let first_span = |e: &[ast::Spanned<ast::Trusted>]| e.first().map(|e| e.span);
    for again in written {
        if let (Some(again), Some(first)) = (first_span(again), first_span(entries)) {
            diags.push(Diagnostic::duplicate("auth setting", "trust", again, first));
        }
    }
    let mut lookup = Lookup {
        model,
        diags,
        teams: None,
        roles: None,
        users: None,
    };
    let mut principals = Vec::new();
    let mut nobody = None;
    for entry in entries {
        let principal = match &entry.node {
            ast::Trusted::Nobody => {
                nobody = Some(entry.span);
                continue;
            }
            ast::Trusted::Team { team, role } => {
                let team = lookup.team(team);
                let role = role.as_ref().map(|r| lookup.role(r));
                match (team, role) {
                    (Some(t), None) => Trusted::Team(t, None),
                    (Some(t), Some(Some(r))) => Trusted::Team(t, Some(r)),
                    _ => continue,
                }
            }
            ast::Trusted::Role(role) => match lookup.role(role) {
                Some(r) => Trusted::Role(r),
                None => continue,
            },
            ast::Trusted::User(email) => match lookup.user(email) {
                Some(u) => Trusted::User(u),
                None => continue,
            },
        };
        principals.push(principal);
    }
    let others = entries
        .iter()
        .find(|e| !matches!(e.node, ast::Trusted::Nobody));
    if let (Some(nobody), Some(other)) = (nobody, others) {
        diags.push(
            Diagnostic::new(
                Code::Duplicate,
                "`trust nobody` contradicts the other `trust` entries",
                nobody,
                "trusts nobody",
            )
            .with_label(other.span, "but trusts this")
            .with_help("keep `trust nobody` alone, or remove it"),
        );
    }
    principals.sort_unstable();
    principals.dedup();
    model.trust = Trust {
        principals: Some(principals),
    };
}

/// Name lookups that report what they do not find, with a suggestion from
/// the declared names (indexed on the first miss).
struct Lookup<'a> {
    model: &'a Model,
    diags: &'a mut Vec<Diagnostic>,
    teams: Option<Suggester>,
    roles: Option<Suggester>,
    users: Option<Suggester>,
}

impl Lookup<'_> {
    fn team(&mut self, name: &ast::Name) -> Option<super::TeamId> {
        if let Some(t) = self.model.team(&name.node) {
            return Some(t);
        }
        let m = self.model;
        let suggester = self
            .teams
            .get_or_insert_with(|| Suggester::new(m.teams.iter().map(|t| &t.key)));
        self.diags.push(unknown(
            Code::UnknownTeam,
            "team",
            name,
            suggester.best(&name.node),
            format!("declare it with `team {}`", name.node),
        ));
        None
    }

    fn role(&mut self, name: &ast::Name) -> Option<super::RoleId> {
        if let Some(r) = self.model.role(&name.node) {
            return Some(r);
        }
        let m = self.model;
        let suggester = self
            .roles
            .get_or_insert_with(|| Suggester::new(m.names.roles.keys()));
        self.diags.push(unknown(
            Code::UnknownRole,
            "role",
            name,
            suggester.best(&name.node),
            format!("declare it with `role {} {{ grant … }}`", name.node),
        ));
        None
    }

    /// A user is declared by a `user` item, a `member` line or `admins`: a
    /// trusted email that is none of these is a typo, or someone who left.
    fn user(&mut self, email: &ast::Name) -> Option<super::UserId> {
        if let Some(u) = self.model.user(&email.node) {
            return Some(u);
        }
        let m = self.model;
        let suggester = self
            .users
            .get_or_insert_with(|| Suggester::new(m.users.iter().map(|u| &u.email)));
        let folded = super::fold_email(&email.node);
        self.diags.push(unknown(
            Code::UnknownUser,
            "user",
            email,
            suggester.best(&folded),
            "declare them with `user EMAIL`, or remove them from `trust`".to_string(),
        ));
        None
    }
}
