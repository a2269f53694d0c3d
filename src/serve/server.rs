//! Accepting connections: HTTP/1.1 with keep-alive (hyper), at most
//! `--max-connections` at once (past that, new ones wait in the kernel's
//! backlog instead of exhausting the process's files and memory), a
//! deadline for a request's headers that also closes idle keep-alive
//! connections (a slow or silent client holds a connection, never a
//! thread), and a graceful shutdown: stop accepting, let requests in flight
//! finish, close idle connections.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::{log, Options};

/// Headers larger than this are refused (431): questions travel in bodies.
const MAX_HEADER_BYTES: usize = 64 * 1024;

pub async fn run(
    listener: TcpListener,
    app: Router,
    options: &Options,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout)
        .max_headers(100)
        .max_buf_size(MAX_HEADER_BYTES)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let mut warned_full = false;
    tokio::pin!(shutdown);
    loop {
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if !warned_full {
                    log(format_args!(
                        "{} connections open (`--max-connections`): new ones wait",
                        options.max_connections
                    ));
                    warned_full = true;
                }
                tokio::select! {
                    p = slots.clone().acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => break,
                    },
                    () = &mut shutdown => break,
                }
            }
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: back off, and
                    // keep serving the connections already open.
                    log(format_args!("cannot accept a connection: {e}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        warned_full = false;
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(options.shutdown_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        log(format_args!(
            "requests still running after {}: closing their connections",
            humantime::format_duration(options.shutdown_timeout)
        ));
    }
}
