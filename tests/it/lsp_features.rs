//! `rolegraph lsp` driven over stdio as an editor drives it: diagnostics,
//! hover, definition, references, symbols, completion, quick fixes, rename
//! and formatting, on a copy of the shipped policies.

use serde_json::{json, Value};

use crate::lsp_client::{apply_edits, position_of, redact, uri, workspace, Client};

fn file(root: &std::path::Path, name: &str) -> (std::path::PathBuf, String) {
    let path = root.join("policies").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

fn codes(diags: &[Value]) -> Vec<String> {
    diags
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn diagnostics_follow_the_buffer_with_related_information() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root, &[]);
    let (teams, text) = file(&root, "example/teams.policy");
    let teams_uri = uri(&teams);
    // Published for every file of the policy on start: a valid policy.
    assert!(client.diagnostics(&teams_uri, None).is_empty());
    client.open(&teams, &text);
    assert!(client.diagnostics(&teams_uri, Some(1)).is_empty());

    // Saving publishes again, even when nothing changed.
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": teams_uri}}),
    );
    assert!(client.diagnostics(&teams_uri, Some(1)).is_empty());

    // A misspelt role, as typed: an error with code, range and help.
    let broken = text.replace("as power_user\n", "as powr_user\n");
    client.change(&teams_uri, 2, &broken);
    let diags = client.diagnostics(&teams_uri, Some(2));
    insta::assert_snapshot!("lsp_unknown_role", redact(&json!(diags), &root));

    // A team defined twice, in two files: the other definition is related.
    let twice = format!("{text}\nteam admin\n");
    client.change(&teams_uri, 3, &twice);
    let diags = client.diagnostics(&teams_uri, Some(3));
    assert_eq!(codes(&diags), ["rolegraph::resolve::duplicate"]);
    let related = &diags[0]["relatedInformation"][0];
    assert!(related["location"]["uri"]
        .as_str()
        .unwrap()
        .ends_with("adaptive.policy"));
    assert_eq!(related["message"], "first defined here");

    // An include cycle: each step is related information.
    let cycle = format!("{text}\nrole a {{ includes b }}\nrole b {{ includes a }}\n");
    client.change(&teams_uri, 4, &cycle);
    let diags = client.diagnostics(&teams_uri, Some(4));
    let cycle_diag = diags
        .iter()
        .find(|d| d["code"] == "rolegraph::resolve::include_cycle")
        .unwrap();
    insta::assert_snapshot!("lsp_include_cycle", redact(cycle_diag, &root));

    // Closing the buffer falls back to the file on disk.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": teams_uri}}),
    );
    assert!(client.diagnostics(&teams_uri, None).is_empty());
    client.shutdown();
}

#[test]
fn a_failing_test_line_is_a_diagnostic_with_its_explanation() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root, &[]);
    let (tests, text) = file(&root, "example/tests.policy");
    let tests_uri = client.open(&tests, &text);
    assert!(client.diagnostics(&tests_uri, Some(1)).is_empty());
    let flipped = text.replacen(
        "deny  carol@acme.com use_case:adapt",
        "allow carol@acme.com use_case:adapt",
        1,
    );
    client.change(&tests_uri, 2, &flipped);
    let diags = client.diagnostics(&tests_uri, Some(2));
    assert_eq!(codes(&diags), ["rolegraph::test::failed"]);
    let (line, col) = position_of(&flipped, "allow carol@acme.com use_case:adapt", 0, 0);
    assert_eq!(
        diags[0]["range"]["start"],
        json!({"line": line, "character": col})
    );
    insta::assert_snapshot!("lsp_failed_test", redact(&diags[0], &root));

    // An invariant that no longer holds, on its rule's line.
    let broken = text.replace("at most 2 users may", "at most 0 users may");
    client.change(&tests_uri, 3, &broken);
    let diags = client.diagnostics(&tests_uri, Some(3));
    assert_eq!(codes(&diags), ["rolegraph::test::invariant_failed"]);
    let message = diags[0]["message"].as_str().unwrap();
    assert!(message.contains("does not hold"), "{message}");
    assert!(message.contains("alice@acme.com holds"), "{message}");
    client.shutdown();
}

