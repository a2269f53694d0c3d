//! AuthZEN 1.0 (`/access/v1/evaluation(s)`) and OPA's data API
//! (`/v1/data/rolegraph/allow`) give the same decisions as `can`.

use serde_json::{json, Value};

use crate::serve_support::{can_batch, policy_dir, Server, SMALL};

/// `can --batch`'s decision for one question: `Some(allow)` or `None`
/// for an error.
fn can(dir: &std::path::Path, question: &Value) -> Option<bool> {
    let line = can_batch(dir, &question.to_string());
    let v: Value = serde_json::from_str(&line).unwrap();
    match v["decision"].as_str().unwrap() {
        "allow" => Some(true),
        "deny" => Some(false),
        _ => None,
    }
}

const USERS: [&str; 5] = [
    "ana@acme.com",
    "ANA@acme.com",
    "boss@acme.com",
    "dora@acme.com",
    "new@acme.com",
];

/// (permission, AuthZEN resource, `can` scope, target)
fn cases() -> Vec<(
    &'static str,
    Value,
    Option<&'static str>,
    Option<&'static str>,
)> {
    vec![
        (
            "use_case:read",
            json!({"type":"use_case","id":"bot"}),
            Some("use_case/bot"),
            None,
        ),
        (
            "use_case:share",
            json!({"type":"use_case","id":"bot"}),
            Some("use_case/bot"),
            Some("team/ml"),
        ),
        (
            "use_case:share",
            json!({"type":"use_case","id":"bot"}),
            Some("use_case/bot"),
            Some("team/support"),
        ),
        ("model:deploy", json!({"type":"global"}), None, None),
        (
            "model:deploy",
            json!({"type":"global","id":"ignored"}),
            None,
            None,
        ),
        (
            "team:manage",
            json!({"type":"team","id":"ml"}),
            Some("team/ml"),
            None,
        ),
        (
            "team:manage",
            json!({"type":"team","id":"support"}),
            Some("team/support"),
            None,
        ),
        (
            "use_case:read",
            json!({"type":"team","id":"ml"}),
            Some("team/ml"),
            None,
        ),
    ]
}

