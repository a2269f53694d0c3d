//! One file's names, located: what each name in the text stands for.
//!
//! In: a file's text, parsed by the library's [`syntax`](crate::syntax)
//! stage. Out: a [`FileIndex`]: every name as an [`Occurrence`] (a
//! declaration or a use of a role, team, user, permission, kind or
//! resource), every test line, and the outline of the file's items. The
//! editor's navigation (definition, references, rename, hover) reads this;
//! it works on text that parses even while the policy has resolve errors.

use compact_str::CompactString;

use crate::diagnostics::Diagnostic;
use crate::source::{FileId, Span};
use crate::syntax::{self, ast};

/// What a name stands for. Users are lower-case (emails compare with ASCII
/// case folding).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Symbol {
    Role(CompactString),
    Team(CompactString),
    User(CompactString),
    Permission(CompactString),
    /// `*` or `prefix:*`: every declared permission it matches.
    Pattern(CompactString),
    Kind(CompactString),
    Resource {
        kind: CompactString,
        key: CompactString,
    },
}

impl Symbol {
    /// The name as written in a declaration.
    pub fn name(&self) -> &str {
        match self {
            Symbol::Role(n)
            | Symbol::Team(n)
            | Symbol::User(n)
            | Symbol::Permission(n)
            | Symbol::Pattern(n)
            | Symbol::Kind(n) => n,
            Symbol::Resource { key, .. } => key,
        }
    }

    pub fn what(&self) -> &'static str {
        match self {
            Symbol::Role(_) => "role",
            Symbol::Team(_) => "team",
            Symbol::User(_) => "user",
            Symbol::Permission(_) => "permission",
            Symbol::Pattern(_) => "permission pattern",
            Symbol::Kind(_) => "kind",
            Symbol::Resource { .. } => "resource",
        }
    }
}

/// How a name is used where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Usage {
    /// Where it is defined: `role KEY`, `team KEY`, `user EMAIL`, …
    Declaration,
    /// `alias NAME` in role `of`: a second key for that role.
    Alias {
        of: CompactString,
    },
    /// A `member` line or an `admins` entry: a use that also declares the
    /// user when no `user` item does.
    Member,
    Reference,
}

#[derive(Clone, Debug)]
pub struct Occurrence {
    /// Byte offsets in the text without its byte-order mark.
    pub start: u32,
    pub end: u32,
    pub symbol: Symbol,
    pub usage: Usage,
}

impl Occurrence {
    pub fn contains(&self, offset: usize) -> bool {
        self.start as usize <= offset && offset <= self.end as usize
    }
}

/// A test line, as written.
#[derive(Clone, Debug)]
pub struct TestLine {
    pub expect: ast::Expect,
    pub start: u32,
    pub end: u32,
    pub user: CompactString,
    pub permission: CompactString,
    pub scope: Option<CompactString>,
    pub to: Option<CompactString>,
}

/// What an item of the outline is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Auth,
    Kind,
    Permission,
    Role,
    User,
    Team,
    Resource,
    Test,
    Invariant,
}

/// One item of a file, for the outline and workspace symbols.
#[derive(Clone, Debug)]
pub struct OutlineItem {
    pub kind: ItemKind,
    pub name: String,
    pub detail: Option<String>,
    /// The whole item.
    pub start: u32,
    pub end: u32,
    /// Its name.
    pub name_start: u32,
    pub name_end: u32,
}

/// A resource's `share` lines, for the missing-owner fix.
#[derive(Clone, Debug)]
pub struct ResourceShares {
    pub key_start: u32,
    /// (team, role, where the line ends)
    pub shares: Vec<(CompactString, CompactString, u32)>,
}

#[derive(Clone, Debug, Default)]
pub struct FileIndex {
    /// Sorted by start; names never overlap.
    pub occurrences: Vec<Occurrence>,
    /// Sorted by start.
    pub test_lines: Vec<TestLine>,
    pub outline: Vec<OutlineItem>,
    pub resources: Vec<ResourceShares>,
    /// The file's `auth` sets `admin_team`.
    pub sets_admin_team: bool,
    /// The file's `auth` lists `admins` (who are given the role `admin`).
    pub lists_admins: bool,
}

