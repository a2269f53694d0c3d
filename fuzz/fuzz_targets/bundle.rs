//! The bundle reader on any payload behind a valid checksum. The input is
//! framed as a bundle of this build (header lines, then the input, then its
//! CRC), so the fuzzer reaches the decoder and the model checks instead of
//! stopping at the checksum. Whatever the bytes, `from_bundle` must refuse
//! them or return a model every command answers from: a panic, a hang, an
//! out-of-bounds read (run with the address sanitizer) or a huge allocation
//! (`-rss_limit_mb`, `-malloc_limit_mb`) is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rolegraph::resolve::Scope;
use rolegraph::{bundle, Policy};

fuzz_target!(|payload: &[u8]| {
    let Ok(policy) = Policy::from_bundle(&bundle::frame(payload)) else {
        return;
    };
    let m = &policy.model;
    let _ = policy.compiled_json();
    let _ = rolegraph::testing::run(&policy, true).to_text();
    let _ = rolegraph::audit::audit(m, &policy.matrix).to_text();
    let _ = rolegraph::graph::render::dot(&rolegraph::graph::build(m, Default::default()));
    let _ = rolegraph::diff::to_text(&rolegraph::diff::diff(&policy, &policy));
    // A few of each keeps one run fast whatever the input's size.
    let users: Vec<String> = m.users.iter().take(4).map(|u| u.email.clone()).collect();
    let perms: Vec<String> = m.perms.iter().take(6).map(|p| p.name.clone()).collect();
    let mut scopes = vec!["global".to_string()];
    scopes.extend(m.teams.iter().take(3).map(|t| format!("team/{}", t.key)));
    scopes.extend(m.resource_ids().take(3).map(|r| m.scope_name(Scope::Resource(r))));
    for user in users.iter().map(String::as_str).chain(["new@login.x"]) {
        let _ = policy.what(user).to_text();
        for perm in &perms {
            for scope in &scopes {
                for to in [None, scopes.get(1).map(String::as_str)] {
                    if let Ok(q) = policy.query(user, perm, Some(scope), to) {
                        let _ = policy.check(&q);
                        let _ = policy.explain(&q, user).to_text();
                    }
                }
            }
        }
    }
});
