//! The endpoints of SPEC §11 and what every request goes through first (the
//! bearer token, the request's metrics, `X-Request-ID`).

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use percent_encoding::percent_decode_str;
use serde::{Deserialize, Serialize};

use super::answer::{self, BatchFormat};
use super::decision_log::{Entries, Record};
use super::errors::{ApiError, Dialect};
use super::metrics::{self, Endpoint, Tally};
use super::object::{Object, Shape};
use super::question::Question;
use super::state::{rfc3339, Service};
use super::{authzen, opa};
use crate::eval;
use crate::resolve::Scope;
use crate::Policy;

pub type Shared = State<Arc<Service>>;

/// Bodies this large are answered on a blocking thread, so that one huge
/// batch does not hold up the requests queued behind it on a worker.
const BLOCKING_BATCH: usize = 256 * 1024;

pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route("/v1/check", post(check))
        .route("/v1/check/batch", post(check_batch))
        .route("/v1/explain", post(explain))
        .route("/v1/who", get(who))
        .route("/v1/what", get(what))
        .route("/access/v1/evaluation", post(authzen::evaluation))
        .route("/access/v1/evaluations", post(authzen::evaluations))
        .route("/v1/data/rolegraph/allow", post(opa::allow))
        .route("/health", get(health))
        .route("/health/ready", get(ready))
        .route("/v1/status", get(status))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(service.clone(), guard))
        .with_state(service)
}

/// Before every request: the token (health checks excepted); after: the
/// request's metrics, and `X-Request-ID` echoed as AuthZEN asks.
async fn guard(State(s): Shared, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let endpoint = Endpoint::of(request.uri().path());
    let request_id = request.headers().get("x-request-id").cloned();
    let authorization = request.headers().get(header::AUTHORIZATION);
    let mut response =
        if endpoint.is_health() || s.authorized(authorization.map(HeaderValue::as_bytes)) {
            next.run(request).await
        } else {
            ApiError::unauthorized()
                .in_dialect(Dialect::of(endpoint))
                .into_response()
        };
    if let Some(id) = request_id {
        response.headers_mut().insert("x-request-id", id);
    }
    s.metrics
        .request(endpoint, response.status().as_u16(), start.elapsed());
    response
}

/// Reads a request body: at most `--max-body` bytes (413 past it), within
/// the body timeout (408 past it).
pub async fn read_body(s: &Service, headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the request body is larger than {} bytes (`--max-body`)",
                s.max_body
            ),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > s.max_body) {
        return Err(too_large());
    }
    let limit = usize::try_from(s.max_body).unwrap_or(usize::MAX);
    match tokio::time::timeout(s.body_timeout, Limited::new(body, limit).collect()).await {
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request body did not arrive within {}",
                humantime::format_duration(s.body_timeout)
            ),
        )),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(e)) => Err(ApiError::bad_request(format!(
            "cannot read the request body: {e}"
        ))),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

pub fn json_response(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Body>,
) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body.into(),
    )
        .into_response()
}

pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `POST /v1/check`: one `can --batch` line → its answer line, plus
/// `decision_id` and `policy_digest`; 400 when the answer is an error.
async fn check(State(s): Shared, request: Request) -> Result<Response, ApiError> {
    let loaded = s.current().ok_or_else(ApiError::not_ready)?;
    let (parts, body) = request.into_parts();
    let body = read_body(&s, &parts.headers, body).await?;
    let mut out = Vec::with_capacity(192);
    let mut tally = Tally::default();
    if !answer::answer(&loaded, &body, &mut out, &mut tally) {
        return Err(ApiError::bad_request(
            "the request body holds no question: send one `can --batch` line, `{\"user\":…,\"permission\":…,\"scope\":…}`",
        ));
    }
    s.metrics.decisions(tally);
    let status = if tally.error > 0 {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let out = Bytes::from(out);
    if let Some(log) = &s.decision_log {
        log.send(Record {
            time: SystemTime::now(),
            endpoint: Endpoint::Check.path(),
            request_id: request_id(&parts.headers),
            lines: 1,
            entries: Entries::One {
                question: body,
                answer: out.clone(),
            },
        });
    }
    Ok(json_response(status, "application/json", out))
}

fn batch_format(headers: &HeaderMap) -> BatchFormat {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/x-ndjson"
        | "application/jsonl"
        | "application/json-lines"
        | "application/jsonlines" => BatchFormat::Lines,
        _ => BatchFormat::Array,
    }
}

