//! The live Adaptive deployment (SPEC §9): its access state, the target the
//! policy sets for it, and the plan that takes one to the other.
//!
//! In: a [`State`] (read live by the client, or from a state file) and a
//! checked policy. Out: the [`Target`] ([`target`]), a [`Plan`] of
//! [`Operation`]s in the order SPEC §9 gives, with what the API cannot do
//! ([`plan`], rendered by [`render`]); the deployment read as a policy for
//! `diff adaptive:` ([`as_policy`]); and [`simulate`], an operation applied to
//! a state in memory as the API would.

pub mod as_policy;
#[cfg(feature = "cli")]
pub mod client;
pub mod ops;
pub mod plan;
pub mod render;
pub mod simulate;
pub mod state;
pub mod target;

pub use ops::Operation;
pub use plan::{plan, Plan, PlanError, PlanOptions};
pub use state::State;
pub use target::Target;
