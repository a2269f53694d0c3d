//! A burst of edits is analysed once: the edits that have arrived wait in
//! the server's queue and are applied together, and a request after them is
//! answered from the last text. (With `lsp-server`'s stdio transport the
//! server took messages one at a time and analysed after each.)

use serde_json::{json, Value};

use crate::lsp_client::{uri, workspace};
use crate::lsp_protocol_support::{frame, notification, request, Raw};

#[test]
fn a_burst_of_changes_is_analysed_once_and_answered_from_the_last_text() {
    const EDITS: i64 = 50;
    let (_dir, root) = workspace();
    let mut raw = Raw::initialized(&root);
    let path = root.join("policies/burst.policy");
    let file = uri(&path);
    let open = json!({"textDocument": {"uri": file, "languageId": "rolegraph", "version": 1, "text": "kind k0\n"}});
    raw.send(&notification("textDocument/didOpen", open));
    raw.wait(
        |m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == file,
        "diagnostics of the opened file",
    );
    // Every change and the request in one write, as fast as an editor
    // sends keystrokes to a busy server.
    let mut burst = Vec::new();
    for version in 2..=EDITS + 1 {
        let change = json!({
            "textDocument": {"uri": file, "version": version},
            "contentChanges": [{"text": format!("kind k{version}\n")}],
        });
        burst.extend(frame(&notification("textDocument/didChange", change)));
    }
    let symbols = json!({"textDocument": {"uri": file}});
    burst.extend(frame(&request(2, "textDocument/documentSymbol", symbols)));
    raw.write(&burst);
    let answer = raw.answer(2);
    let names: Vec<&str> = answer["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [format!("k{}", EDITS + 1)], "{answer}");
    // Everything the burst made the server publish comes before the next
    // answer.
    raw.send(&request(3, "shutdown", Value::Null));
    raw.answer(3);
    let versions: Vec<i64> = raw
        .seen
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == file)
        .map(|m| m["params"]["version"].as_i64().unwrap())
        .collect();
    // One analysis per edit (51) was the bug; a loaded machine may split
    // the burst in a few batches, so the bound leaves room for that.
    assert!(
        versions.len() <= 10,
        "{} analyses: {versions:?}",
        versions.len()
    );
    assert_eq!(versions.last(), Some(&(EDITS + 1)));
}
