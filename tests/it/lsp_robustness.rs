//! `rolegraph lsp` on bad input: half-typed files at every keystroke,
//! positions past the end, unknown files, stale versions, odd text
//! (non-ASCII, CRLF, a byte-order mark), files outside the policy. Each
//! gets a clean answer, and the server stays up.

use rolegraph::syntax::keywords::{is_keyword, ITEM_KEYWORDS, KEYWORDS};
use serde_json::{json, Value};

use crate::lsp_client::{position_of, uri, workspace, Client};

/// Every shipped policy file, relative to `policies/`.
fn shipped() -> Vec<String> {
    let mut files = Vec::new();
    let root = std::path::Path::new(crate::common::POLICIES);
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "policy") {
                let rel = path.strip_prefix(root).unwrap();
                files.push(rel.display().to_string());
            }
        }
    }
    files.sort();
    files
}

/// How a prefix of `text` ends, as the parser and the checker see it: the
/// item the cut is in, and the cut's line up to it with each name, email,
/// permission, scope and number by its kind, keywords as written, a string
/// and a comment as such, and a word cut in two marked (`K…` for the start
/// of a keyword). Two prefixes that end alike take the same paths through
/// the analysis, so the test types one of each (about 900 of the 8,700
/// prefixes of the shipped files, every case of the grammar still met). A line with
/// a character wider than a byte, where positions count UTF-16 units, is
/// typed at every character.
fn shape(text: &str, end: usize) -> (String, String, Option<usize>) {
    let is_word = |c: char| c.is_ascii_alphanumeric() || "_.-:/*@".contains(c);
    let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1);
    let item = text[..line_start]
        .lines()
        .rev()
        .find(|l| l.starts_with(|c: char| !c.is_whitespace() && c != '#' && c != '}'))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_default();
    let line = &text[line_start..end];
    let mut out = String::new();
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            out.push(' ');
            rest = rest.trim_start();
        } else if c == '#' {
            out.push('#');
            break;
        } else if c == '"' {
            match rest[1..].find('"') {
                Some(close) => {
                    out.push_str("\"s\"");
                    rest = &rest[close + 2..];
                }
                None => {
                    out.push_str("\"…");
                    break;
                }
            }
        } else if is_word(c) {
            let len = rest.find(|c: char| !is_word(c)).unwrap_or(rest.len());
            let word = &rest[..len];
            rest = &rest[len..];
            let cut = rest.is_empty() && text[end..].starts_with(is_word);
            let keyword_start = KEYWORDS
                .iter()
                .chain(ITEM_KEYWORDS)
                .any(|k| k.starts_with(word));
            out.push_str(match () {
                () if cut && keyword_start => "K",
                () if is_keyword(word) && !cut => word,
                () if word.contains('@') => "E",
                () if word.contains(':') => "P",
                () if word.contains('/') => "S",
                () if word.bytes().all(|b| b.is_ascii_digit()) => "N",
                () => "W",
            });
            if cut {
                out.push('…');
            }
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    let wide = !text[line_start..line_end].is_ascii();
    (item.to_string(), out, wide.then_some(end))
}

#[test]
fn every_kind_of_prefix_of_every_shipped_file_gets_diagnostics() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root, &[]);
    let mut changes = 0;
    for name in shipped() {
        let path = root.join("policies").join(&name);
        let text = std::fs::read_to_string(&path).unwrap();
        let uri = client.open(&path, &text);
        assert!(client.diagnostics(&uri, Some(1)).is_empty(), "{name}");
        // Each prefix that ends in a way not seen before in this file (see
        // `shape`), and each whole line, as typed: a change, then its
        // diagnostics. A server that crashed or hung fails the wait.
        let mut version = 1;
        let mut seen = std::collections::HashSet::new();
        for (end, _) in text.char_indices().chain([(text.len(), ' ')]) {
            let line_end = text[end..].starts_with('\n') || end == text.len();
            if !seen.insert(shape(&text, end)) && !line_end {
                continue;
            }
            version += 1;
            client.change(&uri, version, &text[..end]);
            client.diagnostics(&uri, Some(version));
            changes += 1;
        }
        client.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri}}),
        );
    }
    // About 900 of the 8,700 prefixes.
    assert!(changes > 700, "{changes}");
    // Still answering.
    client.ask("workspace/symbol", json!({"query": "admin"}));
    client.shutdown();
}

