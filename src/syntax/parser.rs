//! pest pairs -> spanned AST, one `parse_<rule>` function per grammar rule.
//!
//! In: one file's text. Out: an [`ast::File`], or the syntax error with what
//! was expected, in words a user knows.

use pest::Parser as _;

use super::ast::{self, Expect, Name, Spanned};
use super::errors::{syntax_error, ErrorDetail};
use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/policy.pest"]
pub(super) struct PolicyParser;

type Pair<'a> = pest::iterators::Pair<'a, Rule>;
type Result<T> = std::result::Result<T, Diagnostic>;

/// Parses one policy file: the bulk of a large org through the scanner,
/// everything else, and every error, through the grammar.
pub fn parse_file(file: FileId, text: &str) -> Result<ast::File> {
    match super::scan::scan_bulk(file, text) {
        Some(parsed) => Ok(parsed),
        None => parse_with_grammar(file, text),
    }
}

/// Parses one policy file with the pest grammar alone.
pub fn parse_with_grammar(file: FileId, text: &str) -> Result<ast::File> {
    let ctx = Ctx { file };
    // Recording every parse attempt (pest's error detail) costs about half of
    // the parse time, and only an error needs it: parse without, and parse a
    // failing file again with it for the diagnostic.
    let mut pairs = PolicyParser::parse(Rule::file, text).map_err(|_| {
        let _detail = ErrorDetail::on();
        match PolicyParser::parse(Rule::file, text) {
            Err(e) => syntax_error(file, text, &e),
            Ok(_) => ctx.internal(Span::new(file, 0, 0)),
        }
    })?;
    let root = pairs
        .next()
        .ok_or_else(|| ctx.internal(Span::new(file, 0, 0)))?;
    ctx.parse_file(root)
}

struct Ctx {
    file: FileId,
}

