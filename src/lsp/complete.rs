//! Completion, from what the text before the cursor asks for.
//!
//! In: the text up to the cursor (it is usually half typed and does not
//! parse, so it is read token by token, not by the grammar) and the names
//! the policy declares (from the last index of each file that parsed). Out:
//! keywords where a clause starts, role keys after `as`, `includes` and
//! `default_role`, team keys after `in`, `share`, `only in` and `team/`,
//! permissions (and `prefix:*`) after `grant` and in tests and invariants,
//! kinds, scopes and declared emails.

use std::collections::{BTreeMap, HashMap};

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionList, CompletionParams, CompletionResponse,
    CompletionTextEdit, Range, TextEdit,
};

use super::index::{Symbol, Usage};
use super::server::{Answer, Ctx};
use crate::syntax::keywords::{AUTH_KEYWORDS, ITEM_KEYWORDS};

/// Items sent at most; past this, the list is filtered by what was typed
/// and marked incomplete, so the editor asks again as the user types.
const MAX_ITEMS: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok<'a> {
    Word(&'a str),
    Str,
    Open,
    Close,
    Comma,
}

/// What may stand at the cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    Keywords(&'static [&'static str]),
    ItemStart,
    Roles,
    Teams,
    Emails,
    /// Declared permissions; with patterns (`*`, `prefix:*`) when true.
    Permissions(bool),
    /// What a permission is declared on: `global`, `team`, kinds.
    ScopeKinds,
    /// `global`, `team/KEY`, `KIND/KEY`; patterns (`team/*`) when true.
    Scopes(bool),
    /// `team/KEY`.
    TeamScope,
    Nothing,
}

pub fn complete(ctx: &Ctx, params: CompletionParams) -> Answer<Option<CompletionResponse>> {
    let at = params.text_document_position;
    let Some(file) = ctx.file(&at.text_document.uri) else {
        return Ok(None);
    };
    let cursor = file.lines().offset(&file.text, at.position);
    let before = &file.text[..cursor];
    let Some(tokens) = lex(before) else {
        return Ok(None); // in a comment or a string
    };
    let word_start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_word_char(c))
        .last()
        .map_or(cursor, |(i, _)| i);
    let partial = &before[word_start..];
    let mut tokens = tokens;
    if !partial.is_empty() {
        tokens.pop(); // the word being typed
    }
    let want = if partial.starts_with("team/") {
        Want::TeamScope
    } else {
        wanted(&tokens)
    };
    let names = Names::gather(ctx);
    let candidates = candidates(want, &names);
    // The cursor as it is in the text (a position past the end of its
    // line, or of the file, is clamped), so the range is on its line.
    let range = file.lines().range(&file.text, word_start, cursor);
    Ok(Some(CompletionResponse::List(items(
        candidates, partial, range,
    ))))
}

fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '{' | '}' | ',' | '"' | '#')
}

/// The tokens of a text; `None` when it ends inside a comment or a string.
fn lex(text: &str) -> Option<Vec<Tok<'_>>> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '#' => {
                while chars.next_if(|&(_, c)| c != '\n' && c != '\r').is_some() {}
                chars.peek()?;
            }
            '"' => {
                loop {
                    match chars.next() {
                        Some((_, '\\')) => {
                            chars.next();
                        }
                        Some((_, '"')) => break,
                        Some((_, '\n' | '\r')) => break, // unterminated: the grammar says so
                        Some(_) => {}
                        None => return None,
                    }
                }
                tokens.push(Tok::Str);
            }
            '{' => tokens.push(Tok::Open),
            '}' => tokens.push(Tok::Close),
            ',' => tokens.push(Tok::Comma),
            c if c.is_whitespace() => {}
            _ => {
                let mut end = i + c.len_utf8();
                while let Some((j, c)) = chars.next_if(|&(_, c)| is_word_char(c)) {
                    end = j + c.len_utf8();
                }
                tokens.push(Tok::Word(&text[i..end]));
            }
        }
    }
    Some(tokens)
}

/// The item whose block a `{` opens, from the tokens before it: `role`,
/// `team`, …, or `resource`.
fn block_head<'a>(before: &[Tok<'a>]) -> &'a str {
    let mut i = before.len();
    let mut strings = 0;
    while i > 0 && before[i - 1] == Tok::Str && strings < 2 {
        i -= 1;
        strings += 1;
    }
    let word = |j: usize| match j.checked_sub(1).and_then(|j| before.get(j)) {
        Some(Tok::Word(w)) => Some(*w),
        _ => None,
    };
    match word(i) {
        Some(w) if ITEM_KEYWORDS.contains(&w) => w,
        Some(_) => match word(i - 1) {
            Some(w) if ITEM_KEYWORDS.contains(&w) => w,
            _ => "resource",
        },
        None => "",
    }
}

