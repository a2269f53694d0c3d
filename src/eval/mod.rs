//! Questions over the compiled matrix: `can` (check), `explain`, `who`, `what`.
//!
//! In: a [`Matrix`](crate::compile::Matrix) and a [`Query`] resolved to ids.
//! Out: a decision, or a report of how it was reached.

pub mod batch;
mod check;
mod explain;
pub mod json;
mod who;

pub use check::Query;
pub use explain::{
    explain, Decision, Explanation, Link, NewLogin, PathReport, ShareStep, TargetCheck, Through,
};
pub use who::{grant_paths, vias, what, who, who_text, ScopeGrants, Via, What, WhoEntry};
