//! `POST /v1/data/rolegraph/allow`: OPA's Data API, so that a client of OPA
//! can ask rolegraph instead by changing its address: `{"input":{"user",
//! "permission","scope","to"}}` → `{"result":true|false,"decision_id":"…"}`
//! (and `"new_login":true` when the user is declared nowhere). Errors have
//! OPA's shape, `{"code":"invalid_parameter","message":"…"}`. Query
//! parameters OPA knows (`pretty`, `metrics`, `provenance`, …) are ignored.

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::answer;
use super::decision_log::{Entries, Record};
use super::errors::{ApiError, Dialect};
use super::metrics::{Endpoint, Tally};
use super::object::{Object, Shape};
use super::question::Question;
use super::routes::{json_body, json_response, request_id};
use super::state::Service;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DataRequest {
    input: Option<Object<Question>>,
}

impl Shape for DataRequest {
    const EXPECTING: &'static str = "a JSON object `{\"input\":{\"user\":…,\"permission\":…}}`";
}

#[derive(Serialize)]
struct DataResponse<'a> {
    result: bool,
    decision_id: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    new_login: bool,
}

pub async fn allow(State(s): State<Arc<Service>>, request: Request) -> Result<Response, ApiError> {
    let opa = |e: ApiError| e.in_dialect(Dialect::Opa);
    let loaded = s.current().ok_or_else(ApiError::not_ready).map_err(opa)?;
    let (body, headers) = json_body::<DataRequest>(&s, request).await.map_err(opa)?;
    let input = body.input.map(Object::into_inner).ok_or_else(|| {
        opa(ApiError::bad_request(
            "the request has no `input`: send `{\"input\":{\"user\":…,\"permission\":…}}`",
        ))
    })?;
    let decided = match input.decide(&loaded.policy) {
        Ok(d) => d,
        Err(message) => {
            s.metrics.decisions(Tally {
                error: 1,
                ..Tally::default()
            });
            return Err(opa(ApiError::bad_request(message)));
        }
    };
    let mut tally = Tally::default();
    tally.count(decided.allowed);
    s.metrics.decisions(tally);
    let id = answer::decision_id();
    let mut out = serde_json::to_vec(&DataResponse {
        result: decided.allowed,
        decision_id: &id,
        new_login: decided.new_login,
    })
    .unwrap_or_default();
    out.push(b'\n');
    if let Some(log) = &s.decision_log {
        let mut line = decided.line().as_bytes().to_vec();
        answer::stamp_with(&mut line, &id, &loaded.digest);
        log.send(Record {
            time: SystemTime::now(),
            endpoint: Endpoint::OpaAllow.path(),
            request_id: request_id(&headers),
            lines: 1,
            entries: Entries::Pairs(vec![(input.to_json(), line)]),
        });
    }
    Ok(json_response(StatusCode::OK, "application/json", out))
}