/// What the tokens before the cursor ask for next.
fn wanted(tokens: &[Tok]) -> Want {
    let mut heads: Vec<&str> = Vec::new();
    let mut clause_start = 0;
    for (i, t) in tokens.iter().enumerate() {
        match t {
            Tok::Open => {
                heads.push(block_head(&tokens[..i]));
                clause_start = i + 1;
            }
            Tok::Close => {
                heads.pop();
                clause_start = i + 1;
            }
            _ => {}
        }
    }
    let clause = &tokens[clause_start..];
    // In a list (`grant a, b, |`), the clause's keyword decides.
    let mut end = clause.len();
    if clause.last() == Some(&Tok::Comma) {
        end -= 1;
        while end >= 2
            && matches!(clause[end - 1], Tok::Word(_) | Tok::Str)
            && clause[end - 2] == Tok::Comma
        {
            end -= 2;
        }
        end = end.saturating_sub(1);
    }
    let word = |back: usize| match end.checked_sub(back).and_then(|j| clause.get(j)) {
        Some(Tok::Word(w)) => Some(*w),
        Some(Tok::Str) => Some("\""),
        _ => None,
    };
    let (w1, w2, w3) = (word(1), word(2), word(3));
    match heads.last().copied() {
        None | Some("") => top_level(w1, w2),
        Some("role") => match (w1, w2) {
            (Some("includes"), _) => Want::Roles,
            (Some("grant"), _) => Want::Permissions(true),
            (Some("in"), Some("only")) => Want::Teams,
            (Some("only"), _) => Want::Keywords(&["in"]),
            (Some("alias"), _) => Want::Nothing,
            _ => Want::Keywords(&["includes", "grant", "alias", "only in"]),
        },
        Some("user") => match (w1, w2) {
            (Some("in"), _) => Want::Teams,
            (Some(_), Some("in")) => Want::Keywords(&["as"]),
            (Some("as"), _) => Want::Roles,
            _ => Want::Keywords(&["in"]),
        },
        Some("team") => match (w1, w2) {
            (Some("member"), _) => Want::Emails,
            (Some(_), Some("member")) => Want::Keywords(&["as"]),
            (Some("as"), _) => Want::Roles,
            _ => Want::Keywords(&["member"]),
        },
        Some("resource") => match (w1, w2) {
            (Some("share"), _) => Want::Teams,
            (Some(_), Some("share")) => Want::Keywords(&["as"]),
            (Some("as"), _) => Want::Roles,
            (Some(_), Some("as")) => Want::Keywords(&["owner", "share"]),
            _ => Want::Keywords(&["share"]),
        },
        Some("auth") => match w1 {
            Some("admin_team" | "default_team") => Want::Teams,
            Some("default_role") => Want::Roles,
            Some("admins") => Want::Emails,
            _ => Want::Keywords(AUTH_KEYWORDS),
        },
        Some("test") => match (w1, w2, w3) {
            (Some("allow" | "deny"), _, _) => Want::Emails,
            (Some(_), Some("allow" | "deny"), _) => Want::Permissions(false),
            (Some(_), Some(_), Some("allow" | "deny")) => Want::Keywords(&["on", "to"]),
            (Some("on"), _, _) => Want::Scopes(false),
            (Some("to"), _, _) => Want::TeamScope,
            (Some(_), Some("on"), _) => Want::Keywords(&["to", "allow", "deny"]),
            _ => Want::Keywords(&["allow", "deny"]),
        },
        Some("invariant") => match (w1, w2) {
            (Some("only"), _) => Want::Keywords(&["team", "role"]),
            (Some("team"), Some("only")) => Want::Teams,
            (Some("role"), Some("only")) => Want::Roles,
            (Some(_), Some("team" | "role")) => Want::Keywords(&["may"]),
            (Some("nobody"), _) => Want::Keywords(&["may"]),
            (Some("at"), _) => Want::Keywords(&["most"]),
            (Some("most"), _) => Want::Nothing,
            (Some(_), Some("most")) => Want::Keywords(&["users may", "user may"]),
            (Some("may" | "implies"), _) => Want::Permissions(true),
            (Some("on"), _) => Want::Scopes(true),
            (Some(_), Some("may" | "implies")) => Want::Keywords(&["on", "implies"]),
            _ => Want::Keywords(&["only team", "only role", "nobody may", "at most"]),
        },
        Some(_) => Want::Nothing,
    }
}

