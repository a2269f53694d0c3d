//! The first pass: every definition gets an id.
//!
//! In: every item of every file. Out: the model's tables filled with the
//! declared kinds, permissions, roles (with their aliases), teams, users
//! and resources, their name lookups, and a diagnostic for each duplicate
//! or for ids used up. Bodies stay empty until the next passes.

use super::{thousands, Declared, Resolver};
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::resolve::model::*;
use crate::source::Span;
use crate::syntax::ast;
use std::collections::HashMap;

impl Resolver {
    /// Registers every definition, so references may point forward and
    /// across files. Returns, for each item, what it declared: a duplicate
    /// declares nothing.
    pub(super) fn declare(&mut self, items: &[&ast::Item]) -> Vec<Declared> {
        for item in items {
            if let ast::Item::Kind(k) = item {
                self.declare_kind(k);
            }
        }
        let mut declared = Vec::with_capacity(items.len());
        for item in items {
            let this = match item {
                ast::Item::Permission(p) => {
                    self.declare_permission(p);
                    None
                }
                ast::Item::Role(r) => self.declare_role(r).map(Declared::Role),
                ast::Item::Team(t) => {
                    self.declare_team(t);
                    None
                }
                ast::Item::User(u) => {
                    self.declare_user(u);
                    None
                }
                ast::Item::Resource(r) => self.declare_resource(r).map(Declared::Resource),
                ast::Item::Auth(_)
                | ast::Item::Kind(_)
                | ast::Item::Test(_)
                | ast::Item::Invariant(_) => None,
            };
            declared.push(this.unwrap_or(Declared::Nothing));
        }
        // Tests and invariants are named in reports (JUnit's test cases,
        // coverage): each name once per kind.
        let mut named: HashMap<(&str, &str), Span> = HashMap::new();
        for item in items {
            let (what, name) = match item {
                ast::Item::Test(t) => ("test", &t.name),
                ast::Item::Invariant(i) => ("invariant", &i.name),
                _ => continue,
            };
            if let Some(&first) = named.get(&(what, name.node.as_str())) {
                self.diags
                    .push(Diagnostic::duplicate(what, &name.node, name.span, first));
            }
            named.insert((what, &name.node), name.span);
        }
        declared
    }

    fn declare_kind(&mut self, k: &ast::Kind) {
        let m = &mut self.model;
        if let Some(&id) = m.names.kinds.get(k.key.node.as_str()) {
            let first = m[id].span;
            self.diags.push(Diagnostic::duplicate(
                "kind",
                &k.key.node,
                k.key.span,
                first,
            ));
            return;
        }
        if k.key.node == "team" || k.key.node == "global" {
            self.diags.push(
                Diagnostic::new(
                    Code::Duplicate,
                    format!(
                        "`{}` is a built-in scope, not a kind to declare",
                        k.key.node
                    ),
                    k.key.span,
                    "built in",
                )
                .with_help("remove this `kind` line"),
            );
            return;
        }
        let len = self.model.kinds.len();
        let Some(id) = self.next_id(KindId::new, len, "kinds", KindId::LIMIT, k.key.span) else {
            return;
        };
        let m = &mut self.model;
        m.names.kinds.insert(k.key.node.to_string(), id);
        m.kinds.push(Kind {
            key: k.key.node.to_string(),
            title: k.title.clone(),
            span: k.key.span,
        });
    }

    fn declare_permission(&mut self, p: &ast::Permission) {
        if let Some(&id) = self.model.names.perms.get(p.name.node.as_str()) {
            let first = self.model[id].span;
            self.diags.push(Diagnostic::duplicate(
                "permission",
                &p.name.node,
                p.name.span,
                first,
            ));
            return;
        }
        let mut scopes = Scopes::default();
        for s in &p.scopes {
            match s.node.as_str() {
                "global" => scopes.global = true,
                "team" => scopes.team = true,
                kind => match self.model.names.kinds.get(kind) {
                    Some(&k) => scopes.kinds.push(k),
                    None if self.too_many.contains(&"kinds") => {}
                    None => {
                        let names = self.model.kinds.iter().map(|k| k.key.as_str());
                        let help = did_you_mean(kind, names.chain(["global", "team"]))
                            .unwrap_or_else(|| {
                                format!("declare it with `kind {kind}`, or use `global` or `team`")
                            });
                        self.diags.push(
                            Diagnostic::new(
                                Code::UnknownKind,
                                format!("unknown scope kind `{kind}`"),
                                s.span,
                                "not `global`, `team` or a declared kind",
                            )
                            .with_help(help),
                        );
                    }
                },
            }
        }
        scopes.kinds.sort();
        scopes.kinds.dedup();
        let Some(id) = self.next_id(
            PermId::new,
            self.model.perms.len(),
            "permissions",
            PermId::LIMIT,
            p.name.span,
        ) else {
            return;
        };
        self.model.names.perms.insert(p.name.node.to_string(), id);
        self.model.perms.push(Permission {
            name: p.name.node.to_string(),
            scopes,
            requires_owner: p.requires_owner,
            target_team: p.target_team,
            description: p.description.clone(),
            span: p.name.span,
        });
    }

