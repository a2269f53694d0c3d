//! `/metrics`: the Prometheus text format 0.0.4, or OpenMetrics when the
//! scraper asks for it (`Accept`), from `prometheus-client`.
//!
//! - `rolegraph_decisions_total{result="allow"|"deny"|"error"}`
//! - `rolegraph_http_requests_total{endpoint, status}`
//! - `rolegraph_http_request_duration_seconds{endpoint}` (a histogram)
//! - `rolegraph_reloads_total{result="success"|"failure"}`
//! - `rolegraph_policy_info{digest}` (1 for the policy served)
//! - `rolegraph_policy_loaded_timestamp_seconds`
//! - `rolegraph_decision_log_dropped_total` (lines dropped on a full queue)

use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, UNIX_EPOCH};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::state::Loaded;

/// Every endpoint, as the `endpoint` label (unknown paths are `other`, so
/// a scan of random paths cannot grow the label set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Check,
    CheckBatch,
    Explain,
    Who,
    What,
    Evaluation,
    Evaluations,
    OpaAllow,
    Health,
    Ready,
    Status,
    Metrics,
    Other,
}

impl Endpoint {
    pub const ALL: [Endpoint; 13] = [
        Endpoint::Check,
        Endpoint::CheckBatch,
        Endpoint::Explain,
        Endpoint::Who,
        Endpoint::What,
        Endpoint::Evaluation,
        Endpoint::Evaluations,
        Endpoint::OpaAllow,
        Endpoint::Health,
        Endpoint::Ready,
        Endpoint::Status,
        Endpoint::Metrics,
        Endpoint::Other,
    ];

    pub fn of(path: &str) -> Endpoint {
        match path {
            "/v1/check" => Endpoint::Check,
            "/v1/check/batch" => Endpoint::CheckBatch,
            "/v1/explain" => Endpoint::Explain,
            "/v1/who" => Endpoint::Who,
            "/v1/what" => Endpoint::What,
            "/access/v1/evaluation" => Endpoint::Evaluation,
            "/access/v1/evaluations" => Endpoint::Evaluations,
            "/v1/data/rolegraph/allow" => Endpoint::OpaAllow,
            "/health" => Endpoint::Health,
            "/health/ready" => Endpoint::Ready,
            "/v1/status" => Endpoint::Status,
            "/metrics" => Endpoint::Metrics,
            _ => Endpoint::Other,
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Check => "/v1/check",
            Endpoint::CheckBatch => "/v1/check/batch",
            Endpoint::Explain => "/v1/explain",
            Endpoint::Who => "/v1/who",
            Endpoint::What => "/v1/what",
            Endpoint::Evaluation => "/access/v1/evaluation",
            Endpoint::Evaluations => "/access/v1/evaluations",
            Endpoint::OpaAllow => "/v1/data/rolegraph/allow",
            Endpoint::Health => "/health",
            Endpoint::Ready => "/health/ready",
            Endpoint::Status => "/v1/status",
            Endpoint::Metrics => "/metrics",
            Endpoint::Other => "other",
        }
    }

