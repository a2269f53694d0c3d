//! The service as a process: it stops cleanly on SIGTERM (requests in
//! flight finish), refuses to start without a policy or a port, keeps slow
//! clients from holding up the others, serves many connections at once, and
//! logs every decision (dropping and counting lines rather than waiting when
//! the log cannot keep up).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

use crate::serve_support::{policy_dir, Server, PATIENCE, SMALL};

const QUESTION: &str =
    r#"{"user":"ana@acme.com","permission":"use_case:read","scope":"use_case/bot"}"#;

fn request(path: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Reads one HTTP response with a content-length; returns (status, body).
fn read_response(stream: &mut TcpStream) -> (u16, String) {
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).unwrap();
        assert_eq!(
            n,
            1,
            "the connection closed before an answer: {}",
            String::from_utf8_lossy(&buf)
        );
        buf.push(byte[0]);
    }
    let head = String::from_utf8(buf).unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap();
    let mut body = vec![0; length];
    stream.read_exact(&mut body).unwrap();
    (status, String::from_utf8(body).unwrap())
}

#[test]
fn sigterm_lets_requests_in_flight_finish_and_exits_0() {
    let dir = policy_dir(SMALL);
    let mut server = Server::start(dir.path(), &[]);
    // A request whose body is half sent when SIGTERM comes.
    let full = request("/v1/check", QUESTION);
    let (first, second) = full.split_at(full.len() - 20);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.write_all(first.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    server.signal("TERM");
    server.wait_until("the shutdown to begin", || {
        server.log().contains("shutting down")
    });
    // New connections are no longer taken.
    server.wait_until("the port to close", || {
        TcpStream::connect(server.addr).is_err()
    });
    stream.write_all(second.as_bytes()).unwrap();
    let (status, body) = read_response(&mut stream);
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("{\"decision\":\"allow\""));
    assert_eq!(server.wait_exit(), Some(0));
    assert!(server.log().contains("stopped"));
}

#[test]
fn ctrl_c_stops_it_too() {
    let dir = policy_dir(SMALL);
    let mut server = Server::start(dir.path(), &[]);
    server.signal("INT");
    assert_eq!(server.wait_exit(), Some(0));
}

#[test]
fn it_will_not_start_without_a_policy_or_a_port() {
    let run = |policy: &std::path::Path, addr: &str| {
        crate::common::rolegraph(policy)
            .args(["serve", "--addr", addr])
            .timeout(PATIENCE)
            .output()
            .unwrap()
    };
    let broken = policy_dir("role r { grant nothing:here }\n");
    let out = run(broken.path(), "127.0.0.1:0");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rolegraph::") && stderr.contains("rolegraph validate"),
        "{stderr}"
    );
    let out = run(std::path::Path::new("/nonexistent/policies"), "127.0.0.1:0");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ok = policy_dir(SMALL);
    let out = run(ok.path(), &taken.local_addr().unwrap().to_string());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen"));
    // Loopback unless told otherwise.
    let help = crate::common::rolegraph(ok.path())
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("[default: 127.0.0.1:8181]"));
}

#[test]
fn a_slow_client_does_not_hold_up_the_others() {
    let dir = policy_dir(SMALL);
    let server = Server::start(
        dir.path(),
        &["--header-timeout", "1s", "--body-timeout", "1s"],
    );
    // One sends half its headers and stops; another half its body.
    let mut slow_head = TcpStream::connect(server.addr).unwrap();
    slow_head
        .write_all(b"POST /v1/check HTTP/1.1\r\nhost: x\r\n")
        .unwrap();
    let full = request("/v1/check", QUESTION);
    let mut slow_body = TcpStream::connect(server.addr).unwrap();
    slow_body
        .write_all(&full.as_bytes()[..full.len() - 10])
        .unwrap();
    // Meanwhile everyone else is served.
    for _ in 0..50 {
        assert_eq!(server.post("/v1/check", QUESTION).0, 200);
    }
    // The slow ones are cut off: the body with 408, the headers by closing.
    let (status, _) = read_response(&mut slow_body);
    assert_eq!(status, 408);
    slow_head.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut rest = Vec::new();
    let _ = slow_head.read_to_end(&mut rest);
    assert!(!String::from_utf8_lossy(&rest).contains("200 OK"));
    assert_eq!(server.get("/health").0, 200);
}

