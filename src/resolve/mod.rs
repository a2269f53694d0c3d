//! AST -> resolved [`Model`]: names to typed ids, the role graph, lints.
//!
//! In: the parsed files of a policy. Out: the model, or every error found
//! (all of one stage, reported together), plus warnings.

mod lints;
pub mod model;
mod roles;
mod trust;

use std::borrow::Cow;
use std::collections::HashMap;

use crate::diagnostics::suggest::Suggester;
use crate::diagnostics::{self, did_you_mean, Code, Diagnostic};
use crate::source::{Sources, Span};
use crate::syntax::{self, ast};
pub use model::*;

/// The outcome of checking a policy: the model when it has no errors, and
/// every diagnostic, sorted.
#[derive(Debug)]
pub struct Checked {
    pub model: Option<Model>,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Sources,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses, resolves and lints a policy.
pub fn check(sources: Sources) -> Checked {
    let mut diags = Vec::new();
    let mut files = Vec::new();
    for parsed in parse_files(&sources) {
        match parsed {
            Ok(ast) => files.push(ast),
            Err(d) => diags.push(d),
        }
    }
    if !diags.is_empty() {
        return Checked {
            model: None,
            diagnostics: diags,
            sources,
        };
    }
    let mut r = Resolver {
        model: Model {
            sources: sources.clone(),
            ..Model::default()
        },
        diags,
        too_many: Vec::new(),
        suggesters: HashMap::new(),
    };
    let items: Vec<&ast::Item> = files.iter().flat_map(|f| &f.items).collect();
    r.declare(&items);
    r.resolve_references(&items);
    // The AST is not needed past here: a million roles' AST is hundreds of
    // megabytes, better freed before the lints add their diagnostics.
    drop(items);
    drop(files);
    r.suggesters.clear();
    roles::resolve_role_graph(&mut r.model, &mut r.diags);
    r.check_memberships();
    // Lints read a complete model: run on one with errors, they would report
    // the errors' echoes (a user in no team because their team is unknown).
    if !r.diags.iter().any(Diagnostic::is_error) {
        lints::lint(&r.model, &mut r.diags);
    }
    let mut diagnostics = r.diags;
    diagnostics::sort(&mut diagnostics);
    let failed = diagnostics.iter().any(Diagnostic::is_error);
    Checked {
        model: (!failed).then_some(r.model),
        diagnostics,
        sources,
    }
}

/// Parses every file, in file order. Large policies are split into many
/// files, and parsing is most of the time spent checking them, so files are
/// parsed on every core; small policies stay on this thread.
fn parse_files(sources: &Sources) -> Vec<Result<ast::File, Diagnostic>> {
    let parse = |(id, file): (crate::source::FileId, &crate::source::SourceFile)| {
        syntax::parse_file(id, &file.text)
    };
    let bytes: usize = sources.files.iter().map(|f| f.text.len()).sum();
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(sources.files.len());
    if threads < 2 || bytes < (1 << 20) {
        return sources.iter().map(parse).collect();
    }
    let files: Vec<_> = sources.iter().collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, Result<ast::File, Diagnostic>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&file) = files.get(i) else {
                            return out;
                        };
                        out.push((i, parse(file)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, parsed)| parsed).collect()
}

struct Resolver {
    model: Model,
    diags: Vec<Diagnostic>,
    /// The kinds of item already reported as too many, so the report is one.
    too_many: Vec<&'static str>,
    /// Declared names indexed for "did you mean", built on the first
    /// unknown name of each kind (after every declaration: references are
    /// resolved once all items are declared).
    suggesters: HashMap<NameSet, Suggester>,
}

/// A set of declared names that an unknown name is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum NameSet {
    Roles,
    Teams,
    Permissions,
    Kinds,
    /// Declared emails, for test lines (all members are known by then).
    Users,
    /// Keys of the resources of one kind.
    Resources(KindId),
}

fn duplicate(what: &str, name: &str, again: Span, first: Span) -> Diagnostic {
    Diagnostic::new(
        Code::Duplicate,
        format!("{what} `{name}` is defined twice"),
        again,
        "defined again here",
    )
    .with_label(first, "first defined here")
    .with_help("remove one definition, or give it another name")
}

/// `unknown role `x``, with a suggestion from the declared names, or the
/// fallback help.
fn unknown(
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

/// `65536` as `65,536`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A membership as written, before conflicts are checked, borrowed from the
/// AST (the admins' team and role are made up for them).
struct PendingMember<'a> {
    email: &'a ast::Name,
    team: Cow<'a, ast::Name>,
    role: Cow<'a, ast::Name>,
    span: Span,
    source: MemberSource,
}

