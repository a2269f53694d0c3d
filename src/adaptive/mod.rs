//! The live Adaptive deployment (SPEC §9): its access state, and the plan
//! that takes it to what the policy says.
//!
//! In: a [`State`] (read live by the client, or from a state file) and a
//! checked policy. Out: a plan of [`Operation`]s, in the order SPEC §9 gives,
//! that the client can send as GraphQL mutations.

#[cfg(feature = "cli")]
pub mod client;
pub mod ops;
pub mod state;

pub use ops::Operation;
pub use state::State;
