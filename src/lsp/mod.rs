//! `rolegraph lsp`: the policy as a checked language in every editor
//! (SPEC §10), over stdio with `lsp-server`'s messages and `lsp-types`.
//!
//! In: LSP messages from an editor. Out: diagnostics, hover, definitions,
//! references, symbols, completion, quick fixes, formatting and rename. The
//! stages are the library's: every change of the workspace is read
//! ([`workspace`]), then analysed once ([`analysis`]: the check of
//! `validate`, the compiler, the tests of `test`), and every request reads
//! that one analysis.
//!
//! - [`server`]: the loop, the handshake, guarded handlers;
//! - [`transport`]: messages framed on stdin and stdout;
//! - [`workspace`]: files on disk overridden by open buffers;
//! - [`analysis`]: one analysis of the workspace, its diagnostics;
//! - [`index`]: each file's names, located;
//! - [`position`]: byte offsets <-> UTF-16 positions; [`uri`]: paths <-> URIs;
//! - [`hover`], [`navigate`], [`complete`], [`actions`]: the features.

pub mod actions;
pub mod analysis;
pub mod complete;
pub mod hover;
pub mod index;
pub mod navigate;
pub mod position;
pub mod server;
pub mod transport;
pub mod uri;
pub mod workspace;

pub use server::{run, serve, Ended};
