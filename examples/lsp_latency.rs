//! How long an editor waits for diagnostics after a keystroke: drives
//! `rolegraph lsp` over stdio as an editor does and times each
//! `didChange` -> `publishDiagnostics` round trip (BENCHMARKS.md).
//!
//! ```text
//! cargo build --release
//! cargo run --release --example lsp_latency -- POLICY_DIR FILE [RUNS]
//! ```
//!
//! opens FILE (a file of the policy), then RUNS times (default 20) edits
//! one line of it, `as ROLE` -> `as OTHER` on the first `member` or `in` line and
//! back, so that every edit leaves a valid policy and runs the whole
//! pipeline: parse, resolve, lint, compile, the policy's tests, publish.
//! Then it types 20 keystrokes 50 ms apart and asks for a hover: how long
//! after the last keystroke the answer comes, and how many analyses the
//! burst cost.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn send(stdin: &mut ChildStdin, message: Value) {
    let body = message.to_string();
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    stdin.flush().unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(policy), Some(file)) = (args.first(), args.get(1)) else {
        eprintln!("usage: lsp_latency POLICY_DIR FILE [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = args.get(2).map_or(20, |n| n.parse().expect("a count"));
    let policy = Path::new(policy)
        .canonicalize()
        .expect("the policy directory");
    let file = Path::new(file).canonicalize().expect("the file");
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/rolegraph");
    let mut child = Command::new(&bin)
        .arg("--policy")
        .arg(&policy)
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(if std::env::var_os("ROLEGRAPH_LSP_TRACE").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("target/release/rolegraph: run `cargo build --release` first");
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<(Instant, Value)>();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        loop {
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                if line.trim().is_empty() {
                    break;
                }
                if let Some(n) = line.trim().strip_prefix("Content-Length: ") {
                    length = n.parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let _ = tx.send((Instant::now(), serde_json::from_slice(&body).unwrap()));
        }
    });
    let uri = format!("file://{}", file.display());
    let root = format!("file://{}", policy.parent().unwrap().display());
    let wait_for = |want: &dyn Fn(&Value) -> bool| -> Instant {
        loop {
            let (at, m) = rx
                .recv_timeout(Duration::from_secs(120))
                .expect("an answer");
            if want(&m) {
                return at;
            }
        }
    };
    let started = Instant::now();
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
               "params": {"processId": null, "rootUri": root, "capabilities": {}}}),
    );
    wait_for(&|m| m["id"] == 1);
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    );
    let text = std::fs::read_to_string(&file).unwrap();
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument":
            {"uri": uri, "languageId": "rolegraph", "version": 1, "text": text}}}),
    );
    let diagnostics_of = |version: i64| {
        let uri = uri.clone();
        move |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        }
    };
    let opened = wait_for(&diagnostics_of(1));
    println!(
        "start and first analysis: {:.1} ms",
        (opened - started).as_secs_f64() * 1e3
    );

    // The first `member … as ROLE` line, and another role to give.
    let (line_no, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| {
            let l = l.trim_start();
            (l.starts_with("member ") || l.starts_with("in "))
                && l.contains(" as ")
                && !l.contains("platform-admin")
        })
        .expect("a `member` or `in` line in FILE");
    let role_at = line.rfind(" as ").unwrap() + 4;
    let role_end = line[role_at..]
        .find(|c: char| c.is_whitespace())
        .map_or(line.len(), |i| role_at + i);
    let role = &line[role_at..role_end];
    let other = if role == "inference" {
        "read-only"
    } else {
        "inference"
    };
    let col = |byte: usize| line[..byte].encode_utf16().count();
    let pid = child.id();
    let cpu_before = cpu_ms(pid);
    let mut times = Vec::new();
    let mut current = role;
    for run in 0..runs {
        let next = if current == role { other } else { role };
        let version = run as i64 + 2;
        let edit = json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {
                "start": {"line": line_no, "character": col(role_at)},
                "end": {"line": line_no, "character": col(role_at) + current.encode_utf16().count()}
            }, "text": next}]}});
        let sent = Instant::now();
        send(&mut stdin, edit);
        let got = wait_for(&diagnostics_of(version));
        times.push((got - sent).as_secs_f64() * 1e3);
        current = next;
    }
    let cpu = cpu_ms(pid)
        .zip(cpu_before)
        .map(|(after, before)| (after - before) / runs as f64);
    times.sort_by(f64::total_cmp);
    println!(
        "didChange -> publishDiagnostics over {runs} one-line edits of {}: min {:.1} ms, median {:.1} ms, max {:.1} ms",
        file.display(),
        times[0],
        times[times.len() / 2],
        times[times.len() - 1]
    );
    if let Some(cpu) = cpu {
        println!("server CPU time (user + system, all threads) per edit: {cpu:.1} ms");
    }
    // A burst of typing: 20 keystrokes 50 ms apart (a `#` starting a
    // comment at the start of that line, then `x`s), then a hover. How long
    // after the last keystroke the hover is answered, and how many analyses
    // the burst cost (publications for the file).
    const KEYS: i64 = 20;
    let first = runs as i64 + 2;
    for i in 0..KEYS {
        let version = first + i;
        let key = if i == 0 { "#" } else { "x" };
        send(
            &mut stdin,
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": {
                    "start": {"line": line_no, "character": i},
                    "end": {"line": line_no, "character": i}
                }, "text": key}]}}),
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let last = first + KEYS - 1;
    let typed = Instant::now();
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": uri}, "position": {"line": line_no, "character": 0}}}),
    );
    let (mut published, mut hovered, mut settled) = (0, None, false);
    while hovered.is_none() || !settled {
        let (at, m) = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("an answer");
        if m["id"] == 3 {
            hovered = Some(at);
        } else if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
            published += 1;
            settled |= m["params"]["version"] == last;
        }
    }
    if let Some(at) = hovered {
        println!(
            "{KEYS} keystrokes 50 ms apart, then a hover: answered {:.1} ms after the last keystroke; {published} publication(s) for the file",
            (at - typed).as_secs_f64() * 1e3
        );
    }
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}),
    );
    wait_for(&|m| m["id"] == 2);
    send(&mut stdin, json!({"jsonrpc": "2.0", "method": "exit"}));
    let _ = child.wait();
}

/// The CPU time a process has used so far (Linux `/proc`), in ms.
fn cpu_ms(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name in parentheses: state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks * 10.0) // USER_HZ is 100 on Linux
}
