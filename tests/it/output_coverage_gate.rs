//! `test --coverage-min` is a gate, so a value that cannot gate is a usage
//! error (exit 2) before anything runs: `NaN` compared false with every
//! coverage and turned the gate off, and `150` was accepted though no policy
//! can reach it.

use std::path::Path;

use predicates::prelude::*;

use crate::common::{rolegraph, POLICIES};

#[test]
fn a_percentage_that_cannot_gate_is_a_usage_error() {
    for bad in ["NaN", "nan", "inf", "-inf", "150", "100.5", "-1", "abc", ""] {
        rolegraph(Path::new(POLICIES))
            .args(["test", &format!("--coverage-min={bad}")])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains("percentage from 0 to 100"));
    }
}

#[test]
fn a_percentage_gates() {
    // The shipped policy's coverage is below 100% and above 0%.
    rolegraph(Path::new(POLICIES))
        .args(["test", "--coverage-min", "100"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is below the required 100.0%"));
    rolegraph(Path::new(POLICIES))
        .args(["test", "--coverage-min", "0"])
        .assert()
        .code(0);
}
