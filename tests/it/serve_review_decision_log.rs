//! A question that cannot be asked is written to the decision log on every
//! endpoint that logs decisions: `/v1/check`, AuthZEN and OPA's data API
//! alike, with the question and the error.

use serde_json::{json, Value};

use crate::serve_support::{policy_dir, Server, SMALL};

#[test]
fn usage_errors_are_logged_on_every_decision_endpoint() {
    let dir = policy_dir(SMALL);
    let log = dir.path().join("decisions.jsonl");
    let mut server = Server::start(dir.path(), &["--decision-log", log.to_str().unwrap()]);
    let bad =
        json!({"user": "ana@acme.com", "permission": "use_case:reed", "scope": "use_case/bot"});
    let requests = [
        ("/v1/check", bad.clone()),
        (
            "/access/v1/evaluation",
            json!({"subject": {"type": "user", "id": "ana@acme.com"},
                   "action": {"name": "use_case:reed"},
                   "resource": {"type": "use_case", "id": "bot"}}),
        ),
        ("/v1/data/rolegraph/allow", json!({"input": bad})),
        ("/v1/data/rolegraph/allow", json!({})),
    ];
    for (path, body) in &requests {
        let (status, text) = server.post_with(path, &body.to_string(), &[("x-request-id", path)]);
        assert_eq!(status, 400, "{path} {body}: {text}");
    }
    // The log is written when the service stops.
    server.signal("TERM");
    assert_eq!(server.wait_exit(), Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), requests.len(), "{text}");
    for (line, (path, _)) in lines.iter().zip(&requests) {
        assert_eq!(line["endpoint"], json!(path), "{line}");
        assert_eq!(line["request_id"], json!(path), "{line}");
        assert_eq!(line["decision"], "error", "{line}");
        assert!(line["decision_id"].is_string(), "{line}");
        assert!(line["policy_digest"].is_string(), "{line}");
    }
    let message = "unknown permission `use_case:reed` (did you mean `use_case:read`?)";
    for line in &lines[..3] {
        assert_eq!(line["question"], bad, "{line}");
        assert_eq!(line["error"], message, "{line}");
    }
    assert!(
        lines[3]["error"]
            .as_str()
            .unwrap()
            .contains("the request has no `input`"),
        "{}",
        lines[3]
    );
}
