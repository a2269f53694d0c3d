//! A stand-in for a live Adaptive deployment: a TEST FIXTURE, not the
//! product (rolegraph talks to the real API). It serves `POST
//! {URL}/api/graphql` on 127.0.0.1 from a background thread, with a schema
//! written from the SDK's types ([`schema`]) that validates every request,
//! an in-memory deployment that enforces the API's own rules ([`store`]),
//! a bearer key (401 without it), a request counter, a way to fail the Nth
//! mutation, and optional latency per request.
//!
//! Also included by path from `benches/adaptive_sync.rs`, so it uses only
//! dev-dependencies and nothing else of the test binary.
#![allow(dead_code, reason = "each user of the fixture takes what it needs")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod canned;
pub mod schema;
pub mod store;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use rolegraph::adaptive::State;

use schema::StandinSchema;
use store::{Shared, Store};

/// The API key the stand-in accepts.
pub const KEY: &str = "standin-key-3f9a7c1e5b";

/// A running stand-in. Dropping it stops the server and joins its thread.
pub struct Standin {
    shared: Arc<Shared>,
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Clone)]
struct App {
    shared: Arc<Shared>,
    schema: StandinSchema,
}

impl Standin {
    /// A deployment holding `state`, at `http://127.0.0.1:PORT`.
    pub fn start(state: &State) -> Standin {
        Standin::start_at(state, "")
    }

    /// The same, with its API under a path prefix (`/adaptive` serves
    /// `http://127.0.0.1:PORT/adaptive/api/graphql`).
    pub fn start_at(state: &State, prefix: &str) -> Standin {
        let shared = Shared::new(KEY, Store::from_state(state));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}{prefix}", listener.local_addr().unwrap());
        let app = App {
            shared: shared.clone(),
            schema: schema::build(shared.clone()),
        };
        let router = axum::Router::new()
            .route(&format!("{prefix}/api/graphql"), post(graphql))
            .with_state(app);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, router)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        Standin {
            shared,
            url,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The base URL to give rolegraph (`--url`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The deployment as it is now.
    pub fn state(&self) -> State {
        self.shared.store().to_state()
    }

    /// Which user the key belongs to (`me`).
    pub fn set_me(&self, email: Option<&str>) {
        self.shared.store().me = email.map(str::to_ascii_lowercase);
    }

    /// Makes the `n`th mutation from now (1 = the next one) fail with an
    /// error, changing nothing.
    pub fn fail_nth_mutation(&self, n: u64) {
        let done = self.shared.mutations.load(Ordering::SeqCst);
        *self.shared.fail_at.lock().unwrap() = Some(done + n);
    }

    /// HTTP requests to the GraphQL endpoint so far.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Mutation fields run so far (one per operation).
    pub fn mutations(&self) -> u64 {
        self.shared.mutations.load(Ordering::SeqCst)
    }

    /// Delays every answer by `latency`.
    pub fn set_latency(&self, latency: Duration) {
        *self.shared.latency.lock().unwrap() = latency;
    }
}

impl Drop for Standin {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn graphql(AxumState(app): AxumState<App>, headers: HeaderMap, body: Bytes) -> Response {
    app.shared.requests.fetch_add(1, Ordering::SeqCst);
    let latency = *app.shared.latency.lock().unwrap();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let expected = format!("Bearer {}", app.shared.key);
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == expected);
    if !authorized {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"errors":[{"message":"invalid or missing API key"}]}"#,
        )
            .into_response();
    }
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("not a GraphQL request: {e}"),
            )
                .into_response()
        }
    };
    let response = app.schema.execute(request).await;
    (
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec(&response).unwrap(),
    )
        .into_response()
}

/// A small deployment: three roles, three teams, three users, two projects.
pub fn sample() -> State {
    serde_json::from_str::<State>(SAMPLE).unwrap()
}

/// [`sample`] as `pull` writes it.
pub const SAMPLE: &str = r#"{
  "schema": "rolegraph/adaptive-state",
  "version": 1,
  "permissions": [
    "admin:manage_users",
    "project:adapt",
    "project:read",
    "project:share"
  ],
  "roles": {
    "admin": {
      "name": "Admin",
      "permissions": [
        "admin:manage_users",
        "project:adapt",
        "project:read",
        "project:share"
      ]
    },
    "power_user": {
      "name": "Power User",
      "permissions": [
        "project:adapt",
        "project:read",
        "project:share"
      ]
    },
    "read-only": {
      "name": "Read Only",
      "permissions": [
        "project:read"
      ]
    }
  },
  "teams": {
    "admin": {
      "name": "Admin"
    },
    "default": {
      "name": "Default"
    },
    "ml-team": {
      "name": "ML Team"
    }
  },
  "users": {
    "alice@acme.com": {
      "name": "Alice",
      "teams": {
        "admin": "admin"
      }
    },
    "carol@acme.com": {
      "name": "Carol",
      "teams": {}
    },
    "john@acme.com": {
      "name": "John Doe",
      "teams": {
        "default": "read-only",
        "ml-team": "power_user"
      }
    }
  },
  "projects": {
    "support-bot": {
      "name": "Support Bot",
      "shares": {
        "default": {
          "role": "read-only",
          "owner": false
        },
        "ml-team": {
          "role": "admin",
          "owner": true
        }
      }
    },
    "triage": {
      "name": "Triage",
      "shares": {}
    }
  }
}
"#;