impl Ctx {
    fn span(&self, pair: &Pair) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start(), s.end())
    }

    /// A clause's span without the whitespace and comments pest skips after
    /// its last token while looking for an optional part (`owner`, `to …`):
    /// it ends where its last inner token ends.
    fn tight_span(&self, pair: &Pair) -> Span {
        let mut span = self.span(pair);
        if let Some(last) = pair.clone().into_inner().last() {
            span.end = span.end.min(self.span(&last).end);
        }
        span
    }

    fn name(&self, pair: &Pair) -> Name {
        Spanned::new(pair.as_str().into(), self.span(pair))
    }

    /// The grammar and this file disagree: a bug, reported rather than a panic.
    fn internal(&self, span: Span) -> Diagnostic {
        Diagnostic::new(
            Code::Syntax,
            "internal error: the parser met a shape it does not know",
            span,
            "here",
        )
        .with_help("please report this policy to the rolegraph maintainers")
    }

    fn unexpected(&self, pair: &Pair) -> Diagnostic {
        self.internal(self.span(pair))
    }

    fn parse_file(&self, pair: Pair) -> Result<ast::File> {
        let mut items = Vec::new();
        for pair in pair.into_inner() {
            let item = match pair.as_rule() {
                Rule::auth => ast::Item::Auth(self.parse_auth(pair)?),
                Rule::kind_decl => ast::Item::Kind(self.parse_kind_decl(pair)?),
                Rule::permission => ast::Item::Permission(self.parse_permission(pair)?),
                Rule::role => ast::Item::Role(self.parse_role(pair)?),
                Rule::user => ast::Item::User(self.parse_user(pair)?),
                Rule::team => ast::Item::Team(self.parse_team(pair)?),
                Rule::resource => ast::Item::Resource(self.parse_resource(pair)?),
                Rule::test => ast::Item::Test(self.parse_test(pair)?),
                Rule::invariant => ast::Item::Invariant(self.parse_invariant(pair)?),
                Rule::EOI => continue,
                _ => return Err(self.unexpected(&pair)),
            };
            items.push(item);
        }
        Ok(ast::File { items })
    }

    fn parse_auth(&self, pair: Pair) -> Result<ast::Auth> {
        let mut auth = ast::Auth {
            span: self.span(&pair),
            ..Default::default()
        };
        for pair in pair.into_inner() {
            let setting = match pair.as_rule() {
                Rule::admin_team => Some(("admin_team", &mut auth.admin_team)),
                Rule::default_team => Some(("default_team", &mut auth.default_team)),
                Rule::default_role => Some(("default_role", &mut auth.default_role)),
                _ => None,
            };
            if let Some((what, slot)) = setting {
                // Each setting is made once (SPEC §4: duplicate definitions
                // are errors), within a block as across blocks; the second
                // must not silently win, nor `fmt` drop the first.
                let again = self.parse_single_key(pair)?;
                if let Some(first) = slot {
                    return Err(Diagnostic::duplicate(
                        "auth setting",
                        what,
                        again.span,
                        first.span,
                    ));
                }
                *slot = Some(again);
                continue;
            }
            match pair.as_rule() {
                Rule::admins => {
                    let emails = pair
                        .into_inner()
                        .map(|p| self.parse_email(p))
                        .collect::<Result<Vec<_>>>()?;
                    auth.admins.get_or_insert_with(Vec::new).extend(emails);
                }
                Rule::trust => {
                    let entries = self.parse_trust(pair)?;
                    auth.trust.get_or_insert_with(Vec::new).extend(entries);
                }
                Rule::kw_item => {}
                _ => return Err(self.unexpected(&pair)),
            }
        }
        Ok(auth)
    }

    /// `trust nobody`, or `trust team T [as R], role R, user EMAIL, …`.
    fn parse_trust(&self, pair: Pair) -> Result<Vec<Spanned<ast::Trusted>>> {
        let mut entries = Vec::new();
        for pair in pair.into_inner() {
            let span = self.tight_span(&pair);
            let entry = match pair.as_rule() {
                Rule::trust_nobody => ast::Trusted::Nobody,
                Rule::trust_team => {
                    let mut keys = pair.into_inner().map(|k| self.name(&k));
                    let team = keys.next().ok_or_else(|| self.internal(span))?;
                    ast::Trusted::Team {
                        team,
                        role: keys.next(),
                    }
                }
                Rule::trust_role => ast::Trusted::Role(self.parse_single_key(pair)?),
                Rule::trust_user => {
                    let email = pair
                        .into_inner()
                        .next()
                        .ok_or_else(|| self.internal(span))?;
                    ast::Trusted::User(self.parse_email(email)?)
                }
                _ => return Err(self.unexpected(&pair)),
            };
            entries.push(Spanned::new(entry, span));
        }
        Ok(entries)
    }

    fn parse_single_key(&self, pair: Pair) -> Result<Name> {
        let span = self.span(&pair);
        let key = pair
            .into_inner()
            .next()
            .ok_or_else(|| self.internal(span))?;
        Ok(self.name(&key))
    }

    fn parse_kind_decl(&self, pair: Pair) -> Result<ast::Kind> {
        let span = self.span(&pair);
        let mut key = None;
        let mut title = None;
        for pair in pair.into_inner() {
            match pair.as_rule() {
                Rule::key => key = Some(self.name(&pair)),
                Rule::string => title = Some(parse_string(&pair)),
                Rule::kw_item => {}
                _ => return Err(self.unexpected(&pair)),
            }
        }
        let key = key.ok_or_else(|| self.internal(span))?;
        Ok(ast::Kind { key, title })
    }

    fn parse_permission(&self, pair: Pair) -> Result<ast::Permission> {
        let span = self.span(&pair);
        let mut name = None;
        let mut scopes = Vec::new();
        let (mut requires_owner, mut target_team) = (false, false);
        let mut description = None;
        for pair in pair.into_inner() {
            match pair.as_rule() {
                Rule::perm => name = Some(self.name(&pair)),
                Rule::scope_kind => scopes.push(self.name(&pair)),
                Rule::requires => {
                    for req in pair.into_inner() {
                        match req.as_rule() {
                            Rule::req_owner => requires_owner = true,
                            Rule::req_target_team => target_team = true,
                            _ => return Err(self.unexpected(&req)),
                        }
                    }
                }
                Rule::string => description = Some(parse_string(&pair)),
                Rule::kw_item => {}
                _ => return Err(self.unexpected(&pair)),
            }
        }
        Ok(ast::Permission {
            name: name.ok_or_else(|| self.internal(span))?,
            scopes,
            requires_owner,
            target_team,
            description,
        })
    }

    fn parse_role(&self, pair: Pair) -> Result<ast::Role> {
        let span = self.span(&pair);
        let mut key = None;
        let mut role = ast::Role {
            key: Spanned::new(Default::default(), span),
            title: None,
            includes: vec![],
            grants: vec![],
            aliases: vec![],
            only_in: None,
        };
        for pair in pair.into_inner() {
            match pair.as_rule() {
                Rule::key => key = Some(self.name(&pair)),
                Rule::string => role.title = Some(parse_string(&pair)),
                Rule::includes => role.includes.extend(self.names(pair)),
                Rule::grant => role.grants.extend(self.names(pair)),
                Rule::alias => role.aliases.extend(self.names(pair)),
                Rule::only_in => role
                    .only_in
                    .get_or_insert_with(Vec::new)
                    .extend(self.names(pair)),
                Rule::kw_item => {}
                _ => return Err(self.unexpected(&pair)),
            }
        }
        role.key = key.ok_or_else(|| self.internal(span))?;
        Ok(role)
    }

    /// The names of a list clause (`includes a, b`, `grant x:y, z:*`).
    fn names(&self, pair: Pair) -> Vec<Name> {
        pair.into_inner().map(|p| self.name(&p)).collect()
    }

    fn parse_email(&self, pair: Pair) -> Result<Name> {
        match pair.as_rule() {
            Rule::bare_email => Ok(self.name(&pair)),
            Rule::string => {
                let email = parse_string(&pair);
                if !super::is_email_shaped(&email) {
                    return Err(Diagnostic::new(
                        Code::InvalidEmail,
                        format!("`{email}` is not an email"),
                        self.span(&pair),
                        "expected `name@domain`",
                    ));
                }
                if let Some(c) = super::forbidden_char_in_email(&email) {
                    return Err(Diagnostic::new(
                        Code::InvalidEmail,
                        format!("`{email}` is not an email: it holds {c}"),
                        self.span(&pair),
                        "an email holds no whitespace, control or format character",
                    )
                    .with_help(
                        "such characters are invisible or move the cursor, so the address would look like another: remove it",
                    ));
                }
                Ok(Spanned::new(email.into(), self.span(&pair)))
            }
            _ => Err(self.unexpected(&pair)),
        }
    }

    fn parse_user(&self, pair: Pair) -> Result<ast::User> {
        let span = self.span(&pair);
        let mut email = None;
        let mut name = None;
        let mut teams = Vec::new();
        for pair in pair.into_inner() {
            match pair.as_rule() {
                Rule::bare_email => email = Some(self.parse_email(pair)?),
                Rule::string if email.is_none() => email = Some(self.parse_email(pair)?),
                Rule::string => name = Some(parse_string(&pair)),
                Rule::user_in => teams.push(self.parse_pair_of_keys(pair)?),
                Rule::kw_item => {}
                _ => return Err(self.unexpected(&pair)),
            }
        }
        Ok(ast::User {
            email: email.ok_or_else(|| self.internal(span))?,
            name,
            teams,
        })
    }

    /// `in TEAM as ROLE`.
    fn parse_pair_of_keys(&self, pair: Pair) -> Result<(Name, Name)> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        match (inner.next(), inner.next()) {
            (Some(a), Some(b)) => Ok((self.name(&a), self.name(&b))),
            _ => Err(self.internal(span)),
        }
    }

    fn parse_team(&self, pair: Pair) -> Result<ast::Team> {
        let span = self.span(&pair);
        let mut key = None;
        let mut title = None;
        let mut members = Vec::new();
        for pair in pair.into_inner() {
            match pair.as_rule() {
                Rule::key => key = Some(self.name(&pair)),
                Rule::string => title = Some(parse_string(&pair)),
                Rule::member => members.push(self.parse_member(pair)?),
                Rule::kw_item => {}
                _ => return Err(self.unexpected(&pair)),
            }
        }
        Ok(ast::Team {
            key: key.ok_or_else(|| self.internal(span))?,
            title,
            members,
        })
    }

    /// `member EMAIL as ROLE`.
    fn parse_member(&self, pair: Pair) -> Result<(Name, Name)> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        match (inner.next(), inner.next()) {
            (Some(email), Some(role)) => Ok((self.parse_email(email)?, self.name(&role))),
            _ => Err(self.internal(span)),
        }
    }

    fn parse_resource(&self, pair: Pair) -> Result<ast::Resource> {
        let span = self.span(&pair);
        let mut keys = Vec::new();
        let mut title = None;
        let mut shares = Vec::new();
        for pair in pair.into_inner() {
            match pair.as_rule() {
                Rule::key => keys.push(self.name(&pair)),
                Rule::string => title = Some(parse_string(&pair)),
                Rule::share => shares.push(self.parse_share(pair)?),
                _ => return Err(self.unexpected(&pair)),
            }
        }
        let mut keys = keys.into_iter();
        match (keys.next(), keys.next()) {
            (Some(kind), Some(key)) => Ok(ast::Resource {
                kind,
                key,
                title,
                shares,
            }),
            _ => Err(self.internal(span)),
        }
    }

    fn parse_share(&self, pair: Pair) -> Result<ast::Share> {
        let span = self.tight_span(&pair);
        let mut keys = Vec::new();
        let mut owner = false;
        for pair in pair.into_inner() {
            match pair.as_rule() {
                Rule::key => keys.push(self.name(&pair)),
                Rule::owner => owner = true,
                _ => return Err(self.unexpected(&pair)),
            }
        }
        let mut keys = keys.into_iter();
        match (keys.next(), keys.next()) {
            (Some(team), Some(role)) => Ok(ast::Share {
                team,
                role,
                owner,
                span,
            }),
            _ => Err(self.internal(span)),
        }
    }

    fn parse_test(&self, pair: Pair) -> Result<ast::Test> {
        let span = self.span(&pair);
        let mut name = None;
        let mut lines = Vec::new();
        for pair in pair.into_inner() {
            match pair.as_rule() {
                Rule::string => {
                    name = Some(Spanned::new(parse_string(&pair).into(), self.span(&pair)))
                }
                Rule::test_line => lines.push(self.parse_test_line(pair)?),
                Rule::kw_item => {}
                _ => return Err(self.unexpected(&pair)),
            }
        }
        Ok(ast::Test {
            name: name.ok_or_else(|| self.internal(span))?,
            lines,
        })
    }

    fn parse_test_line(&self, pair: Pair) -> Result<ast::TestLine> {
        let span = self.tight_span(&pair);
        let (mut expect, mut user, mut permission, mut scope, mut to) =
            (None, None, None, None, None);
        for pair in pair.into_inner() {
            match pair.as_rule() {
                Rule::expect => {
                    expect = Some(if pair.as_str() == "allow" {
                        Expect::Allow
                    } else {
                        Expect::Deny
                    })
                }
                Rule::bare_email | Rule::string => user = Some(self.parse_email(pair)?),
                Rule::perm => permission = Some(self.name(&pair)),
                Rule::scope => scope = Some(self.name(&pair)),
                Rule::to_team => to = Some(self.parse_single_key(pair)?),
                _ => return Err(self.unexpected(&pair)),
            }
        }
        match (expect, user, permission) {
            (Some(expect), Some(user), Some(permission)) => Ok(ast::TestLine {
                expect,
                user,
                permission,
                scope,
                to,
                span,
            }),
            _ => Err(self.internal(span)),
        }
    }

    fn parse_invariant(&self, pair: Pair) -> Result<ast::Invariant> {
        let span = self.span(&pair);
        let mut name = None;
        let mut rules = Vec::new();
        for pair in pair.into_inner() {
            match pair.as_rule() {
                Rule::string => {
                    name = Some(Spanned::new(parse_string(&pair).into(), self.span(&pair)))
                }
                Rule::only_team
                | Rule::only_role
                | Rule::nobody
                | Rule::at_most
                | Rule::implies => rules.push(self.parse_invariant_rule(pair)?),
                Rule::kw_item => {}
                _ => return Err(self.unexpected(&pair)),
            }
        }
        Ok(ast::Invariant {
            name: name.ok_or_else(|| self.internal(span))?,
            rules,
        })
    }

    fn parse_invariant_rule(&self, pair: Pair) -> Result<Spanned<ast::Rule>> {
        let span = self.tight_span(&pair);
        let rule = pair.as_rule();
        let mut keys = Vec::new();
        let mut perms = Vec::new();
        let mut scope = None;
        let mut count = None;
        for pair in pair.into_inner() {
            match pair.as_rule() {
                Rule::key => keys.push(self.name(&pair)),
                Rule::perm_pattern => perms.push(self.name(&pair)),
                Rule::on_scope => scope = Some(self.parse_single_key(pair)?),
                Rule::count => {
                    count = Some(pair.as_str().parse::<u32>().map_err(|_| {
                        Diagnostic::new(
                            Code::Syntax,
                            format!("`{}` is too large a count", pair.as_str()),
                            self.span(&pair),
                            format!("at most {}", u32::MAX),
                        )
                    })?)
                }
                _ => return Err(self.unexpected(&pair)),
            }
        }
        let mut perms = perms.into_iter();
        let permission = perms.next().ok_or_else(|| self.internal(span))?;
        let node = match rule {
            Rule::only_team => ast::Rule::OnlyTeam {
                teams: keys,
                permission,
                scope,
            },
            Rule::only_role => ast::Rule::OnlyRole {
                roles: keys,
                permission,
                scope,
            },
            Rule::nobody => ast::Rule::Nobody { permission, scope },
            Rule::at_most => ast::Rule::AtMost {
                count: count.ok_or_else(|| self.internal(span))?,
                permission,
                scope,
            },
            Rule::implies => ast::Rule::Implies {
                permission,
                implied: perms.next().ok_or_else(|| self.internal(span))?,
                scope,
            },
            _ => return Err(self.internal(span)),
        };
        Ok(Spanned::new(node, span))
    }
}

/// The value of a string literal, escapes resolved.
fn parse_string(pair: &Pair) -> String {
    let raw = pair.as_str();
    let inner = raw
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(raw);
    unescape(inner)
}

/// A string literal's text between the quotes, escapes resolved.
pub(super) fn unescape(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}
