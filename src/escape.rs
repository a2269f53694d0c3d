//! Untrusted text made safe to show.
//!
//! In: names, titles, emails and paths from policy files, bundles, state
//! files and queries. Out: text that shows as itself. A control character
//! (an ESC sequence, a carriage return, a backspace) or a bidirectional
//! override in an email could otherwise redraw what a reviewer sees — `diff`'s
//! summary rewritten as "0 granted" — so every human-readable output writes
//! such characters as visible escapes (`\u001b`, `\n`, `\u202e`). JSON
//! escapes the C0 controls itself; the same escapes, applied to a JSON
//! report, cover the rest (DEL, C1, bidirectional marks) and keep it valid.
//!
//! [`text`] escapes one field (a name inside a line: newlines and tabs too);
//! [`terminal`] escapes a whole report whose own layout is newlines and tabs.
//! The command line passes everything it prints through [`terminal`], so a
//! renderer that forgets a field still cannot move the cursor. [`code_span`]
//! puts a name in a Markdown code span that no backtick can close.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// A character that acts on a terminal or reorders text instead of showing
/// as itself: the C0 and C1 controls and DEL (which include ESC, CSI, CR,
/// backspace), the format characters (bidirectional marks, embeddings,
/// overrides and isolates — "Trojan Source" —, zero-width spaces and joiners),
/// and the Unicode line and paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || pest::unicode::FORMAT(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `\n`, `\r`, `\t`, else `\u` and four hex digits (a character past the
/// Basic Multilingual Plane, such as a format tag, as its UTF-16 pair). These
/// are JSON's escapes too, so the same escaping keeps a JSON report valid and
/// equal in meaning.
fn write_escaped(out: &mut impl fmt::Write, c: char) -> fmt::Result {
    match c {
        '\n' => out.write_str("\\n"),
        '\r' => out.write_str("\\r"),
        '\t' => out.write_str("\\t"),
        c => c
            .encode_utf16(&mut [0; 2])
            .iter()
            .try_for_each(|unit| write!(out, "\\u{unit:04x}")),
    }
}

fn escape_if(s: &str, unsafe_char: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(&unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            let _ = write_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One field of a line of output: every unsafe character escaped, newlines
/// and tabs included, so a value can neither move the cursor nor start a
/// line of its own. Borrows when there is nothing to escape.
pub fn text(s: &str) -> Cow<'_, str> {
    escape_if(s, is_unsafe)
}

/// A whole report for a terminal: as [`text`], but newlines and tabs, the
/// report's own layout, are kept.
pub fn terminal(s: &str) -> Cow<'_, str> {
    escape_if(s, |c| c != '\n' && c != '\t' && is_unsafe(c))
}

/// A value in a Markdown code span inside a table cell: unsafe characters
/// escaped, `|` escaped for the table (GitHub honours `\|` inside a code
/// span in a cell), and a fence of more backticks than the longest run in
/// the value, so a backtick in an email cannot close the span and turn the
/// rest of the cell into Markdown.
pub fn code_span(s: &str) -> String {
    let value = text(s).replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in value.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // A span's content loses one space at each end when it has both, so pad
    // a value that starts or ends with a backtick or a space, and an empty one.
    let pad = value.is_empty() || value.starts_with(['`', ' ']) || value.ends_with(['`', ' ']);
    let space = if pad { " " } else { "" };
    let mut out = String::with_capacity(value.len() + 2 * fence.len() + 2);
    let _ = write!(out, "{fence}{space}{value}{space}{fence}");
    out
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a test fails by panicking")]
mod tests {
    use super::*;

    #[test]
    fn fields_show_every_control_character() {
        assert_eq!(text("bob@x.io"), "bob@x.io");
        assert!(matches!(text("bob@x.io"), Cow::Borrowed(_)));
        assert_eq!(text("a\x1b[2Jb"), "a\\u001b[2Jb");
        assert_eq!(text("a\nb\tc\rd"), "a\\nb\\tc\\rd");
        assert_eq!(text("\u{7f}\u{9b}"), "\\u007f\\u009b");
        assert_eq!(text("x\u{202e}y\u{2066}"), "x\\u202ey\\u2066");
        assert_eq!(text("é ü 日本"), "é ü 日本");
    }

    #[test]
    fn reports_keep_their_layout() {
        assert_eq!(terminal("a\tb\nc\x1b[8m\r"), "a\tb\nc\\u001b[8m\\r");
    }

    #[test]
    fn a_json_report_stays_valid_json() {
        let value = serde_json::json!({ "user": "a\u{1b}\u{9b}\u{202e}\u{2028}\u{7f}b\n" });
        let json = serde_json::to_string(&value).unwrap();
        let escaped = terminal(&json);
        assert!(!escaped.chars().any(is_unsafe));
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn code_spans_cannot_be_closed() {
        assert_eq!(code_span("bob@x.io"), "`bob@x.io`");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`a``"), "``` `a`` ```");
        assert_eq!(code_span("a|b"), "`a\\|b`");
        assert_eq!(code_span(""), "`  `"); // all spaces: shown as they are
        assert_eq!(code_span("a\nb"), "`a\\nb`");
        assert_eq!(code_span("a\x1bb"), "`a\\u001bb`");
    }
}