impl FileIndex {
    /// Parses a file (its text without a byte-order mark) and indexes it.
    pub fn build(file: FileId, text: &str) -> Result<FileIndex, Diagnostic> {
        let ast = syntax::parse_file(file, text)?;
        let mut index = FileIndex::default();
        for item in &ast.items {
            index.item(text, item);
        }
        index.occurrences.sort_by_key(|o| o.start);
        index.test_lines.sort_by_key(|t| t.start);
        index.outline.sort_by_key(|o| o.start);
        // An item runs to its last token before the next item.
        let starts: Vec<u32> = index.outline.iter().map(|o| o.start).collect();
        for (i, item) in index.outline.iter_mut().enumerate() {
            let next = starts.get(i + 1).map_or(text.len(), |&s| s as usize);
            item.end = super::position::saturating_u32(
                last_token_end(text, item.start as usize, next).max(item.name_end as usize),
            );
        }
        Ok(index)
    }

    /// The name at a byte offset (a cursor just after a name is on it).
    pub fn at(&self, offset: usize) -> Option<&Occurrence> {
        let i = self
            .occurrences
            .partition_point(|o| o.start as usize <= offset);
        let o = self.occurrences.get(i.checked_sub(1)?)?;
        o.contains(offset).then_some(o)
    }

    /// The test line at a byte offset.
    pub fn test_line_at(&self, offset: usize) -> Option<&TestLine> {
        let i = self
            .test_lines
            .partition_point(|t| t.start as usize <= offset);
        let t = self.test_lines.get(i.checked_sub(1)?)?;
        (offset <= t.end as usize).then_some(t)
    }

    fn push(&mut self, span: Span, symbol: Symbol, usage: Usage) {
        self.occurrences.push(Occurrence {
            start: span.start,
            end: span.end,
            symbol,
            usage,
        });
    }

    fn reference(&mut self, name: &ast::Name, symbol: fn(CompactString) -> Symbol) {
        self.push(name.span, symbol(name.node.clone()), Usage::Reference);
    }

    fn user(&mut self, email: &ast::Name, usage: Usage) {
        let lower = email.node.to_ascii_lowercase();
        self.push(email.span, Symbol::User(lower), usage);
    }

    fn permission(&mut self, name: &ast::Name) {
        if name.node == "*" || name.node.ends_with(":*") {
            self.reference(name, Symbol::Pattern);
        } else {
            self.reference(name, Symbol::Permission);
        }
    }

    fn outline(
        &mut self,
        text: &str,
        kind: ItemKind,
        name: &ast::Name,
        shown: impl Into<String>,
        detail: Option<&String>,
    ) {
        let start = match kind {
            ItemKind::Resource => name.span.start,
            _ => super::position::saturating_u32(keyword_start(text, name.span.start as usize)),
        };
        self.outline.push(OutlineItem {
            kind,
            name: shown.into(),
            detail: detail.cloned(),
            start,
            end: name.span.end,
            name_start: name.span.start,
            name_end: name.span.end,
        });
    }