    /// Health checks answer without a token.
    pub fn is_health(self) -> bool {
        matches!(self, Endpoint::Health | Endpoint::Ready)
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabel {
    endpoint: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    endpoint: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DigestLabel {
    digest: String,
}

/// Decisions answered in one request, by result.
#[derive(Default, Clone, Copy)]
pub struct Tally {
    pub allow: u64,
    pub deny: u64,
    pub error: u64,
}

impl Tally {
    /// Counts one answer line (`{"decision":"allow"…`).
    pub fn count_line(&mut self, line: &[u8]) {
        const ALLOW: &[u8] = b"{\"decision\":\"allow\"";
        const DENY: &[u8] = b"{\"decision\":\"deny\"";
        if line.starts_with(ALLOW) {
            self.allow += 1;
        } else if line.starts_with(DENY) {
            self.deny += 1;
        } else {
            self.error += 1;
        }
    }

    pub fn count(&mut self, allowed: bool) {
        if allowed {
            self.allow += 1;
        } else {
            self.deny += 1;
        }
    }
}

pub struct Metrics {
    registry: Registry,
    allow: Counter,
    deny: Counter,
    error: Counter,
    requests: Family<RequestLabels, Counter>,
    /// One histogram per endpoint, in the order of [`Endpoint::ALL`].
    durations: Vec<Histogram>,
    reloads_ok: Counter,
    reloads_failed: Counter,
    policy_info: Family<DigestLabel, Gauge>,
    /// The digest labelled in `policy_info` now, to remove on the next swap.
    served_digest: Mutex<Option<String>>,
    policy_loaded: Gauge<f64, AtomicU64>,
    pub decision_log_dropped: Counter,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("rolegraph");
        let decisions = Family::<ResultLabel, Counter>::default();
        registry.register(
            "decisions",
            "Decisions answered, by result (`error`: a question that could not be asked)",
            decisions.clone(),
        );
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by endpoint and status",
            requests.clone(),
        );
        let durations_family =
            Family::<EndpointLabel, Histogram, fn() -> Histogram>::new_with_constructor(|| {
                // 25 µs to about 3.3 s.
                Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
                    25e-6, 2.0, 18,
                ))
            });
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's headers to its answer, by endpoint",
            durations_family.clone(),
        );
        let durations = Endpoint::ALL
            .iter()
            .map(|e| durations_family.get_or_create_owned(&EndpointLabel { endpoint: e.path() }))
            .collect();
        let reloads = Family::<ResultLabel, Counter>::default();
        registry.register(
            "reloads",
            "Policy reloads after start (on a change of the files or SIGHUP), by result",
            reloads.clone(),
        );
        let policy_info = Family::<DigestLabel, Gauge>::default();
        registry.register(
            "policy_info",
            "The policy served: 1, labelled with its source digest",
            policy_info.clone(),
        );
        let policy_loaded = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "policy_loaded_timestamp_seconds",
            "When the policy served was loaded (Unix time)",
            policy_loaded.clone(),
        );
        let decision_log_dropped = Counter::default();
        registry.register(
            "decision_log_dropped",
            "Decision-log lines dropped because the log's queue was full",
            decision_log_dropped.clone(),
        );
        let counter = |family: &Family<ResultLabel, Counter>, result| {
            family.get_or_create_owned(&ResultLabel { result })
        };
        Metrics {
            allow: counter(&decisions, "allow"),
            deny: counter(&decisions, "deny"),
            error: counter(&decisions, "error"),
            requests,
            durations,
            reloads_ok: counter(&reloads, "success"),
            reloads_failed: counter(&reloads, "failure"),
            policy_info,
            served_digest: Mutex::new(None),
            policy_loaded,
            decision_log_dropped,
            registry,
        }
    }

    pub fn decisions(&self, tally: Tally) {
        for (counter, n) in [
            (&self.allow, tally.allow),
            (&self.deny, tally.deny),
            (&self.error, tally.error),
        ] {
            if n > 0 {
                counter.inc_by(n);
            }
        }
    }

    pub fn request(&self, endpoint: Endpoint, status: u16, took: Duration) {
        let index = Endpoint::ALL
            .iter()
            .position(|e| *e == endpoint)
            .unwrap_or(Endpoint::ALL.len() - 1);
        if let Some(h) = self.durations.get(index) {
            h.observe(took.as_secs_f64());
        }
        self.requests
            .get_or_create(&RequestLabels {
                endpoint: endpoint.path(),
                status,
            })
            .inc();
    }

    pub fn reload(&self, ok: bool) {
        if ok {
            self.reloads_ok.inc();
        } else {
            self.reloads_failed.inc();
        }
    }

    pub fn policy_loaded(&self, loaded: &Loaded) {
        let mut served = self
            .served_digest
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = served.take() {
            self.policy_info.remove(&DigestLabel { digest: old });
        }
        let digest = loaded.digest.to_string();
        self.policy_info
            .get_or_create(&DigestLabel {
                digest: digest.clone(),
            })
            .set(1);
        *served = Some(digest);
        let at = loaded
            .loaded_at
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        self.policy_loaded.set(at.as_secs_f64());
    }

    /// The text of `/metrics` in `format`.
    pub fn encode(&self, format: Format) -> String {
        let mut out = String::new();
        // Writing into a String does not fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        match format {
            Format::OpenMetrics => out,
            Format::Prometheus => prometheus_text(&out),
        }
    }
}

/// The two text formats a Prometheus scraper reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// OpenMetrics 1.0, what Prometheus itself asks for first.
    OpenMetrics,
    /// The Prometheus text format 0.0.4, for what asks for `text/plain` or
    /// anything (`curl`, older scrapers and agents).
    Prometheus,
}

impl Format {
    /// The format an `Accept` header prefers: OpenMetrics when it names
    /// `application/openmetrics-text` at least as highly as `text/plain`,
    /// the Prometheus text format otherwise.
    pub fn negotiate(accept: Option<&str>) -> Format {
        let (mut open_metrics, mut text) = (0.0_f32, 0.0_f32);
        for range in accept.unwrap_or_default().split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            match media.as_str() {
                "application/openmetrics-text" => open_metrics = open_metrics.max(q),
                "text/plain" => text = text.max(q),
                _ => {}
            }
        }
        if open_metrics > 0.0 && open_metrics >= text {
            Format::OpenMetrics
        } else {
            Format::Prometheus
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Format::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
        }
    }
}

/// OpenMetrics text (from `prometheus-client`, which writes no other) as
/// the Prometheus text format 0.0.4. For the metrics here the two differ
/// in two things: a counter's family is named without `_total` in
/// OpenMetrics, but with it (the name of its samples) in 0.0.4, and
/// OpenMetrics ends with `# EOF`. Samples, labels, histograms and gauges
/// are written alike (no units, exemplars or `_created` are used).
fn prometheus_text(open_metrics: &str) -> String {
    let counters: Vec<&str> = open_metrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(open_metrics.len() + 16 * counters.len());
    for line in open_metrics.lines() {
        if line == "# EOF" {
            continue;
        }
        let descriptor = ["# HELP ", "# TYPE "]
            .into_iter()
            .find_map(|p| Some((p, line.strip_prefix(p)?)));
        match descriptor {
            Some((prefix, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                out.push_str(prefix);
                out.push_str(name);
                if counters.contains(&name) {
                    out.push_str("_total");
                }
                out.push(' ');
                out.push_str(tail);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}
