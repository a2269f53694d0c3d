//! `rolegraph fmt`: policy text -> the same policy in the canonical layout.
//!
//! In: one file's text. Out: the text re-printed by [`printer`] from the
//! tokens of [`lexer`], comments kept where they were. Only whitespace
//! changes, so the formatted policy means exactly what the original meant;
//! a file that does not parse is refused rather than guessed at.
//! [`replace_file`] writes the result back whole or not at all.

mod lexer;
mod printer;

use crate::diagnostics::Diagnostic;
use crate::source::FileId;

/// Replaces the regular file at `path` with `text`, whole or not at all,
/// keeping its permissions. A symbolic link (or anything else not a regular
/// file) at `path` is refused: `fmt` never writes through a link.
pub fn replace_file(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    crate::atomic_file::write(path, text.as_bytes(), crate::atomic_file::NewFile::Shared)
}

/// Re-prints text in the canonical layout. Total: any text gives some output,
/// but only text that parses is guaranteed to keep its meaning; use
/// [`format_policy`] for files.
pub fn format_text(text: &str) -> String {
    let text = printer::print(&lexer::lex(text));
    // A file of nothing but blank lines becomes empty.
    if text.trim().is_empty() {
        String::new()
    } else {
        text
    }
}

/// Formats a policy file, refusing one that does not parse (the syntax
/// error's spans are in `file`).
pub fn format_policy(file: FileId, text: &str) -> Result<String, Diagnostic> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    crate::syntax::parse_file(file, text)?;
    Ok(format_text(text))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::format_text;

    #[test]
    fn normalises_spacing_and_aligns() {
        let text = "\u{feff}\r\n\r\nteam  t  \"T\"{\r\n\r\n   member a@x.io as r   # one\n member bb@x.io   as rr #two\n\n\n\n}\n\n\nrole r { grant  a:b ,c:d }";
        let want = "team t \"T\" {\n  member a@x.io  as r   # one\n  member bb@x.io as rr  #two\n}\n\nrole r { grant a:b, c:d }\n";
        assert_eq!(format_text(text), want);
        assert_eq!(format_text(want), want);
    }

    #[test]
    fn continuation_lines_are_indented() {
        let text = "permission a:b on x requires owner,\ntarget team\n\"Desc\"\n";
        let want = "permission a:b on x requires owner,\n  target team\n  \"Desc\"\n";
        assert_eq!(format_text(text), want);
    }
}
