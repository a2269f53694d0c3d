//! The editor's end of the connection: LSP messages framed on stdin and
//! stdout (`Content-Length: N`, a blank line, N bytes of JSON).
//!
//! In: bytes on stdin. Out: [`Message`]s on an unbounded channel, and the
//! server's messages written to stdout. A reader thread reads stdin as fast
//! as it arrives, so a burst of edits waits in the channel and the server
//! analyses it once (`lsp-server`'s own stdio transport hands messages over
//! one at a time, so the server never saw a backlog). A message that is not
//! JSON, not UTF-8 or not a JSON-RPC message gets an error answer (`id`
//! `null`: -32700 parse error, -32600 invalid request) and the reader goes
//! on; a broken header ends the connection, since the next message's start
//! is unknown. Every message is written whole under stdout's lock, so the
//! reader's error answers and the writer's messages never interleave.

use std::io::{self, BufRead, Read, Write};
use std::thread::JoinHandle;

use crossbeam_channel::{unbounded, Sender};
use lsp_server::{Connection, ErrorCode, Message};
use serde_json::Value;

use crate::source::MAX_FILE_BYTES;

/// The largest message read, in bytes: a policy file's limit (256 MiB).
pub const MAX_MESSAGE_BYTES: u64 = MAX_FILE_BYTES;

/// The longest header line read, in bytes.
const MAX_HEADER_LINE: u64 = 8 * 1024;

/// The threads that read stdin and write stdout.
pub struct IoThreads {
    reader: JoinHandle<Result<(), String>>,
    writer: JoinHandle<io::Result<()>>,
}

impl IoThreads {
    /// Waits for the writer to write every message sent (every sender of
    /// the connection must be gone), then says why the reader stopped, if
    /// it stopped: an `Err` is a broken input.
    pub fn join(self) -> Result<(), String> {
        let written = self.writer.join();
        // The server stops after the reader passed on `exit`, or after its
        // channel closed: the reader returns right after either, but may
        // not have been marked finished yet (a broken header would then be
        // missed, and the exit code be 1 instead of 2). A reader that does
        // not finish is blocked on stdin, which the process's exit closes.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while !self.reader.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        if !self.reader.is_finished() {
            return Ok(());
        }
        let read = self
            .reader
            .join()
            .map_err(|panic| super::server::panic_message(&*panic))?;
        read?;
        match written {
            Ok(Ok(())) => Ok(()),
            // The editor closed its end first: nothing left to tell it.
            Ok(Err(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            Ok(Err(e)) => Err(format!("cannot write to standard output: {e}")),
            Err(panic) => Err(super::server::panic_message(&*panic)),
        }
    }
}

/// A connection on stdin and stdout.
pub fn stdio() -> Result<(Connection, IoThreads), String> {
    let (to_server, receiver) = unbounded::<Message>();
    let (sender, to_editor) = unbounded::<Message>();
    let spawn_error = |e: io::Error| format!("cannot start a thread: {e}");
    let writer = std::thread::Builder::new()
        .name("lsp-writer".to_string())
        .spawn(move || {
            for message in to_editor {
                let mut out = io::stdout().lock();
                message.write(&mut out)?;
            }
            Ok(())
        })
        .map_err(spawn_error)?;
    let reader = std::thread::Builder::new()
        .name("lsp-reader".to_string())
        .spawn(move || {
            let mut input = io::stdin().lock();
            read_messages(&mut input, &to_server, &mut |reply| {
                let mut out = io::stdout().lock();
                // A reader that cannot answer still reads: the editor's
                // next message may be fine.
                let _ = write_raw(&mut out, reply);
            })
        })
        .map_err(spawn_error)?;
    Ok((
        Connection { sender, receiver },
        IoThreads { reader, writer },
    ))
}

/// Reads messages until the input ends, an `exit` notification, or a broken
/// header (`Err`, saying what is wrong). Each well-framed message that is
/// not a JSON-RPC message is answered through `reply` and skipped.
pub fn read_messages(
    input: &mut impl BufRead,
    messages: &Sender<Message>,
    reply: &mut impl FnMut(&Value),
) -> Result<(), String> {
    loop {
        let body = match read_frame(input)? {
            Frame::End => return Ok(()),
            Frame::Body(body) => body,
            Frame::TooLarge(length) => {
                let message = format!(
                    "a message of {length} bytes is over the limit of {} MiB",
                    MAX_MESSAGE_BYTES >> 20
                );
                reply(&refusal(ErrorCode::InvalidRequest, &message, Value::Null));
                continue;
            }
        };
        match decode(&body) {
            Ok(message) => {
                let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
                if messages.send(message).is_err() || exit {
                    return Ok(());
                }
            }
            Err(Refused { code, message, id }) => {
                eprintln!("rolegraph lsp: {message}");
                reply(&refusal(code, &message, id));
            }
        }
    }
}

enum Frame {
    Body(Vec<u8>),
    /// A message over [`MAX_MESSAGE_BYTES`], skipped.
    TooLarge(u64),
    End,
}

/// One message's body; `End` when the input ends between messages.
fn read_frame(input: &mut impl BufRead) -> Result<Frame, String> {
    let mut length: Option<u64> = None;
    let mut headers = 0;
    loop {
        let mut line = Vec::new();
        input
            .by_ref()
            .take(MAX_HEADER_LINE)
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        if line.is_empty() && headers == 0 {
            return Ok(Frame::End);
        }
        if line.last() != Some(&b'\n') {
            return Err(if line.len() as u64 >= MAX_HEADER_LINE {
                format!("a header line is longer than {MAX_HEADER_LINE} bytes")
            } else {
                "the input ended inside a message's header".to_string()
            });
        }
        let line = line.strip_suffix(b"\n").unwrap_or(&line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            if headers == 0 {
                continue; // a stray line break between messages
            }
            break;
        }
        headers += 1;
        let line =
            std::str::from_utf8(line).map_err(|_| "a header line is not UTF-8 text".to_string())?;
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("malformed header `{}`", shown(line)))?;
        if name.trim().eq_ignore_ascii_case("content-length") {
            let value = value.trim();
            let n = value.parse::<u64>().map_err(|_| {
                format!(
                    "`Content-Length` is not a number of bytes: `{}`",
                    shown(value)
                )
            })?;
            length = Some(n);
        }
    }
    let length = length.ok_or("a message has no `Content-Length` header")?;
    let mut body = input.by_ref().take(length);
    if length > MAX_MESSAGE_BYTES {
        io::copy(&mut body, &mut io::sink())
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        return Ok(Frame::TooLarge(length));
    }
    // Read as it arrives, not allocated up front from the header's word.
    let mut bytes = Vec::new();
    body.read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    if (bytes.len() as u64) < length {
        return Err(format!(
            "the input ended inside a message ({} of {length} bytes)",
            bytes.len()
        ));
    }
    Ok(Frame::Body(bytes))
}

