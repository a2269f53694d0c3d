//! pest pairs -> spanned AST, one `parse_<rule>` function per grammar rule.
//!
//! In: one file's text. Out: an [`ast::File`], or the syntax error with what
//! was expected, in words a user knows.

use pest::Parser as _;

use super::ast::{self, Expect, Name, Spanned};
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::source::{FileId, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/policy.pest"]
struct PolicyParser;

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
    // failing file again with it for the diagnostic. The flag is a global
    // that is never reset, so a concurrent parse never loses it.
    let mut pairs = PolicyParser::parse(Rule::file, text).map_err(|_| {
        pest::set_error_detail(true);
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
            match pair.as_rule() {
                Rule::admin_team => auth.admin_team = Some(self.parse_single_key(pair)?),
                Rule::default_team => auth.default_team = Some(self.parse_single_key(pair)?),
                Rule::default_role => auth.default_role = Some(self.parse_single_key(pair)?),
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
                let valid = email
                    .split_once('@')
                    .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
                if !valid {
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

/// What a rule is called in "expected …" lists.
fn rule_words(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of file",
        Rule::key => "a name",
        Rule::perm => "a permission (`prefix:action`)",
        Rule::perm_pattern => "a permission pattern (`prefix:action`, `prefix:*` or `*`)",
        Rule::scope => "a scope (`global`, `team/KEY` or `KIND/KEY`)",
        Rule::scope_pattern => "a scope pattern (`global`, `team/*`, `KIND/KEY`)",
        Rule::scope_kind => "a scope (`global`, `team` or a resource kind)",
        Rule::count => "a number",
        Rule::bare_email => "an email",
        Rule::string | Rule::string_inner => "a quoted string",
        Rule::kw_item => "an item (`permission`, `role`, `team`, `user`, `test`, …)",
        Rule::auth | Rule::kind_decl | Rule::permission | Rule::role | Rule::user | Rule::team => {
            "an item"
        }
        Rule::resource => "a resource (`KIND KEY { share … }`)",
        Rule::test | Rule::invariant => "an item",
        Rule::admin_team => "`admin_team`",
        Rule::default_team => "`default_team`",
        Rule::default_role => "`default_role`",
        Rule::admins => "`admins`",
        Rule::trust | Rule::kw_trust => "`trust`",
        Rule::trust_nobody | Rule::kw_trust_nobody => "`nobody`",
        Rule::trust_team => "`team`",
        Rule::trust_role => "`role`",
        Rule::trust_user | Rule::kw_user => "`user`",
        Rule::requires => "`requires`",
        Rule::req_owner => "`owner`",
        Rule::req_target_team => "`target team`",
        Rule::includes => "`includes`",
        Rule::grant => "`grant`",
        Rule::alias => "`alias`",
        Rule::only_in => "`only in`",
        Rule::user_in => "`in TEAM as ROLE`",
        Rule::member => "`member EMAIL as ROLE`",
        Rule::share => "`share TEAM as ROLE`",
        Rule::owner => "`owner`",
        Rule::test_line => "an `allow` or `deny` line",
        Rule::expect => "`allow` or `deny`",
        Rule::to_team => "`to team/KEY`",
        Rule::on_scope => "`on SCOPE`",
        Rule::kw_on => "`on`",
        Rule::kw_owner => "`owner`",
        // The word that starts a clause stands for the clause.
        Rule::kw_admin_team => "`admin_team`",
        Rule::kw_default_team => "`default_team`",
        Rule::kw_default_role => "`default_role`",
        Rule::kw_admins => "`admins`",
        Rule::kw_requires => "`requires`",
        Rule::kw_target => "`target team`",
        Rule::kw_includes => "`includes`",
        Rule::kw_grant => "`grant`",
        Rule::kw_alias => "`alias`",
        Rule::kw_only_in => "`only in`",
        Rule::kw_in_team => "`in TEAM as ROLE`",
        Rule::kw_member => "`member EMAIL as ROLE`",
        Rule::kw_share => "`share TEAM as ROLE`",
        Rule::kw_to => "`to team/KEY`",
        Rule::kw_only_rule => "`only team …` or `only role …`",
        Rule::kw_nobody => "`nobody may …`",
        Rule::kw_at => "`at most N users may …`",
        Rule::kw_implies => "`implies`",
        // Later words of a clause.
        Rule::kw_team => "`team`",
        Rule::kw_role => "`role`",
        Rule::kw_in => "`in`",
        Rule::kw_as => "`as`",
        Rule::kw_may => "`may`",
        Rule::kw_most => "`most`",
        Rule::kw_users => "`users`",
        Rule::only_team | Rule::only_role => "`only team …` or `only role …`",
        Rule::nobody => "`nobody may …`",
        Rule::at_most => "`at most N users may …`",
        Rule::implies => "`P implies Q`",
        _ => return None,
    })
}

fn syntax_error(file: FileId, text: &str, err: &pest::error::Error<Rule>) -> Diagnostic {
    let err_pos = match err.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    // What pest expected where it gave up: whole rules (a name, an email)…
    let mut rules: Vec<String> = Vec::new();
    if let pest::error::ErrorVariant::ParsingError { positives, .. } = &err.variant {
        rules.extend(
            positives
                .iter()
                .filter_map(|r| rule_words(*r))
                .map(String::from),
        );
    }
    // …and the literal tokens (`as`, `{`) tried at the furthest position.
    // Ranges and built-ins say nothing a user would type.
    let (mut pos, mut expected) = (err_pos, rules.clone());
    if let Some(attempts) = err.parse_attempts() {
        if attempts.max_position >= err_pos {
            let mut tokens = Vec::new();
            for token in attempts.expected_tokens() {
                let token = token.to_string();
                let is_range = token.chars().count() == 4 && token.contains("..");
                let noise = token.trim().is_empty()
                    || matches!(token.as_str(), "#" | "\"" | "\\" | "BUILTIN_RULE");
                if !is_range && !noise {
                    tokens.push(format!("`{token}`"));
                }
            }
            // A keyword's whole-word check matched `grant` in `grants` and
            // then failed: the furthest attempt is inside that word and
            // says nothing. What was expected where the word starts does.
            let inside_keyword = tokens.is_empty()
                && attempts.max_position > err_pos
                && text[err_pos..attempts.max_position]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
            if !inside_keyword {
                if attempts.max_position > err_pos {
                    expected.clear();
                }
                pos = attempts.max_position;
                expected.extend(tokens);
            }
        }
    }
    // The characters a word could go on with (`-`, `:`) only help when
    // nothing else is expected; then pest stopped inside a word (`use_case`
    // where `prefix:action` was due, `ana` where an email was): say what word
    // was expected and point at all of it.
    let continuation = ["`-`", "`.`", "`:`", "`_`", "`/`", "`*`", "`@`"];
    let only_continuation =
        !expected.is_empty() && expected.iter().all(|e| continuation.contains(&e.as_str()));
    let after_word = text[..pos].chars().next_back().is_some_and(is_word_char);
    let in_word = after_word
        && text[pos..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    let mut back_up = in_word;
    if only_continuation {
        // Not at `admin_team:` — there the `:` is the mistake.
        let word_ends = text[pos..].chars().next().is_none_or(char::is_whitespace);
        back_up = after_word && (in_word || err_pos < pos && word_ends);
        let inside_word = !text[err_pos..pos.max(err_pos)].contains(char::is_whitespace);
        expected = if !rules.is_empty() && inside_word {
            rules
        } else if expected.iter().any(|e| e == "`:`") {
            vec!["a permission (`prefix:action`)".to_string()]
        } else if expected.iter().any(|e| e == "`@`") {
            vec!["an email".to_string()]
        } else {
            vec!["a name".to_string()]
        };
    } else {
        expected.retain(|e| !continuation.contains(&e.as_str()));
    }
    if back_up {
        pos = text[..pos]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| is_word_char(c))
            .last()
            .map_or(pos, |(i, _)| i);
    }
    expected.sort();
    expected.dedup();
    // An item may start here: "an item (…)" says it better than the item
    // keywords one by one, or "a name" (which starts a resource).
    if expected.iter().any(|e| e.starts_with("an item (")) {
        expected.retain(|e| {
            let word = e.trim_matches('`');
            !ITEM_KEYWORDS.contains(&word) && e != "a name" && e != "an item"
        });
    }
    // `allow` beside "`allow` or `deny`", `only` beside `only in`: keep the
    // fuller entry.
    let fuller = expected.clone();
    expected.retain(|e| {
        let stem = e.trim_end_matches('`');
        !fuller
            .iter()
            .any(|f| f != e && (f.contains(e.as_str()) || f.contains(&format!("{stem} "))))
    });
    let found = found_at(text, pos);
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let open_quote = text[line_start..pos].matches('"').count() % 2 == 1;
    let message = match expected.as_slice() {
        [] if open_quote && found == "end of line" => "unterminated string".to_string(),
        [] => format!("unexpected {found}"),
        [one] => format!("expected {one}, found {found}"),
        [init @ .., last] => format!("expected {} or {last}, found {found}", init.join(", ")),
    };
    let end = text[pos..]
        .char_indices()
        .find(|&(_, c)| c.is_whitespace())
        .map_or(text.len(), |(i, _)| pos + i)
        .max(pos);
    let label = if expected.is_empty() {
        "unexpected here".to_string()
    } else {
        format!("expected {}", expected.join(" or "))
    };
    Diagnostic::new(Code::Syntax, message, Span::new(file, pos, end), label)
        .with_help_opt(syntax_help(text, pos, &expected))
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | ':' | '/' | '*' | '@')
}

fn found_at(text: &str, pos: usize) -> String {
    let rest = &text[pos.min(text.len())..];
    if rest.starts_with(['\r', '\n']) {
        return "end of line".to_string();
    }
    let token: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(30)
        .collect();
    if token.is_empty() {
        "end of file".to_string()
    } else {
        format!("`{token}`")
    }
}

/// Help for mistakes people make often.
fn syntax_help(text: &str, pos: usize, expected: &[String]) -> Option<String> {
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..];
    let line = line.split('\n').next().unwrap_or("");
    if line.matches('"').count() % 2 == 1 {
        return Some("a string must end with `\"` on the same line".into());
    }
    let rest = &text[pos..];
    // An invisible or terminal-driving character glued to an email or a
    // name (`bob@x.io<ESC>[8m`, a trailing no-break space).
    if let Some(c) = rest
        .chars()
        .next()
        .filter(|&c| !c.is_ascii_whitespace() && super::forbidden_in_email(c))
    {
        let before = text[..pos].chars().next_back();
        let after_email = text[line_start..pos]
            .rsplit(char::is_whitespace)
            .next()
            .is_some_and(|w| w.contains('@'));
        let what = if after_email && before.is_some_and(|b| !b.is_whitespace()) {
            "an email holds no whitespace, control or format character"
        } else {
            "outside a quoted string, a policy holds no control or format character"
        };
        return Some(format!(
            "U+{:04X} is invisible or moves the cursor: {what}; remove it",
            u32::from(c)
        ));
    }
    if rest.starts_with('=') || rest.starts_with(':') {
        return Some("clauses take no `=` or `:`; write e.g. `default_role read-only`".into());
    }
    let open = open_blocks(&text[..pos]);
    if rest.trim().is_empty() && !open.is_empty() {
        return Some("a block was not closed: add `}`".into());
    }
    if rest.starts_with('}') && open.is_empty() {
        return Some("this `}` closes no block: remove it".into());
    }
    let word: String = rest.chars().take_while(|&c| is_word_char(c)).collect();
    if !open.is_empty() && ITEM_KEYWORDS.contains(&word.as_str()) {
        return Some(format!(
            "the block above is not closed: add `}}` before this `{word}`"
        ));
    }
    if rest.starts_with('"') && expected.iter().any(|e| e == "a name") {
        return Some(
            "names are written without quotes; a quoted string after the name is its title".into(),
        );
    }
    // `rol admin { grant * }` reads as a resource of kind `rol`, whose body
    // takes only `share` lines: the real mistake is the item keyword.
    if let Some(first) = open.last().and_then(|&at| item_head(text, at)) {
        if !ITEM_KEYWORDS.contains(&first) {
            if let Some(help) = did_you_mean(first, ITEM_KEYWORDS.iter().copied()) {
                return Some(format!(
                    "`{first}` is not an item keyword, so this reads as a resource of kind `{first}`; {help}"
                ));
            }
        }
    }
    // A keyword glued to what follows it (`grantdoc:r`, `asreader`,
    // `allowana@acme.com`): a keyword is a whole word. A short tail is more
    // likely a misspelling (`grants`), handled below.
    let expects = |k: &str| expected.iter().any(|e| e.contains(&format!("`{k}")));
    if !KEYWORDS.contains(&word.as_str()) {
        let glued = KEYWORDS
            .iter()
            .filter(|k| word.len() > k.len() && word.starts_with(*k) && expects(k))
            .max_by_key(|k| k.len());
        if let Some(k) = glued {
            let rest = &word[k.len()..];
            if rest.len() >= 3 || rest.contains([':', '@', '/']) {
                return Some(format!(
                    "a keyword is a whole word: write `{k} {rest}` with a space"
                ));
            }
        }
    }
    if expected.iter().any(|e| e == "a number") {
        let digits = word.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && digits < word.len() {
            let (number, rest) = word.split_at(digits);
            return Some(format!(
                "a number is a whole word: write `{number} {rest}` with a space"
            ));
        }
    }
    // A misspelt clause keyword: one of those expected here (`grnat`), or
    // one glued to more letters (`grants`, `owners`).
    if !word.is_empty() && !KEYWORDS.contains(&word.as_str()) {
        let close = KEYWORDS.iter().copied().filter(|k| {
            word.starts_with(k) || expected.iter().any(|e| e.contains(&format!("`{k}")))
        });
        if let Some(help) = did_you_mean(&word, close) {
            return Some(help);
        }
    }
    None
}

/// The words that start an item.
pub const ITEM_KEYWORDS: &[&str] = &[
    "auth",
    "kind",
    "permission",
    "role",
    "user",
    "team",
    "test",
    "invariant",
];

/// Words of the clauses inside items, for "did you mean" on a misspelt one
/// and for the help on one glued to the next word.
const KEYWORDS: &[&str] = &[
    "admin_team",
    "default_team",
    "default_role",
    "admins",
    "trust",
    "requires",
    "includes",
    "grant",
    "alias",
    "only",
    "member",
    "share",
    "owner",
    "allow",
    "deny",
    "nobody",
    "implies",
    "target",
    "in",
    "as",
    "on",
    "to",
    "may",
    "at",
    "most",
    "users",
    "user",
    "team",
    "role",
];

/// Byte offsets of the `{` still open at the end of `before`, ignoring
/// braces in comments and strings.
fn open_blocks(before: &str) -> Vec<usize> {
    let mut open = Vec::new();
    let (mut in_string, mut in_comment) = (false, false);
    let mut chars = before.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\n' => (in_string, in_comment) = (false, false),
            _ if in_comment => {}
            '\\' if in_string => {
                chars.next();
            }
            '"' => in_string = !in_string,
            _ if in_string => {}
            '#' => in_comment = true,
            '{' => open.push(i),
            '}' => {
                open.pop();
            }
            _ => {}
        }
    }
    open
}

/// The first word of the item whose `{` is at `at`: on the line of the `{`,
/// or on the nearest line before it (`role lead "Lead"` then `{`).
fn item_head(text: &str, at: usize) -> Option<&str> {
    let head = text[..at].trim_end();
    let line_start = head.rfind('\n').map_or(0, |i| i + 1);
    head[line_start..].split_whitespace().next()
}
