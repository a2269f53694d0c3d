//! `rolegraph pull` against the stand-in deployment: the state file's bytes,
//! where they go, and where the URL and key come from.

use std::path::Path;

use assert_cmd::Command;
use rolegraph::adaptive::client::Connection;
use rolegraph::adaptive::ops::{Operation, TeamRole};

use crate::standin::{self, Standin};

/// `rolegraph pull ARGS…` with the stand-in's key and nothing else of the
/// environment that could steer it (URL, proxies, timeout).
pub fn pull(key: Option<&str>) -> Command {
    let mut cmd = live_command(key);
    cmd.arg("pull");
    cmd
}

/// `rolegraph` with `key` as the API key and nothing else of the
/// environment that could steer a command that talks to the deployment.
pub fn live_command(key: Option<&str>) -> Command {
    let mut cmd = Command::cargo_bin("rolegraph").unwrap();
    cmd.env("NO_COLOR", "1");
    for var in [
        "ADAPTIVE_URL",
        "ADAPTIVE_API_KEY",
        "ADAPTIVE_TIMEOUT",
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        cmd.env_remove(var);
    }
    if let Some(key) = key {
        cmd.env("ADAPTIVE_API_KEY", key);
    }
    cmd
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains(standin::KEY), "{stderr}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn pull_writes_the_state_file_to_stdout() {
    let s = Standin::start(&standin::sample());
    let out = stdout_of(pull(Some(standin::KEY)).args(["--url", s.url()]));
    assert_eq!(out, standin::SAMPLE);
}

#[test]
fn pull_reads_the_url_from_adaptive_url() {
    let s = Standin::start(&standin::sample());
    let out = stdout_of(pull(Some(standin::KEY)).env("ADAPTIVE_URL", s.url()));
    assert_eq!(out, standin::SAMPLE);
}

#[test]
fn the_url_flag_wins_over_adaptive_url() {
    let s = Standin::start(&standin::sample());
    let out = stdout_of(
        pull(Some(standin::KEY))
            .env("ADAPTIVE_URL", "http://127.0.0.1:9")
            .args(["--url", s.url()]),
    );
    assert_eq!(out, standin::SAMPLE);
}

#[test]
fn a_path_prefix_in_the_url_is_kept() {
    let s = Standin::start_at(&standin::sample(), "/adaptive");
    let url = format!("{}/", s.url());
    let out = stdout_of(pull(Some(standin::KEY)).args(["--url", &url]));
    assert_eq!(out, standin::SAMPLE);
}

#[test]
fn pull_writes_a_file_and_nothing_else() {
    let s = Standin::start(&standin::sample());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json");
    std::fs::write(&file, "old").unwrap();
    let out = stdout_of(
        pull(Some(standin::KEY))
            .args(["--url", s.url(), "-o"])
            .arg(&file),
    );
    assert_eq!(out, "");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), standin::SAMPLE);
    assert_eq!(entries(dir.path()), vec!["state.json"]);
}

#[test]
fn pull_is_deterministic_and_reads_back_as_a_state_file() {
    let s = Standin::start(&standin::sample());
    let a = stdout_of(pull(Some(standin::KEY)).args(["--url", s.url()]));
    let b = stdout_of(pull(Some(standin::KEY)).args(["--url", s.url()]));
    assert_eq!(a, b);
    let state = rolegraph::adaptive::State::from_json(a.as_bytes()).unwrap();
    assert_eq!(state, standin::sample());
}

#[test]
fn emails_are_written_lower_case() {
    let s = Standin::start(&standin::sample());
    let c = Connection::new(s.url(), standin::KEY).unwrap();
    let ops = [Operation::CreateUser {
        email: "Dana.Smith@Acme.COM".into(),
        name: "Dana".into(),
        teams: vec![TeamRole {
            team: "ml-team".into(),
            role: "read-only".into(),
        }],
    }];
    assert!(c.execute(&ops, 50, &mut |_| {}).is_complete());
    let out = stdout_of(pull(Some(standin::KEY)).args(["--url", s.url()]));
    assert!(out.contains("\"dana.smith@acme.com\": {"), "{out}");
    assert!(!out.contains("Dana.Smith"), "{out}");
}

#[test]
fn read_gives_the_state_and_the_keys_own_user() {
    let s = Standin::start(&standin::sample());
    let c = Connection::new(s.url(), standin::KEY).unwrap();
    let live = c.read().unwrap();
    assert_eq!(live.state, standin::sample());
    assert_eq!(live.me, None);
    s.set_me(Some("Alice@acme.com"));
    let live = c.read().unwrap();
    assert_eq!(live.me.as_deref(), Some("alice@acme.com"));
    // Six queries: Me, ListUsers, ListProjects, ListPermissions, ListRoles, ListTeams.
    assert_eq!(s.requests(), 12);
}

#[test]
fn the_key_is_never_a_flag() {
    let out = pull(None)
        .args(["--url", "http://127.0.0.1:9", "--api-key", "sk-123"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The names in a directory, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
