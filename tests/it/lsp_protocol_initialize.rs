//! `initialize`'s parameters are read field by field: a capability of a
//! shape the server does not expect costs only itself, not the editor's
//! folder. An editor whose hover takes plain text gets plain text.

use serde_json::{json, Value};

use crate::lsp_client::{position_of, uri, workspace};
use crate::lsp_protocol_support::{notification, request, Raw};

/// Starts the server with these `initialize` parameters; the symbols it
/// finds for `admin` (none when it did not find the editor's folder).
fn symbols_with(params: Value) -> (Raw, usize) {
    let mut raw = Raw::start();
    raw.send(&request(1, "initialize", params));
    let answer = raw.answer(1);
    assert!(answer.get("result").is_some(), "{answer}");
    raw.send(&notification("initialized", json!({})));
    raw.send(&request(2, "workspace/symbol", json!({"query": "admin"})));
    let found = raw.answer(2)["result"].as_array().map_or(0, Vec::len);
    (raw, found)
}

#[test]
fn an_odd_capability_does_not_cost_the_root() {
    let (_dir, root) = workspace();
    let odd = [
        json!({"processId": null, "rootUri": uri(&root), "capabilities": {
            "textDocument": {"hover": {"contentFormat": ["markdown", "asciidoc"]}}}}),
        json!({"processId": "not a number", "rootUri": uri(&root), "capabilities": {}}),
        json!({"rootUri": uri(&root), "workspaceFolders": null, "capabilities": {
            "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": "yes"}}}}),
        json!({"rootUri": null, "rootPath": root.display().to_string(), "capabilities": {}}),
        json!({"workspaceFolders": [{"uri": uri(&root)}], "capabilities": {"general": 3}}),
    ];
    for params in odd {
        let (_raw, found) = symbols_with(params.clone());
        assert!(found > 0, "the folder was lost with {params}");
    }
}

#[test]
fn hover_is_plain_text_for_an_editor_that_asks_for_it() {
    let (_dir, root) = workspace();
    let path = root.join("policies/example/teams.policy");
    let text = std::fs::read_to_string(&path).unwrap();
    let (line, character) = position_of(&text, "power_user", 0, 1);
    let at = json!({"textDocument": {"uri": uri(&path)}, "position": {"line": line, "character": character}});
    let hover = |formats: Value| {
        let params = json!({"rootUri": uri(&root), "capabilities": {
            "textDocument": {"hover": {"contentFormat": formats}}}});
        let (mut raw, _) = symbols_with(params);
        raw.send(&request(3, "textDocument/hover", at.clone()));
        raw.answer(3)["result"]["contents"].clone()
    };
    let plain = hover(json!(["plaintext", "markdown"]));
    assert_eq!(plain["kind"], "plaintext");
    let value = plain["value"].as_str().unwrap();
    assert!(value.starts_with("role `power_user`"), "{value}");
    assert!(!value.contains("**"), "{value}");
    for formats in [
        json!(["markdown", "plaintext"]),
        json!(["asciidoc"]),
        json!(7),
    ] {
        assert_eq!(hover(formats.clone())["kind"], "markdown", "{formats}");
    }
}
