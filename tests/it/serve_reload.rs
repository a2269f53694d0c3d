//! Reloading without a restart: a good policy replaces the old one while
//! clients keep asking (no failed request, one policy per batch), a broken
//! one is reported and the last good one keeps serving; the same for a
//! directory that disappears and a bundle replaced by a truncated file;
//! SIGHUP; and what `/v1/status` and `/metrics` say about it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::serve_support::{can_batch, compiled_digest, policy_dir, unstamp, Server, SMALL};

/// SMALL with dora made an owner in `ml`: some answers change.
fn changed() -> String {
    SMALL.replace(
        "team ml      { member ana@acme.com as owner }",
        "team ml      { member ana@acme.com as owner\n member dora@acme.com as owner }",
    )
}

const BROKEN: &str = "role reader { grant use_case:read \n this is not a policy {";

/// Questions whose answers differ between SMALL and `changed()`.
fn questions() -> String {
    let mut out = String::new();
    for user in [
        "ana@acme.com",
        "dora@acme.com",
        "boss@acme.com",
        "new@acme.com",
    ] {
        for (perm, scope) in [
            ("use_case:read", "use_case/bot"),
            ("use_case:read", "team/ml"),
            ("team:manage", "team/ml"),
            ("model:deploy", "global"),
        ] {
            out.push_str(&format!(
                "{{\"user\":\"{user}\",\"permission\":\"{perm}\",\"scope\":\"{scope}\"}}\n"
            ));
        }
    }
    out.push_str("{\"user\":\"dora@acme.com\",\"permission\":\"use_case:share\",\"scope\":\"use_case/bot\",\"to\":\"team/ml\"}\n");
    out
}

/// Writes a file by renaming a finished one over it, as deployment tools do.
fn replace(path: &Path, text: &[u8]) {
    let tmp = path.with_extension("tmp-new");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn status(server: &Server) -> Value {
    let (code, body) = server.get("/v1/status");
    assert_eq!(code, 200);
    serde_json::from_str(&body).unwrap()
}

fn wait_for_digest(server: &Server, digest: &str) {
    server.wait_until(&format!("the policy {digest}"), || {
        status(server)["policy_digest"] == digest
    });
}

fn wait_for_failure(server: &Server, failures_before: f64) -> Value {
    server.wait_until("a failed reload", || {
        server.metric("rolegraph_reloads_total{result=\"failure\"}") > failures_before
    });
    status(server)
}

/// Clients that keep asking until stopped, checking every answer against
/// `can --batch`'s for the policy the answer names.
struct Clients {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<usize>>,
    seen: Arc<Mutex<BTreeSet<String>>>,
}

impl Clients {
    fn start(server: &Server, expected: BTreeMap<String, Vec<String>>) -> Clients {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(BTreeSet::new()));
        let expected = Arc::new(expected);
        let input = questions();
        let threads = (0..3)
            .map(|i| {
                let stop = stop.clone();
                let seen = seen.clone();
                let expected = expected.clone();
                let input = input.clone();
                let base = server.base.clone();
                std::thread::spawn(move || {
                    let agent = crate::serve_support::agent();
                    let mut asked = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let (status, body) = crate::serve_support::read(
                            agent
                                .post(format!("{base}/v1/check/batch"))
                                .header("content-type", "application/x-ndjson")
                                .send(&input),
                        );
                        assert_eq!(status, 200, "{body}");
                        let answers: Vec<(String, String, String)> =
                            body.lines().map(unstamp).collect();
                        let digest = answers[0].2.clone();
                        assert!(
                            answers.iter().all(|a| a.2 == digest),
                            "one batch, one policy"
                        );
                        let want = expected
                            .get(&digest)
                            .unwrap_or_else(|| panic!("an answer from an unknown policy {digest}"));
                        let got: Vec<&String> = answers.iter().map(|a| &a.0).collect();
                        assert_eq!(got, want.iter().collect::<Vec<_>>(), "answers of {digest}");
                        seen.lock().unwrap().insert(digest);
                        // And single checks, on the same connection.
                        let line = input.lines().nth(i + 4).unwrap();
                        let (status, body) = crate::serve_support::read(
                            agent.post(format!("{base}/v1/check")).send(line),
                        );
                        assert_eq!(status, 200, "{body}");
                        let (answer, _, digest) = unstamp(body.trim_end());
                        assert_eq!(answer, expected[&digest][i + 4]);
                        asked += 1;
                    }
                    asked
                })
            })
            .collect();
        Clients {
            stop,
            threads,
            seen,
        }
    }

    /// Stops the clients; panics if any request failed.
    fn finish(self) -> BTreeSet<String> {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            let asked = t.join().expect("a client saw a failed or mixed answer");
            assert!(asked > 0);
        }
        let seen = self.seen.lock().unwrap().clone();
        seen
    }
}