/// A header's text as shown in a message: escaped, at most 60 characters.
fn shown(text: &str) -> String {
    let escaped: String = text.escape_debug().collect();
    match escaped.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &escaped[..at]),
        None => escaped,
    }
}

/// Why a body is not a message, and the id to answer (when the message
/// had one that can be answered).
#[derive(Debug)]
struct Refused {
    code: ErrorCode,
    message: String,
    id: Value,
}

/// A body as a message: a JSON object that is a request (a `method` and an
/// integer or string `id`), a notification (a `method`, no `id`) or a
/// response (an `id`, no `method`).
fn decode(body: &[u8]) -> Result<Message, Refused> {
    let refused = |code, message: String, id| Refused { code, message, id };
    let text = std::str::from_utf8(body).map_err(|e| {
        let at = e.valid_up_to();
        let message = format!("a message is not UTF-8 (first bad byte at offset {at})");
        refused(ErrorCode::ParseError, message, Value::Null)
    })?;
    // Into a `Value` first: strict JSON (a lone surrogate escape such as
    // `\ud800` is refused), whatever the message's shape.
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let message = format!("a message is not JSON: {e}");
        refused(ErrorCode::ParseError, message, Value::Null)
    })?;
    let Value::Object(object) = &value else {
        let message = "a message must be a JSON object (batches are not part of LSP)";
        return Err(refused(
            ErrorCode::InvalidRequest,
            message.to_string(),
            Value::Null,
        ));
    };
    let id = object.get("id");
    let valid_id = match id {
        Some(Value::String(_)) => true,
        Some(Value::Number(n)) => n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        _ => false,
    };
    let answer_id = if valid_id {
        id.cloned().unwrap_or_default()
    } else {
        Value::Null
    };
    let Some(method) = object.get("method") else {
        // A response to one of the server's requests: one it cannot match
        // to a request is dropped.
        return serde_json::from_value::<lsp_server::Response>(value)
            .map(Message::Response)
            .map_err(|e| {
                let message = format!("a response that is not one: {e}");
                refused(ErrorCode::InvalidRequest, message, Value::Null)
            });
    };
    if !method.is_string() {
        let message = "a message's `method` must be a string".to_string();
        return Err(refused(ErrorCode::InvalidRequest, message, answer_id));
    }
    match id {
        None => serde_json::from_value(value).map(Message::Notification),
        Some(_) if !valid_id => {
            let message = match id {
                Some(Value::Number(n)) if n.is_i64() || n.is_u64() => {
                    format!("request id `{n}` is beyond 32 bits")
                }
                Some(other) => {
                    format!("a request's id must be an integer or a string, not `{other}`")
                }
                None => String::new(),
            };
            return Err(refused(ErrorCode::InvalidRequest, message, Value::Null));
        }
        Some(_) => serde_json::from_value(value).map(Message::Request),
    }
    .map_err(|e| {
        let message = format!("not a JSON-RPC message: {e}");
        refused(ErrorCode::InvalidRequest, message, answer_id)
    })
}