/// `POST /v1/check/batch`: a JSON array of questions (or JSON lines with
/// `Content-Type: application/x-ndjson`) → their answers in order, as an
/// array (or lines), every one from the same policy.
async fn check_batch(State(s): Shared, request: Request) -> Result<Response, ApiError> {
    let loaded = s.current().ok_or_else(ApiError::not_ready)?;
    let (parts, body) = request.into_parts();
    let body = read_body(&s, &parts.headers, body).await?;
    let format = batch_format(&parts.headers);
    let answered = if body.len() < BLOCKING_BATCH {
        answer::answer_batch(&loaded, &body, format)
    } else {
        let body = body.clone();
        tokio::task::spawn_blocking(move || answer::answer_batch(&loaded, &body, format))
            .await
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
    }
    .map_err(ApiError::bad_request)?;
    s.metrics.decisions(answered.tally);
    let lines = Bytes::from(answered.lines);
    let response = match format {
        BatchFormat::Lines => json_response(StatusCode::OK, "application/x-ndjson", lines.clone()),
        BatchFormat::Array => json_response(
            StatusCode::OK,
            "application/json",
            answer::lines_to_array(&lines),
        ),
    };
    if let Some(log) = &s.decision_log {
        log.send(Record {
            time: SystemTime::now(),
            endpoint: Endpoint::CheckBatch.path(),
            request_id: request_id(&parts.headers),
            lines: answered.questions.len(),
            entries: Entries::Batch {
                body,
                questions: answered.questions,
                answers: lines,
            },
        });
    }
    Ok(response)
}

/// Reads a JSON body as `T`, which must be written as a JSON object;
/// malformed JSON, another type (an array too) or an unknown field is a 400
/// naming the problem.
pub async fn json_body<T: serde::de::DeserializeOwned + Shape>(
    s: &Service,
    request: Request,
) -> Result<(T, HeaderMap), ApiError> {
    let (parts, body) = request.into_parts();
    let body = read_body(s, &parts.headers, body).await?;
    let value = serde_json::from_slice::<Object<T>>(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))?;
    Ok((value.into_inner(), parts.headers))
}

