//! AuthZEN requests follow SPEC §11's "unknown fields 400": a field that
//! AuthZEN 1.0 does not define is refused in AuthZEN's error form (plain
//! text), at every level; the fields it defines (`properties`, free-form
//! `context`) are taken.

use serde_json::{json, Value};

use crate::serve_support::{policy_dir, Server, SMALL};

fn good() -> Value {
    json!({
        "subject": {"type": "user", "id": "boss@acme.com", "properties": {"department": "ml"}},
        "action": {"name": "model:deploy", "properties": {"method": "POST"}},
        "resource": {"type": "global", "properties": {"region": "eu"}},
        "context": {"time": "2026-11-29T10:00:00Z"},
    })
}

#[test]
fn a_field_authzen_does_not_define_is_400() {
    let dir = policy_dir(SMALL);
    let server = Server::start(dir.path(), &[]);
    let (status, body) = server.post_json("/access/v1/evaluation", &good().to_string());
    assert_eq!((status, &body["decision"]), (200, &json!(true)), "{body}");
    let many = json!({
        "subject": good()["subject"], "action": good()["action"], "context": {},
        "resource": {"type": "team", "id": "ml"},
        "options": {"evaluations_semantic": "execute_all"},
        "evaluations": [{"resource": {"type": "global"}, "context": {"any": 1}}],
    });
    let (status, body) = server.post_json("/access/v1/evaluations", &many.to_string());
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"evaluations": [{"decision": true}]}));

    let mut cases: Vec<(&str, Value, &str)> = Vec::new();
    let mut with = |path, pointer: &str, key: &str, base: Value| {
        let mut v = base;
        v.pointer_mut(pointer).unwrap()[key] = json!(1);
        cases.push((path, v, ""));
    };
    for pointer in ["", "/subject", "/action", "/resource"] {
        with("/access/v1/evaluation", pointer, "bogus", good());
        with("/access/v1/evaluations", pointer, "bogus", many.clone());
    }
    with(
        "/access/v1/evaluations",
        "/evaluations/0",
        "bogus",
        many.clone(),
    );
    with(
        "/access/v1/evaluations",
        "/evaluations/0/resource",
        "bogus",
        many.clone(),
    );
    with("/access/v1/evaluations", "/options", "bogus", many.clone());
    // `evaluations` and `options` are the batch endpoint's.
    with("/access/v1/evaluation", "", "options", good());
    with("/access/v1/evaluation", "", "evaluations", good());
    for (path, body, _) in cases {
        let (status, text) = server.post(path, &body.to_string());
        assert_eq!(status, 400, "{path} {body}: {text}");
        assert!(
            serde_json::from_str::<Value>(&text).is_err(),
            "AuthZEN's errors are plain text: {text}"
        );
        assert!(text.contains("unknown field `"), "{path} {body}: {text}");
    }
    // A `properties` that is not an object is not AuthZEN's either.
    let mut v = good();
    v["subject"]["properties"] = json!(["ml"]);
    let (status, text) = server.post("/access/v1/evaluation", &v.to_string());
    assert_eq!(status, 400, "{text}");
}
