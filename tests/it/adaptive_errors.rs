//! Bad input for `pull` (issue 15): each case is one clear error line that
//! names the operation, exit 2, the API key never printed, and no output
//! file written half (an existing one is left as it was).

use assert_cmd::Command;

use crate::adaptive_pull::{entries, pull};
use crate::standin::canned::Canned;
use crate::standin::{self, Standin};

/// A key that must never be printed, even when a server echoes it.
const SECRET: &str = "sk-live-9d8c7b6a5f4e3d2c1b0a";

/// Runs `cmd` (a `pull` with `-o FILE` added, FILE already holding
/// `previous`), and checks the failure: exit 2, one `error:` line holding
/// every one of `expect`, neither key printed, FILE untouched and nothing
/// else left in its directory. Returns the error line.
fn fails(mut cmd: Command, expect: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json");
    std::fs::write(&file, "previous").unwrap();
    let out = cmd.arg("-o").arg(&file).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stdout, "");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("warning:"))
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    let line = lines[0];
    assert!(line.starts_with("error: "), "{line}");
    for e in expect {
        assert!(line.contains(e), "`{e}` not in: {line}");
    }
    for key in [SECRET, standin::KEY] {
        assert!(!stderr.contains(key), "key printed: {stderr}");
    }
    assert!(!line.contains("panicked"), "{line}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "previous");
    assert_eq!(entries(dir.path()), vec!["state.json"]);
    line.to_string()
}

fn pull_from(url: &str) -> Command {
    let mut cmd = pull(Some(SECRET));
    cmd.args(["--url", url]);
    cmd
}

/// One answer that fits all six queries of a read: each takes its field.
fn all_six(users: &str, projects: &str) -> String {
    format!(
        r#"{{"data":{{"me":null,"users":{users},"projects":{projects},"permissions":["project:read"],"roles":[{{"key":"admin","name":"Admin","permissions":["project:read"]}}],"teams":[{{"key":"ml","name":"ML"}}]}}}}"#
    )
}

#[test]
fn a_consistent_canned_answer_reads() {
    // The canned trick itself works: this answer is a state.
    let c = Canned::http(
        "200 OK",
        "application/json",
        &all_six(
            r#"[{"email":"a@x.com","name":"A","teams":[{"team":{"key":"ml"},"role":{"key":"admin"}}]}]"#,
            "[]",
        ),
    );
    let out = pull_from(c.url()).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn unreachable_url() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    fails(
        pull_from(&format!("http://127.0.0.1:{port}")),
        &["`Me` failed", "cannot reach", "connection refused"],
    );
}

#[test]
fn wrong_key() {
    let s = Standin::start(&standin::sample());
    fails(
        pull_from(s.url()),
        &[
            "`Me` failed",
            "refused the API key",
            "HTTP 401",
            "ADAPTIVE_API_KEY",
        ],
    );
}

#[test]
fn no_key() {
    let s = Standin::start(&standin::sample());
    let mut cmd = pull(None);
    cmd.args(["--url", s.url()]);
    fails(cmd, &["`ADAPTIVE_API_KEY` is not set"]);
    assert_eq!(s.requests(), 0);
}

#[test]
fn no_url() {
    fails(pull(Some(SECRET)), &["no deployment URL", "ADAPTIVE_URL"]);
}

#[test]
fn bad_urls() {
    fails(pull_from("adaptive.acme.com"), &["is not a deployment URL"]);
    let line = fails(
        pull_from("https://admin:hunter2@adaptive.acme.com"),
        &["user name or password"],
    );
    assert!(!line.contains("hunter2"), "{line}");
}

#[test]
fn an_html_page() {
    let c = Canned::http(
        "200 OK",
        "text/html",
        "<!doctype html><html><body>Sign in</body></html>",
    );
    fails(
        pull_from(c.url()),
        &["`Me` failed", "HTML page", "base URL"],
    );
}

#[test]
fn an_html_error_page() {
    let c = Canned::http("502 Bad Gateway", "text/html", "<html>502</html>");
    fails(pull_from(c.url()), &["`Me` failed", "HTTP 502"]);
}

#[test]
fn not_found() {
    let c = Canned::http("404 Not Found", "text/plain", "no such route");
    fails(
        pull_from(c.url()),
        &["HTTP 404", "/api/graphql", "base URL"],
    );
}

#[test]
fn a_redirect_is_not_followed() {
    let c = Canned::answering(
        "HTTP/1.1 301 Moved Permanently\r\nLocation: https://elsewhere.example/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    fails(
        pull_from(c.url()),
        &["redirect", "https://elsewhere.example/"],
    );
    assert_eq!(c.requests(), 1);
}

#[test]
fn truncated_json() {
    // No length, the connection closes mid-document.
    let c = Canned::answering(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"data\":{\"me\":{\"email\":\"a@",
    );
    fails(pull_from(c.url()), &["`Me` failed", "cut short"]);
}