#[test]
fn hover_tells_what_a_name_means() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root, &[]);
    let (teams, teams_text) = file(&root, "example/teams.policy");
    let teams_uri = client.open(&teams, &teams_text);
    let (tests, tests_text) = file(&root, "example/tests.policy");
    let tests_uri = client.open(&tests, &tests_text);
    let (adaptive, adaptive_text) = file(&root, "adaptive.policy");
    let adaptive_uri = uri(&adaptive);

    let mut hover = |uri: &str, text: &str, needle: &str, nth: usize| {
        let (line, col) = position_of(text, needle, nth, 1);
        let answer = client.ask("textDocument/hover", Client::at(uri, line, col));
        answer["contents"]["value"].as_str().unwrap().to_string()
    };
    // A role: flattened permissions, each with where it comes from.
    let annotator = hover(&teams_uri, &teams_text, "annotator", 0);
    insta::assert_snapshot!("lsp_hover_role", annotator);
    let platform = hover(&adaptive_uri, &adaptive_text, "platform-admin", 0);
    assert!(platform.contains("only in: `admin`"), "{platform}");
    let team = hover(&teams_uri, &teams_text, "ml-team", 0);
    insta::assert_snapshot!("lsp_hover_team", team);
    let user = hover(&teams_uri, &teams_text, "carol@acme.com", 0);
    insta::assert_snapshot!("lsp_hover_user", user);
    let permission = hover(&tests_uri, &tests_text, "use_case:share", 0);
    insta::assert_snapshot!("lsp_hover_permission", permission);
    let resource = hover(&tests_uri, &tests_text, "support-bot", 0);
    assert!(
        resource.contains("`customer-support-team` as `admin` (owner)"),
        "{resource}"
    );
    // A test line: its explain.
    let line = hover(&tests_uri, &tests_text, "deny  carol@acme.com", 0);
    insta::assert_snapshot!("lsp_hover_test_line", line);
    let newcomer = hover(&tests_uri, &tests_text, "newcomer@acme.com", 0);
    assert!(newcomer.contains("a new login"), "{newcomer}");

    // While the policy has an error, the last valid version answers, and
    // says so.
    let broken = teams_text.replacen("as power_user\n", "as powr_user\n", 1);
    client.change(&teams_uri, 2, &broken);
    let (line, col) = position_of(&tests_text, "support-bot", 0, 1);
    let answer = client.ask("textDocument/hover", Client::at(&tests_uri, line, col));
    let text = answer["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("last version of the policy without errors"),
        "{text}"
    );
    client.shutdown();
}

#[test]
fn definition_and_references_cross_files() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root, &[]);
    let (teams, text) = file(&root, "example/teams.policy");
    let teams_uri = client.open(&teams, &text);
    let (line, col) = position_of(&text, "power_user", 0, 2);
    let def = client.ask("textDocument/definition", Client::at(&teams_uri, line, col));
    let adaptive = std::fs::read_to_string(root.join("policies/adaptive.policy")).unwrap();
    let (def_line, def_col) = position_of(&adaptive, "role power_user", 0, 5);
    assert_eq!(def["uri"], uri(&root.join("policies/adaptive.policy")));
    assert_eq!(
        def["range"]["start"],
        json!({"line": def_line, "character": def_col})
    );

    // A wildcard goes to every permission it matches.
    let (line, col) = position_of(&adaptive, "admin:*", 0, 1);
    let adaptive_uri = uri(&root.join("policies/adaptive.policy"));
    let defs = client.ask(
        "textDocument/definition",
        Client::at(&adaptive_uri, line, col),
    );
    assert_eq!(defs.as_array().unwrap().len(), 3, "{defs}");

    // References of a team: its declaration and every use, in every file.
    let (line, col) = position_of(&text, "ml-team", 0, 1);
    let mut params = Client::at(&teams_uri, line, col);
    params["context"] = json!({"includeDeclaration": true});
    let refs = client.ask("textDocument/references", params);
    let mut files: Vec<String> = refs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["uri"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    files.sort();
    files.dedup();
    assert_eq!(files, ["teams.policy", "tests.policy", "use_cases.policy"]);
    assert_eq!(refs.as_array().unwrap().len(), 8, "{refs}");

    // A user: its `user` item, from a test line.
    let (tests, tests_text) = file(&root, "example/tests.policy");
    let tests_uri = client.open(&tests, &tests_text);
    let (line, col) = position_of(&tests_text, "john@acme.com", 0, 1);
    let def = client.ask("textDocument/definition", Client::at(&tests_uri, line, col));
    assert!(
        def["uri"].as_str().unwrap().ends_with("users.policy"),
        "{def}"
    );
    client.shutdown();
}