#[test]
fn many_connections_at_once_are_all_served() {
    let dir = policy_dir(SMALL);
    let server = Server::start(dir.path(), &[]);
    let n = 1000;
    let mut streams: Vec<TcpStream> = (0..n)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    let req = request("/v1/check", QUESTION);
    for s in &mut streams {
        s.write_all(req.as_bytes()).unwrap();
    }
    for s in &mut streams {
        let (status, body) = read_response(s);
        assert_eq!(status, 200, "{body}");
    }
    // All still open: each carries another request.
    for s in &mut streams {
        s.write_all(req.as_bytes()).unwrap();
        assert_eq!(read_response(s).0, 200);
    }
    drop(streams);

    // With a cap, the connections past it wait their turn, and are served
    // as others close.
    let server = Server::start(dir.path(), &["--max-connections", "20"]);
    let mut streams: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    for s in &mut streams {
        s.write_all(req.as_bytes()).unwrap();
    }
    for s in streams {
        let mut s = s;
        assert_eq!(read_response(&mut s).0, 200);
        drop(s);
    }
    assert!(server.log().contains("new ones wait"));
}

#[test]
fn every_decision_is_logged_with_its_id_and_the_policy_digest() {
    let dir = policy_dir(SMALL);
    let log_dir = tempfile::tempdir().unwrap();
    let log = log_dir.path().join("decisions.jsonl");
    let mut server = Server::start(dir.path(), &["--decision-log", log.to_str().unwrap()]);
    let mut ids = Vec::new();
    let (_, body) = server.post_with("/v1/check", QUESTION, &[("x-request-id", "r-1")]);
    ids.push(crate::serve_support::unstamp(body.trim_end()).1);
    let (_, body) = server.post(
        "/v1/check",
        "{\"user\":\"ana@acme.com\",\"permission\":\"zz\"}",
    );
    ids.push(crate::serve_support::unstamp(body.trim_end()).1);
    let lines =
        format!("{QUESTION}\n\n{{\"user\":\"new@acme.com\",\"permission\":\"model:deploy\"}}\n");
    let (_, body) = server.post_with(
        "/v1/check/batch",
        &lines,
        &[("content-type", "application/x-ndjson")],
    );
    ids.extend(body.lines().map(|l| crate::serve_support::unstamp(l).1));
    let (_, body) = server.post(
        "/v1/check/batch",
        &format!(
            "[{QUESTION},\n {{\"user\":\"boss@acme.com\",\n  \"permission\":\"model:deploy\"}}]"
        ),
    );
    let answers: Vec<Value> = serde_json::from_str(&body).unwrap();
    ids.extend(
        answers
            .iter()
            .map(|a| a["decision_id"].as_str().unwrap().to_string()),
    );
    let (_, opa) = server.post_json(
        "/v1/data/rolegraph/allow",
        &format!("{{\"input\":{QUESTION}}}"),
    );
    ids.push(opa["decision_id"].as_str().unwrap().to_string());
    server.post(
        "/access/v1/evaluations",
        r#"{"subject":{"type":"user","id":"ana@acme.com"},"action":{"name":"model:deploy"},"evaluations":[{"resource":{"type":"global"}},{"resource":{"type":"team","id":"nope"}}]}"#,
    );
    server.signal("TERM");
    assert_eq!(server.wait_exit(), Some(0));

    let text = std::fs::read_to_string(&log).unwrap();
    let entries: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 9, "{text}");
    let digest = crate::serve_support::compiled_digest(dir.path());
    for e in &entries {
        for key in [
            "time",
            "decision_id",
            "question",
            "decision",
            "policy_digest",
            "endpoint",
        ] {
            assert!(!e[key].is_null(), "{key} in {e}");
        }
        assert_eq!(e["policy_digest"], digest);
        assert!(["allow", "deny", "error"].contains(&e["decision"].as_str().unwrap()));
    }
    // The ids are those the answers gave, in the order asked.
    let logged: Vec<&str> = entries
        .iter()
        .map(|e| e["decision_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        logged[..ids.len()],
        ids.iter().map(String::as_str).collect::<Vec<_>>()[..]
    );
    assert_eq!(entries[0]["request_id"], "r-1");
    assert_eq!(entries[0]["question"]["user"], "ana@acme.com");
    assert_eq!(entries[1]["decision"], "error");
    assert!(entries[1]["error"]
        .as_str()
        .unwrap()
        .contains("unknown permission"));
    assert_eq!(entries[3]["question"]["user"], "new@acme.com");
    assert_eq!(entries[3]["new_login"], true);
    // A question written over two lines (in an array) is one line here.
    assert_eq!(entries[5]["question"]["user"], "boss@acme.com");
    assert_eq!(entries[5]["decision"], "allow");
    assert_eq!(entries[6]["endpoint"], "/v1/data/rolegraph/allow");
    assert_eq!(entries[7]["endpoint"], "/access/v1/evaluations");
    assert_eq!(entries[8]["decision"], "error");
    assert_eq!(entries[8]["question"]["scope"], "team/nope");
}

