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
use super::question::{error_line, Question};
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
    let outcome = match &body.input {
        Some(input) => input.decide(&loaded.policy),
        None => Err(
            "the request has no `input`: send `{\"input\":{\"user\":…,\"permission\":…}}`"
                .to_string(),
        ),
    };
    let mut tally = Tally::default();
    match &outcome {
        Ok(d) => tally.count(d.allowed),
        Err(_) => tally.error += 1,
    }
    s.metrics.decisions(tally);
    let id = answer::decision_id();
    // A question that could not be asked is logged too, as `/v1/check` and
    // AuthZEN log theirs: the log shows every question a client asked.
    if let Some(log) = &s.decision_log {
        let mut line = match &outcome {
            Ok(d) => d.line().as_bytes().to_vec(),
            Err(message) => error_line(message),
        };
        answer::stamp_with(&mut line, &id, &loaded.digest);
        log.send(Record {
            time: SystemTime::now(),
            endpoint: Endpoint::OpaAllow.path(),
            request_id: request_id(&headers),
            lines: 1,
            // The question as JSON only for the log: not on the answer's path.
            entries: Entries::Pairs(vec![(
                body.input.as_ref().map(|i| i.to_json()).unwrap_or_default(),
                line,
            )]),
        });
    }
    let decided = outcome.map_err(|message| opa(ApiError::bad_request(message)))?;
    let mut out = serde_json::to_vec(&DataResponse {
        result: decided.allowed,
        decision_id: &id,
        new_login: decided.new_login,
    })
    .unwrap_or_default();
    out.push(b'\n');
    Ok(json_response(StatusCode::OK, "application/json", out))
}
