//! The OpenID AuthZEN Authorization API 1.0: `POST /access/v1/evaluation`
//! and `POST /access/v1/evaluations`.
//!
//! A request names `subject {type:"user", id: EMAIL}`, `action {name:
//! PERMISSION}`, `resource {type: "global"|"team"|KIND, id: KEY}` (`global`
//! ignores `id`) and, for a `target team` permission, `context {"to":
//! "team/T"}`; it becomes the `can` question `EMAIL PERMISSION KIND/KEY
//! --to team/T`. A field AuthZEN 1.0 does not define is a 400, as SPEC §11
//! asks of unknown fields (`properties` are taken and not read; `context`
//! is free-form, only `to` is read); so is a missing required field; errors
//! are plain-text messages.
//!
//! `evaluations` takes `{"evaluations":[…]}`: the top-level `subject`,
//! `action`, `resource` and `context` are defaults that an evaluation's own
//! key replaces whole; the answers are `{"evaluations":[{"decision":…}]}`
//! in order. A question that cannot be asked is, inside `evaluations`,
//! `{"decision":false,"context":{"error":{"status":400,"message":…}}}`.
//! `options.evaluations_semantic` may be `execute_all` (the default),
//! `deny_on_first_deny` or `permit_on_first_permit`. Without an
//! `evaluations` array (or with an empty one) the request is one evaluation.
//! A new login's decision says so: `"context":{"new_login":true}`.

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::answer;
use super::decision_log::{Entries, Record};
use super::errors::{ApiError, Dialect};
use super::metrics::{Endpoint, Tally};
use super::object::{Object, Shape};
use super::question::{Decided, Question};
use super::routes::{json_body, json_response, request_id};
use super::state::{Loaded, Service};

// Every field AuthZEN 1.0 defines is taken; any other is a 400 (SPEC §11:
// unknown fields are refused), so that a misspelt key (`contxt`) is never
// silently left out of a decision. `properties` are taken and not read:
// rolegraph decides on the subject, action and resource alone.

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Subject {
    #[serde(rename = "type")]
    kind: String,
    id: String,
    #[serde(default, rename = "properties")]
    _properties: Option<Map<String, Value>>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Action {
    name: String,
    #[serde(default, rename = "properties")]
    _properties: Option<Map<String, Value>>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Resource {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default, rename = "properties")]
    _properties: Option<Map<String, Value>>,
}

#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Evaluation {
    subject: Option<Object<Subject>>,
    action: Option<Object<Action>>,
    resource: Option<Object<Resource>>,
    context: Option<Map<String, Value>>,
}

/// The body of `evaluations`: the top-level `subject`, `action`,
/// `resource` and `context` are the defaults.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Evaluations {
    subject: Option<Object<Subject>>,
    action: Option<Object<Action>>,
    resource: Option<Object<Resource>>,
    context: Option<Map<String, Value>>,
    #[serde(default)]
    evaluations: Option<Vec<Object<Evaluation>>>,
    #[serde(default)]
    options: Option<Object<Options>>,
}

/// The one option AuthZEN 1.0 defines; another is refused rather than
/// ignored, as its client counts on it.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    #[serde(default)]
    evaluations_semantic: Option<String>,
}

impl Shape for Subject {
    const EXPECTING: &'static str = "a subject, a JSON object `{\"type\":\"user\",\"id\":…}`";
}

impl Shape for Action {
    const EXPECTING: &'static str = "an action, a JSON object `{\"name\":…}`";
}

impl Shape for Resource {
    const EXPECTING: &'static str = "a resource, a JSON object `{\"type\":…,\"id\":…}`";
}

impl Shape for Evaluation {
    const EXPECTING: &'static str =
        "an evaluation, a JSON object `{\"subject\":…,\"action\":…,\"resource\":…,\"context\":…}`";
}

impl Shape for Evaluations {
    const EXPECTING: &'static str =
        "a JSON object `{\"subject\":…,\"action\":…,\"resource\":…,\"context\":…,\"evaluations\":[…]}`";
}

