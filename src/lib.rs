//! rolegraph: policy-as-code for team-based access control.
//!
//! A policy is a set of `.policy` files. It goes through these stages, each a
//! module named after what it does:
//!
//! 1. [`source`]: read files (a path or a directory, in a deterministic order);
//! 2. [`syntax`]: text -> spanned AST (a pest grammar, `grammar/policy.pest`);
//! 3. [`resolve`]: AST -> model with typed ids, the role graph, lints;
//! 4. [`compile`]: model -> matrix (flattened role bitsets, memberships, shares);
//! 5. [`eval`]: questions over the matrix: `can`, `explain`, `who`, `what`;
//! 6. [`testing`]: the policy's own tests, invariants and coverage;
//!
//! and tools over the same model: [`diff`], [`fmt`], [`graph`], [`audit`],
//! `import` and `export` (with the `cli` feature); [`adaptive`] meets the
//! live deployment (its state, the target, the plan). `serve` (with the `cli`
//! feature) answers the same questions over HTTP. [`bundle`] saves a checked
//! model for fast loading. [`diagnostics`] turns every problem into a report;
//! [`escape`] makes names from policies, bundles and queries safe to show.
//!
//! The command line (`cli`, and what only it needs: clap, YAML) is the
//! default feature `cli`; an application that embeds the evaluator depends
//! on the crate with `default-features = false`.
//!
//! # Embedding the evaluator
//!
//! ```
//! use rolegraph::Policy;
//!
//! let policy = Policy::from_text("org.policy", r#"
//!     kind use_case
//!     permission use_case:read on use_case "View"
//!     role reader { grant use_case:read }
//!     team support { member ana@acme.com as reader }
//!     use_case bot { share support as reader owner }
//! "#).expect("a valid policy");
//!
//! // Resolve the question to ids once (this is where names are looked up)...
//! let q = policy.query("Ana@acme.com", "use_case:read", Some("use_case/bot"), None).unwrap();
//! // ...then checks are a bit test, with no allocation: safe to call per request.
//! assert!(policy.check(&q));
//!
//! let nobody = policy.query("eve@acme.com", "use_case:read", Some("use_case/bot"), None).unwrap();
//! assert!(!policy.check(&nobody));
//! println!("{}", policy.explain(&nobody, "eve@acme.com").to_text());
//! ```

pub mod adaptive;
mod atomic_file;
pub mod audit;
pub mod bundle;
#[cfg(feature = "cli")]
pub mod cli;
pub mod compile;
pub mod diagnostics;
pub mod diff;
pub mod escape;
pub mod eval;
#[cfg(feature = "cli")]
pub mod export;
pub mod fmt;
pub mod graph;
#[cfg(feature = "cli")]
pub mod import;
#[cfg(feature = "cli")]
pub mod lsp;
mod policy;
pub mod resolve;
#[cfg(feature = "cli")]
pub mod serve;
pub mod source;
pub mod syntax;
pub mod testing;

pub use policy::{Policy, PolicyError, QueryError};
