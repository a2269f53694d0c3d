//! A `.policy` file that cannot be read (here: not UTF-8) gets a diagnostic
//! of its own, and every other file is still read: it used to empty the
//! whole disk view, which gave the other files false "unknown" errors and
//! the bad file nothing.

use serde_json::{json, Value};

use crate::lsp_client::{uri, workspace, Client};

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_unreadable_file_gets_a_diagnostic_and_the_others_are_kept() {
    let (_dir, root) = workspace();
    let policies = root.join("policies");
    let bad = policies.join("bad.policy");
    std::fs::write(&bad, b"kind \xff\xfe k\n").unwrap();
    let mut client = Client::start(&root, &[]);
    let diagnostics = client.diagnostics(&uri(&bad), None);
    assert_eq!(codes(&diagnostics), ["rolegraph::lsp::unreadable"]);
    let message = diagnostics[0]["message"].as_str().unwrap();
    assert!(message.contains("not valid UTF-8"), "{message}");
    assert_eq!(
        diagnostics[0]["range"]["start"],
        json!({"line": 0, "character": 0})
    );
    assert_eq!(diagnostics[0]["severity"], 1);
    // The other files are read: no false errors, their names still known.
    let teams = policies.join("example/teams.policy");
    let text = std::fs::read_to_string(&teams).unwrap();
    let teams_uri = client.open(&teams, &text);
    assert_eq!(client.diagnostics(&teams_uri, Some(1)), Vec::<Value>::new());
    let symbols = client.ask("workspace/symbol", json!({"query": "ml-team"}));
    assert!(!symbols.as_array().unwrap().is_empty(), "{symbols}");

    // Mended and saved: its diagnostic goes.
    std::fs::write(&bad, "kind k\n").unwrap();
    let saved = |uri: &str| json!({"textDocument": {"uri": uri}});
    client.notify("textDocument/didSave", saved(&uri(&bad)));
    assert_eq!(client.diagnostics(&uri(&bad), None), Vec::<Value>::new());

    // Another file made unreadable and saved: the same, after a save.
    let users = policies.join("example/users.policy");
    std::fs::write(&users, b"user \"\xc3\x28@x.io\"\n").unwrap();
    client.notify("textDocument/didSave", saved(&uri(&users)));
    // (Past the file's earlier diagnostics, still queued from the start.)
    let diagnostics = std::iter::repeat_with(|| client.diagnostics(&uri(&users), None))
        .take(3)
        .find(|d| !d.is_empty())
        .unwrap_or_default();
    assert_eq!(codes(&diagnostics), ["rolegraph::lsp::unreadable"]);
    let symbols = client.ask("workspace/symbol", json!({"query": "ml-team"}));
    assert!(!symbols.as_array().unwrap().is_empty(), "{symbols}");
    client.shutdown();
}
