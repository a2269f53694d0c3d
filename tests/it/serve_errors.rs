//! Bad requests get the documented status and a body that says why:
//! usage errors with the command line's message, malformed JSON, wrong
//! types, unknown fields, a missing or extra `to`, bodies over `--max-body`,
//! missing or wrong tokens, unknown routes and wrong methods.

use serde_json::Value;

use crate::serve_support::{can_batch, policy_dir, raw_status, Server, SMALL};

fn error_of(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    v["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error in {body}"))
        .to_string()
}

#[test]
fn usage_errors_are_400_with_the_command_lines_message() {
    let dir = policy_dir(SMALL);
    let server = Server::start(dir.path(), &[]);
    let cases = [
        // (question, what the CLI's message says)
        (
            r#"{"user":"ana@acme.com","permission":"use_case:reed","scope":"use_case/bot"}"#,
            "unknown permission `use_case:reed` (did you mean `use_case:read`?)",
        ),
        (
            r#"{"user":"ana@acme.com","permission":"use_case:read","scope":"bot"}"#,
            "unknown scope `bot`",
        ),
        (
            r#"{"user":"ana@acme.com","permission":"use_case:read","scope":"use_case/bto"}"#,
            "unknown resource `use_case/bto`",
        ),
        (
            r#"{"user":"ana@acme.com","permission":"team:manage","scope":"team/mll"}"#,
            "unknown team `mll`",
        ),
        (
            r#"{"user":"ana@acme.com","permission":"use_case:share","scope":"use_case/bot"}"#,
            "needs a target team",
        ),
        (
            r#"{"user":"ana@acme.com","permission":"use_case:read","scope":"use_case/bot","to":"team/ml"}"#,
            "takes no target team",
        ),
        (
            r#"{"user":"ana@acme.com","permission":"use_case:share","scope":"use_case/bot","to":"use_case/bot"}"#,
            "takes a team",
        ),
    ];
    for (question, message) in cases {
        // The CLI's `can` says the same on stderr.
        let want = can_batch(dir.path(), question);
        assert!(want.contains(message), "{want}");
        for path in ["/v1/check", "/v1/explain"] {
            let (status, body) = server.post(path, question);
            assert_eq!(status, 400, "{path} {question}: {body}");
            assert!(error_of(&body).contains(message), "{path}: {body}");
        }
        let (status, body) = server.post(
            "/v1/data/rolegraph/allow",
            &format!("{{\"input\":{question}}}"),
        );
        assert_eq!(status, 400, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["code"], "invalid_parameter");
        assert!(v["message"].as_str().unwrap().contains(message), "{body}");
    }
    // who and what: the same messages.
    let (status, body) = server.get("/v1/who?permission=use_case:reed");
    assert_eq!(status, 400);
    assert!(
        error_of(&body).contains("did you mean `use_case:read`"),
        "{body}"
    );
    let (status, body) = server.get("/v1/who?permission=use_case:read&scope=use_case/nope");
    assert_eq!(status, 400);
    assert!(
        error_of(&body).contains("unknown resource `use_case/nope`"),
        "{body}"
    );
    // A batch answers a bad question in its place, as `can --batch` does.
    let (status, body) = server.post("/v1/check/batch", &format!("[{}]", cases[0].0));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"decision\":\"error\""), "{body}");
}

