//! Text -> spanned AST.

pub mod ast;
mod parser;
mod scan;

pub use parser::{parse_file, parse_with_grammar, ITEM_KEYWORDS};
pub use scan::scan_bulk;