#[test]
fn positions_past_the_end_and_unknown_files_get_clean_answers() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root, &[]);
    let teams = root.join("policies/example/teams.policy");
    let text = std::fs::read_to_string(&teams).unwrap();
    let teams_uri = client.open(&teams, &text);
    let nowhere = uri(&root.join("policies/nowhere.policy"));
    let requests = [
        "textDocument/hover",
        "textDocument/definition",
        "textDocument/references",
        "textDocument/completion",
        "textDocument/prepareRename",
    ];
    for method in requests {
        for (uri, line, col) in [
            (teams_uri.as_str(), 9999, 0),
            (teams_uri.as_str(), 3, 9999),
            (teams_uri.as_str(), u32::MAX, u32::MAX),
            (nowhere.as_str(), 0, 0),
            ("untitled:Untitled-1", 0, 0),
        ] {
            let mut params = Client::at(uri, line, col);
            params["context"] = json!({"includeDeclaration": true});
            let response = client.request(method, params);
            let clean = match response.get("error") {
                None => true,
                Some(e) => e["code"] != -32603, // an error, but not an internal one
            };
            assert!(clean, "{method} at {uri} {line}:{col}: {response}");
        }
    }
    for method in ["textDocument/formatting", "textDocument/documentSymbol"] {
        let params = json!({"textDocument": {"uri": nowhere}, "options": {"tabSize": 2, "insertSpaces": true}});
        assert_eq!(client.ask(method, params), Value::Null, "{method}");
    }
    let action = json!({
        "textDocument": {"uri": nowhere},
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 99, "character": 0}},
        "context": {"diagnostics": []}
    });
    assert_eq!(client.ask("textDocument/codeAction", action), Value::Null);

    // Malformed parameters and unknown methods are errors, not crashes.
    let response = client.request("textDocument/hover", json!({"textDocument": 3}));
    assert_eq!(response["error"]["code"], -32602);
    let response = client.request("rolegraph/unknown", json!({}));
    assert_eq!(response["error"]["code"], -32601);
    // A change past the end of the text is clamped to it.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": teams_uri, "version": 2}, "contentChanges": [{
            "range": {"start": {"line": 500, "character": 3}, "end": {"line": 900, "character": 0}},
            "text": "\nteam extra\n"
        }]}),
    );
    let diags = client.diagnostics(&teams_uri, Some(2));
    assert_eq!(diags[0]["code"], "rolegraph::lint::empty_team", "{diags:?}");
    client.shutdown();
}

#[test]
fn out_of_order_versions_are_ignored() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root, &[]);
    let teams = root.join("policies/example/teams.policy");
    let text = std::fs::read_to_string(&teams).unwrap();
    let teams_uri = client.open(&teams, &text);
    client.change(&teams_uri, 5, &format!("{text}\nteam extra\n"));
    assert_eq!(client.diagnostics(&teams_uri, Some(5)).len(), 1);
    // Version 3 arrives late: it is older than the buffer, and ignored.
    client.change(&teams_uri, 3, "team {");
    // A change of a document that is not open is ignored too.
    client.change(&uri(&root.join("policies/other.policy")), 9, "team {");
    let (line, col) = position_of(&text, "ml-team", 0, 1);
    let hover = client.ask("textDocument/hover", Client::at(&teams_uri, line, col));
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("ML Team"));
    client.change(&teams_uri, 6, &text);
    assert!(client.diagnostics(&teams_uri, Some(6)).is_empty());
    client.shutdown();
}

