//! A pest error -> a syntax diagnostic in words a user knows.
//!
//! In: one file's text and the error pest gave for it (parsed again with
//! pest's error detail, so it holds the tokens tried at the furthest
//! position). Out: a [`Diagnostic`] saying what was expected and what was
//! found, at the word where the mistake is, with help for mistakes people
//! make often.
//!
//! The steps, in order: [`named_rules`] (the rules pest tried, in words),
//! [`furthest_tokens`] (the literal tokens tried furthest in),
//! [`a_word_not_a_character`] (a word expected, not the characters it could
//! go on with), [`tidy`] (one entry per thing a user could type) and
//! [`diagnostic`] (message, label, span and help).

use std::sync::{Mutex, PoisonError};

use super::keywords::{ITEM_KEYWORDS, KEYWORDS};
use super::parser::Rule;
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::source::{FileId, Span};

/// Turns pest's error detail on while alive, and off when the last guard of
/// the process is gone: the detail (every parse attempt recorded) costs
/// about half of a parse, so a syntax error must not slow every later parse.
/// The count, under a lock with the flag, keeps a parse on another thread
/// from losing the detail halfway through its own error.
pub(super) struct ErrorDetail(());

static DETAIL_USERS: Mutex<usize> = Mutex::new(0);

impl ErrorDetail {
    pub(super) fn on() -> Self {
        let mut users = DETAIL_USERS.lock().unwrap_or_else(PoisonError::into_inner);
        *users += 1;
        pest::set_error_detail(true);
        ErrorDetail(())
    }
}

impl Drop for ErrorDetail {
    fn drop(&mut self) {
        let mut users = DETAIL_USERS.lock().unwrap_or_else(PoisonError::into_inner);
        *users = users.saturating_sub(1);
        if *users == 0 {
            pest::set_error_detail(false);
        }
    }
}

/// What a rule is called in "expected …" lists; `None` for a rule a user
/// never types as such. No catch-all: a new grammar rule does not compile
/// until it is named here.
fn rule_words(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        // The whole file, and the silent rules (pest reports the rules
        // inside them), name nothing a user would type.
        Rule::file
        | Rule::WHITESPACE
        | Rule::COMMENT
        | Rule::item
        | Rule::key_char
        | Rule::perm_seg
        | Rule::email_char
        | Rule::email
        | Rule::escape
        | Rule::key_list
        | Rule::email_list
        | Rule::auth_entry
        | Rule::trusted
        | Rule::requirement
        | Rule::role_body
        | Rule::role_clause
        | Rule::user_body
        | Rule::team_body
        | Rule::resource_body
        | Rule::invariant_rule
        | Rule::may => return None,
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
    })
}

type PestError = pest::error::Error<Rule>;

pub(super) fn syntax_error(file: FileId, text: &str, err: &PestError) -> Diagnostic {
    let stop = match err.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let rules = named_rules(err);
    let (pos, expected) = furthest_tokens(text, err, stop, rules.clone());
    let (pos, expected) = a_word_not_a_character(text, stop, pos, expected, rules);
    diagnostic(file, text, pos, &tidy(expected))
}

/// What pest expected where it gave up, as whole rules (a name, an email).
fn named_rules(err: &PestError) -> Vec<String> {
    match &err.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives
            .iter()
            .filter_map(|r| rule_words(*r))
            .map(String::from)
            .collect(),
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    }
}

/// The literal tokens (`as`, `{`) tried at the furthest position, and that
/// position; `rules` (and `stop`, where pest gave up) when the furthest
/// attempt says nothing. Ranges and built-ins say nothing a user would type.
fn furthest_tokens(
    text: &str,
    err: &PestError,
    stop: usize,
    rules: Vec<String>,
) -> (usize, Vec<String>) {
    let (mut pos, mut expected) = (stop, rules);
    let Some(attempts) = err.parse_attempts() else {
        return (pos, expected);
    };
    if attempts.max_position < stop {
        return (pos, expected);
    }
    // Right after a `\` in a string, `"` and `\` are what may follow (an
    // escape), not noise from the string's other alternatives.
    let in_escape = text[..attempts.max_position].ends_with('\\');
    let mut tokens = Vec::new();
    for token in attempts.expected_tokens() {
        let token = token.to_string();
        let is_range = token.chars().count() == 4 && token.contains("..");
        let noise = token.trim().is_empty()
            || token == "#"
            || token == "BUILTIN_RULE"
            || !in_escape && matches!(token.as_str(), "\"" | "\\");
        if !is_range && !noise {
            tokens.push(format!("`{token}`"));
        }
    }
    // A keyword's whole-word check matched `grant` in `grants` and then
    // failed: the furthest attempt is inside that word and says nothing.
    // What was expected where the word starts does.
    let inside_keyword = tokens.is_empty()
        && attempts.max_position > stop
        && text[stop..attempts.max_position]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !inside_keyword {
        if attempts.max_position > stop {
            expected.clear();
        }
        pos = attempts.max_position;
        expected.extend(tokens);
    }
    (pos, expected)
}

/// The characters a word could go on with (`-`, `:`) only help when nothing
/// else is expected; then pest stopped inside a word (`use_case` where
/// `prefix:action` was due, `ana` where an email was): say what word was
/// expected and point at all of it.
fn a_word_not_a_character(
    text: &str,
    stop: usize,
    mut pos: usize,
    mut expected: Vec<String>,
    rules: Vec<String>,
) -> (usize, Vec<String>) {
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
        back_up = after_word && (in_word || stop < pos && word_ends);
        let inside_word = !text[stop..pos.max(stop)].contains(char::is_whitespace);
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
    (pos, expected)
}

/// One entry per thing a user could type, sorted.
fn tidy(mut expected: Vec<String>) -> Vec<String> {
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
    expected
}

/// "expected … , found …" at `pos`, up to the end of the word found there.
fn diagnostic(file: FileId, text: &str, pos: usize, expected: &[String]) -> Diagnostic {
    let found = found_at(text, pos);
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let open_quote = text[line_start..pos].matches('"').count() % 2 == 1;
    let message = match expected {
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
        .with_help_opt(syntax_help(text, pos, expected))
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
