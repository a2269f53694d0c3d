//! What the text renderer is handed of a source file: only the lines a
//! diagnostic shows, each clipped around its labels, with every character
//! that could drive a terminal written out.
//!
//! In: a file and the labels of one diagnostic in it. Out: a [`Snippet`]
//! that miette reads as source code (with the file's real line numbers), and
//! the labels moved onto it.
//!
//! Why: miette reads a span by scanning its source from the start, so
//! handing it the whole file made rendering cost diagnostics × file size
//! (20,000 warnings in one 800 KB file took 12 s); it pads a label's column
//! with a formatting width, which panics past 65,535 (a long line); and it
//! prints source bytes as they are, so an ESC in a policy could drive the
//! reader's terminal through an error report.

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use crate::source::SourceFile;

/// Bytes of a line shown whole; longer lines are shown around their labels.
const LINE_BYTES: usize = 160;
/// Characters shown before a label's start on a long line, of the label
/// itself, and after it.
const BEFORE: usize = 40;
const LABEL: usize = 60;
const AFTER: usize = 20;
/// Characters of a long line shown when no label is on it (a context line).
const CONTEXT: usize = 80;
/// Lines a label may span; a longer one is drawn on its first line only.
const LABEL_LINES: usize = 8;
/// Lines between two labels' context that are shown rather than cut.
const GAP: usize = 4;
/// Marks text left out of a long line.
const ELLIPSIS: &str = "…";

/// Text with every character that could drive or fool a terminal escaped
/// (line feeds and tabs kept): [`crate::escape::terminal`].
pub fn escape_controls(text: &str) -> String {
    crate::escape::terminal(text).into_owned()
}

/// A run of whole lines of the file, as shown.
#[derive(Debug)]
struct Group {
    /// Where its text starts in [`Snippet::text`].
    start: usize,
    end: usize,
    /// The file's 0-based line number of its first line.
    first_line: usize,
}

/// The part of one file a diagnostic shows, as miette reads it.
#[derive(Debug)]
pub struct Snippet {
    name: String,
    text: String,
    groups: Vec<Group>,
    /// (offset in `text`, the file's 0-based column there) of each label's
    /// start, for the `file:line:column` header: a clipped line starts later.
    columns: Vec<(usize, usize)>,
}

/// A label's byte range in the file.
pub type Range = (usize, usize);

impl Snippet {
    /// The lines of `file` that `labels` need, and the labels moved onto
    /// them (in the same order).
    pub fn new(file: &SourceFile, labels: &[Range]) -> (Snippet, Vec<Range>) {
        let text = &*file.text;
        let labels: Vec<Range> = labels
            .iter()
            .map(|&(s, e)| {
                let s = floor_char(text, s.min(text.len()));
                let e = floor_char(text, e.clamp(s, text.len()));
                (s, cut_to_lines(text, s, e))
            })
            .collect();
        // Each label's lines with one line of context either side, merged
        // where they touch, in file order.
        let mut ranges: Vec<Range> = labels
            .iter()
            .map(|&(s, e)| {
                let first = line_start(text, s);
                let before = if first == 0 {
                    0
                } else {
                    line_start(text, first - 1)
                };
                let last = line_end(text, e.max(s));
                let after = if last < text.len() {
                    line_end(text, last + 1)
                } else {
                    last
                };
                (before, after)
            })
            .collect();
        // Labels a few lines apart are drawn in one box, as miette draws
        // them from a whole file; farther apart, each in a box of its own,
        // without the lines between.
        ranges.sort_unstable();
        let mut merged: Vec<Range> = Vec::new();
        for (s, e) in ranges {
            match merged.last_mut() {
                Some(last)
                    if s <= last.1 || text[last.1..s].match_indices('\n').nth(GAP).is_none() =>
                {
                    last.1 = last.1.max(e)
                }
                _ => merged.push((s, e)),
            }
        }
        let mut snippet = Snippet {
            name: escape_controls(&file.name),
            text: String::new(),
            groups: Vec::new(),
            columns: Vec::new(),
        };
        let mut pieces: Vec<Piece> = Vec::new();
        // Each line keeps its line break (miette shows an empty last line
        // only when its break is there), so groups follow one another.
        for (start, end) in merged {
            let group_start = snippet.text.len();
            let mut at = start;
            loop {
                let line_end = line_end(text, at);
                let content_end = if text[at..line_end].ends_with('\r') {
                    line_end - 1
                } else {
                    line_end
                };
                snippet.push_line(text, (at, content_end), &labels, &mut pieces);
                if line_end < text.len() {
                    snippet.text.push('\n');
                }
                if line_end >= end {
                    break;
                }
                at = line_end + 1;
            }
            snippet.groups.push(Group {
                start: group_start,
                end: snippet.text.len(),
                first_line: file.line_col(offset(start)).0 - 1,
            });
        }
        let moved: Vec<Range> = labels
            .iter()
            .map(|&(s, e)| {
                let start = map(&pieces, text, s);
                (start, map(&pieces, text, e).max(start))
            })
            .collect();
        snippet.columns = labels
            .iter()
            .zip(&moved)
            .map(|(&(s, _), &(start, _))| (start, file.line_col(offset(s)).1 - 1))
            .collect();
        (snippet, moved)
    }