impl Shape for Options {
    const EXPECTING: &'static str = "options, a JSON object `{\"evaluations_semantic\":…}`";
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Semantic {
    ExecuteAll,
    DenyOnFirstDeny,
    PermitOnFirstPermit,
}

/// One decision in AuthZEN's shape.
#[derive(Serialize)]
struct Decision {
    decision: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<Value>,
}

impl Evaluation {
    /// This evaluation with the request's defaults for what it leaves out.
    fn or(&self, defaults: &Evaluation) -> Evaluation {
        Evaluation {
            subject: self.subject.clone().or_else(|| defaults.subject.clone()),
            action: self.action.clone().or_else(|| defaults.action.clone()),
            resource: self.resource.clone().or_else(|| defaults.resource.clone()),
            context: self.context.clone().or_else(|| defaults.context.clone()),
        }
    }

    /// The `can` question this evaluation asks.
    fn question(&self) -> Result<Question, String> {
        let subject = self
            .subject
            .as_ref()
            .ok_or("the evaluation has no `subject`")?;
        if subject.kind != "user" {
            return Err(format!(
                "subject type `{}` is not known: rolegraph answers for subjects of type `user`",
                subject.kind
            ));
        }
        let action = self
            .action
            .as_ref()
            .ok_or("the evaluation has no `action`")?;
        let resource = self
            .resource
            .as_ref()
            .ok_or("the evaluation has no `resource`")?;
        let scope = match (resource.kind.as_str(), &resource.id) {
            ("global", _) => None,
            (kind, Some(id)) => Some(format!("{kind}/{id}")),
            (kind, None) => {
                return Err(format!(
                    "the resource of type `{kind}` has no `id`: name the {kind}'s key"
                ))
            }
        };
        let to = match self.context.as_ref().and_then(|c| c.get("to")) {
            None | Some(Value::Null) => None,
            Some(Value::String(to)) => Some(to.clone()),
            Some(_) => return Err("`context.to` must be a string, `team/KEY`".into()),
        };
        Ok(Question {
            user: Some(subject.id.clone()),
            permission: Some(action.name.clone()),
            scope,
            to,
        })
    }
}

/// What one evaluation came to, and what the decision log records of it.
struct Asked {
    question: String,
    outcome: Result<Decided, String>,
}

fn ask(loaded: &Loaded, evaluation: &Evaluation) -> Asked {
    match evaluation.question() {
        Ok(q) => Asked {
            question: q.to_json(),
            outcome: q.decide(&loaded.policy),
        },
        Err(message) => Asked {
            question: String::new(),
            outcome: Err(message),
        },
    }
}

impl Asked {
    fn decision(&self) -> Decision {
        match &self.outcome {
            Ok(d) => Decision {
                decision: d.allowed,
                context: d
                    .new_login
                    .then(|| serde_json::json!({ "new_login": true })),
            },
            Err(message) => Decision {
                decision: false,
                context: Some(serde_json::json!({
                    "error": { "status": 400, "message": message }
                })),
            },
        }
    }
}

/// Counts the decisions and hands them to the decision log.
fn record(s: &Service, loaded: &Loaded, endpoint: Endpoint, headers: &HeaderMap, asked: &[Asked]) {
    let mut tally = Tally::default();
    for a in asked {
        match &a.outcome {
            Ok(d) => tally.count(d.allowed),
            Err(_) => tally.error += 1,
        }
    }
    s.metrics.decisions(tally);
    let Some(log) = &s.decision_log else {
        return;
    };
    let pairs = asked
        .iter()
        .map(|a| {
            let mut line = match &a.outcome {
                Ok(d) => d.line().as_bytes().to_vec(),
                Err(message) => super::question::error_line(message),
            };
            answer::stamp(&mut line, &loaded.digest);
            (a.question.clone(), line)
        })
        .collect::<Vec<_>>();
    log.send(Record {
        time: SystemTime::now(),
        endpoint: endpoint.path(),
        request_id: request_id(headers),
        lines: pairs.len(),
        entries: Entries::Pairs(pairs),
    });
}

fn respond<T: Serialize>(value: &T) -> Response {
    let mut body = serde_json::to_vec(value).unwrap_or_default();
    body.push(b'\n');
    json_response(StatusCode::OK, "application/json", body)
}

/// One evaluation: a question that cannot be asked is a 400.
fn single(
    s: &Service,
    loaded: &Loaded,
    endpoint: Endpoint,
    headers: &HeaderMap,
    evaluation: &Evaluation,
) -> Result<Response, ApiError> {
    let asked = ask(loaded, evaluation);
    record(s, loaded, endpoint, headers, std::slice::from_ref(&asked));
    match &asked.outcome {
        Ok(_) => Ok(respond(&asked.decision())),
        Err(message) => Err(ApiError::bad_request(message.clone()).in_dialect(Dialect::AuthZen)),
    }
}

/// The policy being served and the request's JSON body, or the error in
/// AuthZEN's form (not ready: 503; a bad body: 400).
async fn read<T: serde::de::DeserializeOwned + Shape>(
    s: &Service,
    request: Request,
) -> Result<(Arc<Loaded>, T, HeaderMap), ApiError> {
    let authzen = |e: ApiError| e.in_dialect(Dialect::AuthZen);
    let loaded = s
        .current()
        .ok_or_else(ApiError::not_ready)
        .map_err(authzen)?;
    let (body, headers) = json_body::<T>(s, request).await.map_err(authzen)?;
    Ok((loaded, body, headers))
}

/// `POST /access/v1/evaluation`.
pub async fn evaluation(
    State(s): State<Arc<Service>>,
    request: Request,
) -> Result<Response, ApiError> {
    let (loaded, evaluation, headers) = read::<Evaluation>(&s, request).await?;
    single(&s, &loaded, Endpoint::Evaluation, &headers, &evaluation)
}

/// `POST /access/v1/evaluations`.
pub async fn evaluations(
    State(s): State<Arc<Service>>,
    request: Request,
) -> Result<Response, ApiError> {
    let (loaded, body, headers) = read::<Evaluations>(&s, request).await?;
    let defaults = Evaluation {
        subject: body.subject,
        action: body.action,
        resource: body.resource,
        context: body.context,
    };
    let semantic = match body
        .options
        .map(Object::into_inner)
        .unwrap_or_default()
        .evaluations_semantic
        .as_deref()
    {
        None | Some("execute_all") => Semantic::ExecuteAll,
        Some("deny_on_first_deny") => Semantic::DenyOnFirstDeny,
        Some("permit_on_first_permit") => Semantic::PermitOnFirstPermit,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "unknown `options.evaluations_semantic` `{other}`: write `execute_all`, `deny_on_first_deny` or `permit_on_first_permit`"
            ))
            .in_dialect(Dialect::AuthZen))
        }
    };
    let items = match body.evaluations {
        Some(items) if !items.is_empty() => items,
        _ => return single(&s, &loaded, Endpoint::Evaluations, &headers, &defaults),
    };
    let mut asked = Vec::with_capacity(items.len());
    for item in &items {
        let a = ask(&loaded, &item.or(&defaults));
        let allowed = matches!(a.outcome, Ok(Decided { allowed: true, .. }));
        asked.push(a);
        let stop = match semantic {
            Semantic::ExecuteAll => false,
            Semantic::DenyOnFirstDeny => !allowed,
            Semantic::PermitOnFirstPermit => allowed,
        };
        if stop {
            break;
        }
    }
    record(&s, &loaded, Endpoint::Evaluations, &headers, &asked);
    #[derive(Serialize)]
    struct Answers {
        evaluations: Vec<Decision>,
    }
    Ok(respond(&Answers {
        evaluations: asked.iter().map(Asked::decision).collect(),
    }))
}
