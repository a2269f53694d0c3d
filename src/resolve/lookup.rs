//! Name lookup with suggestions.
//!
//! In: a name as written in a reference (`grant doc:read`, `on team/ml`).
//! Out: its id, or `None` with an "unknown …" diagnostic pushed, with a
//! "did you mean" from the declared names when one is close.
//!
//! A lookup that reports is named `…_or_report`; one that does not is the
//! model's own (`self.model.role(…)`, `self.model.kind(…)`), for names that
//! were reported already or may be absent.

use super::Resolver;
use crate::diagnostics::suggest::Suggester;
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::resolve::model::*;
use crate::syntax::{self, ast};

/// A set of declared names that an unknown name is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum NameSet {
    Roles,
    Teams,
    Permissions,
    Kinds,
    /// Declared emails, for test lines (all members are known by then).
    Users,
    /// Keys of the resources of one kind.
    Resources(KindId),
}

/// `unknown role `x``, with a suggestion from the declared names, or the
/// fallback help.
pub(super) fn unknown(
    code: Code,
    what: &str,
    name: &ast::Name,
    suggestion: Option<&str>,
    fallback: String,
) -> Diagnostic {
    let help = suggestion
        .map(|s| format!("did you mean `{s}`?"))
        .unwrap_or(fallback);
    Diagnostic::new(
        code,
        format!("unknown {what} `{}`", name.node),
        name.span,
        format!("no {what} has this name"),
    )
    .with_help(help)
}

impl Resolver {
    /// The declared name of this kind closest to `name`, if one is close
    /// enough (bounded work: `diagnostics::suggest`).
    pub(super) fn suggest(&mut self, names: NameSet, name: &str) -> Option<String> {
        let m = &self.model;
        let suggester = self.suggesters.entry(names).or_insert_with(|| match names {
            NameSet::Roles => Suggester::new(m.names.roles.keys()),
            NameSet::Teams => Suggester::new(m.teams.iter().map(|t| &t.key)),
            NameSet::Permissions => Suggester::new(m.perms.iter().map(|p| &p.name)),
            NameSet::Kinds => Suggester::new(m.kinds.iter().map(|k| &k.key)),
            NameSet::Users => Suggester::new(m.users.iter().map(|u| &u.email)),
            NameSet::Resources(kind) => Suggester::new(
                m.resources
                    .iter()
                    .filter(|r| r.kind == kind)
                    .map(|r| &r.key),
            ),
        });
        suggester.best(name).map(str::to_string)
    }

    pub(super) fn kind_or_report(&mut self, name: &ast::Name) -> Option<KindId> {
        if let Some(k) = self.model.kind(&name.node) {
            return Some(k);
        }
        if self.too_many.contains(&"kinds") {
            return None; // it may be one of those refused: no echo
        }
        let fallback = format!("declare it with `kind {}`", name.node);
        // `tema support` is a resource of kind `tema` to the grammar, but a
        // misspelt item keyword to the person who wrote it.
        // A clause word here means the item before it went wrong (`requires
        // owners` is no `requires owner`), and the rest was read as a resource.
        let stray = syntax::keywords::STRAY_CLAUSE_WORDS
            .contains(&name.node.as_str())
            .then(|| {
            format!(
                "`{}` starts no item: the item before it has a mistake, so from here on it was read as a resource of kind `{}`",
                name.node, name.node
            )
        });
        let help = self
            .suggest(NameSet::Kinds, &name.node)
            .map(|k| format!("did you mean `{k}`?"))
            .or(stray)
            .or_else(|| {
                did_you_mean(&name.node, syntax::ITEM_KEYWORDS.iter().copied())
                    .map(|h| format!("{h} (`{}` is read as a resource kind here)", name.node))
            })
            .unwrap_or(fallback);
        self.diags.push(
            Diagnostic::new(
                Code::UnknownKind,
                format!("unknown resource kind `{}`", name.node),
                name.span,
                "not a declared kind",
            )
            .with_help(help),
        );
        None
    }

    pub(super) fn role_or_report(&mut self, name: &ast::Name) -> Option<RoleId> {
        let found = self.model.role(&name.node);
        found.or_else(|| self.report_unknown(NameSet::Roles, name))
    }

    pub(super) fn team_or_report(&mut self, name: &ast::Name) -> Option<TeamId> {
        let found = self.model.team(&name.node);
        found.or_else(|| self.report_unknown(NameSet::Teams, name))
    }

    pub(super) fn permission_or_report(&mut self, name: &ast::Name) -> Option<PermId> {
        let found = self.model.perm(&name.node);
        found.or_else(|| self.report_unknown(NameSet::Permissions, name))
    }

