//! `rolegraph import`: settings from other tools -> policy text.
//!
//! [`helm`]: a Helm `values.yaml` `auth:` section -> an `auth { … }` block.
//! [`adaptive`]: a deployment's state file -> policy files that describe it.

pub mod adaptive;
pub mod helm;
