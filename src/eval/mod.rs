//! Questions over the compiled matrix: `can` (check), `explain`, `who`, `what`.
//!
//! In: a [`Matrix`](crate::compile::Matrix) and a [`Query`] resolved to ids.
//! Out: a decision, or a typed report of how it was reached (ids, spans and
//! enums), which [`render`] turns into text and JSON late, with the model's
//! names. Every path shown anywhere comes from [`paths`].

pub mod batch;
mod check;
mod explain;
pub mod json;
pub mod paths;
mod render;
mod who;

pub use check::Query;
pub use explain::{
    explain, Decision, Explanation, Link, MemberAt, PathReport, Reason, TargetCheck,
};
pub use paths::{vias, Failure, Path, ShareRef, Through, Via};
pub use render::{holder_text, not_declared, vias_markdown, vias_text, Named, Render, ViaNames};
pub use who::{what, who, ScopeGrants, What, Who, WhoEntry};
