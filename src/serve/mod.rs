//! The decision service, `rolegraph serve` (SPEC §11): the questions of
//! `can`, `explain`, `who` and `what` over HTTP, with the same answers as the
//! command line, while the policy is reloaded under it.
//!
//! In: a policy path (directory, file or bundle) and [`Options`]. Out: an
//! HTTP/1.1 server on a tokio runtime that runs until SIGTERM or Ctrl-C.
//!
//! - [`state`]: the policy being served, swapped whole on reload, and the
//!   status of the last reload;
//! - [`reload`]: loads and checks a new policy off the request path when the
//!   files change (a file watcher) or on SIGHUP;
//! - [`routes`]: the endpoints, over [`answer`] (the `can --batch` answer
//!   path, stamped with a decision id and the policy digest), [`authzen`] and
//!   [`opa`] (the same questions in those APIs' shapes);
//! - [`server`]: accepting connections: a connection cap, a header read
//!   timeout, graceful shutdown;
//! - [`metrics`] (Prometheus) and [`decision_log`] (one JSON line per
//!   decision, written by a thread of its own through a bounded queue).

mod answer;
mod authzen;
mod decision_log;
mod errors;
mod metrics;
mod object;
mod opa;
mod question;
mod reload;
mod routes;
mod server;
mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use state::LoadFailure;

/// How the service runs (the flags of `rolegraph serve`).
#[derive(Debug, Clone)]
pub struct Options {
    /// The policy: a `.policy` file, a directory, or a bundle.
    pub policy: PathBuf,
    pub addr: SocketAddr,
    /// The bearer token every request but the health checks must carry.
    pub token: Option<String>,
    pub decision_log: Option<PathBuf>,
    /// Decision-log lines that may wait to be written; more are dropped.
    pub decision_log_queue: usize,
    pub max_body: u64,
    /// How long a client may take to send a request's headers; also how long
    /// an idle keep-alive connection is kept.
    pub header_timeout: Duration,
    /// How long a client may take to send a request's body.
    pub body_timeout: Duration,
    pub max_connections: usize,
    /// How long in-flight requests get to finish after SIGTERM.
    pub shutdown_timeout: Duration,
    /// Reload when the policy's files change (SIGHUP always reloads).
    pub watch: bool,
}

/// Why the service stopped other than by a signal.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on `{addr}`: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot open the decision log `{path}`: {source}")]
    DecisionLog {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot start the service: {0}")]
    Runtime(std::io::Error),
    /// The policy could not be loaded at start, so there is nothing to serve.
    #[error("{0}")]
    Policy(LoadFailure),
}

/// Runs the service until SIGTERM or Ctrl-C. Progress and reloads are
/// logged to stderr, one line each; the first says where it listens.
pub fn run(options: Options) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("rolegraph-serve")
        .build()
        .map_err(ServeError::Runtime)?;
    runtime.block_on(serve(options))
}

async fn serve(options: Options) -> Result<(), ServeError> {
    let options = Arc::new(options);
    let listener = listen(options.addr).map_err(|source| ServeError::Bind {
        addr: options.addr,
        source,
    })?;
    let addr = listener.local_addr().map_err(ServeError::Runtime)?;
    let service = Arc::new(state::Service::new(&options)?);
    // Before the port is announced: a SIGINT or SIGTERM from then on stops
    // the service cleanly, even while the first policy loads.
    let shutdown = shutdown_signal();
    log(format_args!("listening on http://{addr}"));

    // The first policy loads while the port already answers `/health`
    // (`/health/ready` says 503 until it is in).
    let path = options.policy.clone();
    let first = tokio::task::spawn_blocking(move || state::load(&path))
        .await
        .map_err(|e| ServeError::Runtime(std::io::Error::other(e)))?;
    match first {
        Ok(loaded) => service.install(loaded, reload::Trigger::Start),
        Err(failure) => {
            service.shutdown_log();
            return Err(ServeError::Policy(failure));
        }
    }

    let reloader = reload::start(service.clone(), options.clone());
    let app = routes::router(service.clone());
    server::run(listener, app, &options, shutdown).await;
    reloader.abort();
    service.shutdown_log();
    log(format_args!("stopped"));
    Ok(())
}

/// Connections the kernel may hold for the service before it accepts them
/// (capped by `net.core.somaxconn`): a burst of clients waits there rather
/// than being refused.
const BACKLOG: u32 = 4096;

fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// SIGTERM or Ctrl-C (SIGINT). The handlers are installed when this is
/// called, not when the future is first polled, so a signal that comes
/// before the server runs is not the default action (death by signal).
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let streams = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        match streams {
            (Some(mut term), Some(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            (Some(mut term), None) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            (None, Some(mut int)) => {
                int.recv().await;
            }
            (None, None) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        log(format_args!("shutting down: finishing requests in flight"));
    }
}

/// One line of the service's log on stderr.
pub(crate) fn log(message: std::fmt::Arguments) {
    use std::io::Write;
    let now = humantime::format_rfc3339_millis(std::time::SystemTime::now());
    // Names from the policy and the file system are shown, never obeyed.
    let message = crate::escape::text(&message.to_string()).into_owned();
    let _ = writeln!(std::io::stderr().lock(), "{now} rolegraph serve: {message}");
}