    /// Reports an unknown role, team or permission (`None`, for the caller
    /// to return), with the closest declared name or how to declare it;
    /// nothing when ids of that table ran out, since the name may be one of
    /// those refused.
    fn report_unknown<T>(&mut self, names: NameSet, name: &ast::Name) -> Option<T> {
        let written = &name.node;
        let (code, what, table, fallback) = match names {
            NameSet::Roles => (
                Code::UnknownRole,
                "role",
                "roles",
                format!("declare it with `role {written} {{ grant … }}`"),
            ),
            NameSet::Teams => (
                Code::UnknownTeam,
                "team",
                "teams",
                format!("declare it with `team {written}`"),
            ),
            NameSet::Permissions => (
                Code::UnknownPermission,
                "permission",
                "permissions",
                format!("declare it with `permission {written} on …`"),
            ),
            NameSet::Kinds | NameSet::Users | NameSet::Resources(_) => return None,
        };
        if self.too_many.contains(&table) {
            return None;
        }
        let suggestion = self.suggest(names, written);
        let d = unknown(code, what, name, suggestion.as_deref(), fallback);
        self.diags.push(d);
        None
    }

    /// The permissions a pattern (`*`, `p:*`, `p:a`) matches; an error when none.
    pub(super) fn permissions_matching_or_report(
        &mut self,
        pattern: &ast::Name,
    ) -> Option<Vec<PermId>> {
        let text = pattern.node.as_str();
        if text == "*" {
            return Some(self.model.perm_ids().collect());
        }
        let Some(prefix) = text.strip_suffix(":*") else {
            return self.permission_or_report(pattern).map(|p| vec![p]);
        };
        let matched: Vec<PermId> = self
            .model
            .perm_ids()
            .filter(|&p| self.model[p].prefix() == prefix)
            .collect();
        if matched.is_empty() {
            let mut prefixes: Vec<&str> = self.model.perms.iter().map(Permission::prefix).collect();
            prefixes.dedup();
            let help = did_you_mean(prefix, prefixes)
                .map(|h| h.replace("`?", ":*`?"))
                .unwrap_or_else(|| format!("no declared permission starts with `{prefix}:`"));
            self.diags.push(
                Diagnostic::new(
                    Code::WildcardMatchesNothing,
                    format!("`{text}` matches no declared permission"),
                    pattern.span,
                    "matches nothing",
                )
                .with_help(help),
            );
            return None;
        }
        Some(matched)
    }

    /// A written scope: `global`, `team/KEY` or `KIND/KEY`.
    pub(super) fn scope_or_report(&mut self, name: &ast::Name) -> Option<Scope> {
        match self.model.parse_scope(&name.node) {
            Ok(scope) => Some(scope),
            Err(e) => {
                self.report_scope_error(name, e);
                None
            }
        }
    }

    fn report_scope_error(&mut self, name: &ast::Name, error: ScopeError) {
        let (kind, key) = name.node.split_once('/').unwrap_or((&name.node, ""));
        let key_name = || ast::Name::new(key.into(), name.span);
        match error {
            ScopeError::Malformed => self.diags.push(
                Diagnostic::new(
                    Code::UnknownScope,
                    format!("unknown scope `{}`", name.node),
                    name.span,
                    "not a scope",
                )
                .with_help("write `global`, `team/KEY` or `KIND/KEY`"),
            ),
            ScopeError::UnknownTeam => {
                self.team_or_report(&key_name());
            }
            ScopeError::UnknownKind => {
                self.kind_or_report(&ast::Name::new(kind.into(), name.span));
            }
            ScopeError::UnknownResource => {
                // Suggest by key (`suport-bot` is close to `support-bot`; the
                // shared `use_case/` prefix would make every key look close).
                let suggestion = match self.model.kind(kind) {
                    Some(k) => self.suggest(NameSet::Resources(k), key),
                    None => None,
                };
                let help = suggestion
                    .map(|s| format!("did you mean `{kind}/{s}`?"))
                    .unwrap_or_else(|| format!("declare it with `{kind} {key} {{ share … }}`"));
                self.diags.push(
                    Diagnostic::new(
                        Code::UnknownScope,
                        format!("unknown {kind} `{key}`"),
                        name.span,
                        format!("no {kind} has this key"),
                    )
                    .with_help(help),
                );
            }
        }
    }

    pub(super) fn scope_pattern_or_report(&mut self, name: &ast::Name) -> Option<ScopePattern> {
        let text = name.node.as_str();
        let kind_part = text.strip_suffix("/*").unwrap_or(text);
        let wildcard = kind_part.len() != text.len() || !text.contains('/');
        if wildcard && text != "global" {
            if kind_part == "team" {
                return Some(ScopePattern::AnyTeam);
            }
            if let Some(k) = self.model.kind(kind_part) {
                return Some(ScopePattern::AnyOfKind(k));
            }
            if !text.contains('/') {
                self.report_scope_error(name, ScopeError::Malformed);
            } else {
                self.kind_or_report(&ast::Name::new(kind_part.into(), name.span));
            }
            return None;
        }
        self.scope_or_report(name).map(ScopePattern::Exact)
    }
}
