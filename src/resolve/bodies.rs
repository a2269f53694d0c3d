//! Item bodies: what a declared role is made of (`includes`, `grant`,
//! `only in`) and with whom a declared resource is shared (`share` lines).
//!
//! In: the declared role or resource and its AST. Out: the model's role
//! filled in (its own permissions, not yet those it includes: [`super::roles`]
//! flattens them) and the resource's shares, sorted by team.

use super::Resolver;
use crate::diagnostics::{Code, Diagnostic};
use crate::resolve::model::*;
use crate::source::Span;
use crate::syntax::ast;

impl Resolver {
    /// The body of the role `id` declared from `r`.
    pub(super) fn resolve_role_body(&mut self, id: RoleId, r: &ast::Role) {
        let includes: Vec<(RoleId, Span)> = r
            .includes
            .iter()
            .filter_map(|n| self.role_or_report(n).map(|id| (id, n.span)))
            .collect();
        let mut grants = Vec::with_capacity(r.grants.len());
        let mut direct = PermSet::with_capacity(self.model.perms.len());
        for pattern in &r.grants {
            if let Some(perms) = self.permissions_matching_or_report(pattern) {
                perms.iter().for_each(|&p| direct.insert(p));
                grants.push(Grant {
                    pattern: pattern.node.to_string(),
                    perms,
                    span: pattern.span,
                });
            }
        }
        let only_in = r.only_in.as_ref().map(|teams| {
            let mut ids: Vec<TeamId> = teams
                .iter()
                .filter_map(|t| self.team_or_report(t))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            let span = teams
                .first()
                .map(|f| Span {
                    end: teams.last().map_or(f.span.end, |l| l.span.end),
                    ..f.span
                })
                .unwrap_or(r.key.span);
            (ids, span)
        });
        let role = &mut self.model.roles[id.index()];
        role.includes = includes;
        role.grants = grants;
        role.direct = direct;
        role.only_in = only_in;
    }

    /// The shares of the resource `id` declared from `r`.
    pub(super) fn resolve_shares(&mut self, id: ResourceId, r: &ast::Resource) {
        let kind = self.model[id].kind;
        let mut shares: Vec<Share> = Vec::new();
        for s in &r.shares {
            let (team, role) = (self.team_or_report(&s.team), self.role_or_report(&s.role));
            let (Some(team), Some(role)) = (team, role) else {
                continue;
            };
            if let Some(first) = shares.iter().find(|x| x.team == team) {
                self.diags.push(
                    Diagnostic::duplicate("share with team", &s.team.node, s.span, first.span)
                        .with_help("a resource is shared with a team once; keep one `share` line"),
                );
                continue;
            }
            shares.push(Share {
                team,
                role,
                owner: s.owner,
                span: s.span,
            });
        }
        let all_resolved = shares.len() == r.shares.len();
        if all_resolved && !shares.iter().any(|s| s.owner) {
            let kind_key = &self.model[kind].key;
            let help = match shares.first() {
                Some(first) => format!(
                    "mark the owning team's share: `share {} as {} owner`",
                    self.model[first.team].key, self.model[first.role].key
                ),
                None => "add `share TEAM as ROLE owner`".to_string(),
            };
            self.diags.push(
                Diagnostic::new(
                    Code::MissingOwner,
                    format!("{kind_key} `{}` has no owner share", r.key.node),
                    r.key.span,
                    "no share here is marked `owner`",
                )
                .with_help(help),
            );
        }
        shares.sort_by_key(|s| s.team);
        self.model.resources[id.index()].shares = shares;
    }
}