/// Between items, or in an item without a block.
fn top_level(w1: Option<&str>, w2: Option<&str>) -> Want {
    match (w1, w2) {
        (Some("on"), _) => Want::ScopeKinds,
        (Some("requires"), _) => Want::Keywords(&["owner", "target team"]),
        (Some("target"), _) => Want::Keywords(&["team"]),
        (Some(_), Some("permission")) => Want::Keywords(&["on"]),
        (Some(w), _) if ITEM_KEYWORDS.contains(&w) => Want::Nothing,
        _ => Want::ItemStart,
    }
}

/// The names the policy declares, with a detail (a title) for each.
#[derive(Default)]
struct Names {
    roles: BTreeMap<String, String>,
    teams: BTreeMap<String, String>,
    emails: BTreeMap<String, String>,
    permissions: BTreeMap<String, String>,
    kinds: BTreeMap<String, String>,
    resources: BTreeMap<String, String>,
}

impl Names {
    fn gather(ctx: &Ctx) -> Names {
        let mut names = Names::default();
        for (key, index) in &ctx.cache.last_good {
            if !ctx.analysis.file(key).is_some_and(|f| f.in_policy) {
                continue;
            }
            // Titles, by the name as written.
            let titles: HashMap<&str, &str> = index
                .outline
                .iter()
                .filter_map(|o| Some((o.name.as_str(), o.detail.as_deref()?)))
                .collect();
            let titled =
                |name: &str, what: &str| titles.get(name).copied().unwrap_or(what).to_string();
            for o in &index.occurrences {
                if o.usage == Usage::Reference {
                    continue;
                }
                let (table, name, detail) = match (&o.symbol, &o.usage) {
                    (Symbol::Role(n), Usage::Alias { of }) => {
                        (&mut names.roles, n.to_string(), format!("alias of `{of}`"))
                    }
                    (Symbol::Role(n), _) => (&mut names.roles, n.to_string(), titled(n, "role")),
                    (Symbol::Team(n), _) => (&mut names.teams, n.to_string(), titled(n, "team")),
                    (Symbol::User(n), _) => (&mut names.emails, n.to_string(), titled(n, "user")),
                    (Symbol::Permission(n), _) => (
                        &mut names.permissions,
                        n.to_string(),
                        titled(n, "permission"),
                    ),
                    (Symbol::Kind(n), _) => (&mut names.kinds, n.to_string(), titled(n, "kind")),
                    (Symbol::Resource { kind, key }, _) => {
                        let detail = titled(&format!("{kind} {key}"), kind);
                        (&mut names.resources, format!("{kind}/{key}"), detail)
                    }
                    (Symbol::Pattern(_), _) => continue,
                };
                table.entry(name).or_insert(detail);
            }
        }
        names
    }
}

struct Candidate {
    label: String,
    detail: String,
    kind: CompletionItemKind,
}

