//! `GET /v1/what` and `/v1/who` read their query parameters as the
//! command line reads its arguments: a user that is no email is a 400 with
//! `what`'s message (not a new login), and a parameter that is not UTF-8
//! once decoded is a 400, never read with U+FFFD in it.

use serde_json::Value;

use crate::serve_support::{policy_dir, Server, SMALL};

fn error_of(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    v["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error in {body}"))
        .to_string()
}

#[test]
fn what_refuses_a_user_that_is_no_email_as_the_command_line_does() {
    let dir = policy_dir(SMALL);
    let server = Server::start(dir.path(), &[]);
    for (query, user) in [
        ("a%20b", "a b"),
        ("a+b", "a b"),
        ("%0Aevil", "\nevil"),
        ("", ""),
        ("nobody", "nobody"),
    ] {
        let out = crate::common::rolegraph(dir.path())
            .args(["what", user, "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "the command line on {user:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        let cli = stderr
            .trim_end()
            .strip_prefix("error: ")
            .unwrap_or_else(|| panic!("{stderr}"));
        let (status, body) = server.get(&format!("/v1/what?user={query}"));
        assert_eq!(status, 400, "?user={query}: {body}");
        // The terminal shows a control character escaped; JSON carries it.
        assert_eq!(error_of(&body).replace('\n', "\\n"), cli, "?user={query}");
    }
    // An email declared nowhere is still a new login, and a member is known.
    for user in ["new%40acme.com", "ana@acme.com"] {
        let (status, body) = server.get(&format!("/v1/what?user={user}"));
        assert_eq!(status, 200, "{user}: {body}");
    }
}

#[test]
fn a_parameter_that_is_not_utf8_is_400() {
    let dir = policy_dir(SMALL);
    let server = Server::start(dir.path(), &[]);
    for path in [
        "/v1/what?user=%FF",
        "/v1/what?user=ana%FF@acme.com",
        "/v1/what?user=%C3@acme.com",
        "/v1/who?permission=use_case:read&scope=use_case/b%FFt",
        "/v1/who?permission=model%FF",
    ] {
        let (status, body) = server.get(path);
        assert_eq!(status, 400, "{path}: {body}");
        let error = error_of(&body);
        assert!(error.contains("is not UTF-8"), "{path}: {error}");
        assert!(!error.contains('\u{FFFD}'), "{path}: {error}");
    }
    let (status, body) = server.get("/v1/what?%FF=1");
    assert_eq!(status, 400, "{body}");
    // Percent-encoded UTF-8 is read as such.
    let (status, body) = server.get("/v1/who?permission=use_case%3Aread&scope=use_case%2Fbot");
    assert_eq!(status, 200, "{body}");
}
