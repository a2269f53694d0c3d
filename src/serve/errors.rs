//! Error answers. Each API keeps its own shape, so that its clients read
//! them as they expect:
//!
//! - rolegraph's own endpoints: `{"error":"…"}` (JSON), the message being
//!   the command line's (`/v1/check` answers a bad question with its
//!   `can --batch` error line instead, stamped like any answer);
//! - AuthZEN: the message as plain text, as AuthZEN 1.0's error table says
//!   ("an error message string");
//! - OPA: `{"code":"invalid_parameter","message":"…"}`, OPA's error shape.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::metrics::Endpoint;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Rolegraph,
    AuthZen,
    Opa,
}

impl Dialect {
    pub fn of(endpoint: Endpoint) -> Dialect {
        match endpoint {
            Endpoint::Evaluation | Endpoint::Evaluations => Dialect::AuthZen,
            Endpoint::OpaAllow => Dialect::Opa,
            _ => Dialect::Rolegraph,
        }
    }
}

/// An error answer: a status and a message.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub dialect: Dialect,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            dialect: Dialect::Rolegraph,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn in_dialect(mut self, dialect: Dialect) -> ApiError {
        self.dialect = dialect;
        self
    }

    /// The service has no policy yet (the first one is loading).
    pub fn not_ready() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no policy is loaded yet: wait for `/health/ready`",
        )
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "this request needs `Authorization: Bearer <token>` with the service's token",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Native<'a> {
            error: &'a str,
        }
        #[derive(Serialize)]
        struct Opa<'a> {
            code: &'a str,
            message: &'a str,
        }
        let (content_type, mut body) = match self.dialect {
            Dialect::Rolegraph => (
                "application/json",
                serde_json::to_string(&Native {
                    error: &self.message,
                })
                .unwrap_or_default(),
            ),
            Dialect::Opa => (
                "application/json",
                serde_json::to_string(&Opa {
                    code: opa_code(self.status),
                    message: &self.message,
                })
                .unwrap_or_default(),
            ),
            Dialect::AuthZen => ("text/plain; charset=utf-8", self.message),
        };
        body.push('\n');
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
            body,
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"rolegraph\""),
            );
        }
        // The body of these requests is left unread: the connection cannot
        // carry another request, and the client is told so.
        if matches!(
            self.status,
            StatusCode::UNAUTHORIZED
                | StatusCode::PAYLOAD_TOO_LARGE
                | StatusCode::REQUEST_TIMEOUT
                | StatusCode::SERVICE_UNAVAILABLE
        ) {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// OPA's error codes (`server/types`).
fn opa_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::NOT_FOUND => "resource_not_found",
        StatusCode::METHOD_NOT_ALLOWED => "invalid_operation",
        s if s.is_client_error() => "invalid_parameter",
        _ => "internal_error",
    }
}
