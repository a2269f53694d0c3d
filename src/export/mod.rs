//! `rolegraph export`: the policy -> settings for other tools.
//!
//! [`helm`]: the `auth { … }` block -> the `auth:` section of a Helm
//! `values.yaml` (the reverse of `import helm`).

pub mod helm;
