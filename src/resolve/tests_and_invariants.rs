//! The policy's own tests and invariants, resolved.
//!
//! In: `test` and `invariant` items. Out: the model's tests (each line with
//! its permission, scope and target team as ids; the user as a folded email,
//! since a test may name a new login) and invariants (each rule with the
//! permissions and scope pattern it covers), and a diagnostic for each
//! reference that does not resolve or a target that does not fit.

use super::Resolver;
use crate::diagnostics::{Code, Diagnostic};
use crate::resolve::lookup::NameSet;
use crate::resolve::model::*;
use crate::syntax::ast;

/// The target team of a test line, as far as it resolved.
enum Target {
    /// The line has no `to`.
    Absent,
    Team(TeamId),
    /// `to` names something that is not a declared team (reported).
    Unresolved,
}

impl Resolver {
    pub(super) fn resolve_test(&mut self, t: &ast::Test) {
        let mut lines = Vec::new();
        for line in &t.lines {
            let perm = self.permission_or_report(&line.permission);
            let scope = match &line.scope {
                Some(s) => self.scope_or_report(s),
                None => Some(Scope::Global),
            };
            let to = match &line.to {
                Some(to) => self.target_or_report(to),
                None => Target::Absent,
            };
            // Each unknown name is reported above; such a line is left out.
            let (Some(perm), Some(scope)) = (perm, scope) else {
                continue;
            };
            let to = match to {
                Target::Absent => None,
                Target::Team(team) => Some(team),
                Target::Unresolved => continue,
            };
            let p = &self.model[perm];
            if p.target_team && to.is_none() {
                self.diags.push(
                    Diagnostic::new(
                        Code::MissingTarget,
                        format!("`{}` needs a target team", p.name),
                        line.span,
                        "no `to team/…` here",
                    )
                    .with_help(format!(
                        "`{}` is declared `target team`: add `to team/KEY`",
                        p.name
                    )),
                );
                continue;
            }
            if !p.target_team {
                if let Some(to_name) = &line.to {
                    self.diags.push(
                        Diagnostic::new(
                            Code::UnexpectedTarget,
                            format!("`{}` takes no target team", p.name),
                            to_name.span,
                            "unexpected `to`",
                        )
                        .with_help("only permissions declared `target team` take `to`; remove it"),
                    );
                    continue;
                }
            }
            let user = fold_email(&line.user.node);
            if self.model.user(&user).is_none() {
                self.undeclared_test_user(&line.user, &user);
            }
            lines.push(TestLine {
                expect: match line.expect {
                    ast::Expect::Allow => Expect::Allow,
                    ast::Expect::Deny => Expect::Deny,
                },
                user,
                perm,
                scope,
                to,
                span: line.span,
            });
        }
        self.model.tests.push(Test {
            name: t.name.node.to_string(),
            span: t.name.span,
            lines,
        });
    }

    /// The team a test line's `to team/KEY` names.
    fn target_or_report(&mut self, to: &ast::Name) -> Target {
        match self.scope_or_report(to) {
            Some(Scope::Team(team)) => Target::Team(team),
            Some(_) => {
                self.diags.push(
                    Diagnostic::new(
                        Code::UnknownScope,
                        format!("`to` takes a team, not `{}`", to.node),
                        to.span,
                        "not a team",
                    )
                    .with_help("write `to team/KEY`"),
                );
                Target::Unresolved
            }
            None => Target::Unresolved,
        }
    }

    /// A test line may name an undeclared user: a new login. One a typo
    /// away from a declared user is more likely a typo, which would make
    /// the line pass for the wrong reason (`deny carol@acme.con …` passes
    /// because a new login may not).
    fn undeclared_test_user(&mut self, written: &ast::Name, email: &str) {
        let Some(declared) = self.suggest(NameSet::Users, email) else {
            return;
        };
        self.diags.push(
            Diagnostic::new(
                Code::MisspeltUser,
                format!("`{email}` is not a declared user: this line tests a new login"),
                written.span,
                "declared nowhere",
            )
            .with_help(format!(
                "did you mean `{declared}`? (an undeclared email is evaluated as a new login, so the line may pass for the wrong reason)"
            )),
        );
    }

    pub(super) fn resolve_invariant(&mut self, inv: &ast::Invariant) {
        let mut rules = Vec::new();
        for rule in &inv.rules {
            let (permission, scope) = match &rule.node {
                ast::Rule::OnlyTeam {
                    permission, scope, ..
                }
                | ast::Rule::OnlyRole {
                    permission, scope, ..
                }
                | ast::Rule::Nobody { permission, scope }
                | ast::Rule::AtMost {
                    permission, scope, ..
                }
                | ast::Rule::Implies {
                    permission, scope, ..
                } => (permission, scope),
            };
            let perms = self.permissions_matching_or_report(permission);
            let scope = match scope {
                Some(s) => self.scope_pattern_or_report(s),
                None => Some(ScopePattern::Any),
            };
            let kind = match &rule.node {
                ast::Rule::OnlyTeam { teams, .. } => {
                    let ids: Vec<_> = teams
                        .iter()
                        .filter_map(|t| self.team_or_report(t))
                        .collect();
                    (ids.len() == teams.len()).then_some(InvariantKind::OnlyTeam(ids))
                }
                ast::Rule::OnlyRole { roles, .. } => {
                    let ids: Vec<_> = roles
                        .iter()
                        .filter_map(|r| self.role_or_report(r))
                        .collect();
                    (ids.len() == roles.len()).then_some(InvariantKind::OnlyRole(ids))
                }
                ast::Rule::Nobody { .. } => Some(InvariantKind::Nobody),
                ast::Rule::AtMost { count, .. } => Some(InvariantKind::AtMost(*count)),
                ast::Rule::Implies { implied, .. } => self
                    .permissions_matching_or_report(implied)
                    .map(InvariantKind::Implies),
            };
            if let (Some(perms), Some(scope), Some(kind)) = (perms, scope, kind) {
                rules.push(InvariantRule {
                    kind,
                    perms,
                    scope,
                    text: self.model.sources.slice(rule.span).to_string(),
                    span: rule.span,
                });
            }
        }
        self.model.invariants.push(Invariant {
            name: inv.name.node.to_string(),
            span: inv.name.span,
            rules,
        });
    }
}