fn candidates(want: Want, names: &Names) -> Vec<Candidate> {
    let from = |table: &BTreeMap<String, String>, kind, prefix: &str| -> Vec<Candidate> {
        table
            .iter()
            .map(|(name, detail)| Candidate {
                label: format!("{prefix}{name}"),
                detail: detail.clone(),
                kind,
            })
            .collect()
    };
    let keywords = |words: &[&str]| -> Vec<Candidate> {
        words
            .iter()
            .map(|w| Candidate {
                label: w.to_string(),
                detail: "keyword".to_string(),
                kind: CompletionItemKind::KEYWORD,
            })
            .collect()
    };
    match want {
        Want::Nothing => vec![],
        Want::Keywords(words) => keywords(words),
        Want::ItemStart => {
            let mut out = keywords(ITEM_KEYWORDS);
            out.extend(from(&names.kinds, CompletionItemKind::STRUCT, ""));
            for c in out
                .iter_mut()
                .filter(|c| c.kind == CompletionItemKind::STRUCT)
            {
                c.detail = format!("a resource of kind `{}`", c.label);
            }
            out
        }
        Want::Roles => from(&names.roles, CompletionItemKind::CLASS, ""),
        Want::Teams => from(&names.teams, CompletionItemKind::MODULE, ""),
        Want::TeamScope => from(&names.teams, CompletionItemKind::MODULE, "team/"),
        Want::Emails => from(&names.emails, CompletionItemKind::VALUE, ""),
        Want::Permissions(patterns) => {
            let mut out = from(&names.permissions, CompletionItemKind::ENUM_MEMBER, "");
            if patterns {
                let mut prefixes: Vec<&str> = names
                    .permissions
                    .keys()
                    .filter_map(|p| p.split_once(':').map(|(pre, _)| pre))
                    .collect();
                prefixes.dedup();
                out.extend(prefixes.into_iter().map(|p| Candidate {
                    label: format!("{p}:*"),
                    detail: format!("every `{p}:` permission"),
                    kind: CompletionItemKind::ENUM,
                }));
                out.push(Candidate {
                    label: "*".to_string(),
                    detail: "every permission".to_string(),
                    kind: CompletionItemKind::ENUM,
                });
            }
            out
        }
        Want::ScopeKinds => {
            let mut out = keywords(&["global", "team"]);
            out.extend(from(&names.kinds, CompletionItemKind::STRUCT, ""));
            out
        }
        Want::Scopes(patterns) => {
            let mut out = keywords(&["global"]);
            out.extend(from(&names.teams, CompletionItemKind::MODULE, "team/"));
            if patterns {
                out.extend(keywords(&["team/*"]));
                for kind in names.kinds.keys() {
                    out.extend(keywords(&[&format!("{kind}/*"), kind.as_str()]));
                }
            }
            out.extend(from(&names.resources, CompletionItemKind::STRUCT, ""));
            out
        }
    }
}

fn items(candidates: Vec<Candidate>, partial: &str, range: Range) -> CompletionList {
    let mut candidates = candidates;
    let mut incomplete = false;
    if candidates.len() > MAX_ITEMS {
        let typed = partial.to_lowercase();
        candidates.retain(|c| c.label.to_lowercase().starts_with(&typed));
        if candidates.len() > MAX_ITEMS {
            candidates.truncate(MAX_ITEMS);
            incomplete = true;
        }
        // Typing more can bring back what was filtered out.
        incomplete |= !partial.is_empty() || candidates.len() == MAX_ITEMS;
    }
    let items = candidates
        .into_iter()
        .map(|c| CompletionItem {
            text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
                range,
                c.label.clone(),
            ))),
            filter_text: Some(c.label.clone()),
            label: c.label,
            detail: Some(c.detail),
            kind: Some(c.kind),
            ..Default::default()
        })
        .collect();
    CompletionList {
        is_incomplete: incomplete,
        items,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn want(text: &str) -> Want {
        let mut tokens = lex(text).unwrap();
        if !text.ends_with(|c: char| !is_word_char(c)) {
            tokens.pop();
        }
        wanted(&tokens)
    }

    #[test]
    fn context_from_the_tokens_before() {
        assert_eq!(want("team t {\n  member a@x.io as "), Want::Roles);
        assert_eq!(want("team t {\n  member a@x.io as po"), Want::Roles);
        assert_eq!(want("team t {\n  member "), Want::Emails);
        assert_eq!(want("role r \"R\" { includes a, "), Want::Roles);
        assert_eq!(want("role r { grant a:b, "), Want::Permissions(true));
        assert_eq!(want("role r { only in "), Want::Teams);
        assert_eq!(
            want("role r { grant x:y\n  "),
            Want::Keywords(&["includes", "grant", "alias", "only in"])
        );
        assert_eq!(want("auth { default_role "), Want::Roles);
        assert_eq!(want("user \"a@x.io\" \"A\" { in "), Want::Teams);
        assert_eq!(want("use_case bot { share "), Want::Teams);
        assert_eq!(
            want("use_case bot { share t as r "),
            Want::Keywords(&["owner", "share"])
        );
        assert_eq!(
            want("test \"t\" {\n  allow a@x.io "),
            Want::Permissions(false)
        );
        assert_eq!(
            want("test \"t\" {\n  allow a@x.io p:q on "),
            Want::Scopes(false)
        );
        assert_eq!(want("invariant \"i\" { only team a, "), Want::Teams);
        assert_eq!(
            want("invariant \"i\" { nobody may "),
            Want::Permissions(true)
        );
        assert_eq!(want("permission p:q on "), Want::ScopeKinds);
        assert_eq!(want("role r { grant x:y }\n"), Want::ItemStart);
        assert_eq!(want("kind k \"K\"\nper"), Want::ItemStart);
        assert_eq!(want("role "), Want::Nothing);
        assert!(lex("role r # com").is_none());
        assert!(lex("role r \"ti").is_none());
    }
}