fn expected_answers(dirs: &[&Path]) -> BTreeMap<String, Vec<String>> {
    dirs.iter()
        .map(|d| {
            let lines = can_batch(d, &questions())
                .lines()
                .map(str::to_string)
                .collect();
            (compiled_digest(d), lines)
        })
        .collect()
}

#[test]
fn a_good_policy_replaces_the_old_and_a_broken_one_is_reported_while_clients_ask() {
    let v1 = policy_dir(SMALL);
    let v2 = policy_dir(&changed());
    let expected = expected_answers(&[v1.path(), v2.path()]);
    let (d1, d2) = (compiled_digest(v1.path()), compiled_digest(v2.path()));
    assert_ne!(d1, d2);
    assert_ne!(expected[&d1], expected[&d2], "the change changes answers");

    let live = tempfile::tempdir().unwrap();
    let dir = live.path().join("policies");
    crate::common::copy_dir(v1.path(), &dir);
    let server = Server::start(&dir, &[]);
    assert_eq!(status(&server)["policy_digest"], d1);
    let clients = Clients::start(&server, expected);
    std::thread::sleep(std::time::Duration::from_millis(300));

    replace(&dir.join("org.policy"), changed().as_bytes());
    wait_for_digest(&server, &d2);
    let s = status(&server);
    assert_eq!(s["last_reload"]["result"], "loaded", "{s}");
    assert_eq!(s["last_reload"]["trigger"], "change", "{s}");
    std::thread::sleep(std::time::Duration::from_millis(300));

    // Broken in place, as an editor saves it.
    std::fs::write(dir.join("org.policy"), BROKEN).unwrap();
    let s = wait_for_failure(&server, 0.0);
    assert_eq!(
        s["policy_digest"], d2,
        "the last good policy keeps serving: {s}"
    );
    assert_eq!(s["last_reload"]["result"], "failed", "{s}");
    assert!(
        s["last_reload"]["error"]
            .as_str()
            .unwrap()
            .contains("error"),
        "{s}"
    );
    let diagnostics = s["last_reload"]["diagnostics"].as_array().unwrap();
    assert!(
        !diagnostics.is_empty()
            && diagnostics[0]["file"]
                .as_str()
                .unwrap()
                .ends_with("org.policy"),
        "{s}"
    );
    assert!(server.log().contains("not reloaded"), "{}", server.log());
    assert_eq!(server.get("/health/ready").0, 200);
    std::thread::sleep(std::time::Duration::from_millis(300));

    let seen = clients.finish();
    assert!(seen.contains(&d2), "{seen:?}");
    assert!(seen.len() <= 2);
    assert_eq!(
        server.metric("rolegraph_reloads_total{result=\"success\"}"),
        1.0
    );
    let (_, metrics) = server.get("/metrics");
    assert!(
        metrics.contains(&format!("rolegraph_policy_info{{digest=\"{d2}\"}} 1")),
        "{metrics}"
    );
    assert!(
        !metrics.contains(&d1),
        "the old digest is gone from the metrics"
    );
}

#[test]
fn sighup_reloads_when_files_are_not_watched() {
    let live = tempfile::tempdir().unwrap();
    let file = live.path().join("org.policy");
    std::fs::write(&file, SMALL).unwrap();
    let server = Server::start(&file, &["--no-watch"]);
    let before = status(&server)["policy_digest"].clone();
    std::fs::write(&file, changed()).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert_eq!(status(&server)["policy_digest"], before, "not watched");
    server.signal("HUP");
    let v2 = policy_dir(&changed());
    wait_for_digest(&server, &compiled_digest(v2.path()));
    assert_eq!(status(&server)["last_reload"]["trigger"], "signal");
    // SIGHUP with nothing changed: the same policy, said so.
    server.signal("HUP");
    server.wait_until("an unchanged reload", || {
        status(&server)["last_reload"]["result"] == "unchanged"
    });
}

#[test]
fn a_directory_that_disappears_keeps_the_last_good_policy() {
    let live = tempfile::tempdir().unwrap();
    let dir = live.path().join("policies");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("org.policy"), SMALL).unwrap();
    let server = Server::start(&dir, &[]);
    let d1 = status(&server)["policy_digest"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    let s = wait_for_failure(&server, 0.0);
    assert_eq!(s["policy_digest"], d1, "{s}");
    assert!(
        s["last_reload"]["error"]
            .as_str()
            .unwrap()
            .contains("cannot read"),
        "{s}"
    );
    let question = r#"{"user":"ana@acme.com","permission":"use_case:read","scope":"use_case/bot"}"#;
    let (code, body) = server.post("/v1/check", question);
    assert_eq!(code, 200);
    assert_eq!(unstamp(body.trim_end()).2, d1);
    // It comes back, changed: watched again, and served.
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("org.policy"), changed()).unwrap();
    let v2 = policy_dir(&changed());
    wait_for_digest(&server, &compiled_digest(v2.path()));
    // And a later change inside it is seen too.
    std::fs::write(
        dir.join("more.policy"),
        "team extra { member ana@acme.com as reader }\n",
    )
    .unwrap();
    server.wait_until("the new file to be served", || {
        status(&server)["policy_digest"] != compiled_digest(v2.path())
    });
}