    fn item(&mut self, text: &str, item: &ast::Item) {
        match item {
            ast::Item::Auth(a) => {
                self.sets_admin_team |= a.admin_team.is_some();
                self.lists_admins |= a.admins.as_ref().is_some_and(|v| !v.is_empty());
                for team in [&a.admin_team, &a.default_team].into_iter().flatten() {
                    self.reference(team, Symbol::Team);
                }
                if let Some(role) = &a.default_role {
                    self.reference(role, Symbol::Role);
                }
                for email in a.admins.iter().flatten() {
                    self.user(email, Usage::Member);
                }
                self.outline.push(OutlineItem {
                    kind: ItemKind::Auth,
                    name: "auth".to_string(),
                    detail: None,
                    start: a.span.start,
                    end: a.span.end,
                    name_start: a.span.start,
                    name_end: a.span.start + 4,
                });
            }
            ast::Item::Kind(k) => {
                self.push(
                    k.key.span,
                    Symbol::Kind(k.key.node.clone()),
                    Usage::Declaration,
                );
                self.outline(
                    text,
                    ItemKind::Kind,
                    &k.key,
                    k.key.node.as_str(),
                    k.title.as_ref(),
                );
            }
            ast::Item::Permission(p) => {
                self.push(
                    p.name.span,
                    Symbol::Permission(p.name.node.clone()),
                    Usage::Declaration,
                );
                for scope in &p.scopes {
                    if scope.node != "global" && scope.node != "team" {
                        self.reference(scope, Symbol::Kind);
                    }
                }
                let name = p.name.node.as_str();
                self.outline(
                    text,
                    ItemKind::Permission,
                    &p.name,
                    name,
                    p.description.as_ref(),
                );
            }
            ast::Item::Role(r) => {
                self.push(
                    r.key.span,
                    Symbol::Role(r.key.node.clone()),
                    Usage::Declaration,
                );
                for alias in &r.aliases {
                    let of = r.key.node.clone();
                    self.push(
                        alias.span,
                        Symbol::Role(alias.node.clone()),
                        Usage::Alias { of },
                    );
                }
                for include in &r.includes {
                    self.reference(include, Symbol::Role);
                }
                for grant in &r.grants {
                    self.permission(grant);
                }
                for team in r.only_in.iter().flatten() {
                    self.reference(team, Symbol::Team);
                }
                self.outline(
                    text,
                    ItemKind::Role,
                    &r.key,
                    r.key.node.as_str(),
                    r.title.as_ref(),
                );
            }
            ast::Item::User(u) => {
                self.user(&u.email, Usage::Declaration);
                for (team, role) in &u.teams {
                    self.reference(team, Symbol::Team);
                    self.reference(role, Symbol::Role);
                }
                let email = u.email.node.as_str();
                self.outline(text, ItemKind::User, &u.email, email, u.name.as_ref());
            }
            ast::Item::Team(t) => {
                self.push(
                    t.key.span,
                    Symbol::Team(t.key.node.clone()),
                    Usage::Declaration,
                );
                for (email, role) in &t.members {
                    self.user(email, Usage::Member);
                    self.reference(role, Symbol::Role);
                }
                self.outline(
                    text,
                    ItemKind::Team,
                    &t.key,
                    t.key.node.as_str(),
                    t.title.as_ref(),
                );
            }
            ast::Item::Resource(r) => {
                self.reference(&r.kind, Symbol::Kind);
                let symbol = Symbol::Resource {
                    kind: r.kind.node.clone(),
                    key: r.key.node.clone(),
                };
                self.push(r.key.span, symbol, Usage::Declaration);
                let mut shares = Vec::new();
                for share in &r.shares {
                    self.reference(&share.team, Symbol::Team);
                    self.reference(&share.role, Symbol::Role);
                    shares.push((
                        share.team.node.clone(),
                        share.role.node.clone(),
                        share.role.span.end,
                    ));
                }
                self.resources.push(ResourceShares {
                    key_start: r.key.span.start,
                    shares,
                });
                let name = format!("{} {}", r.kind.node, r.key.node);
                self.outline(text, ItemKind::Resource, &r.kind, name, r.title.as_ref());
                if let Some(o) = self.outline.last_mut() {
                    (o.name_start, o.name_end) = (r.key.span.start, r.key.span.end);
                }
            }
            ast::Item::Test(t) => {
                for line in &t.lines {
                    self.user(&line.user, Usage::Reference);
                    self.permission(&line.permission);
                    for scope in [&line.scope, &line.to].into_iter().flatten() {
                        self.scope(scope);
                    }
                    self.test_lines.push(TestLine {
                        expect: line.expect,
                        start: line.span.start,
                        end: line.span.end,
                        user: line.user.node.clone(),
                        permission: line.permission.node.clone(),
                        scope: line.scope.as_ref().map(|s| s.node.clone()),
                        to: line.to.as_ref().map(|s| s.node.clone()),
                    });
                }
                let name = format!("test \"{}\"", t.name.node);
                self.outline(text, ItemKind::Test, &t.name, name, None);
            }
            ast::Item::Invariant(inv) => {
                for rule in &inv.rules {
                    self.rule(&rule.node);
                }
                let name = format!("invariant \"{}\"", inv.name.node);
                self.outline(text, ItemKind::Invariant, &inv.name, name, None);
            }
        }
    }

    fn rule(&mut self, rule: &ast::Rule) {
        let (permission, scope) = match rule {
            ast::Rule::OnlyTeam {
                teams,
                permission,
                scope,
            } => {
                for team in teams {
                    self.reference(team, Symbol::Team);
                }
                (permission, scope)
            }
            ast::Rule::OnlyRole {
                roles,
                permission,
                scope,
            } => {
                for role in roles {
                    self.reference(role, Symbol::Role);
                }
                (permission, scope)
            }
            ast::Rule::Nobody { permission, scope }
            | ast::Rule::AtMost {
                permission, scope, ..
            } => (permission, scope),
            ast::Rule::Implies {
                permission,
                implied,
                scope,
            } => {
                self.permission(implied);
                (permission, scope)
            }
        };
        self.permission(permission);
        if let Some(scope) = scope {
            self.scope(scope);
        }
    }

