//! The fast path for the bulk of a large org: files made only of `user`,
//! `team` and resource items (`use_case KEY "Title" { share … }`), written
//! the plain way a person or a generator writes them.
//!
//! In: one file's text. Out: the same [`ast::File`] the grammar would build,
//! spans included, or `None` — and then the file goes to the pest grammar.
//! The grammar stays the definition of the language: this scanner accepts a
//! subset of it, and gives up on anything else — another item, a quoted
//! email, a keyword glued to the next token, an escape it does not know, any
//! error. A file it gives up on costs one extra pass over the part it read.
//! Tests and the `scan_agrees` fuzz target check that whenever it answers,
//! the grammar gives the same AST.
//!
//! Why: pest spends most of its time in its stack guard and in trying
//! alternatives; a 100,000-user org is 15 MB of these three items.

use super::ast::{self, Name, Spanned};
use crate::source::{FileId, Span};

/// Scans a file made only of `user`, `team` and resource items.
pub fn scan_bulk(file: FileId, text: &str) -> Option<ast::File> {
    let mut scanner = Scanner { file, text, pos: 0 };
    let mut items = Vec::new();
    loop {
        scanner.skip_trivia();
        if scanner.pos == text.len() {
            return Some(ast::File { items });
        }
        items.push(scanner.item()?);
    }
}

struct Scanner<'a> {
    file: FileId,
    text: &'a str,
    pos: usize,
}