#[test]
fn a_decision_log_that_cannot_keep_up_drops_and_counts_lines() {
    let dir = policy_dir(SMALL);
    let log_dir = tempfile::tempdir().unwrap();
    let fifo = log_dir.path().join("decisions.fifo");
    // Nobody reads the FIFO yet: the writer cannot write a line.
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let mut server = Server::start(
        dir.path(),
        &[
            "--decision-log",
            fifo.to_str().unwrap(),
            "--decision-log-queue",
            "100",
        ],
    );
    let batch: String = std::iter::repeat_n(format!("{QUESTION}\n"), 500).collect();
    let (status, body) = server.post_with(
        "/v1/check/batch",
        &batch,
        &[("content-type", "application/x-ndjson")],
    );
    assert_eq!(status, 200);
    assert_eq!(body.lines().count(), 500);
    for _ in 0..150 {
        assert_eq!(server.post("/v1/check", QUESTION).0, 200);
    }
    // The batch did not fit; of the single ones, 100 wait in the queue.
    assert_eq!(server.metric("rolegraph_decision_log_dropped_total"), 550.0);
    // A reader comes: the queued lines are written, and the service stops.
    let reader = std::thread::spawn(move || std::fs::read_to_string(&fifo).unwrap());
    server.signal("TERM");
    assert_eq!(server.wait_exit(), Some(0));
    let written = reader.join().unwrap();
    assert_eq!(written.lines().count(), 100);
}

#[test]
fn the_decision_log_pairs_each_batch_answer_with_its_question() {
    let dir = policy_dir(SMALL);
    let log_dir = tempfile::tempdir().unwrap();
    let log = log_dir.path().join("decisions.jsonl");
    let mut server = Server::start(dir.path(), &["--decision-log", log.to_str().unwrap()]);
    // Blank lines get no answer; a line of blanks over the line limit does.
    let other = r#"{"user":"boss@acme.com","permission":"model:deploy"}"#;
    let body = format!("\n{QUESTION}\n   \n{}\n{other}\r\n", " ".repeat(70_000));
    let (status, answers) = server.post_with(
        "/v1/check/batch",
        &body,
        &[("content-type", "application/x-ndjson")],
    );
    assert_eq!(status, 200);
    let answers: Vec<&str> = answers.lines().collect();
    assert_eq!(answers.len(), 3, "{answers:?}");
    assert!(
        answers[1].starts_with("{\"decision\":\"error\""),
        "{}",
        answers[1]
    );
    server.signal("TERM");
    assert_eq!(server.wait_exit(), Some(0));
    let entries: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["question"]["user"], "ana@acme.com");
    assert_eq!(entries[0]["decision"], "allow");
    assert_eq!(entries[1]["decision"], "error");
    assert_eq!(entries[2]["question"]["user"], "boss@acme.com");
    assert_eq!(entries[2]["decision"], "allow");
    for (e, a) in entries.iter().zip(&answers) {
        let a: Value = serde_json::from_str(a).unwrap();
        assert_eq!(e["decision_id"], a["decision_id"]);
    }
}