#[test]
fn malformed_json_wrong_types_and_unknown_fields_are_400() {
    let dir = policy_dir(SMALL);
    let server = Server::start(dir.path(), &[]);
    let ok = r#"{"user":"ana@acme.com","permission":"use_case:read","scope":"use_case/bot"}"#;
    assert_eq!(server.post("/v1/check", ok).0, 200);
    for bad in [
        "{\"user\":",
        "not json",
        "[1,2]",
        "\"a string\"",
        r#"{"user":5,"permission":"use_case:read"}"#,
        r#"{"user":"ana@acme.com","permission":["use_case:read"]}"#,
        r#"{"user":"ana@acme.com","permission":"use_case:read","scope":7}"#,
        r#"{"user":"ana@acme.com","permission":"use_case:read","scope":"use_case/bot","extra":1}"#,
        r#"{"user":"ana@acme.com"}"#,
        r#"{"permission":"use_case:read"}"#,
        "{} {}",
    ] {
        let (status, body) = server.post("/v1/explain", bad);
        assert_eq!(status, 400, "explain {bad}: {body}");
        assert!(!error_of(&body).is_empty());
        let (status, body) =
            server.post("/v1/data/rolegraph/allow", &format!("{{\"input\":{bad}}}"));
        assert_eq!(status, 400, "opa {bad}: {body}");
        // `/v1/check` answers exactly as `can --batch` does, and an error
        // answer is a 400.
        let want = can_batch(dir.path(), bad);
        let (status, body) = server.post("/v1/check", bad);
        let (answer, _, _) = crate::serve_support::unstamp(body.trim_end());
        assert_eq!(answer, want.trim_end(), "{bad}");
        assert!(want.starts_with("{\"decision\":\"error\""), "{bad}: {want}");
        assert_eq!(status, 400, "{bad}: {body}");
    }
    // An empty body holds no question.
    let (status, body) = server.post("/v1/check", "  \n");
    assert_eq!(status, 400);
    assert!(error_of(&body).contains("no question"), "{body}");
    // Batches: the body must be an array (or lines, by content type).
    for bad in ["{\"user\":\"a@b.c\"}", "[1,", "nope"] {
        let (status, body) = server.post("/v1/check/batch", bad);
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(error_of(&body).contains("JSON array"), "{body}");
    }
    // OPA: unknown top-level keys, no input.
    for bad in [
        r#"{"input":{"user":"a@b.c","permission":"model:deploy"},"x":1}"#,
        "{}",
    ] {
        let (status, body) = server.post("/v1/data/rolegraph/allow", bad);
        assert_eq!(status, 400, "{bad}: {body}");
    }
    // Query strings: unknown and missing parameters.
    assert_eq!(
        server.get("/v1/who?permission=model:deploy&colour=red").0,
        400
    );
    assert_eq!(server.get("/v1/who").0, 400);
    assert_eq!(server.get("/v1/what?user=a@b.c&x=1").0, 400);
    assert_eq!(server.get("/v1/what").0, 400);
}

#[test]
fn authzen_errors_are_plain_text_400() {
    let dir = policy_dir(SMALL);
    let server = Server::start(dir.path(), &[]);
    for bad in [
        "{",
        r#"{"action":{"name":"model:deploy"},"resource":{"type":"global"}}"#,
        r#"{"subject":{"type":"user","id":"ana@acme.com"},"resource":{"type":"global"}}"#,
        r#"{"subject":{"type":"user","id":"ana@acme.com"},"action":{"name":"model:deploy"}}"#,
        r#"{"subject":{"type":"group","id":"ml"},"action":{"name":"model:deploy"},"resource":{"type":"global"}}"#,
        r#"{"subject":{"type":"user","id":7},"action":{"name":"model:deploy"},"resource":{"type":"global"}}"#,
        r#"{"subject":{"type":"user","id":"ana@acme.com"},"action":{"name":"model:depoy"},"resource":{"type":"global"}}"#,
        r#"{"subject":{"type":"user","id":"ana@acme.com"},"action":{"name":"use_case:read"},"resource":{"type":"use_case"}}"#,
        r#"{"subject":{"type":"user","id":"ana@acme.com"},"action":{"name":"use_case:share"},"resource":{"type":"use_case","id":"bot"}}"#,
        r#"{"subject":{"type":"user","id":"ana@acme.com"},"action":{"name":"use_case:share"},"resource":{"type":"use_case","id":"bot"},"context":{"to":5}}"#,
    ] {
        let (status, body) = server.post("/access/v1/evaluation", bad);
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(
            serde_json::from_str::<Value>(&body).is_err() && !body.trim().is_empty(),
            "plain text: {body}"
        );
    }
    let (status, body) = server.post(
        "/access/v1/evaluations",
        r#"{"options":{"evaluations_semantic":"whatever"},"evaluations":[{}]}"#,
    );
    assert_eq!(status, 400, "{body}");
}

#[test]
fn bodies_over_max_body_are_413() {
    let dir = policy_dir(SMALL);
    let server = Server::start(dir.path(), &["--max-body", "1000"]);
    let question = r#"{"user":"ana@acme.com","permission":"use_case:read","scope":"use_case/bot"}"#;
    let small = format!("[{}]", [question; 10].join(","));
    assert!(small.len() < 1000);
    assert_eq!(server.post("/v1/check/batch", &small).0, 200);
    let big = format!("[{}]", [question; 20].join(","));
    for path in [
        "/v1/check/batch",
        "/v1/check",
        "/v1/explain",
        "/access/v1/evaluations",
        "/v1/data/rolegraph/allow",
    ] {
        let (status, body) = server.post(path, &big);
        assert_eq!(status, 413, "{path}: {body}");
    }
    let (_, body) = server.post("/v1/check", &big);
    assert!(error_of(&body).contains("--max-body"), "{body}");
    // Without a Content-Length (chunked), the limit holds while reading.
    let chunked = format!(
        "POST /v1/check/batch HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
        big.len()
    );
    assert_eq!(raw_status(server.addr, chunked.as_bytes()), Some(413));
    // And the default is 10 MiB: a larger declared length is refused before
    // the body is sent.
    let server = Server::start(dir.path(), &[]);
    let head = format!(
        "POST /v1/check/batch HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n",
        10 * 1024 * 1024 + 1
    );
    assert_eq!(raw_status(server.addr, head.as_bytes()), Some(413));
    let (status, body) = server.post_with(
        "/v1/check/batch",
        &" \n".repeat((10 * 1024 * 1024 - 10) / 2),
        &[("content-type", "application/x-ndjson")],
    );
    assert_eq!((status, body.as_str()), (200, ""));
}

