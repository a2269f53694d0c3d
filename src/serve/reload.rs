//! Reloading without a restart: a change of the policy's files (a file
//! watcher, `notify`) or SIGHUP triggers a load; triggers that come close
//! together are debounced into one. The load runs on a blocking thread, off
//! the request path, and only a policy that loads and checks replaces the
//! one served.
//!
//! What is watched: the policy path itself (recursively, when it is a
//! directory) and the directory that holds it, so that a file or bundle
//! replaced by a rename, and a directory removed and made again, are seen.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::state::{self, Service};
use super::{log, Options};

/// Quiet time after the last change before the policy is loaded: an editor
/// or `cp -r` writes several files in a burst.
const DEBOUNCE: Duration = Duration::from_millis(200);

/// What asked for a load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// The first load, when the service starts.
    Start,
    /// A change of the policy's files.
    Change,
    /// SIGHUP.
    Signal,
}

impl std::fmt::Display for Trigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Trigger::Start => "start",
            Trigger::Change => "change of the policy files",
            Trigger::Signal => "SIGHUP",
        })
    }
}

/// Starts watching (unless `--no-watch`) and listening for SIGHUP; the
/// returned task does the reloads.
pub fn start(service: Arc<Service>, options: Arc<Options>) -> JoinHandle<()> {
    // One pending trigger is enough: a load that starts after it sees
    // every change before it.
    let (tx, rx) = mpsc::channel::<Trigger>(1);
    // The watcher compares the absolute paths it is told of; loads read
    // the path as given, so that answers name the files as they did at
    // start and as the command line does (`pol/org.policy:3`).
    let watcher = if options.watch {
        let absolute =
            std::path::absolute(&options.policy).unwrap_or_else(|_| options.policy.clone());
        watch(&absolute, tx.clone())
    } else {
        None
    };
    tokio::spawn(hangups(tx));
    tokio::spawn(reload_loop(service, options.policy.clone(), rx, watcher))
}

async fn hangups(tx: mpsc::Sender<Trigger>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            log(format_args!(
                "cannot listen for SIGHUP: reload on file changes only"
            ));
            return;
        };
        while hup.recv().await.is_some() {
            let _ = tx.try_send(Trigger::Signal);
        }
    }
    #[cfg(not(unix))]
    drop(tx);
}

async fn reload_loop(
    service: Arc<Service>,
    path: PathBuf,
    mut rx: mpsc::Receiver<Trigger>,
    mut watcher: Option<Watching>,
) {
    while let Some(mut trigger) = rx.recv().await {
        // Debounce: wait until nothing has come for DEBOUNCE; a SIGHUP among
        // the triggers names the load.
        loop {
            match tokio::time::timeout(DEBOUNCE, rx.recv()).await {
                Ok(Some(next)) => {
                    if next == Trigger::Signal {
                        trigger = next;
                    }
                }
                Ok(None) => return,
                Err(_) => break,
            }
        }
        let load_path = path.clone();
        match tokio::task::spawn_blocking(move || state::load(&load_path)).await {
            Ok(Ok(loaded)) => service.install(loaded, trigger),
            Ok(Err(failure)) => service.reject(failure, trigger),
            Err(panic) => service.reject(
                state::LoadFailure {
                    message: format!("loading the policy failed: {panic}"),
                    report: None,
                    diagnostics: None,
                    invalid: false,
                },
                trigger,
            ),
        }
        // A directory made again after it was removed needs its watch again.
        if let Some(w) = &mut watcher {
            w.rewatch();
        }
    }
}

/// A file watcher and what it watches.
struct Watching {
    watcher: notify::RecommendedWatcher,
    path: PathBuf,
    is_dir: bool,
}

impl Watching {
    fn rewatch(&mut self) {
        let is_dir = self.path.is_dir();
        if is_dir {
            if let Err(e) = self.watcher.watch(&self.path, RecursiveMode::Recursive) {
                log(format_args!("cannot watch `{}`: {e}", self.path.display()));
            }
        }
        self.is_dir = is_dir;
    }
}

fn watch(path: &Path, tx: mpsc::Sender<Trigger>) -> Option<Watching> {
    let target = path.to_path_buf();
    let handler = move |event: notify::Result<notify::Event>| {
        let relevant = match &event {
            Ok(event) => {
                !matches!(event.kind, notify::EventKind::Access(_))
                    && event.paths.iter().any(|p| p.starts_with(&target))
            }
            // An overflowed queue may have hidden a change: look again.
            Err(_) => true,
        };
        if relevant {
            let _ = tx.try_send(Trigger::Change);
        }
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(e) => {
            log(format_args!(
                "cannot watch the policy files ({e}): reload on SIGHUP only"
            ));
            return None;
        }
    };
    if let Some(parent) = path.parent() {
        if let Err(e) = watcher.watch(parent, RecursiveMode::NonRecursive) {
            log(format_args!("cannot watch `{}`: {e}", parent.display()));
        }
    }
    let mut watching = Watching {
        watcher,
        path: path.to_path_buf(),
        is_dir: false,
    };
    watching.rewatch();
    if !watching.is_dir && path.parent().is_none() {
        log(format_args!(
            "nothing to watch at `{}`: reload on SIGHUP only",
            path.display()
        ));
    }
    Some(watching)
}
