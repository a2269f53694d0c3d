//! The edits the server sends are exact: formatting gives what `rolegraph
//! fmt` writes whatever the line breaks (CRLF, a CRLF line among LF ones, a
//! lone CR) or a byte-order mark, and a completion's range lies on the
//! cursor's line whatever position the editor asked at.

use serde_json::json;

use crate::lsp_client::{apply_edits, workspace, Client};

/// What `rolegraph fmt` writes for a file with this text.
fn cli_fmt(dir: &std::path::Path, text: &str) -> String {
    let path = dir.join("cli.policy");
    std::fs::write(&path, text).unwrap();
    crate::common::rolegraph(&path)
        .arg("fmt")
        .assert()
        .success();
    std::fs::read_to_string(&path).unwrap()
}

#[test]
fn formatting_gives_exactly_what_fmt_writes() {
    let (_dir, root) = workspace();
    let scratch = tempfile::tempdir().unwrap();
    let mut client = Client::start(&root, &[]);
    let cases = [
        "kind k\r\nteam   t \"T\" {\r\n  member a@x.io as r\r\n}\r\nrole r { grant k:r }\r\npermission k:r on   k\r\n",
        "kind   k\nrole r {\r\n  grant k:r }\npermission k:r on k\n",
        "kind k\r\nrole r {\r\ngrant k:r\r\n}\r\n",
        "\u{feff}kind   k\nrole r { grant k:r }\npermission k:r on k\n",
        "\u{feff}kind k\r\nrole   r { grant k:r }\r\n",
        "kind k\rrole   r { grant k:r }\rpermission k:r on k\r",
        "kind k \"😀😀\"\r\nrole   r \"日本\" { grant k:r }   # 😀\r\n",
        "kind    k",
    ];
    for (i, text) in cases.into_iter().enumerate() {
        let path = scratch.path().join(format!("f{i}.policy"));
        let uri = client.open(&path, text);
        let params =
            json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}});
        let edits = client.ask("textDocument/formatting", params);
        let edits = edits.as_array().cloned().unwrap_or_default();
        assert_eq!(
            apply_edits(text, &edits),
            cli_fmt(scratch.path(), text),
            "{text:?}: {edits:?}"
        );
    }
    client.shutdown();
}

#[test]
fn a_completion_range_is_on_the_cursor_line() {
    let (_dir, root) = workspace();
    let scratch = tempfile::tempdir().unwrap();
    let mut client = Client::start(&root, &[]);
    let text = "role reader { grant ";
    let uri = client.open(&scratch.path().join("c.policy"), text);
    for (line, character) in [(5, 3), (0, 99), (0, 20), (1, 0)] {
        let at = Client::at(&uri, line, character);
        let list = client.ask("textDocument/completion", at);
        let items = list["items"].as_array().unwrap();
        assert!(!items.is_empty(), "at ({line}, {character})");
        for item in items {
            let range = &item["textEdit"]["range"];
            let cursor = json!({"line": 0, "character": 20});
            assert_eq!(range["end"], cursor, "at ({line}, {character}): {item}");
            assert_eq!(range["start"]["line"], 0, "{item}");
        }
    }
    client.shutdown();
}