impl Resolver {
    // ------------------------------------------------------------ declare

    /// Registers every definition, so references may point forward and
    /// across files.
    fn declare(&mut self, items: &[&ast::Item]) {
        for item in items {
            if let ast::Item::Kind(k) = item {
                self.declare_kind(k);
            }
        }
        for item in items {
            match item {
                ast::Item::Permission(p) => self.declare_permission(p),
                ast::Item::Role(r) => self.declare_role(r),
                ast::Item::Team(t) => self.declare_team(t),
                ast::Item::User(u) => self.declare_user(u),
                ast::Item::Resource(r) => self.declare_resource(r),
                ast::Item::Auth(_)
                | ast::Item::Kind(_)
                | ast::Item::Test(_)
                | ast::Item::Invariant(_) => {}
            }
        }
        let mut tests: HashMap<&str, Span> = HashMap::new();
        for item in items {
            if let ast::Item::Test(t) = item {
                if let Some(&first) = tests.get(t.name.node.as_str()) {
                    self.diags
                        .push(duplicate("test", &t.name.node, t.name.span, first));
                }
                tests.insert(&t.name.node, t.name.span);
            }
        }
    }

    fn declare_kind(&mut self, k: &ast::Kind) {
        let m = &mut self.model;
        if let Some(&id) = m.names.kinds.get(k.key.node.as_str()) {
            let first = m[id].span;
            self.diags
                .push(duplicate("kind", &k.key.node, k.key.span, first));
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
            self.diags
                .push(duplicate("permission", &p.name.node, p.name.span, first));
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

    fn declare_role(&mut self, r: &ast::Role) {
        let Some(id) = self.next_id(
            RoleId::new,
            self.model.roles.len(),
            "roles",
            RoleId::LIMIT,
            r.key.span,
        ) else {
            return;
        };
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
                let mut d = duplicate("role", &name.node, name.span, first);
                if !is_key {
                    d.labels[0].text =
                        format!("defined again here, as an alias of `{}`", r.key.node);
                }
                self.diags.push(d);
                if is_key {
                    return; // the key is taken: this role is not declared
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
    }

    fn declare_team(&mut self, t: &ast::Team) {
        if let Some(&id) = self.model.names.teams.get(t.key.node.as_str()) {
            let first = self.model[id].span;
            self.diags
                .push(duplicate("team", &t.key.node, t.key.span, first));
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
            self.diags
                .push(duplicate("user", &first.email, u.email.span, first.span));
            return;
        }
        let email = fold_email(&u.email.node);
        self.add_user(email, u.name.clone(), u.email.span, true);
    }

    fn add_user(
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

    /// The declared name of this kind closest to `name`, if one is close
    /// enough (bounded work: `diagnostics::suggest`).
    fn suggest(&mut self, names: NameSet, name: &str) -> Option<String> {
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

    /// The user with this email, declared on first mention by a member line.
    fn user_for(&mut self, email: &ast::Name) -> Option<UserId> {
        match self.model.user(&email.node) {
            Some(id) => Some(id),
            None => self.add_user(fold_email(&email.node), None, email.span, false),
        }
    }

    fn declare_resource(&mut self, r: &ast::Resource) {
        let Some(kind) = self.kind(&r.kind) else {
            return;
        };
        let key = format!("{}/{}", r.kind.node, r.key.node);
        if let Some(&id) = self.model.names.resources.get(&key) {
            let first = self.model[id].span;
            let what = self.model[kind].key.clone();
            self.diags
                .push(duplicate(&what, &r.key.node, r.key.span, first));
            return;
        }
        let Some(id) = self.next_id(
            ResourceId::new,
            self.model.resources.len(),
            "resources",
            ResourceId::LIMIT,
            r.key.span,
        ) else {
            return;
        };
        self.model.names.resources.insert(key, id);
        self.model.resources.push(Resource {
            kind,
            key: r.key.node.to_string(),
            title: r.title.clone(),
            span: r.key.span,
            shares: vec![],
        });
    }

    // ------------------------------------------------------------ lookups

    fn kind(&mut self, name: &ast::Name) -> Option<KindId> {
        if let Some(&k) = self.model.names.kinds.get(name.node.as_str()) {
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
        let clauses = [
            "requires", "includes", "grant", "alias", "only", "member", "share", "owner", "allow",
            "deny", "in", "as", "on", "to", "may",
        ];
        let stray = clauses.contains(&name.node.as_str()).then(|| {
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

    fn role(&mut self, name: &ast::Name) -> Option<RoleId> {
        if let Some(&r) = self.model.names.roles.get(name.node.as_str()) {
            return Some(r);
        }
        if self.too_many.contains(&"roles") {
            return None;
        }
        let fallback = format!("declare it with `role {} {{ grant … }}`", name.node);
        let suggestion = self.suggest(NameSet::Roles, &name.node);
        let d = unknown(
            Code::UnknownRole,
            "role",
            name,
            suggestion.as_deref(),
            fallback,
        );
        self.diags.push(d);
        None
    }

    fn team(&mut self, name: &ast::Name) -> Option<TeamId> {
        if let Some(&t) = self.model.names.teams.get(name.node.as_str()) {
            return Some(t);
        }
        if self.too_many.contains(&"teams") {
            return None;
        }
        let fallback = format!("declare it with `team {}`", name.node);
        let suggestion = self.suggest(NameSet::Teams, &name.node);
        let d = unknown(
            Code::UnknownTeam,
            "team",
            name,
            suggestion.as_deref(),
            fallback,
        );
        self.diags.push(d);
        None
    }

    fn permission(&mut self, name: &ast::Name) -> Option<PermId> {
        if let Some(&p) = self.model.names.perms.get(name.node.as_str()) {
            return Some(p);
        }
        if self.too_many.contains(&"permissions") {
            return None;
        }
        let fallback = format!("declare it with `permission {} on …`", name.node);
        let suggestion = self.suggest(NameSet::Permissions, &name.node);
        let d = unknown(
            Code::UnknownPermission,
            "permission",
            name,
            suggestion.as_deref(),
            fallback,
        );
        self.diags.push(d);
        None
    }

    /// The permissions a pattern (`*`, `p:*`, `p:a`) matches; an error when none.
    fn permission_pattern(&mut self, pattern: &ast::Name) -> Option<Vec<PermId>> {
        let text = pattern.node.as_str();
        if text == "*" {
            return Some(self.model.perm_ids().collect());
        }
        let Some(prefix) = text.strip_suffix(":*") else {
            return self.permission(pattern).map(|p| vec![p]);
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
    fn scope(&mut self, name: &ast::Name) -> Option<Scope> {
        match self.model.parse_scope(&name.node) {
            Ok(scope) => Some(scope),
            Err(e) => {
                self.scope_error(name, e);
                None
            }
        }
    }

    fn scope_error(&mut self, name: &ast::Name, error: ScopeError) {
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
                self.team(&key_name());
            }
            ScopeError::UnknownKind => {
                self.kind(&ast::Name::new(kind.into(), name.span));
            }
            ScopeError::UnknownResource => {
                // Suggest by key (`suport-bot` is close to `support-bot`; the
                // shared `use_case/` prefix would make every key look close).
                let suggestion = match self.model.names.kinds.get(kind).copied() {
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

    fn scope_pattern(&mut self, name: &ast::Name) -> Option<ScopePattern> {
        let text = name.node.as_str();
        let kind_part = text.strip_suffix("/*").unwrap_or(text);
        let wildcard = kind_part.len() != text.len() || !text.contains('/');
        if wildcard && text != "global" {
            if kind_part == "team" {
                return Some(ScopePattern::AnyTeam);
            }
            if let Some(&k) = self.model.names.kinds.get(kind_part) {
                return Some(ScopePattern::AnyOfKind(k));
            }
            if !text.contains('/') {
                self.scope_error(name, ScopeError::Malformed);
            } else {
                self.kind(&ast::Name::new(kind_part.into(), name.span));
            }
            return None;
        }
        self.scope(name).map(ScopePattern::Exact)
    }

    // ------------------------------------------------------------ references

    fn resolve_references(&mut self, items: &[&ast::Item]) {
        let mut members = Vec::new();
        let mut auths = Vec::new();
        let mut resource_key = String::new();
        for item in items {
            match item {
                ast::Item::Role(r) => self.resolve_role(r),
                ast::Item::Team(t) => {
                    members.extend(t.members.iter().map(|(email, role)| PendingMember {
                        email,
                        team: Cow::Borrowed(&t.key),
                        role: Cow::Borrowed(role),
                        span: Span {
                            end: role.span.end,
                            ..email.span
                        },
                        source: MemberSource::Member,
                    }))
                }
                ast::Item::User(u) => {
                    members.extend(u.teams.iter().map(|(team, role)| PendingMember {
                        email: &u.email,
                        team: Cow::Borrowed(team),
                        role: Cow::Borrowed(role),
                        span: Span {
                            end: role.span.end,
                            ..team.span
                        },
                        source: MemberSource::UserIn,
                    }))
                }
                ast::Item::Resource(r) => self.resolve_shares(r, &mut resource_key),
                ast::Item::Auth(a) => auths.push(a),
                _ => {}
            }
        }
        let auth = self.merge_auth(&auths);
        self.resolve_auth(auth.as_ref(), &mut members);
        self.resolve_members(members);
        trust::resolve(&mut self.model, &auths, &mut self.diags);
        for item in items {
            match item {
                ast::Item::Test(t) => self.resolve_test(t),
                ast::Item::Invariant(i) => self.resolve_invariant(i),
                _ => {}
            }
        }
    }

    fn resolve_role(&mut self, r: &ast::Role) {
        let Some(&id) = self.model.names.roles.get(r.key.node.as_str()) else {
            return;
        };
        if self.model[id].span != r.key.span {
            return; // a duplicate, already reported
        }
        let includes: Vec<(RoleId, Span)> = r
            .includes
            .iter()
            .filter_map(|n| self.role(n).map(|id| (id, n.span)))
            .collect();
        let mut grants = Vec::with_capacity(r.grants.len());
        let mut direct = PermSet::with_capacity(self.model.perms.len());
        for pattern in &r.grants {
            if let Some(perms) = self.permission_pattern(pattern) {
                perms.iter().for_each(|&p| direct.insert(p));
                grants.push(Grant {
                    pattern: pattern.node.to_string(),
                    perms,
                    span: pattern.span,
                });
            }
        }
        let only_in = r.only_in.as_ref().map(|teams| {
            let mut ids: Vec<TeamId> = teams.iter().filter_map(|t| self.team(t)).collect();
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

    /// `key` is scratch space for the resource's `KIND/KEY`.
    fn resolve_shares(&mut self, r: &ast::Resource, key: &mut String) {
        let Some(kind) = self.model.names.kinds.get(r.kind.node.as_str()).copied() else {
            return;
        };
        key.clear();
        key.extend([r.kind.node.as_str(), "/", r.key.node.as_str()]);
        let Some(&id) = self.model.names.resources.get(key.as_str()) else {
            return;
        };
        if self.model[id].span != r.key.span {
            return;
        }
        let mut shares: Vec<Share> = Vec::new();
        for s in &r.shares {
            let (team, role) = (self.team(&s.team), self.role(&s.role));
            let (Some(team), Some(role)) = (team, role) else {
                continue;
            };
            if let Some(first) = shares.iter().find(|x| x.team == team) {
                self.diags.push(
                    duplicate("share with team", &s.team.node, s.span, first.span)
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

    /// `auth` may be split across files (the built-ins set the defaults, the
    /// org lists its admins), but each setting is made once.
    fn merge_auth(&mut self, blocks: &[&ast::Auth]) -> Option<ast::Auth> {
        let (first, rest) = blocks.split_first()?;
        let mut merged = (*first).clone();
        for block in rest {
            let settings = [
                ("admin_team", &block.admin_team, &mut merged.admin_team),
                (
                    "default_team",
                    &block.default_team,
                    &mut merged.default_team,
                ),
                (
                    "default_role",
                    &block.default_role,
                    &mut merged.default_role,
                ),
            ];
            for (what, theirs, ours) in settings {
                match (theirs, ours.as_ref()) {
                    (Some(again), Some(first)) => {
                        self.diags
                            .push(duplicate("auth setting", what, again.span, first.span))
                    }
                    (Some(value), None) => *ours = Some(value.clone()),
                    (None, _) => {}
                }
            }
            match (&block.admins, &merged.admins) {
                (Some(again), Some(first)) => {
                    let at =
                        |v: &Vec<ast::Name>, fallback: Span| v.first().map_or(fallback, |n| n.span);
                    self.diags.push(duplicate(
                        "auth setting",
                        "admins",
                        at(again, block.span),
                        at(first, merged.span),
                    ))
                }
                (Some(value), None) => merged.admins = Some(value.clone()),
                (None, _) => {}
            }
        }
        Some(merged)
    }

    fn resolve_auth<'a>(
        &mut self,
        auth: Option<&'a ast::Auth>,
        members: &mut Vec<PendingMember<'a>>,
    ) {
        let default_auth = ast::Auth::default();
        let a = auth.unwrap_or(&default_auth);
        self.model.auth.span = auth.map(|a| a.span);
        self.model.auth.default_role_span = a.default_role.as_ref().map(|n| n.span);
        let admin_key = a.admin_team.as_ref().map_or("admin", |n| n.node.as_str());
        self.model.auth.admin_team_key = admin_key.to_string();
        self.model.auth.admin_team = match &a.admin_team {
            Some(name) => self.team(name),
            None => self.model.names.teams.get("admin").copied(),
        };
        match (&a.default_team, &a.default_role) {
            (Some(team), Some(role)) => {
                let (team, role) = (self.team(team), self.role(role));
                if let (Some(team), Some(role)) = (team, role) {
                    self.model.auth.default = Some((team, role));
                }
            }
            (Some(only), None) | (None, Some(only)) => {
                let missing = if a.default_team.is_some() {
                    "default_role"
                } else {
                    "default_team"
                };
                self.diags.push(
                    Diagnostic::new(
                        Code::IncompleteDefaults,
                        "`auth` sets only one of `default_team` and `default_role`",
                        only.span,
                        format!("`{missing}` is missing"),
                    )
                    .with_help(format!(
                        "new logins need both: add `{missing} …`, or remove this line so that new logins are denied everything"
                    )),
                );
            }
            (None, None) => {}
        }
        let Some(admins) = auth.and_then(|a| a.admins.as_ref()) else {
            return;
        };
        if admins.is_empty() {
            return;
        }
        let admin_role = self.model.names.roles.get("admin").copied();
        if admin_role.is_none() {
            self.diags.push(
                Diagnostic::new(
                    Code::AdminsWithoutAdminRole,
                    "`admins` are made members of the admin team with role `admin`, but no role `admin` is declared",
                    admins[0].span,
                    "these users need a role `admin`",
                )
                .with_help("declare `role admin \"Admin\" { grant * }`"),
            );
        }
        if self.model.auth.admin_team.is_none() && a.admin_team.is_none() {
            self.diags.push(
                Diagnostic::new(
                    Code::UnknownTeam,
                    format!("`admins` need the admin team `{admin_key}`, which is not declared"),
                    admins[0].span,
                    "members of the admin team",
                )
                .with_help(format!("declare it with `team {admin_key}`")),
            );
        }
        if admin_role.is_none() || self.model.auth.admin_team.is_none() {
            return;
        }
        for email in admins {
            members.push(PendingMember {
                email,
                team: Cow::Owned(ast::Name::new(admin_key.into(), email.span)),
                role: Cow::Owned(ast::Name::new("admin".into(), email.span)),
                span: email.span,
                source: MemberSource::Admins,
            });
        }
    }

    fn resolve_members(&mut self, pending: Vec<PendingMember>) {
        let mut seen: NameMap<(UserId, TeamId), Membership> = NameMap::default();
        let mut admins = Vec::new();
        for p in pending {
            let user = self.user_for(p.email);
            let (team, role) = (self.team(&p.team), self.role(&p.role));
            let (Some(user), Some(team), Some(role)) = (user, team, role) else {
                continue;
            };
            if p.source == MemberSource::Admins {
                admins.push(user); // whether or not a `member` line says it too
            }
            let membership = Membership {
                user,
                team,
                role,
                span: p.span,
                source: p.source,
            };
            match seen.get(&(user, team)) {
                Some(first) if first.role != role => {
                    let m = &self.model;
                    self.diags.push(
                        Diagnostic::new(
                            Code::ConflictingRoles,
                            format!(
                                "`{}` is given two roles in team `{}`: `{}` and `{}`",
                                m[user].email, m[team].key, m[first.role].key, m[role].key
                            ),
                            p.span,
                            format!("as `{}` here", m[role].key),
                        )
                        .with_label(first.span, format!("as `{}` here", m[first.role].key))
                        .with_help(
                            "a member holds exactly one role in a team: keep one of these lines",
                        ),
                    );
                }
                Some(_) => {}
                None => {
                    seen.insert((user, team), membership);
                }
            }
        }
        admins.sort_unstable();
        admins.dedup();
        self.model.auth.admins = admins;
        let mut all: Vec<Membership> = seen.into_values().collect();
        // Sorted by team first, so each team's members and each user's
        // memberships are pushed already sorted.
        all.sort_by_key(|m| (m.team, m.user));
        for m in &all {
            self.model.teams[m.team.index()].members.push(*m);
            self.model.users[m.user.index()].memberships.push(*m);
        }
    }

    fn resolve_test(&mut self, t: &ast::Test) {
        let mut lines = Vec::new();
        for line in &t.lines {
            let perm = self.permission(&line.permission);
            let scope = match &line.scope {
                Some(s) => self.scope(s),
                None => Some(Scope::Global),
            };
            let to = match &line.to {
                Some(to) => match self.scope(to) {
                    Some(Scope::Team(team)) => Some(Some(team)),
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
                        None
                    }
                    None => None,
                },
                None => Some(None),
            };
            let (Some(perm), Some(scope), Some(to)) = (perm, scope, to) else {
                continue;
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
                expect: line.expect,
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

    fn resolve_invariant(&mut self, inv: &ast::Invariant) {
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
            let perms = self.permission_pattern(permission);
            let scope = match scope {
                Some(s) => self.scope_pattern(s),
                None => Some(ScopePattern::Any),
            };
            let kind = match &rule.node {
                ast::Rule::OnlyTeam { teams, .. } => {
                    let ids: Vec<_> = teams.iter().filter_map(|t| self.team(t)).collect();
                    (ids.len() == teams.len()).then_some(InvariantKind::OnlyTeam(ids))
                }
                ast::Rule::OnlyRole { roles, .. } => {
                    let ids: Vec<_> = roles.iter().filter_map(|r| self.role(r)).collect();
                    (ids.len() == roles.len()).then_some(InvariantKind::OnlyRole(ids))
                }
                ast::Rule::Nobody { .. } => Some(InvariantKind::Nobody),
                ast::Rule::AtMost { count, .. } => Some(InvariantKind::AtMost(*count)),
                ast::Rule::Implies { implied, .. } => {
                    self.permission_pattern(implied).map(InvariantKind::Implies)
                }
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

    // ------------------------------------------------------------ checks

    /// `only in`: a role (with what it inherits) assigned outside its teams.
    fn check_memberships(&mut self) {
        let m = &self.model;
        for team in &m.teams {
            for member in &team.members {
                let role = &m[member.role];
                if role.allowed_in(member.team) {
                    continue;
                }
                // A role restricted to 40,000 teams would repeat all of them
                // in every violation: name a few, count the rest.
                const SHOWN: usize = 8;
                let teams = role.allowed_teams.as_deref().unwrap_or_default();
                let mut allowed = teams
                    .iter()
                    .take(SHOWN)
                    .map(|t| format!("`{}`", m[*t].key))
                    .collect::<Vec<_>>()
                    .join(", ");
                if teams.len() > SHOWN {
                    allowed.push_str(&format!(" and {} more", thousands(teams.len() - SHOWN)));
                }
                let mut d = Diagnostic::new(
                    Code::OnlyInViolation,
                    format!(
                        "role `{}` may not be assigned in team `{}`",
                        role.key, team.key
                    ),
                    member.span,
                    format!("`{}` is assigned `{}` here", m[member.user].email, role.key),
                );
                d = match restricting_role(m, member.role, member.team) {
                    Some((origin, span)) if origin != member.role => d.with_label(
                        span,
                        format!(
                            "`{}` includes `{}`, restricted here",
                            role.key, m[origin].key
                        ),
                    ),
                    Some((_, span)) => d.with_label(span, "restricted here"),
                    None => d,
                };
                let help = if allowed.is_empty() {
                    format!("`{}` may be assigned in no team", role.key)
                } else {
                    format!("`{}` may only be assigned in {allowed}", role.key)
                };
                self.diags.push(d.with_help(help));
            }
        }
    }
}

/// The role (the given one or one it includes) whose `only in` excludes `team`.
fn restricting_role(m: &Model, role: RoleId, team: TeamId) -> Option<(RoleId, Span)> {
    let mut stack = vec![role];
    let mut seen = std::collections::HashSet::new();
    while let Some(r) = stack.pop() {
        if !seen.insert(r) {
            continue;
        }
        if let Some((teams, span)) = &m[r].only_in {
            if teams.binary_search(&team).is_err() {
                return Some((r, *span));
            }
        }
        stack.extend(m[r].includes.iter().map(|(i, _)| *i));
    }
    None
}