#[test]
fn a_body_shorter_than_its_length() {
    let c = Canned::answering(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\nConnection: close\r\n\r\n{\"data\":{}}",
    );
    fails(pull_from(c.url()), &["`Me` failed", "cut short"]);
}

#[test]
fn not_json() {
    let c = Canned::http("200 OK", "application/json", "this is not json");
    fails(pull_from(c.url()), &["`Me` failed", "not JSON"]);
}

#[test]
fn json_that_is_not_graphql() {
    let c = Canned::http("200 OK", "application/json", r#"{"status":"ok"}"#);
    fails(
        pull_from(c.url()),
        &["`Me` failed", "neither `data` nor `errors`"],
    );
}

#[test]
fn a_200_with_errors() {
    let c = Canned::http(
        "200 OK",
        "application/json",
        r#"{"data":null,"errors":[{"message":"permission denied:\nadmin:manage_users required","path":["me"]},{"message":"second"}]}"#,
    );
    fails(
        pull_from(c.url()),
        &[
            "`Me` failed: the deployment answered: permission denied: admin:manage_users required (and 1 more errors)",
        ],
    );
}

#[test]
fn a_server_that_echoes_the_key_is_redacted() {
    let c = Canned::http(
        "200 OK",
        "application/json",
        &format!(r#"{{"errors":[{{"message":"token {SECRET} is expired"}}]}}"#),
    );
    let line = fails(pull_from(c.url()), &["token <redacted> is expired"]);
    assert!(!line.contains(SECRET));
}

#[test]
fn a_401_that_echoes_the_key_is_redacted() {
    let c = Canned::http(
        "401 Unauthorized",
        "application/json",
        &format!(r#"{{"errors":[{{"message":"bad key {SECRET}"}}]}}"#),
    );
    fails(pull_from(c.url()), &["HTTP 401", "bad key <redacted>"]);
}

#[test]
fn the_wrong_shape() {
    let c = Canned::http(
        "200 OK",
        "application/json",
        &all_six(r#"[{"email":1,"name":"A","teams":[]}]"#, "[]"),
    );
    fails(
        pull_from(c.url()),
        &["`ListUsers` failed", "expected shape"],
    );
}

#[test]
fn duplicate_emails_differing_in_case() {
    let c = Canned::http(
        "200 OK",
        "application/json",
        &all_six(
            r#"[{"email":"John@acme.com","name":"J","teams":[]},{"email":"john@ACME.com","name":"J2","teams":[]}]"#,
            "[]",
        ),
    );
    fails(
        pull_from(c.url()),
        &["`ListUsers`", "user `john@acme.com` appears twice"],
    );
}

#[test]
fn a_membership_naming_an_unknown_role() {
    let c = Canned::http(
        "200 OK",
        "application/json",
        &all_six(
            r#"[{"email":"a@x.com","name":"A","teams":[{"team":{"key":"ml"},"role":{"key":"ghost"}}]}]"#,
            "[]",
        ),
    );
    fails(
        pull_from(c.url()),
        &["`ListUsers`", "unknown role `ghost` in team `ml`"],
    );
}

#[test]
fn a_membership_naming_an_unknown_team() {
    let c = Canned::http(
        "200 OK",
        "application/json",
        &all_six(
            r#"[{"email":"a@x.com","name":"A","teams":[{"team":{"key":"ghosts"},"role":{"key":"admin"}}]}]"#,
            "[]",
        ),
    );
    fails(
        pull_from(c.url()),
        &["`ListUsers`", "unknown team `ghosts`"],
    );
}

#[test]
fn a_share_naming_an_unknown_role() {
    let c = Canned::http(
        "200 OK",
        "application/json",
        &all_six(
            "[]",
            r#"[{"key":"bot","name":"Bot","shares":[{"team":{"key":"ml"},"role":{"key":"ghost"},"isOwner":true}]}]"#,
        ),
    );
    fails(
        pull_from(c.url()),
        &["`ListProjects`", "unknown role `ghost`"],
    );
}

#[test]
fn a_user_twice_in_one_team() {
    let c = Canned::http(
        "200 OK",
        "application/json",
        &all_six(
            r#"[{"email":"a@x.com","name":"A","teams":[{"team":{"key":"ml"},"role":{"key":"admin"}},{"team":{"key":"ml"},"role":{"key":"admin"}}]}]"#,
            "[]",
        ),
    );
    fails(
        pull_from(c.url()),
        &["`ListUsers`", "listed twice in team `ml`"],
    );
}

#[test]
fn a_silent_server_times_out() {
    let c = Canned::silent();
    let mut cmd = pull_from(c.url());
    cmd.env("ADAPTIVE_TIMEOUT", "1")
        .timeout(std::time::Duration::from_secs(60));
    fails(
        cmd,
        &["`Me` failed", "no answer within 1 s", "ADAPTIVE_TIMEOUT"],
    );
}

#[test]
fn a_bad_timeout() {
    let mut cmd = pull_from("http://127.0.0.1:9");
    cmd.env("ADAPTIVE_TIMEOUT", "soon");
    fails(cmd, &["`ADAPTIVE_TIMEOUT`", "`soon`"]);
}

#[test]
fn an_unwritable_output_file() {
    let s = Standin::start(&standin::sample());
    let dir = tempfile::tempdir().unwrap();
    let out = pull(Some(standin::KEY))
        .args(["--url", s.url(), "-o"])
        .arg(dir.path().join("missing-dir/state.json"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with("error: cannot write `"), "{stderr}");
    assert!(!stderr.contains(standin::KEY));
}

#[test]
fn https_to_a_server_that_does_not_speak_tls() {
    let c = Canned::http("200 OK", "application/json", "{}");
    let url = c.url().replace("http://", "https://");
    fails(
        pull_from(&url),
        &[
            "query `Me` failed: cannot reach `https://127.0.0.1:",
            "TLS: ",
        ],
    );
}