#[test]
fn symbols_of_a_document_and_of_the_workspace() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root, &[]);
    let (teams, text) = file(&root, "example/teams.policy");
    let teams_uri = client.open(&teams, &text);
    let outline = client.ask(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": teams_uri}}),
    );
    insta::assert_snapshot!("lsp_document_symbols", redact(&outline, &root));
    let found = client.ask("workspace/symbol", json!({"query": "admin"}));
    let names: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"platform-admin") && names.contains(&"admin:manage_users"),
        "{names:?}"
    );
    client.shutdown();
}

#[test]
fn completion_after_as_offers_roles() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root, &[]);
    let (teams, text) = file(&root, "example/teams.policy");
    let teams_uri = client.open(&teams, &text);
    let typed = text.replace(
        "  member tara@acme.com as annotator\n",
        "  member tara@acme.com as annotator\n  member zoe@acme.com as \n",
    );
    client.change(&teams_uri, 2, &typed);
    let (line, col) = position_of(&typed, "zoe@acme.com as ", 0, 16);
    let list = client.ask("textDocument/completion", Client::at(&teams_uri, line, col));
    let labels: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    insta::assert_snapshot!("lsp_completion_after_as", labels.join("\n"));

    // After `team/`, teams; after `grant`, permissions and `prefix:*`.
    let typed =
        format!("{text}\ntest \"new\" {{\n  allow ken@acme.com dataset:create on team/\n}}\n");
    client.change(&teams_uri, 3, &typed);
    let (line, col) = position_of(&typed, "on team/", 0, 8);
    let list = client.ask("textDocument/completion", Client::at(&teams_uri, line, col));
    let first = &list["items"][0];
    assert!(
        first["label"].as_str().unwrap().starts_with("team/"),
        "{first}"
    );
    assert_eq!(first["textEdit"]["range"]["start"]["character"], col - 5);
    let typed = format!("{text}\nrole r {{ grant use_case:read, a }}\n");
    client.change(&teams_uri, 4, &typed);
    let (line, col) = position_of(&typed, "read, a", 0, 7);
    let list = client.ask("textDocument/completion", Client::at(&teams_uri, line, col));
    let labels: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"admin:*") && labels.contains(&"admin:manage_roles"),
        "{labels:?}"
    );
    client.shutdown();
}

/// Asks for the quick fixes at a diagnostic and applies the first one.
fn quick_fix(client: &mut Client, uri: &str, text: &str, diag: &Value) -> (String, Value) {
    let actions = client.ask(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri},
            "range": diag["range"],
            "context": {"diagnostics": [diag]}
        }),
    );
    let action = actions[0].clone();
    let edits = action["edit"]["changes"][uri].as_array().unwrap().clone();
    (apply_edits(text, &edits), actions)
}

#[test]
fn a_did_you_mean_is_a_quick_fix_that_applies_cleanly() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root, &[]);
    let (tests, text) = file(&root, "example/tests.policy");
    let tests_uri = client.open(&tests, &text);
    let broken = text
        .replacen("on use_case/support-bot", "on use_case/suport-bot", 1)
        .replacen("on team/ml-team", "on team/ml-tem", 1)
        .replacen("use_case:adapt ", "use_case:adpt ", 1);
    client.change(&tests_uri, 2, &broken);
    let mut diags = client.diagnostics(&tests_uri, Some(2));
    assert_eq!(diags.len(), 3, "{diags:#?}");
    let mut fixed = broken.clone();
    let mut version = 2;
    while let Some(first) = diags.first() {
        let (next, actions) = quick_fix(&mut client, &tests_uri, &fixed, first);
        assert_eq!(actions[0]["kind"], "quickfix");
        assert!(actions[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("change to `"));
        fixed = next;
        version += 1;
        client.change(&tests_uri, version, &fixed);
        diags = client.diagnostics(&tests_uri, Some(version));
        assert!(version < 6, "the fixes do not converge: {diags:#?}");
    }
    assert_eq!(fixed, text);
    client.shutdown();
}