    fn declare_role(&mut self, r: &ast::Role) -> Option<RoleId> {
        let id = self.next_id(
            RoleId::new,
            self.model.roles.len(),
            "roles",
            RoleId::LIMIT,
            r.key.span,
        )?;
        let mut aliases = Vec::new();
        // Names this role registered so far: the role is not in the model
        // until the loop ends, so a repeat within it (`role a { alias a }`)
        // is located here.
        let mut own: Vec<&ast::Name> = Vec::new();
        for (i, name) in std::iter::once(&r.key).chain(&r.aliases).enumerate() {
            let is_key = i == 0;
            if let Some(&other) = self.model.names.roles.get(name.node.as_str()) {
                let first = match own.iter().find(|n| n.node == name.node) {
                    Some(earlier) if other == id => earlier.span,
                    _ => self.model[other].span,
                };
                let mut d = Diagnostic::duplicate("role", &name.node, name.span, first);
                if !is_key {
                    d.labels[0].text =
                        format!("defined again here, as an alias of `{}`", r.key.node);
                }
                self.diags.push(d);
                if is_key {
                    return None; // the key is taken: this role is not declared
                }
                continue;
            }
            self.model.names.roles.insert(name.node.to_string(), id);
            own.push(name);
            if !is_key {
                aliases.push(name.node.to_string());
            }
        }
        self.model.roles.push(Role {
            key: r.key.node.to_string(),
            title: r.title.clone(),
            aliases,
            includes: vec![],
            grants: vec![],
            direct: PermSet::default(),
            perms: PermSet::default(),
            only_in: None,
            allowed_teams: None,
            span: r.key.span,
        });
        Some(id)
    }

    fn declare_team(&mut self, t: &ast::Team) {
        if let Some(&id) = self.model.names.teams.get(t.key.node.as_str()) {
            let first = self.model[id].span;
            self.diags.push(Diagnostic::duplicate(
                "team",
                &t.key.node,
                t.key.span,
                first,
            ));
            return;
        }
        let Some(id) = self.next_id(
            TeamId::new,
            self.model.teams.len(),
            "teams",
            TeamId::LIMIT,
            t.key.span,
        ) else {
            return;
        };
        self.model.names.teams.insert(t.key.node.to_string(), id);
        self.model.teams.push(Team {
            key: t.key.node.to_string(),
            title: t.title.clone(),
            span: t.key.span,
            members: vec![],
        });
    }

    fn declare_user(&mut self, u: &ast::User) {
        if let Some(id) = self.model.user(&u.email.node) {
            let first = &self.model[id];
            self.diags.push(Diagnostic::duplicate(
                "user",
                &first.email,
                u.email.span,
                first.span,
            ));
            return;
        }
        let email = fold_email(&u.email.node);
        self.add_user(email, u.name.clone(), u.email.span, true);
    }

    pub(super) fn add_user(
        &mut self,
        email: String,
        name: Option<String>,
        span: Span,
        explicit: bool,
    ) -> Option<UserId> {
        let len = self.model.users.len();
        let id = self.next_id(UserId::new, len, "users", UserId::LIMIT, span)?;
        self.model.names.users.insert(email.clone(), id);
        self.model.users.push(User {
            email,
            name,
            span,
            explicit,
            memberships: vec![],
        });
        Some(id)
    }

    /// The id for the next item of a table that holds `len` items, or `None`
    /// when the ids are used up: a wrapped id would name another item (the
    /// 65,537th permission would be the first), so the policy is refused.
    fn next_id<I>(
        &mut self,
        new: fn(usize) -> Option<I>,
        len: usize,
        what: &'static str,
        limit: usize,
        span: Span,
    ) -> Option<I> {
        let id = new(len);
        if id.is_none() && !self.too_many.contains(&what) {
            self.too_many.push(what);
            self.diags.push(
                Diagnostic::new(
                    Code::TooMany,
                    format!(
                        "too many {what}: a policy may declare at most {}",
                        thousands(limit)
                    ),
                    span,
                    "one too many",
                )
                .with_help(format!(
                    "split the policy, or declare fewer {what} (wildcards such as `prefix:*` grant many permissions at once)"
                )),
            );
        }
        id
    }

    fn declare_resource(&mut self, r: &ast::Resource) -> Option<ResourceId> {
        let kind = self.kind_or_report(&r.kind)?;
        let key = format!("{}/{}", r.kind.node, r.key.node);
        if let Some(&id) = self.model.names.resources.get(&key) {
            let first = self.model[id].span;
            let what = self.model[kind].key.clone();
            self.diags
                .push(Diagnostic::duplicate(&what, &r.key.node, r.key.span, first));
            return None;
        }
        let id = self.next_id(
            ResourceId::new,
            self.model.resources.len(),
            "resources",
            ResourceId::LIMIT,
            r.key.span,
        )?;
        self.model.names.resources.insert(key, id);
        self.model.resources.push(Resource {
            kind,
            key: r.key.node.to_string(),
            title: r.title.clone(),
            span: r.key.span,
            shares: vec![],
        });
        Some(id)
    }
}
