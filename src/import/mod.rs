//! `rolegraph import`: settings from other tools -> policy text.
//!
//! [`helm`]: a Helm `values.yaml` `auth:` section -> an `auth { … }` block.

pub mod helm;