/// `POST /v1/explain`: a question → the `explain --format json` document.
async fn explain(State(s): Shared, request: Request) -> Result<Response, ApiError> {
    let loaded = s.current().ok_or_else(ApiError::not_ready)?;
    let (question, _) = json_body::<Question>(&s, request).await?;
    let (q, user) = question
        .resolve(&loaded.policy)
        .map_err(ApiError::bad_request)?;
    let e = loaded.policy.explain(&q, user);
    Ok(json_response(
        StatusCode::OK,
        "application/json",
        eval::json::explain(&e),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WhoParams {
    permission: String,
    scope: Option<String>,
}

/// `GET /v1/who?permission=P&scope=S` → the `who --format json` document.
async fn who(State(s): Shared, uri: Uri) -> Result<Response, ApiError> {
    let loaded = s.current().ok_or_else(ApiError::not_ready)?;
    let params: WhoParams = query(&uri)?;
    let policy = &loaded.policy;
    let perm = policy
        .permission(&params.permission)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let scope = match &params.scope {
        Some(text) => policy
            .scope(text)
            .map_err(|e| ApiError::bad_request(e.to_string()))?,
        None => Scope::Global,
    };
    Ok(json_response(
        StatusCode::OK,
        "application/json",
        eval::json::who(&policy.who(perm, scope)),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WhatParams {
    user: String,
}

/// `GET /v1/what?user=U` → the `what --format json` document.
async fn what(State(s): Shared, uri: Uri) -> Result<Response, ApiError> {
    let loaded = s.current().ok_or_else(ApiError::not_ready)?;
    let params: WhatParams = query(&uri)?;
    // As `what` on the command line: a name that is no email is not a new
    // login, but a mistake.
    Policy::check_user(&params.user).map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(json_response(
        StatusCode::OK,
        "application/json",
        eval::json::what(&loaded.policy.what(&params.user)),
    ))
}

/// The query string's parameters as `T`. Every name and value must be
/// UTF-8 once percent-decoded: the form decoding under axum's `Query` would
/// turn other bytes into U+FFFD, a name nobody sent.
fn query<T: serde::de::DeserializeOwned>(uri: &Uri) -> Result<T, ApiError> {
    let raw = uri.query().unwrap_or_default();
    for pair in raw.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let Ok(name) = percent_decode_str(name).decode_utf8() else {
            return Err(ApiError::bad_request(
                "invalid query string: a parameter's name is not UTF-8",
            ));
        };
        if percent_decode_str(value).decode_utf8().is_err() {
            return Err(ApiError::bad_request(format!(
                "invalid query string: the value of `{}` is not UTF-8",
                crate::escape::text(&name)
            )));
        }
    }
    Query::try_from_uri(uri)
        .map(|Query(params)| params)
        .map_err(query_error)
}

fn query_error(rejection: QueryRejection) -> ApiError {
    let text = rejection.body_text();
    let detail = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(&text);
    ApiError::bad_request(format!("invalid query string: {detail}"))
}

/// `GET /health`: the process answers.
async fn health() -> Response {
    json_response(StatusCode::OK, "application/json", "{\"status\":\"ok\"}\n")
}

/// `GET /health/ready`: 200 once a policy is loaded, 503 before.
async fn ready(State(s): Shared) -> Response {
    if s.is_ready() {
        json_response(
            StatusCode::OK,
            "application/json",
            "{\"status\":\"ready\"}\n",
        )
    } else {
        json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "application/json",
            "{\"status\":\"loading\"}\n",
        )
    }
}

/// `GET /v1/status`: the policy served, when it was loaded, and the last
/// attempt to load one (with its error, if it failed).
async fn status(State(s): Shared) -> Response {
    #[derive(Serialize)]
    struct Status<'a> {
        ready: bool,
        policy_path: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        policy_digest: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        loaded_at: Option<String>,
        last_reload: Option<super::state::Attempt>,
        #[serde(serialize_with = "rfc3339")]
        started_at: SystemTime,
        version: &'static str,
    }
    let loaded = s.current();
    let status = Status {
        ready: loaded.is_some(),
        policy_path: &s.policy_path,
        policy_digest: loaded.as_deref().map(|l| &*l.digest),
        loaded_at: loaded
            .as_deref()
            .map(|l| humantime::format_rfc3339_millis(l.loaded_at).to_string()),
        last_reload: s.last_attempt(),
        started_at: s.started_at,
        version: env!("CARGO_PKG_VERSION"),
    };
    let mut body = serde_json::to_string_pretty(&status).unwrap_or_default();
    body.push('\n');
    json_response(StatusCode::OK, "application/json", body)
}

/// `GET /metrics`: the Prometheus text format, or OpenMetrics for a
/// scraper that prefers it (Prometheus does).
async fn metrics(State(s): Shared, headers: HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = metrics::Format::negotiate(accept);
    json_response(
        StatusCode::OK,
        format.content_type(),
        s.metrics.encode(format),
    )
}

/// Reads and drops a body the answer does not need, so that the
/// connection can carry the client's next request.
async fn drain(s: &Service, request: Request) -> (Method, Uri) {
    let (parts, body) = request.into_parts();
    let _ = read_body(s, &parts.headers, body).await;
    (parts.method, parts.uri)
}

async fn not_found(State(s): Shared, request: Request) -> ApiError {
    let (method, uri) = drain(&s, request).await;
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no endpoint `{method} {}`", uri.path()),
    )
    .in_dialect(Dialect::of(Endpoint::of(uri.path())))
}

async fn method_not_allowed(State(s): Shared, request: Request) -> ApiError {
    let (method, uri) = drain(&s, request).await;
    let endpoint = Endpoint::of(uri.path());
    let takes = match endpoint {
        Endpoint::Who
        | Endpoint::What
        | Endpoint::Health
        | Endpoint::Ready
        | Endpoint::Status
        | Endpoint::Metrics => "GET",
        _ => "POST",
    };
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("`{}` takes {takes}, not {method}", uri.path()),
    )
    .in_dialect(Dialect::of(endpoint))
}
