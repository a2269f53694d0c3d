//! Only a JSON object is a question, on every endpoint that reads one
//! (`can --batch` refuses anything else): a JSON array must not be read as
//! the fields in order, at the top of a body or inside it.

use serde_json::{json, Value};

use crate::serve_support::{can_batch, policy_dir, Server, SMALL};

/// A status and its body, with what the body says went wrong (in any of the
/// three dialects).
fn refused(answer: (u16, String)) -> String {
    let (status, body) = answer;
    assert_eq!(status, 400, "{body}");
    match serde_json::from_str::<Value>(&body) {
        Ok(v) if v["error"].is_string() => v["error"].as_str().unwrap().to_string(),
        Ok(v) if v["message"].is_string() => v["message"].as_str().unwrap().to_string(),
        _ => body,
    }
}

#[test]
fn the_command_line_refuses_an_array_and_so_does_the_service() {
    let dir = policy_dir(SMALL);
    let line = r#"["boss@acme.com","model:deploy"]"#;
    assert!(
        can_batch(dir.path(), &format!("{line}\n")).contains("a question is a JSON object"),
        "the command line's answer to {line}"
    );
    let server = Server::start(dir.path(), &[]);
    // The same question as an object is allowed: an array must not be.
    let (status, body) = server.post_json(
        "/v1/data/rolegraph/allow",
        r#"{"input":{"user":"boss@acme.com","permission":"model:deploy"}}"#,
    );
    assert_eq!((status, &body["result"]), (200, &json!(true)), "{body}");

    let cases = [
        ("/v1/data/rolegraph/allow", format!(r#"{{"input":{line}}}"#)),
        (
            "/v1/data/rolegraph/allow",
            r#"[{"user":"boss@acme.com","permission":"model:deploy"}]"#.to_string(),
        ),
        ("/v1/explain", line.to_string()),
        (
            "/v1/explain",
            r#"["ana@acme.com","use_case:read","use_case/bot"]"#.to_string(),
        ),
    ];
    for (path, body) in cases {
        let message = refused(server.post(path, &body));
        assert!(
            message.contains("expected a question, a JSON object")
                || message.contains("expected a JSON object"),
            "{path} {body}: {message}"
        );
        assert!(!message.contains("Question"), "no type names: {message}");
    }
}

#[test]
fn authzen_takes_objects_only_at_every_level() {
    let dir = policy_dir(SMALL);
    let server = Server::start(dir.path(), &[]);
    let subject = json!({"type": "user", "id": "boss@acme.com"});
    let action = json!({"name": "model:deploy"});
    let resource = json!({"type": "global"});
    let good = json!({"subject": subject, "action": action, "resource": resource});
    let (status, body) = server.post_json("/access/v1/evaluation", &good.to_string());
    assert_eq!((status, &body["decision"]), (200, &json!(true)), "{body}");

    let cases = [
        (
            "/access/v1/evaluation",
            json!([subject, action, resource, null]),
            "expected an evaluation, a JSON object",
        ),
        (
            "/access/v1/evaluation",
            json!({"subject": ["user", "boss@acme.com"], "action": action, "resource": resource}),
            "expected a subject, a JSON object",
        ),
        (
            "/access/v1/evaluation",
            json!({"subject": subject, "action": ["model:deploy"], "resource": resource}),
            "expected an action, a JSON object",
        ),
        (
            "/access/v1/evaluation",
            json!({"subject": subject, "action": action, "resource": ["global"]}),
            "expected a resource, a JSON object",
        ),
        (
            "/access/v1/evaluations",
            json!([subject, action, resource, null, [good]]),
            "expected a JSON object",
        ),
        (
            "/access/v1/evaluations",
            json!({"evaluations": [[subject, action, resource]]}),
            "expected an evaluation, a JSON object",
        ),
        (
            "/access/v1/evaluations",
            json!({"subject": subject, "action": action,
                   "evaluations": [{"resource": ["global"]}]}),
            "expected a resource, a JSON object",
        ),
        (
            "/access/v1/evaluations",
            json!({"evaluations": [good], "options": ["deny_on_first_deny"]}),
            "expected options, a JSON object",
        ),
    ];
    for (path, body, want) in cases {
        let message = refused(server.post(path, &body.to_string()));
        assert!(message.contains(want), "{path} {body}: {message}");
    }
}
