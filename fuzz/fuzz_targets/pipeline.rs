//! The whole pipeline: validate, render diagnostics, compile, run the
//! policy's tests, and random queries. Only a panic (or a hang) is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rolegraph::source::Sources;
use rolegraph::{resolve, Policy};

fuzz_target!(|text: &str| {
    let mut sources = Sources::default();
    sources.add("fuzz.policy", text);
    let checked = resolve::check(sources.clone());
    let _ = rolegraph::diagnostics::render_text(&checked.diagnostics, &checked.sources, false);
    let _ = rolegraph::diagnostics::render_json(&checked.diagnostics, &checked.sources);
    let Ok(policy) = Policy::from_sources(sources) else {
        return;
    };
    let _ = policy.compiled_json();
    let _ = rolegraph::testing::run(&policy, true);
    // A few of each keeps one run fast whatever the input's size.
    let users: Vec<String> = policy.model.users.iter().take(6).map(|u| u.email.clone()).collect();
    let perms: Vec<String> = policy.model.perms.iter().take(6).map(|p| p.name.clone()).collect();
    let mut scopes = vec!["global".to_string()];
    scopes.extend(policy.model.teams.iter().take(4).map(|t| format!("team/{}", t.key)));
    let m = &policy.model;
    scopes.extend(
        m.resource_ids()
            .take(4)
            .map(|r| m.scope_name(rolegraph::resolve::Scope::Resource(r))),
    );
    for user in users.iter().map(String::as_str).chain(["new@login.x"]) {
        let _ = policy.what(user);
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
