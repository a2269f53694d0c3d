//! A reload does not change how answers name the policy's files: a policy
//! given as a relative path is named relatively before and after, as the
//! command line names it for the same `--policy`.

use std::path::Path;

use serde_json::Value;

use crate::serve_support::{Server, SMALL};

const QUESTION: &str =
    r#"{"user":"ana@acme.com","permission":"use_case:read","scope":"use_case/bot"}"#;

/// What `explain --format json` prints, run in `cwd` with `--policy pol`.
fn explain_cli(cwd: &Path) -> Value {
    let out = crate::common::rolegraph(Path::new("pol"))
        .current_dir(cwd)
        .args([
            "explain",
            "ana@acme.com",
            "use_case:read",
            "use_case/bot",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// Every `…_at` location in an explanation.
fn locations(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::String(s) if k.ends_with("_at") => out.push(s.clone()),
                    _ => locations(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| locations(v, out)),
        _ => {}
    }
}

#[test]
fn answers_name_files_the_same_way_after_a_reload() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("pol")).unwrap();
    let file = dir.path().join("pol/org.policy");
    std::fs::write(&file, SMALL).unwrap();
    let server = Server::start_in(dir.path(), Path::new("pol"), &["--no-watch"]);

    let (status, before) = server.post_json("/v1/explain", QUESTION);
    assert_eq!(status, 200, "{before}");
    assert_eq!(before, explain_cli(dir.path()));
    let mut at = Vec::new();
    locations(&before, &mut at);
    assert!(!at.is_empty(), "{before}");
    assert!(
        at.iter().all(|l| l.starts_with("pol/org.policy:")),
        "{at:?}"
    );

    // A change the answer does not depend on, so that the policy served is
    // replaced (the same digest would keep the old one).
    std::fs::write(
        &file,
        format!("{SMALL}\nteam extra {{ member eve@acme.com as reader }}\n"),
    )
    .unwrap();
    server.signal("HUP");
    server.wait_until("the reload", || {
        let (_, status) = server.get("/v1/status");
        let v: Value = serde_json::from_str(&status).unwrap();
        v["last_reload"]["trigger"] == "signal" && v["last_reload"]["result"] == "loaded"
    });

    let (status, after) = server.post_json("/v1/explain", QUESTION);
    assert_eq!(status, 200, "{after}");
    assert_eq!(after, before, "the same answer, the files named alike");
    assert_eq!(after, explain_cli(dir.path()));
}
