//! A raw LSP connection to `rolegraph lsp` for the protocol tests: bytes in
//! as written (broken headers, bodies that are not JSON), framed messages
//! out, and the process's exit code and stderr at the end.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Instant;

use serde_json::{json, Value};

use crate::lsp_client::{messages, uri, PATIENCE};

pub struct Raw {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    stderr: Receiver<String>,
    /// Messages received while waiting for another.
    pub seen: Vec<Value>,
}

/// A message's bytes with its header.
pub fn framed(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

pub fn frame(message: &Value) -> Vec<u8> {
    framed(message.to_string().as_bytes())
}

pub fn request(id: i64, method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

pub fn notification(method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "method": method, "params": params})
}

/// The `initialize` request of an editor opened on `root`.
pub fn initialize(id: i64, root: &Path) -> Value {
    request(
        id,
        "initialize",
        json!({"processId": null, "rootUri": uri(root), "capabilities": {}}),
    )
}

impl Raw {
    /// Starts `rolegraph lsp` and sends nothing.
    pub fn start() -> Raw {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rolegraph"))
            .arg("lsp")
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let incoming = messages(stdout);
        let (send_err, stderr_text) = mpsc::channel();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            let _ = send_err.send(text);
        });
        Raw {
            stdin: child.stdin.take(),
            child,
            incoming,
            stderr: stderr_text,
            seen: Vec::new(),
        }
    }

    /// Writes bytes as they are, in one write.
    pub fn write(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    pub fn send(&mut self, message: &Value) {
        self.write(&frame(message));
    }

    /// Starts the server and does the whole handshake for `root`.
    pub fn initialized(root: &Path) -> Raw {
        let mut raw = Raw::start();
        raw.send(&initialize(1, root));
        let answer = raw.answer(1);
        assert!(answer.get("result").is_some(), "{answer}");
        raw.send(&notification("initialized", json!({})));
        raw
    }

    /// The next message that satisfies `want`, keeping the others.
    pub fn wait(&mut self, want: impl Fn(&Value) -> bool, what: &str) -> Value {
        if let Some(i) = self.seen.iter().position(&want) {
            return self.seen.remove(i);
        }
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(m) if want(&m) => return m,
                Ok(m) => self.seen.push(m),
                Err(RecvTimeoutError::Timeout) => panic!("no {what} in {PATIENCE:?}"),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!(
                        "the server exited waiting for {what}: {}",
                        self.stderr_now()
                    )
                }
            }
        }
    }

    /// The response with this id.
    pub fn answer(&mut self, id: i64) -> Value {
        self.wait(
            |m| m["id"] == json!(id) && m.get("method").is_none(),
            &format!("answer to {id}"),
        )
    }

    /// The next response with `id` null (the answer to a message the server
    /// could not read).
    pub fn null_answer(&mut self) -> Value {
        self.wait(
            |m| m.get("id") == Some(&Value::Null) && m.get("method").is_none(),
            "answer with id null",
        )
    }

    /// Closes stdin.
    pub fn close(&mut self) {
        self.stdin = None;
    }

    /// Waits for the process to end: its exit code and stderr.
    pub fn exit_code(mut self) -> (i32, String) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let stderr = self.stderr.recv_timeout(PATIENCE).unwrap_or_default();
                assert!(!stderr.contains("panicked"), "{stderr}");
                return (status.code().unwrap(), stderr);
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    fn stderr_now(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr.recv_timeout(PATIENCE).unwrap_or_default()
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