#[test]
fn a_resource_without_an_owner_gets_mark_as_owner() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root, &[]);
    let (uses, text) = file(&root, "example/use_cases.policy");
    let uses_uri = client.open(&uses, &text);
    let broken = text.replace(
        "share ml-team as admin owner\n}",
        "share ml-team as admin\n}",
    );
    client.change(&uses_uri, 2, &broken);
    let diags = client.diagnostics(&uses_uri, Some(2));
    assert_eq!(codes(&diags), ["rolegraph::resolve::missing_owner"]);
    let (fixed, actions) = quick_fix(&mut client, &uses_uri, &broken, &diags[0]);
    assert_eq!(actions[0]["title"], "mark `ml-team` as owner");
    assert_eq!(fixed, text);
    // Written to disk, the fixed policy validates.
    std::fs::write(&uses, &fixed).unwrap();
    crate::common::rolegraph(&root.join("policies"))
        .arg("validate")
        .assert()
        .success();
    client.shutdown();
}

#[test]
fn rename_a_role_across_files() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root, &[]);
    let (teams, text) = file(&root, "example/teams.policy");
    let teams_uri = client.open(&teams, &text);
    let (line, col) = position_of(&text, "annotator", 0, 1);
    let prepared = client.ask(
        "textDocument/prepareRename",
        Client::at(&teams_uri, line, col),
    );
    assert_eq!(prepared["placeholder"], "annotator");
    let mut params = Client::at(&teams_uri, line, col);
    params["newName"] = json!("labeler");
    let edit = client.ask("textDocument/rename", params);
    let changes = edit["changes"].as_object().unwrap();
    let mut counts: Vec<String> = changes
        .iter()
        .map(|(uri, edits)| {
            format!(
                "{} {}",
                uri.rsplit('/').next().unwrap(),
                edits.as_array().unwrap().len()
            )
        })
        .collect();
    counts.sort();
    insta::assert_snapshot!("lsp_rename_counts", counts.join("\n"));
    // Applied to the files, the policy is as valid as before and its tests pass.
    for (uri, edits) in changes {
        let path = std::path::PathBuf::from(uri.strip_prefix("file://").unwrap());
        let before = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, apply_edits(&before, edits.as_array().unwrap())).unwrap();
    }
    crate::common::rolegraph(&root.join("policies"))
        .arg("test")
        .assert()
        .success();
    let adaptive = std::fs::read_to_string(root.join("policies/adaptive.policy")).unwrap();
    assert!(adaptive.contains("role labeler"));

    // What cannot be renamed says why.
    let (line, col) = position_of(&text, "carol@acme.com", 0, 1);
    let response = client.request(
        "textDocument/prepareRename",
        Client::at(&teams_uri, line, col),
    );
    assert!(response["error"]["message"]
        .as_str()
        .unwrap()
        .contains("cannot be renamed"));
    let (line, col) = position_of(&text, "inference", 0, 1);
    let mut params = Client::at(&teams_uri, line, col);
    params["newName"] = json!("read-only");
    let response = client.request("textDocument/rename", params);
    assert!(response["error"]["message"]
        .as_str()
        .unwrap()
        .contains("already declared"));
    client.shutdown();
}

#[test]
fn formatting_is_fmt() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root, &[]);
    let (teams, text) = file(&root, "example/teams.policy");
    let messy = text
        .replace("  member ", "member   ")
        .replace(" as ", "   as ");
    std::fs::write(&teams, &messy).unwrap();
    let teams_uri = client.open(&teams, &messy);
    let edits = client.ask(
        "textDocument/formatting",
        json!({"textDocument": {"uri": teams_uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let formatted = apply_edits(&messy, edits.as_array().unwrap());
    assert_eq!(formatted, text);
    // A formatted file needs no edit.
    client.change(&teams_uri, 2, &formatted);
    let edits = client.ask(
        "textDocument/formatting",
        json!({"textDocument": {"uri": teams_uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(edits, json!([]));
    // A file that does not parse is not formatted, and says so.
    client.change(&teams_uri, 3, "team {");
    let response = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": teams_uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert!(response["error"]["message"]
        .as_str()
        .unwrap()
        .contains("does not parse"));
    client.shutdown();
}