#[test]
fn authzen_evaluation_decides_as_can() {
    let dir = policy_dir(SMALL);
    let server = Server::start(dir.path(), &[]);
    let mut allowed = 0;
    for user in USERS {
        for (perm, resource, scope, to) in cases() {
            let mut request = json!({
                "subject": {"type": "user", "id": user, "properties": {"department": "ml"}},
                "action": {"name": perm, "properties": {"method": "GET"}},
                "resource": resource,
                "context": {"time": "2026-11-29T10:00:00Z"},
            });
            if let Some(t) = to {
                request["context"]["to"] = json!(t);
            }
            let mut question = json!({"user": user, "permission": perm});
            if let Some(s) = scope {
                question["scope"] = json!(s);
            }
            if let Some(t) = to {
                question["to"] = json!(t);
            }
            let want = can(dir.path(), &question).expect("a valid question");
            allowed += usize::from(want);
            let (status, body) = server.post_json("/access/v1/evaluation", &request.to_string());
            assert_eq!(status, 200, "{request}: {body}");
            assert_eq!(body["decision"], json!(want), "{request}");
            // A new login's answer says so (SPEC §2); others carry nothing else.
            if user == "new@acme.com" {
                assert_eq!(body["context"]["new_login"], json!(true), "{body}");
            } else {
                assert_eq!(body, json!({"decision": want}));
            }
        }
    }
    assert!(allowed > 5 && allowed < USERS.len() * cases().len() - 5);
    // X-Request-ID is echoed.
    let (status, _) = server.post_with(
        "/access/v1/evaluation",
        r#"{"subject":{"type":"user","id":"ana@acme.com"},"action":{"name":"model:deploy"},"resource":{"type":"global"}}"#,
        &[("x-request-id", "req-42")],
    );
    assert_eq!(status, 200);
    let response = crate::serve_support::agent()
        .post(server.url("/access/v1/evaluation"))
        .header("x-request-id", "req-43")
        .send(r#"{"subject":{"type":"user","id":"ana@acme.com"},"action":{"name":"model:deploy"},"resource":{"type":"global"}}"#)
        .unwrap();
    assert_eq!(response.headers().get("x-request-id").unwrap(), "req-43");
}

#[test]
fn authzen_evaluations_take_defaults_and_answer_in_order() {
    let dir = policy_dir(SMALL);
    let server = Server::start(dir.path(), &[]);
    let request = json!({
        "subject": {"type": "user", "id": "ana@acme.com"},
        "action": {"name": "use_case:read"},
        "context": {"time": "2026-11-29T10:00:00Z"},
        "evaluations": [
            {"resource": {"type": "use_case", "id": "bot"}},
            {"resource": {"type": "global"}, "action": {"name": "model:deploy"}},
            {"subject": {"type": "user", "id": "boss@acme.com"}, "resource": {"type": "global"}, "action": {"name": "model:deploy"}},
            {"action": {"name": "use_case:share"}, "resource": {"type": "use_case", "id": "bot"}, "context": {"to": "team/ml"}},
            // The default context (no `to`) applies when an evaluation has none.
            {"action": {"name": "use_case:share"}, "resource": {"type": "use_case", "id": "bot"}},
            {"action": {"name": "use_case:reed"}, "resource": {"type": "use_case", "id": "bot"}},
            {"subject": {"type": "user", "id": "new@acme.com"}, "resource": {"type": "use_case", "id": "bot"}},
        ],
    });
    let (status, body) = server.post_json("/access/v1/evaluations", &request.to_string());
    assert_eq!(status, 200, "{body}");
    let answers = body["evaluations"].as_array().unwrap();
    let decisions: Vec<&Value> = answers.iter().map(|a| &a["decision"]).collect();
    assert_eq!(
        decisions,
        [true, false, true, true, false, false, false]
            .map(Value::from)
            .iter()
            .collect::<Vec<_>>(),
        "{body}"
    );
    // Errors inside evaluations are decisions false with the error.
    assert_eq!(answers[4]["context"]["error"]["status"], 400, "{body}");
    assert!(answers[4]["context"]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("target team"));
    assert!(answers[5]["context"]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("did you mean `use_case:read`"));
    assert_eq!(answers[6]["context"]["new_login"], true);
    assert!(answers[0].get("context").is_none());

    // A default context's `to` applies to every evaluation without a
    // context of its own; one with its own context replaces it whole.
    let (_, body) = server.post_json(
        "/access/v1/evaluations",
        &json!({
            "subject": {"type": "user", "id": "ana@acme.com"},
            "action": {"name": "use_case:share"},
            "resource": {"type": "use_case", "id": "bot"},
            "context": {"to": "team/ml"},
            "evaluations": [{}, {"context": {"to": "team/support"}}, {"context": {}}],
        })
        .to_string(),
    );
    let decisions: Vec<&Value> = body["evaluations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["decision"])
        .collect();
    assert_eq!(
        decisions,
        [&json!(true), &json!(true), &json!(false)],
        "{body}"
    );
    assert!(
        body["evaluations"][2]["context"]["error"].is_object(),
        "{body}"
    );

    // Semantics.
    let mut short = request.clone();
    short["options"] = json!({"evaluations_semantic": "deny_on_first_deny"});
    let (_, body) = server.post_json("/access/v1/evaluations", &short.to_string());
    assert_eq!(body["evaluations"].as_array().unwrap().len(), 2, "{body}");
    short["options"] = json!({"evaluations_semantic": "permit_on_first_permit"});
    let (_, body) = server.post_json("/access/v1/evaluations", &short.to_string());
    assert_eq!(body["evaluations"], json!([{"decision": true}]), "{body}");
    short["options"] = json!({"evaluations_semantic": "execute_all"});
    let (_, body) = server.post_json("/access/v1/evaluations", &short.to_string());
    assert_eq!(body["evaluations"].as_array().unwrap().len(), 7);
    // An option AuthZEN does not define is refused, not ignored (SPEC §11).
    short["options"] = json!({"evaluations_semantic": "execute_all", "another_option": 1});
    let (status, text) = server.post("/access/v1/evaluations", &short.to_string());
    assert_eq!(status, 400, "{text}");

    // Without evaluations, the request is one evaluation.
    let single = json!({
        "subject": {"type": "user", "id": "boss@acme.com"},
        "action": {"name": "model:deploy"},
        "resource": {"type": "global"},
    });
    let (status, body) = server.post_json("/access/v1/evaluations", &single.to_string());
    assert_eq!((status, body), (200, json!({"decision": true})));
    let mut empty = single.clone();
    empty["evaluations"] = json!([]);
    let (status, body) = server.post_json("/access/v1/evaluations", &empty.to_string());
    assert_eq!((status, body), (200, json!({"decision": true})));
    // An evaluation missing a required field with no default: a decision
    // false with the error, the others still answered.
    let (status, body) = server.post_json(
        "/access/v1/evaluations",
        r#"{"evaluations":[{"subject":{"type":"user","id":"boss@acme.com"},"action":{"name":"model:deploy"},"resource":{"type":"global"}},{"action":{"name":"model:deploy"}}]}"#,
    );
    assert_eq!(status, 200);
    assert_eq!(body["evaluations"][0]["decision"], true);
    assert_eq!(body["evaluations"][1]["decision"], false);
    assert!(body["evaluations"][1]["context"]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("subject"));
}

#[test]
fn opa_data_api_decides_as_can() {
    let dir = policy_dir(SMALL);
    let server = Server::start(dir.path(), &[]);
    let mut ids = std::collections::HashSet::new();
    for user in USERS {
        for (perm, _, scope, to) in cases() {
            let mut question = json!({"user": user, "permission": perm});
            if let Some(s) = scope {
                question["scope"] = json!(s);
            }
            if let Some(t) = to {
                question["to"] = json!(t);
            }
            let want = can(dir.path(), &question).unwrap();
            // OPA clients may add query parameters such as `?metrics`.
            let (status, body) = server.post_json(
                "/v1/data/rolegraph/allow?metrics=false",
                &json!({ "input": question }).to_string(),
            );
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["result"], json!(want), "{question}");
            let id = body["decision_id"].as_str().unwrap().to_string();
            assert_eq!(id.len(), 36);
            assert!(ids.insert(id));
            assert_eq!(
                body.get("new_login").is_some(),
                user == "new@acme.com",
                "{body}"
            );
        }
    }
}
