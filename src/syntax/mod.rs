//! Text -> spanned AST.

pub mod ast;
mod parser;

pub use parser::{parse_file, ITEM_KEYWORDS};
