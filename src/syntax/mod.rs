//! Text -> spanned AST.

pub mod ast;
mod errors;
mod files;
pub mod keywords;
mod parser;
mod scan;

pub use files::parse_files;
pub use keywords::ITEM_KEYWORDS;
pub use parser::{parse_file, parse_with_grammar};
pub use scan::scan_bulk;

/// Whether `text` is a name as the grammar's `key` reads it:
/// `[A-Za-z_][A-Za-z0-9_.-]*`.
pub fn is_key(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Whether an email may not hold this character: whitespace, control and
/// format characters (the Unicode properties `White_Space`, `Cc` and `Cf`),
/// as the grammar's `email_char` says, with the same tables (pest's).
pub fn forbidden_in_email(c: char) -> bool {
    pest::unicode::WHITE_SPACE(c) || pest::unicode::CONTROL(c) || pest::unicode::FORMAT(c)
}

/// Whether a text has an email's shape, `local@domain`, both parts
/// non-empty (what the grammar asks of a quoted email).
pub fn is_email_shaped(email: &str) -> bool {
    email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
}

/// Why a user named outside a policy (a query, a state file) is not an
/// email as a policy's must be, if it is not: `it holds whitespace
/// (U+0020)`, or `expected `name@domain``.
pub fn email_problem(email: &str) -> Option<String> {
    if let Some(c) = forbidden_char_in_email(email) {
        return Some(format!("it holds {c}"));
    }
    (!is_email_shaped(email)).then(|| "expected `name@domain`".to_string())
}

/// The first character an email may not hold, described (`a control
/// character (U+001B)`), if any.
pub fn forbidden_char_in_email(email: &str) -> Option<String> {
    let c = email.chars().find(|&c| forbidden_in_email(c))?;
    let what = if pest::unicode::WHITE_SPACE(c) {
        "whitespace"
    } else if pest::unicode::CONTROL(c) {
        "a control character"
    } else {
        "an invisible format character"
    };
    Some(format!("{what} (U+{:04X})", u32::from(c)))
}
