//! Deployment names in `plan --format markdown` and in `diff adaptive:`'s
//! notes reach a pull-request comment only as code: an `<img onerror>` or a
//! `[link](http://…)` in a team, role or permission name renders as text.

use rolegraph::adaptive::state::{RoleState, TeamState};

use super::adaptive_review_support::{no_live_markup, outside_code, run_on};
use super::plan_support::org_state;

const IMG: &str = "<img/src=x/onerror=alert(1)>";
const LINK: &str = "[x](http://evil.example)";

fn hostile_state() -> rolegraph::adaptive::State {
    let mut state = org_state().build();
    // A name the policy gives otherwise: a note.
    state.teams.get_mut("ml").unwrap().name = format!("{IMG} {LINK}");
    // Keys the policy lacks: unmanaged.
    state.teams.insert(
        LINK.to_string(),
        TeamState {
            name: IMG.to_string(),
        },
    );
    state.roles.insert(
        IMG.to_string(),
        RoleState {
            name: LINK.to_string(),
            permissions: vec!["project:read".to_string()],
        },
    );
    state.validate().unwrap();
    state
}

#[test]
fn plan_markdown_shows_deployment_names_only_as_code() {
    let (code, md, err) = run_on(
        &hostile_state(),
        &["plan", "--state", "STATE", "--format", "markdown"],
    );
    assert_eq!(code, 0, "{err}");
    // The names are there, as code.
    assert!(md.contains(IMG) && md.contains(LINK), "{md}");
    assert!(md.contains("#### Notes"), "{md}");
    assert!(md.contains("Unmanaged"), "{md}");
    no_live_markup(&md);
}

#[test]
fn the_checker_sees_live_markup() {
    // The check above can fail: an unescaped name is caught.
    let md = format!("- team `ml` is named {IMG}\n");
    assert!(outside_code(&md).contains("<img"));
    let md = format!("| `x` | {LINK} |\n");
    assert!(outside_code(&md).contains("]("));
}
