//! Colour in text reports: only on a terminal, never with `NO_COLOR` (SPEC §4).
//! Its own test binary, because it sets the process environment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rolegraph::diagnostics::{render_text, use_colour};
use rolegraph::resolve;
use rolegraph::source::Sources;

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    std::env::remove_var("NO_COLOR");
    assert!(use_colour(true));
    assert!(!use_colour(false));
    std::env::set_var("NO_COLOR", "1");
    assert!(!use_colour(true));
    // no-color.org: an empty value does not count.
    std::env::set_var("NO_COLOR", "");
    assert!(use_colour(true));
    std::env::remove_var("NO_COLOR");

    let mut sources = Sources::default();
    sources.add("x.policy", "team ml { member a@b.c as nobody_role }\n");
    let checked = resolve::check(sources);
    assert!(checked.has_errors());
    let plain = render_text(&checked.diagnostics, &checked.sources, false);
    let coloured = render_text(&checked.diagnostics, &checked.sources, true);
    assert!(!plain.contains('\u{1b}'), "{plain}");
    assert!(coloured.contains("\u{1b}["), "{coloured}");
}