#[test]
fn positions_count_utf16_with_crlf_and_a_bom() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root, &[]);
    let path = root.join("policies/example/odd.policy");
    // A title with characters outside the BMP before the error on the same
    // line, CRLF line ends, and a byte-order mark the editor keeps.
    let text = "\u{feff}# Équipe 😀\r\nteam odd \"Éq😀uipe\" { member zoé@acme.com as nope }\r\n";
    std::fs::write(&path, text).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&path), "type": 1}]}),
    );
    let file_uri = client.open(&path, text);
    let diags = client.diagnostics(&file_uri, Some(1));
    let unknown = diags
        .iter()
        .find(|d| d["code"] == "rolegraph::resolve::unknown_role")
        .unwrap();
    // Line 1 (CRLF is one break); `nope` after `team odd "Éq😀uipe" { member
    // zoé@acme.com as ` = 45 UTF-16 units for 44 characters (the emoji
    // counts two; `É` and `é` one each, though two bytes in UTF-8).
    let col = "team odd \"Éq😀uipe\" { member zoé@acme.com as "
        .encode_utf16()
        .count() as u32;
    assert_eq!(col, 45);
    assert_eq!(
        unknown["range"]["start"],
        json!({"line": 1, "character": col})
    );
    assert_eq!(
        unknown["range"]["end"],
        json!({"line": 1, "character": col + 4})
    );
    // Hover on the email, after the emoji, finds it.
    let email_col = "team odd \"Éq😀uipe\" { member zo".encode_utf16().count() as u32;
    let hover = client.ask("textDocument/hover", Client::at(&file_uri, 1, email_col));
    assert_eq!(hover["range"]["start"]["character"], email_col - 2);
    // The same file from disk (not open): the byte-order mark is not a
    // character there, as editors show it.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": file_uri}}),
    );
    let diags = client.diagnostics(&file_uri, None);
    let unknown = diags
        .iter()
        .find(|d| d["code"] == "rolegraph::resolve::unknown_role")
        .unwrap();
    assert_eq!(
        unknown["range"]["start"],
        json!({"line": 1, "character": col})
    );
    client.shutdown();
}

#[test]
fn a_file_outside_the_policy_gets_parse_diagnostics_only() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root, &[]);
    let outside = root.join("scratch.policy");
    let text = "role r { grant no:such }\n";
    let outside_uri = client.open(&outside, text);
    // Not part of the policy: an unknown permission is not its problem.
    assert!(client.diagnostics(&outside_uri, Some(1)).is_empty());
    client.change(&outside_uri, 2, "role r { grant no:such ");
    let diags = client.diagnostics(&outside_uri, Some(2));
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0]["code"], "rolegraph::syntax::error");
    // Closing it clears them.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": outside_uri}}),
    );
    assert!(client.diagnostics(&outside_uri, None).is_empty());
    client.shutdown();
}

#[test]
fn a_policy_path_that_is_not_there_still_serves_open_files() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root, &["--policy", "missing"]);
    let path = root.join("policies/example/teams.policy");
    let uri = client.open(&path, "team {");
    let diags = client.diagnostics(&uri, Some(1));
    assert_eq!(diags[0]["code"], "rolegraph::syntax::error");
    client.shutdown();
}

#[test]
fn an_explicit_policy_path_is_the_workspace() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root, &["--policy", "policies/example"]);
    // Without the built-ins, the example's roles are unknown.
    let teams = root.join("policies/example/teams.policy");
    let diags = client.diagnostics(&uri(&teams), None);
    assert!(diags
        .iter()
        .any(|d| d["code"] == "rolegraph::resolve::unknown_role"));
    client.shutdown();
}

#[test]
fn an_editor_opened_on_the_policy_directory_itself_checks_it() {
    let (_dir, root) = workspace();
    let policies = root.join("policies");
    let mut client = Client::start(&policies, &[]);
    let teams = policies.join("example/teams.policy");
    let text = std::fs::read_to_string(&teams).unwrap();
    let teams_uri = client.open(
        &teams,
        &text.replacen("as power_user\n", "as powr_user\n", 1),
    );
    let diags = client.diagnostics(&teams_uri, Some(1));
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "rolegraph::resolve::unknown_role");
    client.shutdown();
}
