//! Lexed lines -> canonical text.
//!
//! The rule, applied the same way to its own output (so it is idempotent):
//!
//! - line structure and comments stay where they were; tokens are separated
//!   by one space, `,` sticks to what precedes it;
//! - a line is indented two spaces per open block; a line that continues the
//!   previous one (it starts with a string, `,` or `{`, or the previous line
//!   ended with `,`) gets one more level;
//! - at most one blank line in a row, none at the start or end of the file,
//!   right after a `{` or right before a `}`;
//! - consecutive lines of the same kind (same first keyword, `allow`/`deny`
//!   together, `auth` settings together) at the same depth, without braces,
//!   are aligned in columns, like `gofmt`'s tab writer: a column is padded
//!   over the consecutive lines that have a cell after it, and cells after
//!   a list (`a, b`) are not aligned;
//! - trailing comments of consecutive lines in such a group start in one
//!   column, two spaces after the longest code; elsewhere two spaces after it.

use super::lexer::{Line, Tok};

const INDENT: &str = "  ";

struct Out {
    indent: usize,
    cells: Vec<String>,
    comment: Option<String>,
    /// Lines with the same `Some(class)` in a row are aligned.
    class: Option<String>,
}

impl Out {
    fn is_blank(&self) -> bool {
        self.cells.is_empty() && self.comment.is_none()
    }
}

pub fn print(lines: &[Line]) -> String {
    let outs = drop_blank_lines(layout(lines));
    let mut text = String::new();
    let mut i = 0;
    while i < outs.len() {
        let mut j = i + 1;
        if outs[i].class.is_some() {
            while j < outs.len()
                && outs[j].class == outs[i].class
                && outs[j].indent == outs[i].indent
            {
                j += 1;
            }
        }
        render_group(&outs[i..j], &mut text);
        i = j;
    }
    text
}

/// Indentation, cells and alignment class of every line.
fn layout(lines: &[Line]) -> Vec<Out> {
    let mut depth = 0usize;
    let mut prev_code: Option<&Line> = None;
    let mut outs = Vec::with_capacity(lines.len());
    for line in lines {
        let leading_closes = line.toks.iter().take_while(|t| **t == Tok::Close).count();
        let continues = match line.toks.first() {
            Some(Tok::Str(_) | Tok::Comma | Tok::Open) => true,
            Some(_) => prev_code.is_some_and(|p| p.toks.last() == Some(&Tok::Comma)),
            None => false,
        };
        let indent = depth.saturating_sub(leading_closes) + usize::from(continues);
        let braces = line
            .toks
            .iter()
            .any(|t| matches!(t, Tok::Open | Tok::Close));
        let class = match line.toks.first() {
            Some(Tok::Word(w)) if !braces && !continues => Some(class_of(w)),
            _ => None,
        };
        outs.push(Out {
            indent,
            cells: cells(&line.toks),
            comment: line.comment.clone(),
            class,
        });
        for t in &line.toks {
            match t {
                Tok::Open => depth += 1,
                Tok::Close => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        if !line.toks.is_empty() {
            prev_code = Some(line);
        }
    }
    outs
}

fn class_of(word: &str) -> String {
    match word {
        "admin_team" | "default_team" | "default_role" | "admins" | "trust" => "auth".into(),
        "allow" | "deny" => "expect".into(),
        w => w.into(),
    }
}

/// Tokens grouped into cells: a `,` belongs to the cell before it.
fn cells(toks: &[Tok]) -> Vec<String> {
    let mut cells: Vec<String> = Vec::new();
    for t in toks {
        match (t, cells.last_mut()) {
            (Tok::Comma, Some(last)) => last.push(','),
            _ => cells.push(t.text().to_string()),
        }
    }
    cells
}

fn drop_blank_lines(outs: Vec<Out>) -> Vec<Out> {
    let mut kept: Vec<Out> = Vec::with_capacity(outs.len());
    let mut pending_blank = false;
    for out in outs {
        if out.is_blank() {
            pending_blank = true;
            continue;
        }
        let after_open = kept
            .last()
            .is_none_or(|prev| prev.cells.last().is_some_and(|c| c == "{"));
        let before_close = out.cells.first().is_some_and(|c| c == "}");
        if pending_blank && !after_open && !before_close {
            kept.push(Out {
                indent: 0,
                cells: Vec::new(),
                comment: None,
                class: None,
            });
        }
        pending_blank = false;
        kept.push(out);
    }
    kept
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// Writes a group of lines aligned together (often a group of one).
fn render_group(group: &[Out], text: &mut String) {
    let codes: Vec<String> = aligned_cells(group)
        .into_iter()
        .zip(group)
        .map(|(cells, out)| {
            if cells.is_empty() {
                String::new()
            } else {
                format!("{}{}", INDENT.repeat(out.indent), cells.join(" "))
            }
        })
        .collect();
    let mut i = 0;
    while i < group.len() {
        // Consecutive lines with trailing comments share a comment column.
        let mut j = i + 1;
        if group[i].comment.is_some() && !codes[i].is_empty() {
            while j < group.len() && group[j].comment.is_some() && !codes[j].is_empty() {
                j += 1;
            }
        }
        let column = codes[i..j].iter().map(|c| width(c)).max().unwrap_or(0) + 2;
        for k in i..j {
            let mut line = codes[k].clone();
            match &group[k].comment {
                Some(c) if line.is_empty() => {
                    line = format!("{}{c}", INDENT.repeat(group[k].indent));
                }
                Some(c) => {
                    let pad = column - width(&line);
                    line.push_str(&" ".repeat(pad));
                    line.push_str(c);
                }
                None => {}
            }
            text.push_str(line.trim_end());
            text.push('\n');
        }
        i = j;
    }
}

/// Each line's cells, padded so that columns line up over the lines that
/// have a cell after them.
fn aligned_cells(group: &[Out]) -> Vec<Vec<String>> {
    let mut padded: Vec<Vec<String>> = group.iter().map(|o| o.cells.clone()).collect();
    // Columns up to the last cell, or up to the first list (`a, b`): what
    // follows a list starts wherever the list ends.
    let limits: Vec<usize> = group
        .iter()
        .map(|o| {
            o.cells
                .iter()
                .position(|c| c.ends_with(','))
                .unwrap_or(o.cells.len().saturating_sub(1))
        })
        .collect();
    let columns = limits.iter().copied().max().unwrap_or(0);
    for col in 0..columns {
        let mut i = 0;
        while i < group.len() {
            if limits[i] <= col {
                i += 1;
                continue;
            }
            let mut j = i;
            while j < group.len() && limits[j] > col {
                j += 1;
            }
            let w = padded[i..j]
                .iter()
                .map(|c| width(&c[col]))
                .max()
                .unwrap_or(0);
            for cells in &mut padded[i..j] {
                let pad = w - width(&cells[col]);
                cells[col].push_str(&" ".repeat(pad));
            }
            i = j;
        }
    }
    padded
}
