//! `fmt` round trip: formatting is idempotent and never changes what a policy
//! means (the compiled matrix, or the fact that it has errors).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rolegraph::fmt::format_policy;
use rolegraph::source::FileId;
use rolegraph::Policy;

fuzz_target!(|text: &str| {
    let Ok(formatted) = format_policy(FileId(0), text) else {
        return;
    };
    let again = format_policy(FileId(0), &formatted).ok();
    assert_eq!(again.as_deref(), Some(formatted.as_str()), "fmt is not idempotent");
    let before = Policy::from_text("x.policy", text).map(|p| p.compiled_lines());
    let after = Policy::from_text("x.policy", &formatted).map(|p| p.compiled_lines());
    match (before, after) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "fmt changed the compiled matrix"),
        (Err(_), Err(_)) => {}
        _ => panic!("fmt changed whether the policy is valid"),
    }
});
