//! The policy being served and what the service knows about its reloads.
//!
//! A [`Loaded`] policy is built whole off the request path and swapped in
//! with one atomic pointer store ([`arc_swap`]): a request takes the pointer
//! once and answers everything it was asked (a whole batch) from that one
//! policy, so no request sees a half-loaded policy or two policies.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use arc_swap::ArcSwapOption;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::decision_log::DecisionLog;
use super::metrics::Metrics;
use super::reload::Trigger;
use super::{log, Options, ServeError};
use crate::compile::json::source_digest;
use crate::diagnostics::{self, Diagnostic};
use crate::{Policy, PolicyError};

/// A checked, compiled policy and what identifies it.
pub struct Loaded {
    pub policy: Policy,
    /// `sha256:…` of the policy's source texts: the compiled matrix's
    /// `source_digest` (SPEC §6), which a bundle keeps too, so a bundle and
    /// the directory it was built from have the same digest.
    pub digest: Arc<str>,
    pub loaded_at: SystemTime,
}

/// Why a policy could not be loaded: its errors, or why it could not be read.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct LoadFailure {
    /// One line: what went wrong.
    pub message: String,
    /// The policy's errors as text (miette's report, without colour).
    pub report: Option<String>,
    /// The errors as `validate --format json` writes them.
    pub diagnostics: Option<serde_json::Value>,
    /// Errors in the policy (exit 1) rather than a path that cannot be read
    /// (exit 2).
    pub invalid: bool,
}

/// Reads, checks and compiles the policy at `path`. Blocking: call it off
/// the request path.
pub fn load(path: &Path) -> Result<Loaded, LoadFailure> {
    match Policy::load(path) {
        Ok(policy) => Ok(Loaded {
            digest: source_digest(&policy.model).into(),
            policy,
            loaded_at: SystemTime::now(),
        }),
        Err(PolicyError::Load(e)) => Err(LoadFailure {
            message: e.to_string(),
            report: None,
            diagnostics: None,
            invalid: false,
        }),
        Err(PolicyError::Invalid {
            diagnostics,
            sources,
        }) => {
            let errors: Vec<Diagnostic> =
                diagnostics.into_iter().filter(|d| d.is_error()).collect();
            Err(LoadFailure {
                message: format!("the policy has errors ({})", diagnostics::summary(&errors)),
                report: Some(diagnostics::render_text(&errors, &sources, false)),
                diagnostics: diagnostics::to_json_value(&errors, &sources)
                    .get("diagnostics")
                    .cloned(),
                invalid: true,
            })
        }
    }
}

/// The last attempt to load a policy (at start, on a change, on SIGHUP).
#[derive(Clone, Serialize)]
pub struct Attempt {
    #[serde(serialize_with = "rfc3339")]
    pub at: SystemTime,
    pub trigger: Trigger,
    /// `loaded`, `unchanged` (the same digest as the policy served) or
    /// `failed`.
    pub result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<serde_json::Value>,
}

/// Everything the handlers share.
pub struct Service {
    policy: ArcSwapOption<Loaded>,
    last_attempt: Mutex<Option<Attempt>>,
    pub policy_path: String,
    pub started_at: SystemTime,
    pub metrics: Metrics,
    pub decision_log: Option<DecisionLog>,
    /// SHA-256 of the bearer token: compared in constant time, and the
    /// comparison does not leak the token's length either.
    token: Option<[u8; 32]>,
    pub max_body: u64,
    pub body_timeout: std::time::Duration,
}

impl Service {
    pub fn new(options: &Options) -> Result<Service, ServeError> {
        let metrics = Metrics::new();
        let decision_log = match &options.decision_log {
            Some(path) => Some(
                DecisionLog::open(
                    path,
                    options.decision_log_queue,
                    metrics.decision_log_dropped.clone(),
                )
                .map_err(|source| ServeError::DecisionLog {
                    path: path.display().to_string(),
                    source,
                })?,
            ),
            None => None,
        };
        Ok(Service {
            policy: ArcSwapOption::empty(),
            last_attempt: Mutex::new(None),
            policy_path: options.policy.display().to_string(),
            started_at: SystemTime::now(),
            metrics,
            decision_log,
            token: options.token.as_deref().map(token_digest),
            max_body: options.max_body,
            body_timeout: options.body_timeout,
        })
    }

