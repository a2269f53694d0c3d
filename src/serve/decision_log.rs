//! `--decision-log FILE`: one JSON line per decision, written by a thread of
//! its own so that a slow disk never slows a decision.
//!
//! A request hands over what it already has (the body it was sent, the
//! answers it wrote) through a queue bounded in lines; the writer splits
//! them into questions and answers and writes
//! `{"time","endpoint","request_id"?,"question",…the answer…}` lines, the
//! answer being the `/v1/check` answer (`decision`, `error`, `new_login`,
//! `decision_id`, `policy_digest`). When the queue is full the lines are
//! dropped and counted (`rolegraph_decision_log_dropped_total`).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use prometheus_client::metrics::counter::Counter;

use super::log;

/// The decisions of one request.
pub enum Entries {
    /// A `/v1/check/batch` body, where each question answered lies in it,
    /// and the answers as lines, in the same order.
    Batch {
        body: Bytes,
        questions: Vec<Range<usize>>,
        answers: Bytes,
    },
    /// One question as it came (`/v1/check`) and its answer line.
    One { question: Bytes, answer: Bytes },
    /// Questions already in JSON, each with its answer line.
    Pairs(Vec<(String, Vec<u8>)>),
}

pub struct Record {
    pub time: SystemTime,
    pub endpoint: &'static str,
    /// The client's `X-Request-ID`, if it sent one.
    pub request_id: Option<String>,
    /// How many lines the record makes.
    pub lines: usize,
    pub entries: Entries,
}

enum Message {
    Record(Record),
    Close,
}

pub struct DecisionLog {
    tx: Sender<Message>,
    pending: Arc<AtomicUsize>,
    capacity: usize,
    dropped: Counter,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl DecisionLog {
    /// Opens `path` for appending (a FIFO is opened by the writer thread, as
    /// opening it waits for a reader).
    pub fn open(path: &Path, capacity: usize, dropped: Counter) -> std::io::Result<DecisionLog> {
        let file = if is_fifo(path) {
            None
        } else {
            Some(append(path)?)
        };
        let (tx, rx) = mpsc::channel();
        let pending = Arc::new(AtomicUsize::new(0));
        let writer = {
            let pending = pending.clone();
            let path = path.to_path_buf();
            std::thread::Builder::new()
                .name("rolegraph-decision-log".into())
                .spawn(move || {
                    let file = match file {
                        Some(f) => f,
                        None => match append(&path) {
                            Ok(f) => f,
                            Err(e) => {
                                log(format_args!(
                                    "cannot open the decision log `{}`: {e}",
                                    path.display()
                                ));
                                return;
                            }
                        },
                    };
                    write_loop(rx, file, &pending);
                })?
        };
        Ok(DecisionLog {
            tx,
            pending,
            capacity,
            dropped,
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Queues the record, or drops and counts its lines when the queue is
    /// full. Never waits.
    pub fn send(&self, record: Record) {
        let n = record.lines;
        if n == 0 {
            return;
        }
        let before = self.pending.fetch_add(n, Ordering::Relaxed);
        if before + n > self.capacity || self.tx.send(Message::Record(record)).is_err() {
            self.pending.fetch_sub(n, Ordering::Relaxed);
            self.dropped.inc_by(n as u64);
        }
    }

    /// Writes out what is queued and stops the writer (waiting at most a
    /// few seconds for a stuck disk).
    pub fn close(&self) {
        let _ = self.tx.send(Message::Close);
        let handle = self
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while !handle.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if handle.is_finished() {
                let _ = handle.join();
            }
        }
    }
}

fn is_fifo(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

fn append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

fn write_loop(rx: Receiver<Message>, file: File, pending: &AtomicUsize) {
    let mut out = BufWriter::with_capacity(1 << 16, file);
    let mut line = Vec::with_capacity(512);
    let mut failed = false;
    loop {
        // Flush only when the queue is empty, so a burst is written in big
        // blocks and a quiet service's log is up to date.
        let message = match rx.try_recv() {
            Ok(m) => m,
            Err(mpsc::TryRecvError::Empty) => {
                let _ = out.flush();
                match rx.recv() {
                    Ok(m) => m,
                    Err(_) => break,
                }
            }
            Err(mpsc::TryRecvError::Disconnected) => break,
        };
        let record = match message {
            Message::Record(r) => r,
            Message::Close => break,
        };
        let n = record.lines;
        let result = write_record(&record, &mut line, &mut out);
        pending.fetch_sub(n, Ordering::Relaxed);
        if let Err(e) = result {
            if !failed {
                log(format_args!("cannot write the decision log: {e}"));
                failed = true;
            }
        }
    }
    let _ = out.flush();
}

fn write_record(record: &Record, line: &mut Vec<u8>, out: &mut impl Write) -> std::io::Result<()> {
    let time = humantime::format_rfc3339_micros(record.time).to_string();
    let mut write = |question: &[u8], answer: &[u8]| -> std::io::Result<()> {
        line.clear();
        line.extend_from_slice(b"{\"time\":\"");
        line.extend_from_slice(time.as_bytes());
        line.extend_from_slice(b"\",\"endpoint\":\"");
        line.extend_from_slice(record.endpoint.as_bytes());
        line.extend_from_slice(b"\",");
        if let Some(id) = &record.request_id {
            line.extend_from_slice(b"\"request_id\":");
            let _ = serde_json::to_writer(&mut *line, id);
            line.push(b',');
        }
        line.extend_from_slice(b"\"question\":");
        question_json(question, line);
        // The answer is `{…}\n`: its members follow the question's.
        line.push(b',');
        line.extend_from_slice(answer.get(1..).unwrap_or_default());
        if line.last() != Some(&b'\n') {
            line.push(b'\n');
        }
        out.write_all(line)
    };
    match &record.entries {
        Entries::Batch {
            body,
            questions,
            answers,
        } => {
            let answers = answers.split(|&b| b == b'\n');
            for (at, a) in questions.iter().zip(answers) {
                write(body.get(at.clone()).unwrap_or_default(), a)?;
            }
            Ok(())
        }
        Entries::One { question, answer } => write(question, answer),
        Entries::Pairs(pairs) => {
            for (question, a) in pairs {
                write(question.as_bytes(), a)?;
            }
            Ok(())
        }
    }
}

/// The question as one line of JSON: compacted if it is JSON, else as a
/// string (a question that could not be read is logged as it came).
fn question_json(question: &[u8], line: &mut Vec<u8>) {
    let text = String::from_utf8_lossy(question);
    let text = text.trim();
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => {
            let _ = serde_json::to_writer(&mut *line, &value);
        }
        Err(_) => {
            let _ = serde_json::to_writer(&mut *line, text);
        }
    }
}
