//! `diff` reports a change of `auth { admins }` in its summary of changed
//! definitions (issue 13.12): the resolver never filled the model's admin
//! list, so adding an admin who already held the admin role by a `member`
//! line changed no row and showed no change at all.

use rolegraph::diff::diff;
use rolegraph::Policy;

fn policy(admins: &str) -> Policy {
    let text = format!(
        "permission model:deploy on global\n\
         role admin {{ grant * }}\n\
         team admin {{ member ana@acme.com as admin member bo@acme.com as admin }}\n\
         auth {{ admins {admins} }}\n"
    );
    Policy::from_text("p.policy", &text).unwrap()
}

#[test]
fn an_admin_added_to_auth_is_a_changed_definition() {
    let (old, new) = (policy("ana@acme.com"), policy("ana@acme.com, BO@acme.com"));
    let d = diff(&old, &new);
    assert!(d.granted.is_empty() && d.revoked.is_empty(), "{d:?}");
    let auth: Vec<_> = d.changes.iter().filter(|c| c.item == "auth").collect();
    assert_eq!(auth.len(), 1, "{:?}", d.changes);
    assert_eq!(auth[0].name, "admins");
    assert_eq!(auth[0].added, vec!["bo@acme.com".to_string()]);
    assert!(auth[0].removed.is_empty());
}

#[test]
fn an_admin_removed_from_auth_is_a_changed_definition() {
    let d = diff(&policy("ana@acme.com, bo@acme.com"), &policy("bo@acme.com"));
    let auth: Vec<_> = d.changes.iter().filter(|c| c.item == "auth").collect();
    assert_eq!(auth.len(), 1, "{:?}", d.changes);
    assert_eq!(auth[0].removed, vec!["ana@acme.com".to_string()]);
}

#[test]
fn the_model_lists_the_admins() {
    let p = policy("bo@acme.com, ana@acme.com, ANA@acme.com");
    let emails: Vec<&str> = p
        .model
        .auth
        .admins
        .iter()
        .map(|&u| p.model[u].email.as_str())
        .collect();
    assert_eq!(emails, ["ana@acme.com", "bo@acme.com"]);
}
