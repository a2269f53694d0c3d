//! Running `rolegraph serve` for the `serve_*` tests: the real binary on a
//! loopback port the kernel picks (`--addr 127.0.0.1:0`), its address read
//! from its first log line, and a real HTTP client (`ureq`).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A generous bound for anything to happen (a slow, shared machine).
pub const PATIENCE: Duration = Duration::from_secs(60);

pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub addr: std::net::SocketAddr,
    log: Arc<Mutex<String>>,
    agent: ureq::Agent,
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(PATIENCE))
        .build()
        .into()
}

/// A status and a body.
pub type Answer = (u16, String);

impl Server {
    /// Starts the service on `policy` and waits until it is ready.
    pub fn start(policy: &Path, flags: &[&str]) -> Server {
        let server = Server::spawn(policy, flags);
        server.wait_ready();
        server
    }

    /// Starts the service and waits only until it listens.
    pub fn spawn(policy: &Path, flags: &[&str]) -> Server {
        Server::spawn_in(Path::new("."), policy, flags)
    }

    /// [`Server::start`] in the working directory `cwd` (where a relative
    /// `policy` is).
    pub fn start_in(cwd: &Path, policy: &Path, flags: &[&str]) -> Server {
        let server = Server::spawn_in(cwd, policy, flags);
        server.wait_ready();
        server
    }

    fn spawn_in(cwd: &Path, policy: &Path, flags: &[&str]) -> Server {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("rolegraph"))
            .current_dir(cwd)
            .arg("--policy")
            .arg(policy)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(flags)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start rolegraph serve");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut tx = Some(tx);
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if let Some(addr) = line.split("listening on http://").nth(1) {
                        if let Some(tx) = tx.take() {
                            let _ = tx.send(addr.trim().to_string());
                        }
                    }
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        let addr = match rx.recv_timeout(PATIENCE) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the server did not say where it listens:\n{}",
                    log.lock().unwrap()
                );
            }
        };
        Server {
            child,
            base: format!("http://{addr}"),
            addr: addr.parse().unwrap(),
            log,
            agent: agent(),
        }
    }

    pub fn wait_ready(&self) {
        self.wait_until("the server to be ready", || {
            self.get("/health/ready").0 == 200
        });
    }

    /// Polls `done` until it holds, or panics with the server's log.
    pub fn wait_until(&self, what: &str, mut done: impl FnMut() -> bool) {
        let start = Instant::now();
        while !done() {
            if start.elapsed() > PATIENCE {
                panic!(
                    "waited too long for {what}; the server's log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to end and returns its exit code.
    pub fn wait_exit(&mut self) -> Option<i32> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            if start.elapsed() > PATIENCE {
                panic!("the server did not stop; its log:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn get(&self, path: &str) -> Answer {
        self.get_with(path, &[])
    }

    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = self.agent.get(self.url(path));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        read(request.call())
    }

    pub fn post(&self, path: &str, body: &str) -> Answer {
        self.post_with(path, body, &[])
    }

    pub fn post_with(&self, path: &str, body: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = self.agent.post(self.url(path));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        read(request.send(body))
    }

    /// A JSON body as a value, with its status.
    pub fn post_json(&self, path: &str, body: &str) -> (u16, serde_json::Value) {
        let (status, text) = self.post(path, body);
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {text:?} (status {status})"));
        (status, value)
    }

    pub fn metric(&self, line_start: &str) -> f64 {
        let (_, text) = self.get("/metrics");
        text.lines()
            .find(|l| l.starts_with(line_start))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }
}

pub fn read(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    let mut response = result.expect("an HTTP answer");
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_string()
        .unwrap();
    (status, body)
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An answer line without its `decision_id` and `policy_digest`, and the
/// two, checked for shape: what `can --batch` prints for the question.
pub fn unstamp(line: &str) -> (String, String, String) {
    let at = line
        .rfind(",\"decision_id\":\"")
        .unwrap_or_else(|| panic!("no decision_id in {line:?}"));
    let rest = &line[at..];
    let v: serde_json::Value = serde_json::from_str(&format!("{{{}", &rest[1..])).unwrap();
    let id = v["decision_id"].as_str().unwrap().to_string();
    let digest = v["policy_digest"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );
    (format!("{}}}", &line[..at]), id, digest)
}

/// The `source_digest` of a policy, as `compile` writes it.
pub fn compiled_digest(policy: &Path) -> String {
    let out = crate::common::rolegraph(policy)
        .args(["compile"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["source_digest"].as_str().unwrap().to_string()
}

/// What `can --batch` prints for these lines.
pub fn can_batch(policy: &Path, input: &str) -> String {
    let out = crate::common::rolegraph(policy)
        .args(["can", "--batch", "-"])
        .write_stdin(input.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A small policy with every kind of question in it.
pub const SMALL: &str = r#"
auth {
  default_team default
  default_role reader
}
kind use_case
permission use_case:read  on use_case
permission use_case:share on use_case requires owner, target team
permission model:deploy   on global
permission team:manage    on team
role reader { grant use_case:read }
role owner  { grant use_case:*, team:manage }
role admin  { grant * }
team admin   { member boss@acme.com as admin }
team default { member dora@acme.com as reader }
team ml      { member ana@acme.com as owner }
team support { member ana@acme.com as reader }
use_case bot { share ml as owner owner }
"#;

/// Writes `text` as `org.policy` in a new directory.
pub fn policy_dir(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("org.policy"), text).unwrap();
    dir
}

/// Sends raw bytes on a new connection (a write the server cuts short is
/// not an error) and returns the status of the answer, if one came.
pub fn raw_status(addr: std::net::SocketAddr, request: &[u8]) -> Option<u16> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let _ = stream.write_all(request);
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    let line = String::from_utf8_lossy(&head);
    line.split(' ').nth(1).and_then(|s| s.parse().ok())
}