#[test]
fn a_token_is_required_but_for_health_checks() {
    let dir = policy_dir(SMALL);
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "s3cret-token\n").unwrap();
    let mut server = Server::spawn(
        dir.path().join("org.policy").as_path(),
        &["--token-file", token_file.to_str().unwrap()],
    );
    server.wait_ready();
    let question = r#"{"user":"ana@acme.com","permission":"use_case:read","scope":"use_case/bot"}"#;
    for (headers, want) in [
        (vec![], 401),
        (vec![("authorization", "Bearer wrong")], 401),
        (vec![("authorization", "Bearer s3cret-tokenx")], 401),
        (vec![("authorization", "Bearer s3cret-toke")], 401),
        (vec![("authorization", "Basic s3cret-token")], 401),
        (vec![("authorization", "Bearer ")], 401),
        (vec![("authorization", "s3cret-token")], 401),
        (vec![("authorization", "Bearer s3cret-token")], 200),
        (vec![("authorization", "bearer s3cret-token")], 200),
    ] {
        let (status, body) = server.post_with("/v1/check", question, &headers);
        assert_eq!(status, want, "{headers:?}: {body}");
        if want == 401 {
            assert!(error_of(&body).contains("Bearer"), "{body}");
        }
    }
    let auth = [("authorization", "Bearer s3cret-token")];
    for path in [
        "/v1/status",
        "/metrics",
        "/v1/who?permission=model:deploy",
        "/v1/what?user=a@b.c",
        "/nowhere",
    ] {
        assert_eq!(server.get(path).0, 401, "{path}");
        assert_ne!(server.get_with(path, &auth).0, 401, "{path}");
    }
    // AuthZEN and OPA clients get their own error shapes.
    let (status, body) = server.post("/access/v1/evaluation", "{}");
    assert_eq!(status, 401);
    assert!(serde_json::from_str::<Value>(&body).is_err(), "{body}");
    let (status, body) = server.post("/v1/data/rolegraph/allow", "{}");
    assert_eq!(status, 401);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["code"],
        "unauthorized"
    );
    // Health checks need no token.
    assert_eq!(server.get("/health").0, 200);
    assert_eq!(server.get("/health/ready").0, 200);
    // An empty or missing token file stops the service before it starts.
    std::fs::write(&token_file, " \n").unwrap();
    let out = crate::common::rolegraph(dir.path())
        .args(["serve", "--addr", "127.0.0.1:0", "--token-file"])
        .arg(&token_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is empty"));
    server.signal("TERM");
    assert_eq!(server.wait_exit(), Some(0));
}

#[test]
fn unknown_routes_are_404_and_wrong_methods_405() {
    let dir = policy_dir(SMALL);
    let server = Server::start(dir.path(), &[]);
    for path in [
        "/",
        "/v1",
        "/v1/checks",
        "/v2/check",
        "/v1/data/rolegraph/deny",
        "/access/v1/search/subject",
    ] {
        let (status, body) = server.get(path);
        assert_eq!(status, 404, "{path}");
        assert!(!body.is_empty());
        assert_eq!(server.post(path, "{}").0, 404, "{path}");
    }
    for path in [
        "/v1/check",
        "/v1/check/batch",
        "/v1/explain",
        "/access/v1/evaluation",
        "/access/v1/evaluations",
        "/v1/data/rolegraph/allow",
    ] {
        let (status, body) = server.get(path);
        assert_eq!(status, 405, "{path}: {body}");
        assert!(body.contains("takes POST"), "{body}");
    }
    for path in [
        "/v1/who",
        "/v1/what",
        "/health",
        "/health/ready",
        "/v1/status",
        "/metrics",
    ] {
        assert_eq!(server.post(path, "").0, 405, "{path}");
    }
}
