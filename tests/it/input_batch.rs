//! `can --batch` input (issues 13 and 14): a question is an object with the
//! four known keys and nothing else, a line has a length limit that holds
//! however long the line and memory stays bounded, and every complete line is
//! answered without waiting for more input.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use rolegraph::eval::batch::MAX_LINE_BYTES;
use serde_json::Value;

use crate::common::{rolegraph, POLICIES};

/// Generous: only a hang misses it.
const PATIENCE: Duration = Duration::from_secs(60);

fn batch(input: &str) -> Vec<Value> {
    let out = rolegraph(Path::new(POLICIES))
        .args(["can", "--batch", "-"])
        .write_stdin(input)
        .timeout(PATIENCE)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn error_of(answer: &Value) -> &str {
    assert_eq!(answer["decision"], "error", "{answer}");
    answer["error"].as_str().unwrap()
}

const ALLOW: &str =
    r#"{"user":"maria@acme.com","permission":"use_case:read","scope":"use_case/fraud-detector"}"#;

/// Issue 13, finding 11: `"scop"` was ignored and the question answered at
/// `global`. An unknown key is an error naming it, and so is a repeated key.
#[test]
fn unknown_and_repeated_keys_are_errors() {
    let answers = batch(concat!(
        r#"{"user":"alice@acme.com","permission":"model:manage_models","scop":"team/ml-team"}"#,
        "\n",
        r#"{"user":"alice@acme.com","permission":"model:manage_models","user":"bob@acme.com"}"#,
        "\n",
        r#"{"user":"alice@acme.com","permission":"model:manage_models","scope":null}"#,
        "\n",
    ));
    assert_eq!(answers.len(), 3);
    assert!(error_of(&answers[0]).contains("unknown field `scop`"));
    assert!(error_of(&answers[1]).contains("duplicate field `user`"));
    assert_eq!(answers[2]["decision"], "allow");
}

/// A JSON array (or any value but an object) is not a question, though a
/// struct would deserialize from an array in key order.
#[test]
fn only_an_object_is_a_question() {
    let answers = batch(concat!(
        r#"["alice@acme.com","model:manage_models"]"#,
        "\n\"alice@acme.com\"\n42\nnull\ntrue\n"
    ));
    assert_eq!(answers.len(), 5);
    for answer in &answers {
        assert!(error_of(answer).contains("JSON object"), "{answer}");
    }
}

/// Blank lines (empty, or only whitespace, `\r\n` included) get no answer.
#[test]
fn blank_lines_are_skipped() {
    let answers = batch(&format!("\n{ALLOW}\n   \n\t\r\n\r\n{ALLOW}\r\n\n"));
    assert_eq!(answers.len(), 2);
    assert!(answers.iter().all(|a| a["decision"] == "allow"));
}

/// A line over the limit is an error answer and the batch goes on; a line
/// exactly at the limit is read.
#[test]
fn an_over_long_line_is_an_error_and_the_batch_goes_on() {
    let long = format!("{{\"user\":\"{}\"}}", "x".repeat(MAX_LINE_BYTES));
    let at_limit = format!("{ALLOW}{}", " ".repeat(MAX_LINE_BYTES - ALLOW.len()));
    assert_eq!(at_limit.len(), MAX_LINE_BYTES);
    let answers = batch(&format!("{long}\n{ALLOW}\n{at_limit}\r\n{long}"));
    assert_eq!(answers.len(), 4);
    assert!(error_of(&answers[0]).contains("longer than 65536 bytes"));
    assert_eq!(answers[1]["decision"], "allow");
    assert_eq!(answers[2]["decision"], "allow");
    assert!(error_of(&answers[3]).contains("longer than"));
}

/// `can --batch -` as a child, with its answers read line by line on a
/// thread (so that a missing answer is a timeout, not a hang).
struct Batch {
    child: Child,
    answers: mpsc::Receiver<String>,
}

impl Batch {
    fn start(input: &str) -> Batch {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("rolegraph"))
            .args(["--policy", POLICIES, "can", "--batch", input])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Batch { child, answers }
    }

    fn write(&mut self, bytes: &[u8]) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    fn answer(&self) -> Value {
        let line = self
            .answers
            .recv_timeout(PATIENCE)
            .expect("an answer without waiting for more input");
        serde_json::from_str(&line).unwrap()
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Issue 14, finding 8: when the start of the next line arrived in the same
/// read as a whole line, the whole line's answer waited for the rest.
#[test]
fn a_line_is_answered_while_the_next_is_still_coming() {
    let mut batch = Batch::start("-");
    batch.write(format!("{ALLOW}\n{{\"user\":\"carol@").as_bytes());
    assert_eq!(batch.answer()["decision"], "allow");
    batch.write(b"acme.com\",\"permission\":\"model:manage_models\"}\n");
    assert_eq!(batch.answer()["decision"], "deny");
    batch.write(format!("{ALLOW}\n").as_bytes());
    assert_eq!(batch.answer()["decision"], "allow");
}

/// Issue 14, finding 5: a 1 GB line took 1 GB. Now a line is kept only up to
/// the limit: streaming 200 MB of one line leaves the peak memory of the
/// process far below that.
#[cfg(target_os = "linux")]
#[test]
fn a_huge_line_takes_bounded_memory() {
    let mut batch = Batch::start("-");
    let chunk = vec![b'x'; 1 << 20];
    batch.write(b"{\"user\":\"");
    // The answer comes once the limit is passed, before the line ends.
    batch.write(&chunk);
    assert!(error_of(&batch.answer()).contains("longer than"));
    for _ in 0..200 {
        batch.write(&chunk);
    }
    batch.write(format!("\n{ALLOW}\n").as_bytes());
    assert_eq!(batch.answer()["decision"], "allow");
    let status = std::fs::read_to_string(format!("/proc/{}/status", batch.child.id())).unwrap();
    let peak_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    assert!(peak_kb < 100 * 1024, "peak resident memory {peak_kb} kB");
}

/// `/dev/zero` as the batch file (one endless line without a newline) used
/// to abort when memory ran out. It is answered as one over-long line, at
/// once, and read on in bounded memory until stopped.
#[cfg(unix)]
#[test]
fn dev_zero_as_the_batch_file_is_one_over_long_line() {
    let batch = Batch::start("/dev/zero");
    assert!(error_of(&batch.answer()).contains("longer than"));
}