    /// One line, `(start, end)` without its line break: whole when short,
    /// otherwise the windows its labels need, joined by `…`.
    fn push_line(&mut self, text: &str, line: Range, labels: &[Range], pieces: &mut Vec<Piece>) {
        let (ls, le) = line;
        let mut windows: Vec<Range> = Vec::new();
        if le - ls <= LINE_BYTES {
            windows.push((ls, le));
        } else {
            for &(s, e) in labels {
                if (ls..=le).contains(&s) {
                    let from = back(text, s, BEFORE).max(ls);
                    let to = forward(text, e.min(forward(text, s, LABEL)), AFTER).min(le);
                    windows.push((from, to));
                } else if s < ls && (ls..=le).contains(&e) {
                    windows.push((ls, forward(text, e, AFTER).min(le)));
                }
            }
            if windows.is_empty() {
                windows.push((ls, forward(text, ls, CONTEXT).min(le)));
            }
            windows.sort_unstable();
            let mut merged: Vec<Range> = Vec::new();
            for (s, e) in windows {
                match merged.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
            windows = merged;
        }
        for (i, &(s, e)) in windows.iter().enumerate() {
            if s > ls || i > 0 {
                self.text.push_str(ELLIPSIS);
            }
            let out = self.text.len();
            self.text.push_str(&escape_controls(&text[s..e]));
            pieces.push(Piece {
                start: s,
                end: e,
                out,
                line_end: le,
            });
            if i + 1 == windows.len() && e < le {
                self.text.push_str(ELLIPSIS);
            }
        }
    }

    /// The group whose text holds `offset` (its end: the last group's).
    fn group(&self, offset: usize) -> Option<&Group> {
        let i = self.groups.partition_point(|g| g.end <= offset);
        self.groups
            .get(i)
            .or_else(|| self.groups.last().filter(|g| offset <= g.end))
    }
}

/// A shown part of a line: file bytes `start..end`, written at `out`.
#[derive(Debug)]
struct Piece {
    start: usize,
    end: usize,
    out: usize,
    line_end: usize,
}

/// Where file offset `o` lands in the snippet: in the piece that holds it,
/// else at the nearest shown place before it on its line.
fn map(pieces: &[Piece], text: &str, o: usize) -> usize {
    let i = pieces.partition_point(|p| p.start <= o);
    let Some(piece) = i.checked_sub(1).and_then(|i| pieces.get(i)) else {
        return pieces.first().map_or(0, |p| p.out);
    };
    let o = o.min(piece.end).min(piece.line_end);
    piece.out + escape_controls(&text[piece.start..o]).len()
}

/// A label ends within [`LABEL_LINES`] lines of where it starts, or at the
/// end of its first line.
fn cut_to_lines(text: &str, s: usize, e: usize) -> usize {
    let mut at = s;
    for _ in 0..LABEL_LINES {
        match text[at..e].find('\n') {
            Some(i) => at += i + 1,
            None => return e,
        }
    }
    line_end(text, s)
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The offset of the line break ending the line at `at` (or the text's end).
fn line_end(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |i| at + i)
}

fn floor_char(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// `n` characters back from `at`, not past a line start.
fn back(text: &str, at: usize, n: usize) -> usize {
    text[..at]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c != '\n')
        .take(n)
        .last()
        .map_or(at, |(i, _)| i)
}

/// `n` characters on from `at`, not past a line end.
fn forward(text: &str, at: usize, n: usize) -> usize {
    text[at..]
        .char_indices()
        .take_while(|&(_, c)| c != '\n')
        .nth(n)
        .map_or_else(|| line_end(text, at), |(i, _)| at + i)
}

fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let group = self.group(span.offset()).ok_or(MietteError::OutOfBounds)?;
        if span.offset() + span.len() > group.end {
            // Two boxes miette would merge: the lines between are not here.
            return Err(MietteError::OutOfBounds);
        }
        let text = &self.text[group.start..group.end];
        let local = SourceSpan::new((span.offset() - group.start).into(), span.len());
        let contents = text.read_span(&local, context_lines_before, context_lines_after)?;
        let start = group.start + contents.span().offset();
        let column = self
            .columns
            .iter()
            .find(|&&(at, _)| at == span.offset())
            .map_or(contents.column(), |&(_, column)| column);
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            contents.data(),
            SourceSpan::new(start.into(), contents.span().len()),
            group.first_line + contents.line(),
            column,
            // miette merges two labels' boxes by this count, which for a
            // whole file counts the lines from its start.
            group.first_line + contents.line_count(),
        )))
    }
}