    /// The policy served now; `None` until the first one is loaded.
    pub fn current(&self) -> Option<Arc<Loaded>> {
        self.policy.load_full()
    }

    pub fn is_ready(&self) -> bool {
        self.policy.load().is_some()
    }

    /// Serves `loaded` from now on, unless it is the policy already served.
    pub fn install(&self, loaded: Loaded, trigger: Trigger) {
        let unchanged = self
            .policy
            .load()
            .as_ref()
            .is_some_and(|old| old.digest == loaded.digest);
        let result = if unchanged { "unchanged" } else { "loaded" };
        if !unchanged {
            let m = &loaded.policy.model;
            log(format_args!(
                "{} policy {} ({} users, {} teams, {} roles) from `{}`",
                if trigger == Trigger::Start {
                    "serving"
                } else {
                    "reloaded: serving"
                },
                loaded.digest,
                m.users.len(),
                m.teams.len(),
                m.roles.len(),
                self.policy_path
            ));
            self.metrics.policy_loaded(&loaded);
            self.policy.store(Some(Arc::new(loaded)));
        } else {
            log(format_args!("{trigger}: the policy is unchanged"));
        }
        if trigger != Trigger::Start {
            self.metrics.reload(true);
        }
        self.record(Attempt {
            at: SystemTime::now(),
            trigger,
            result,
            error: None,
            diagnostics: None,
        });
    }

    /// Reports a policy that failed to load; the one served stays.
    pub fn reject(&self, failure: LoadFailure, trigger: Trigger) {
        let keeping = match self.policy.load().as_ref() {
            Some(old) => format!("still serving {}", old.digest),
            None => "no policy is served yet".to_string(),
        };
        log(format_args!(
            "{trigger}: the policy was not reloaded ({keeping}): {}",
            failure.message
        ));
        if let Some(report) = &failure.report {
            for line in report.lines() {
                log(format_args!("{line}"));
            }
        }
        self.metrics.reload(false);
        self.record(Attempt {
            at: SystemTime::now(),
            trigger,
            result: "failed",
            error: Some(failure.message),
            diagnostics: failure.diagnostics,
        });
    }

    fn record(&self, attempt: Attempt) {
        *self
            .last_attempt
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(attempt);
    }

    pub fn last_attempt(&self) -> Option<Attempt> {
        self.last_attempt
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether the request may pass: no token is configured, or
    /// `Authorization: Bearer <token>` carries it.
    pub fn authorized(&self, authorization: Option<&[u8]>) -> bool {
        use subtle::ConstantTimeEq;
        let Some(expected) = &self.token else {
            return true;
        };
        let given = authorization
            .and_then(|h| {
                let scheme = h.get(..7)?;
                scheme
                    .eq_ignore_ascii_case(b"bearer ")
                    .then(|| h[7..].trim_ascii())
            })
            .unwrap_or_default();
        // An empty token never matches: `token_digest` is only given a
        // non-empty one.
        !given.is_empty() && bool::from(token_digest_bytes(given).ct_eq(expected))
    }

    /// Writes out the decision log's queue and closes it.
    pub fn shutdown_log(&self) {
        if let Some(log) = &self.decision_log {
            log.close();
        }
    }
}

fn token_digest(token: &str) -> [u8; 32] {
    token_digest_bytes(token.as_bytes())
}

fn token_digest_bytes(token: &[u8]) -> [u8; 32] {
    Sha256::digest(token).into()
}

pub fn rfc3339<S: serde::Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&humantime::format_rfc3339_millis(*t))
}
