//! `/metrics` speaks what the scraper asks for: OpenMetrics when its
//! `Accept` prefers it (Prometheus's does), else the Prometheus text format
//! 0.0.4, whose counter families carry their samples' `_total` name and
//! which has no `# EOF`.

use crate::serve_support::{policy_dir, Server, SMALL};

/// What Prometheus 2.x sends when it scrapes.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

fn metrics(server: &Server, accept: Option<&str>) -> (String, String) {
    let mut request = crate::serve_support::agent().get(server.url("/metrics"));
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let mut response = request.call().unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    (content_type, response.body_mut().read_to_string().unwrap())
}

/// Checks `text` as a Prometheus 0.0.4 parser reads it: every sample
/// belongs to the family its `# TYPE` line names (a histogram's
/// `_bucket`, `_sum` and `_count` to the histogram), and nothing else.
fn assert_prometheus_text(text: &str) {
    let mut family: Option<(String, String)> = None;
    let mut samples = 0;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            family = Some((name.to_string(), kind.to_string()));
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        assert!(!line.starts_with('#'), "only HELP and TYPE: {line:?}");
        let name = line.split(['{', ' ']).next().unwrap();
        let (family, kind) = family.as_ref().expect("a TYPE before a sample");
        let belongs = name == family
            || (kind == "histogram"
                && ["_bucket", "_sum", "_count"]
                    .iter()
                    .any(|s| name.strip_suffix(s) == Some(family.as_str())));
        assert!(belongs, "{name} is not of the family {family} ({kind})");
        samples += 1;
    }
    assert!(samples > 0, "{text}");
}

#[test]
fn metrics_are_prometheus_text_unless_openmetrics_is_asked_for() {
    let dir = policy_dir(SMALL);
    let server = Server::start(dir.path(), &[]);
    server.post(
        "/v1/check",
        r#"{"user":"boss@acme.com","permission":"model:deploy"}"#,
    );
    for accept in [
        None,
        Some("*/*"),
        Some("text/plain"),
        Some("text/plain;version=0.0.4"),
    ] {
        let (content_type, text) = metrics(&server, accept);
        assert_eq!(
            content_type, "text/plain; version=0.0.4; charset=utf-8",
            "Accept: {accept:?}"
        );
        assert_prometheus_text(&text);
        assert!(
            text.contains("# TYPE rolegraph_decisions_total counter\n"),
            "{text}"
        );
        assert!(
            text.contains("rolegraph_decisions_total{result=\"allow\"} 1\n"),
            "{text}"
        );
    }
    for accept in [
        PROMETHEUS_ACCEPT,
        "application/openmetrics-text; version=1.0.0",
        "text/plain;q=0.5, application/openmetrics-text",
    ] {
        let (content_type, text) = metrics(&server, Some(accept));
        assert_eq!(
            content_type, "application/openmetrics-text; version=1.0.0; charset=utf-8",
            "Accept: {accept}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
        assert!(
            text.contains("# TYPE rolegraph_decisions counter\n"),
            "{text}"
        );
        assert!(
            text.contains("rolegraph_decisions_total{result=\"allow\"} 1\n"),
            "{text}"
        );
    }
    // Asked for OpenMetrics less than text, or not at all (q=0): text.
    for accept in [
        "application/openmetrics-text;q=0.2, text/plain;q=0.9",
        "application/openmetrics-text;q=0",
    ] {
        let (content_type, _) = metrics(&server, Some(accept));
        assert!(
            content_type.starts_with("text/plain"),
            "{accept}: {content_type}"
        );
    }
}