    /// `team/KEY`, `KIND/KEY`, `KIND/*` or `KIND`: each part that names
    /// something.
    fn scope(&mut self, scope: &ast::Name) {
        let text = scope.node.as_str();
        let start = scope.span.start as usize;
        let part = |from: usize, s: &str| {
            ast::Name::new(s.into(), Span::new(scope.span.file, from, from + s.len()))
        };
        let Some((kind, key)) = text.split_once('/') else {
            if text != "global" && text != "team" {
                self.reference(&part(start, text), Symbol::Kind);
            }
            return;
        };
        let key_name = part(start + kind.len() + 1, key);
        if kind == "team" {
            if key != "*" {
                self.reference(&key_name, Symbol::Team);
            }
            return;
        }
        self.reference(&part(start, kind), Symbol::Kind);
        if key != "*" {
            let symbol = Symbol::Resource {
                kind: kind.into(),
                key: key.into(),
            };
            self.push(key_name.span, symbol, Usage::Reference);
        }
    }
}

/// The start of the keyword before a name (`role` in `role admin`).
fn keyword_start(text: &str, name_start: usize) -> usize {
    let before = &text[..name_start.min(text.len())];
    let trimmed = before.trim_end();
    let word = trimmed
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_ascii_alphanumeric() || c == '_')
        .last();
    word.map_or(name_start, |(i, _)| i)
}

/// Where the last token in `text[start..end]` ends, skipping comments and
/// whitespace (strings are tokens).
fn last_token_end(text: &str, start: usize, end: usize) -> usize {
    let region = text.get(start..end.min(text.len())).unwrap_or("");
    let mut last = 0;
    let mut chars = region.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '#' => while chars.next_if(|&(_, c)| c != '\n' && c != '\r').is_some() {},
            '"' => {
                let mut close = i + 1;
                while let Some((j, c)) = chars.next() {
                    close = j + c.len_utf8();
                    match c {
                        '\\' => {
                            if let Some((k, c)) = chars.next() {
                                close = k + c.len_utf8();
                            }
                        }
                        '"' | '\n' => break,
                        _ => {}
                    }
                }
                last = close;
            }
            c if c.is_whitespace() => {}
            c => last = i + c.len_utf8(),
        }
    }
    start + last
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const TEXT: &str = r#"kind use_case "Use case"
permission use_case:read on use_case "View"
role reader "Reader" { alias viewer grant use_case:* only in t }
team t { member Ana@acme.com as reader }  # a comment
use_case bot { share t as viewer owner }
test "x" {
  allow ana@acme.com use_case:read on use_case/bot
}
invariant "y" { only team t may use_case:read on team/* }
"#;

    fn at<'a>(index: &'a FileIndex, needle: &str, nth: usize) -> Option<&'a Occurrence> {
        let offset = TEXT.match_indices(needle).nth(nth).unwrap().0;
        index.at(offset + 1)
    }

    #[test]
    fn names_are_located() {
        let index = FileIndex::build(FileId(0), TEXT).unwrap();
        let role = at(&index, "reader", 0).unwrap();
        assert_eq!(role.symbol, Symbol::Role("reader".into()));
        assert_eq!(role.usage, Usage::Declaration);
        let alias = at(&index, "viewer", 0).unwrap();
        assert_eq!(
            alias.usage,
            Usage::Alias {
                of: "reader".into()
            }
        );
        assert_eq!(at(&index, "viewer", 1).unwrap().usage, Usage::Reference);
        let user = at(&index, "Ana@", 0).unwrap();
        assert_eq!(user.symbol, Symbol::User("ana@acme.com".into()));
        let bot = at(&index, "bot", 1).unwrap();
        assert_eq!(
            bot.symbol,
            Symbol::Resource {
                kind: "use_case".into(),
                key: "bot".into()
            }
        );
        assert_eq!(
            at(&index, "use_case/bot", 0).unwrap().symbol,
            Symbol::Kind("use_case".into())
        );
        assert_eq!(
            at(&index, "use_case:*", 0).unwrap().symbol,
            Symbol::Pattern("use_case:*".into())
        );
        assert!(at(&index, "team/*", 0).is_none());
        let line = index.test_line_at(TEXT.find("allow").unwrap()).unwrap();
        assert_eq!(line.scope.as_deref(), Some("use_case/bot"));
    }

    #[test]
    fn outline_spans_whole_items() {
        let index = FileIndex::build(FileId(0), TEXT).unwrap();
        let team = index
            .outline
            .iter()
            .find(|o| o.kind == ItemKind::Team)
            .unwrap();
        let text = &TEXT[team.start as usize..team.end as usize];
        assert_eq!(text, "team t { member Ana@acme.com as reader }");
        let resource = index
            .outline
            .iter()
            .find(|o| o.kind == ItemKind::Resource)
            .unwrap();
        assert_eq!(resource.name, "use_case bot");
        assert!(TEXT[resource.start as usize..].starts_with("use_case bot"));
        let inv = index.outline.last().unwrap();
        assert!(TEXT[inv.start as usize..inv.end as usize].ends_with("team/* }"));
    }
}
