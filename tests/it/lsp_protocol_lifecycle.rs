//! `rolegraph lsp`'s lifecycle as LSP 3.17 has it: the handshake (requests
//! before `initialize` refused, anything between its answer and
//! `initialized` handled), the exit codes (0 only after `shutdown`), and
//! input that is not a message answered with a JSON-RPC error while the
//! server goes on.

use serde_json::{json, Value};

use crate::lsp_client::{uri, workspace};
use crate::lsp_protocol_support::{framed, initialize, notification, request, Raw};

#[test]
fn shutdown_then_exit_is_0() {
    let (_dir, root) = workspace();
    let mut raw = Raw::initialized(&root);
    raw.send(&request(2, "shutdown", Value::Null));
    assert_eq!(raw.answer(2)["result"], Value::Null);
    raw.send(&notification("exit", Value::Null));
    assert_eq!(raw.exit_code().0, 0);
}

#[test]
fn exit_without_shutdown_is_1() {
    let (_dir, root) = workspace();
    let mut raw = Raw::initialized(&root);
    raw.send(&notification("exit", Value::Null));
    assert_eq!(raw.exit_code().0, 1);
}

#[test]
fn exit_before_initialize_is_1() {
    let mut raw = Raw::start();
    raw.send(&notification("exit", Value::Null));
    assert_eq!(raw.exit_code().0, 1);
}

#[test]
fn stdin_closed_is_exit_without_shutdown_unless_shutdown_came() {
    let (_dir, root) = workspace();
    let mut raw = Raw::initialized(&root);
    raw.close();
    assert_eq!(raw.exit_code().0, 1);
    let mut raw = Raw::initialized(&root);
    raw.send(&request(2, "shutdown", Value::Null));
    raw.answer(2);
    raw.close();
    assert_eq!(raw.exit_code().0, 0);
    let mut raw = Raw::start();
    raw.close();
    assert_eq!(raw.exit_code().0, 1);
}

#[test]
fn before_initialize_requests_are_refused_and_notifications_dropped() {
    let (_dir, root) = workspace();
    let mut raw = Raw::start();
    raw.send(&request(1, "workspace/symbol", json!({"query": "x"})));
    assert_eq!(raw.answer(1)["error"]["code"], -32002);
    raw.send(&notification("$/setTrace", json!({"value": "off"})));
    raw.send(&initialize(2, &root));
    assert!(raw.answer(2)["result"]["capabilities"].is_object());
}

#[test]
fn messages_between_the_initialize_answer_and_initialized_are_handled() {
    let (_dir, root) = workspace();
    let mut raw = Raw::start();
    raw.send(&initialize(1, &root));
    raw.answer(1);
    // Both used to end the server (`lsp-server`'s `initialize_finish`).
    raw.send(&notification("$/setTrace", json!({"value": "off"})));
    raw.send(&request(2, "workspace/symbol", json!({"query": "admin"})));
    let symbols = raw.answer(2);
    assert!(
        !symbols["result"].as_array().unwrap().is_empty(),
        "{symbols}"
    );
    raw.send(&notification("initialized", json!({})));
    // A second `initialize` is an invalid request, not an unknown method.
    raw.send(&initialize(3, &root));
    assert_eq!(raw.answer(3)["error"]["code"], -32600);
    raw.send(&request(4, "shutdown", Value::Null));
    raw.answer(4);
    raw.send(&notification("exit", Value::Null));
    assert_eq!(raw.exit_code().0, 0);
}

#[test]
fn bodies_that_are_not_messages_are_answered_and_the_server_goes_on() {
    let (_dir, root) = workspace();
    let mut raw = Raw::initialized(&root);
    let file = uri(&root.join("policies/example/teams.policy"));
    for (body, code) in [
        (&b"{\"jsonrpc\": \"2.0\", \"id\": 5,"[..], -32700),
        (b"\xff\xfe\x00not utf-8", -32700),
        (
            br#"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///x.policy","languageId":"rolegraph","version":1,"text":"\ud800"}}}"#,
            -32700,
        ),
        (br#"{"jsonrpc":"2.0","id":null,"method":"shutdown"}"#, -32600),
        (br#"{"jsonrpc":"2.0","id":1.5,"method":"shutdown"}"#, -32600),
        (br#"{"jsonrpc":"2.0","id":false,"method":"shutdown"}"#, -32600),
    ] {
        raw.write(&framed(body));
        let answer = raw.null_answer();
        assert_eq!(answer["error"]["code"], code, "{answer}");
        // Still answering, and not shutting down.
        let at = json!({"textDocument": {"uri": file}, "position": {"line": 0, "character": 0}});
        raw.send(&request(9, "textDocument/documentSymbol", at));
        assert!(raw.answer(9).get("result").is_some());
    }
    raw.send(&notification("exit", Value::Null));
    // No `shutdown` got through: none of the bad ids was taken for one.
    assert_eq!(raw.exit_code().0, 1);
}

#[test]
fn a_broken_header_ends_the_server_with_a_message_not_a_panic() {
    for (input, why) in [
        (
            &b"Content-Type: application/json\r\n\r\n{}"[..],
            "Content-Length",
        ),
        (b"Content-Length: twelve\r\n\r\n{}", "not a number"),
        (b"no colon here\r\n\r\n", "malformed header"),
    ] {
        let mut raw = Raw::start();
        raw.write(input);
        let (code, stderr) = raw.exit_code();
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains(why), "{stderr}");
    }
}

#[test]
fn a_huge_content_length_is_refused_without_allocating_it() {
    let (_dir, root) = workspace();
    let mut raw = Raw::initialized(&root);
    raw.write(b"Content-Length: 99999999999999\r\n\r\n{\"jsonrpc\":\"2.0\"}");
    raw.close();
    // The message is read to the end of the input (skipped, not stored),
    // then refused.
    assert_eq!(raw.null_answer()["error"]["code"], -32600);
    assert_eq!(raw.exit_code().0, 1);
}

#[test]
fn the_start_is_logged_once_prefixed() {
    let (_dir, root) = workspace();
    let mut raw = Raw::initialized(&root);
    let log = raw.wait(|m| m["method"] == "window/logMessage", "the start's log");
    assert!(
        log["params"]["message"]
            .as_str()
            .unwrap()
            .starts_with("policy `"),
        "{log}"
    );
    raw.send(&notification("exit", Value::Null));
    let (_, stderr) = raw.exit_code();
    assert!(stderr.contains("rolegraph lsp: policy `"), "{stderr}");
    assert!(
        !stderr.contains("rolegraph lsp: rolegraph lsp:"),
        "{stderr}"
    );
}
