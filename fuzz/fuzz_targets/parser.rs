//! The parser alone: any text gives an AST or one syntax diagnostic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rolegraph::source::FileId;

fuzz_target!(|text: &str| {
    let _ = rolegraph::syntax::parse_file(FileId(0), text);
});
