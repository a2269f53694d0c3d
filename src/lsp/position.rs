//! Byte offsets <-> LSP positions.
//!
//! In: a document's text exactly as the editor holds it. Out: positions as
//! LSP counts them: lines split at `\n`, `\r\n` or a lone `\r`, columns in
//! UTF-16 code units (an `é` is one, an emoji two). Every conversion is
//! total: a position past the end of a line or of the file is clamped, never
//! a panic.

use lsp_types::{Position, Range};

/// Where each line of a text starts.
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset of the first character of each line.
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while let Some(at) = memchr_newline(&bytes[i..]) {
            let at = i + at;
            let next = if bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n') {
                at + 2
            } else {
                at + 1
            };
            starts.push(next);
            i = next;
        }
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    /// The position of a byte offset (clamped to the text, and to the end of
    /// its line when it falls inside a line break).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(text, offset.min(self.len));
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let end = self.content_end(text, line).max(start);
        let upto = offset.min(end);
        let column: usize = text[start..upto].chars().map(char::len_utf16).sum();
        Position::new(saturating_u32(line), saturating_u32(column))
    }

    /// The byte offset of a position; a line past the end is the end of the
    /// text, a column past the end of its line is the end of the line, and a
    /// column inside a surrogate pair is the start of its character.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let line = position.line as usize;
        let Some(&start) = self.starts.get(line) else {
            return self.len;
        };
        let end = self.content_end(text, line);
        let mut column = 0usize;
        for (i, c) in text[start..end].char_indices() {
            let next = column + c.len_utf16();
            if next > position.character as usize {
                return start + i;
            }
            column = next;
        }
        end
    }

    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range::new(self.position(text, start), self.position(text, end))
    }

    /// Where a line's text ends, before its line break.
    fn content_end(&self, text: &str, line: usize) -> usize {
        let start = self.starts[line];
        let next = self.starts.get(line + 1).copied().unwrap_or(self.len);
        let bytes = text.as_bytes();
        let mut end = next;
        if end > start && bytes.get(end - 1) == Some(&b'\n') {
            end -= 1;
        }
        if end > start && bytes.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        end
    }
}

/// LSP counts lines and columns in `u32`; a larger count (not in a file
/// rolegraph reads: they are at most 256 MiB) is shown as the largest.
pub fn saturating_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n' || b == b'\r')
}

/// The largest char boundary at or before `offset`.
pub fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn round_trip(text: &str) {
        let index = LineIndex::new(text);
        for (offset, _) in text.char_indices() {
            let p = index.position(text, offset);
            let back = index.offset(text, p);
            // Inside a line break, the position is the end of the line.
            let at_break = matches!(text.as_bytes()[offset], b'\n')
                && offset > 0
                && text.as_bytes()[offset - 1] == b'\r';
            if !at_break {
                assert_eq!(back, offset, "{text:?} at {offset}: {p:?}");
            }
        }
    }

    #[test]
    fn utf16_columns() {
        let text = "user \"é😀\" x\nb";
        let index = LineIndex::new(text);
        let x = text.find(" x").unwrap() + 1;
        // `"` `é` (1) `😀` (2) `"` ` ` -> column 5 + 6 = 11
        assert_eq!(index.position(text, x), Position::new(0, 11));
        assert_eq!(index.offset(text, Position::new(0, 11)), x);
        // Inside the surrogate pair: the start of the emoji.
        let emoji = text.find('😀').unwrap();
        assert_eq!(index.offset(text, Position::new(0, 8)), emoji);
        round_trip(text);
    }

    #[test]
    fn crlf_and_lone_cr() {
        let text = "a\r\nbc\rd\n\ne";
        let index = LineIndex::new(text);
        assert_eq!(
            index.position(text, text.find('b').unwrap()),
            Position::new(1, 0)
        );
        assert_eq!(
            index.position(text, text.find('d').unwrap()),
            Position::new(2, 0)
        );
        assert_eq!(
            index.position(text, text.find('e').unwrap()),
            Position::new(4, 0)
        );
        // The end of line 0 is before `\r\n`.
        assert_eq!(index.offset(text, Position::new(0, 99)), 1);
        assert_eq!(index.position(text, 2), Position::new(0, 1));
        round_trip(text);
    }

    #[test]
    fn out_of_range_is_clamped() {
        let text = "ab\ncd";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, Position::new(7, 3)), text.len());
        assert_eq!(index.offset(text, Position::new(1, 300)), text.len());
        assert_eq!(index.position(text, 999), Position::new(1, 2));
        let empty = LineIndex::new("");
        assert_eq!(empty.offset("", Position::new(3, 3)), 0);
        assert_eq!(empty.position("", 5), Position::new(0, 0));
    }

    #[test]
    fn bom_is_a_character() {
        let text = "\u{feff}role r";
        let index = LineIndex::new(text);
        assert_eq!(
            index.position(text, text.find('r').unwrap()),
            Position::new(0, 1)
        );
    }
}