#[test]
fn a_bundle_replaced_by_a_truncated_file_keeps_the_last_good_policy() {
    let v1 = policy_dir(SMALL);
    let v2 = policy_dir(&changed());
    let live = tempfile::tempdir().unwrap();
    let bundle = live.path().join("org.bundle");
    let build = |from: &Path, to: &Path| {
        let out = crate::common::rolegraph(from)
            .args(["compile", "--format", "bundle", "-o"])
            .arg(to)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    build(v1.path(), &bundle);
    let server = Server::start(&bundle, &[]);
    // A bundle is served under its source's digest.
    assert_eq!(status(&server)["policy_digest"], compiled_digest(v1.path()));
    let next = live.path().join("next.bundle");
    build(v2.path(), &next);
    std::fs::rename(&next, &bundle).unwrap();
    let d2 = compiled_digest(v2.path());
    wait_for_digest(&server, &d2);
    let bytes = std::fs::read(&bundle).unwrap();
    replace(&bundle, &bytes[..bytes.len() / 2]);
    let s = wait_for_failure(&server, 0.0);
    assert_eq!(s["policy_digest"], d2, "{s}");
    assert!(
        s["last_reload"]["error"]
            .as_str()
            .unwrap()
            .contains("damaged"),
        "{s}"
    );
    let question = r#"{"user":"dora@acme.com","permission":"team:manage","scope":"team/ml"}"#;
    let (code, body) = server.post("/v1/check", question);
    assert_eq!(code, 200);
    assert!(
        body.starts_with("{\"decision\":\"allow\""),
        "v2's answer: {body}"
    );
}

#[test]
fn status_and_metrics_say_what_is_served() {
    let dir = policy_dir(SMALL);
    let server = Server::start(dir.path(), &[]);
    let s = status(&server);
    assert_eq!(s["ready"], true);
    assert_eq!(s["policy_digest"], compiled_digest(dir.path()));
    assert_eq!(s["policy_path"], dir.path().display().to_string());
    for key in ["loaded_at", "started_at", "version"] {
        assert!(s[key].is_string(), "{key}: {s}");
    }
    assert_eq!(s["last_reload"]["trigger"], "start");
    assert_eq!(s["last_reload"]["result"], "loaded");
    assert!(s["last_reload"].get("error").is_none());

    let batch = questions();
    let (_, body) = server.post_with(
        "/v1/check/batch",
        &batch,
        &[("content-type", "application/x-ndjson")],
    );
    let allows = body
        .lines()
        .filter(|l| l.starts_with("{\"decision\":\"allow\""))
        .count();
    let denies = body
        .lines()
        .filter(|l| l.starts_with("{\"decision\":\"deny\""))
        .count();
    server.post("/v1/check", "{\"user\":\"a@b.c\",\"permission\":\"zz\"}");
    let (code, metrics) = server.get_with(
        "/metrics",
        &[("accept", "application/openmetrics-text; version=1.0.0")],
    );
    assert_eq!(code, 200);
    for line in [
        format!("rolegraph_decisions_total{{result=\"allow\"}} {allows}"),
        format!("rolegraph_decisions_total{{result=\"deny\"}} {denies}"),
        "rolegraph_decisions_total{result=\"error\"} 1".to_string(),
        format!(
            "rolegraph_policy_info{{digest=\"{}\"}} 1",
            compiled_digest(dir.path())
        ),
        "rolegraph_decision_log_dropped_total 0".to_string(),
        "rolegraph_reloads_total{result=\"failure\"} 0".to_string(),
        "rolegraph_http_requests_total{endpoint=\"/v1/check/batch\",status=\"200\"} 1".to_string(),
        "rolegraph_http_requests_total{endpoint=\"/v1/check\",status=\"400\"} 1".to_string(),
        "rolegraph_http_request_duration_seconds_count{endpoint=\"/v1/check/batch\"} 1".to_string(),
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }
    assert!(metrics.contains("# TYPE rolegraph_http_request_duration_seconds histogram"));
    assert!(
        metrics.contains(
            "rolegraph_http_request_duration_seconds_bucket{le=\"+Inf\",endpoint=\"/v1/check\"} 1"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("rolegraph_policy_loaded_timestamp_seconds "));
    assert!(metrics.trim_end().ends_with("# EOF"));
}
