//! Policy text -> lines of tokens, for the formatter.
//!
//! In: any text (total: never fails, never panics). Out: one [`Line`] per
//! source line (`\n`, `\r\n` or a lone `\r`, as the grammar counts them), each
//! with its tokens and its trailing comment. Strings cannot span lines in the
//! grammar, so lexing line by line loses nothing.

/// One token, as written (strings keep their quotes and escapes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// A keyword, key, permission, scope, email, count or `*`.
    Word(String),
    /// A double-quoted string, quotes included.
    Str(String),
    Open,
    Close,
    Comma,
}

impl Tok {
    pub fn text(&self) -> &str {
        match self {
            Tok::Word(s) | Tok::Str(s) => s,
            Tok::Open => "{",
            Tok::Close => "}",
            Tok::Comma => ",",
        }
    }
}

/// One source line: its tokens and its comment (`#…`, trailing spaces removed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Line {
    pub toks: Vec<Tok>,
    pub comment: Option<String>,
}

/// Splits text into lexed lines. A leading BOM is dropped.
pub fn lex(text: &str) -> Vec<Line> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    split_lines(text).into_iter().map(lex_line).collect()
}

fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    lines.push(&text[start..]);
    lines
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t')
}

fn ends_word(c: char) -> bool {
    is_space(c) || matches!(c, '{' | '}' | ',' | '#' | '"')
}

fn lex_line(line: &str) -> Line {
    let mut out = Line::default();
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if is_space(c) {
            rest = rest.trim_start_matches(is_space);
            continue;
        }
        let len = match c {
            '#' => {
                out.comment = Some(rest.trim_end().to_string());
                break;
            }
            '{' | '}' | ',' => {
                out.toks.push(match c {
                    '{' => Tok::Open,
                    '}' => Tok::Close,
                    _ => Tok::Comma,
                });
                1
            }
            '"' => {
                let len = string_len(rest);
                out.toks.push(Tok::Str(rest[..len].to_string()));
                len
            }
            _ => {
                let len = rest.find(ends_word).unwrap_or(rest.len());
                out.toks.push(Tok::Word(rest[..len].to_string()));
                len
            }
        };
        rest = &rest[len..];
    }
    out
}

/// Length in bytes of the string starting at `s` (which starts with `"`),
/// closing quote included; an unterminated string runs to the end of the line.
fn string_len(s: &str) -> usize {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return i + 1,
            _ => {}
        }
    }
    s.len()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn strings_keep_escapes_and_comments_end_lines() {
        let lines = lex("user a@b.c \"A \\\"q\\\" #x\"{ # hi  \r\n}");
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0].toks,
            vec![
                Tok::Word("user".into()),
                Tok::Word("a@b.c".into()),
                Tok::Str("\"A \\\"q\\\" #x\"".into()),
                Tok::Open
            ]
        );
        assert_eq!(lines[0].comment.as_deref(), Some("# hi"));
        assert_eq!(lines[1].toks, vec![Tok::Close]);
    }

    #[test]
    fn a_lone_carriage_return_ends_a_comment() {
        let lines = lex("# c\rgrant x");
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[1].toks,
            vec![Tok::Word("grant".into()), Tok::Word("x".into())]
        );
    }
}