/// `key_char` of the grammar.
fn is_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// `email_char` of the grammar. Every byte of a multi-byte character is one,
/// so a run of them ends on a character boundary.
fn is_email_char(b: u8) -> bool {
    !matches!(
        b,
        b' ' | b'\t' | b'\r' | b'\n' | b',' | b'#' | b'{' | b'}' | b'"' | b'@'
    )
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Skips whitespace and comments (`WHITESPACE` and `COMMENT`).
    fn skip_trivia(&mut self) {
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                b'#' => {
                    self.pos += bytes[self.pos..]
                        .iter()
                        .position(|&b| b == b'\n' || b == b'\r')
                        .unwrap_or(bytes.len() - self.pos)
                }
                _ => return,
            }
        }
    }

    /// The run of bytes from here that `accept` accepts, as a span.
    fn run(&mut self, accept: impl Fn(u8) -> bool) -> (usize, usize) {
        let start = self.pos;
        self.pos += self.text.as_bytes()[start..]
            .iter()
            .position(|&b| !accept(b))
            .unwrap_or(self.text.len() - start);
        (start, self.pos)
    }

    fn name(&self, (start, end): (usize, usize)) -> Name {
        Spanned::new(
            self.text[start..end].into(),
            Span::new(self.file, start, end),
        )
    }

    /// A whole word (`key`, or a keyword not glued to more key characters),
    /// after trivia. Empty when no key starts here.
    fn word(&mut self) -> (usize, usize) {
        self.skip_trivia();
        match self.peek() {
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => self.run(is_key_char),
            _ => (self.pos, self.pos),
        }
    }

    fn key(&mut self) -> Option<Name> {
        let span = self.word();
        (span.0 < span.1).then(|| self.name(span))
    }

    /// The keyword `keyword`, as a whole word: where it starts.
    fn keyword(&mut self, keyword: &str) -> Option<usize> {
        let (start, end) = self.word();
        (&self.text[start..end] == keyword).then_some(start)
    }

    /// An optional keyword: where it ends, or `None` with nothing read.
    fn optional_keyword(&mut self, keyword: &str) -> Option<usize> {
        let before = self.pos;
        let end = self.keyword(keyword).map(|_| self.pos);
        if end.is_none() {
            self.pos = before;
        }
        end
    }

    /// `bare_email`; a quoted email goes to the grammar, and so does one
    /// that holds a character outside printable ASCII which `email_char`
    /// refuses (a control, format or whitespace character: the grammar ends
    /// the email there, and reports what follows).
    fn email(&mut self) -> Option<Name> {
        self.skip_trivia();
        let (start, at) = self.run(is_email_char);
        if start == at || self.peek() != Some(b'@') {
            return None;
        }
        self.pos += 1;
        let (domain, end) = self.run(is_email_char);
        let email = &self.text[start..end];
        let plain = email.bytes().all(|b| b.is_ascii_graphic());
        if !plain && email.chars().any(super::forbidden_in_email) {
            return None;
        }
        (domain < end).then(|| self.name((start, end)))
    }

    /// An optional title string, after trivia.
    fn title(&mut self) -> Option<Option<String>> {
        self.skip_trivia();
        if self.peek() != Some(b'"') {
            return Some(None);
        }
        let bytes = self.text.as_bytes();
        let start = self.pos + 1;
        let mut i = start;
        loop {
            match *bytes.get(i)? {
                b'"' => break,
                b'\\' if matches!(bytes.get(i + 1), Some(b'"' | b'\\' | b'n')) => i += 2,
                b'\\' | b'\r' | b'\n' => return None,
                _ => i += 1,
            }
        }
        self.pos = i + 1;
        Some(Some(super::parser::unescape(&self.text[start..i])))
    }

    /// After trivia: `true` and past it if the next byte is `b`.
    fn eat(&mut self, b: u8) -> bool {
        self.skip_trivia();
        let found = self.peek() == Some(b);
        self.pos += usize::from(found);
        found
    }

    /// The lines of an optional `{ … }` body, each read by `line`.
    fn body<T>(&mut self, mut line: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let mut lines = Vec::new();
        if self.eat(b'{') {
            while !self.eat(b'}') {
                lines.push(line(self)?);
            }
        }
        Some(lines)
    }

    fn item(&mut self) -> Option<ast::Item> {
        let word = self.key()?;
        match word.node.as_str() {
            "user" => self.user().map(ast::Item::User),
            "team" => self.team().map(ast::Item::Team),
            _ if super::ITEM_KEYWORDS.contains(&word.node.as_str()) => None,
            _ => self.resource(word).map(ast::Item::Resource),
        }
    }

    /// `KEYWORD WHO as ROLE`, a membership line, `WHO` read by `who`.
    fn as_role(
        &mut self,
        keyword: &str,
        who: fn(&mut Self) -> Option<Name>,
    ) -> Option<(Name, Name)> {
        self.keyword(keyword)?;
        let who = who(self)?;
        self.keyword("as")?;
        Some((who, self.key()?))
    }

    /// `user EMAIL "Name" { in TEAM as ROLE … }`
    fn user(&mut self) -> Option<ast::User> {
        let email = self.email()?;
        let name = self.title()?;
        let teams = self.body(|s| s.as_role("in", Self::key))?;
        Some(ast::User { email, name, teams })
    }

    /// `team KEY "Title" { member EMAIL as ROLE … }`
    fn team(&mut self) -> Option<ast::Team> {
        let key = self.key()?;
        let title = self.title()?;
        let members = self.body(|s| s.as_role("member", Self::email))?;
        Some(ast::Team {
            key,
            title,
            members,
        })
    }

    /// `KIND KEY "Title" { share TEAM as ROLE [owner] … }`
    fn resource(&mut self, kind: Name) -> Option<ast::Resource> {
        let key = self.key()?;
        let title = self.title()?;
        let shares = self.body(|s| {
            let start = s.keyword("share")?;
            let team = s.key()?;
            s.keyword("as")?;
            let role = s.key()?;
            let owner_end = s.optional_keyword("owner");
            let end = owner_end.unwrap_or(role.span.end as usize);
            let owner = owner_end.is_some();
            Some(ast::Share {
                team,
                role,
                owner,
                span: Span::new(s.file, start, end),
            })
        })?;
        Some(ast::Resource {
            kind,
            key,
            title,
            shares,
        })
    }
}