/// An error answer with a raw id (`null` when the message had none that
/// can be answered).
fn refusal(code: ErrorCode, message: &str, id: Value) -> Value {
    serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": code as i32, "message": message},
    })
}

/// Writes one JSON value as a framed message, and flushes.
fn write_raw(out: &mut impl Write, value: &Value) -> io::Result<()> {
    let text = value.to_string();
    write!(out, "Content-Length: {}\r\n\r\n{text}", text.len())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn framed(body: &[u8]) -> Vec<u8> {
        let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        out.extend_from_slice(body);
        out
    }

    /// What the reader makes of an input: the messages, the replies, and
    /// how it ended.
    fn read(input: &[u8]) -> (Vec<Message>, Vec<Value>, Result<(), String>) {
        let (send, receive) = unbounded();
        let mut replies = Vec::new();
        let ended = read_messages(&mut &input[..], &send, &mut |r| replies.push(r.clone()));
        (receive.try_iter().collect(), replies, ended)
    }

    #[test]
    fn bad_bodies_are_answered_and_reading_goes_on() {
        let mut input = Vec::new();
        for body in [
            &b"{not json"[..],
            b"\xff\xfe{}",
            br#"{"jsonrpc":"2.0","method":"m","params":{"x":"\ud800"}}"#,
            br#"{"jsonrpc":"2.0","id":null,"method":"m"}"#,
            br#"{"jsonrpc":"2.0","id":1.5,"method":"m"}"#,
            br#"{"jsonrpc":"2.0","id":true,"method":"m"}"#,
            br#"[1]"#,
            br#"{"jsonrpc":"2.0","id":7,"method":"ok"}"#,
        ] {
            input.extend(framed(body));
        }
        let (messages, replies, ended) = read(&input);
        assert_eq!(ended, Ok(()));
        let codes: Vec<i64> = replies
            .iter()
            .map(|r| r["error"]["code"].as_i64().unwrap())
            .collect();
        assert_eq!(
            codes,
            [-32700, -32700, -32700, -32600, -32600, -32600, -32600]
        );
        assert!(replies.iter().all(|r| r["id"].is_null()));
        assert!(matches!(&messages[..], [Message::Request(r)] if r.method == "ok"));
    }

    #[test]
    fn broken_headers_end_the_connection_with_a_reason() {
        for (input, why) in [
            (&b"Content-Type: x\r\n\r\n{}"[..], "no `Content-Length`"),
            (b"Content-Length: lots\r\n\r\n{}", "not a number"),
            (b"Content-Length: 10\r\n\r\n{}", "ended inside a message"),
            (b"Content-Length: 10", "ended inside a message's header"),
        ] {
            let (_, _, ended) = read(input);
            let error = ended.unwrap_err();
            assert!(error.contains(why), "{error}");
        }
    }

    #[test]
    fn a_huge_length_is_skipped_not_allocated() {
        let mut input = format!("Content-Length: {}\r\n\r\n", u64::MAX).into_bytes();
        input.extend(b"short");
        let (messages, replies, ended) = read(&input);
        assert_eq!(ended, Ok(()));
        assert!(messages.is_empty());
        assert_eq!(replies[0]["error"]["code"], -32600);
    }

    #[test]
    fn reading_stops_after_exit() {
        let mut input = framed(br#"{"jsonrpc":"2.0","method":"exit"}"#);
        input.extend(framed(b"{not json"));
        let (messages, replies, _) = read(&input);
        assert_eq!(messages.len(), 1);
        assert!(replies.is_empty());
    }
}
