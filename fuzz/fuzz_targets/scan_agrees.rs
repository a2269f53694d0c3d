//! The bulk scanner and the grammar agree: whenever the scanner answers, the
//! grammar accepts the text and builds the same AST, spans included.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rolegraph::source::FileId;
use rolegraph::syntax::{parse_with_grammar, scan_bulk};

fuzz_target!(|text: &str| {
    if let Some(scanned) = scan_bulk(FileId(0), text) {
        match parse_with_grammar(FileId(0), text) {
            Ok(parsed) => assert_eq!(format!("{scanned:?}"), format!("{parsed:?}")),
            Err(e) => panic!("scanned text the grammar rejects: {e:?}"),
        }
    }
});
