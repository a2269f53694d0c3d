//! Answering `can --batch` lines: one JSON question in, one JSON answer line
//! out. The CLI's `can --batch` and the decision service (`serve`) share this
//! one path, so that both give the same bytes for the same question.
//!
//! In: a [`Policy`] and one line of bytes. Out: `{"decision":…}` and a newline
//! appended to a buffer, or nothing for a blank line.
//!
//! A question is a JSON object with the keys `user`, `permission`, `scope`
//! and `to` and no other; anything else — an unknown key (`"scop"`), a
//! repeated one, a wrong type, an array, a line over [`MAX_LINE_BYTES`] — is
//! an `error` answer that names the problem, never an answer at `global`.
//! A line of nothing but whitespace is skipped, with no answer.

use std::borrow::Cow;
use std::io::BufRead;

use serde::{Deserialize, Serialize};

use crate::compile::Subject;
use crate::Policy;

/// The longest question line read, in bytes, its line ending not counted
/// (64 KiB: a question is a few hundred bytes). A longer line is an `error`
/// answer; a reader keeps at most this much of it (see [`read_line`]).
pub const MAX_LINE_BYTES: usize = 64 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchQuery<'a> {
    #[serde(borrow)]
    user: Option<Cow<'a, str>>,
    #[serde(borrow)]
    permission: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    scope: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    to: Option<Cow<'a, str>>,
}

#[derive(Serialize)]
struct BatchError<'a> {
    decision: &'static str,
    error: &'a str,
}

/// The JSON answer of `can` and of a batch line, one line; SPEC §2: every
/// answer about a new login says so.
pub fn decision_line(allowed: bool, new_login: bool) -> &'static str {
    match (allowed, new_login) {
        (true, false) => "{\"decision\":\"allow\"}\n",
        (false, false) => "{\"decision\":\"deny\"}\n",
        (true, true) => "{\"decision\":\"allow\",\"new_login\":true}\n",
        (false, true) => "{\"decision\":\"deny\",\"new_login\":true}\n",
    }
}

/// Appends the answer to one question (a trimmed, non-blank line) to `out`.
/// A malformed question is an `error` answer, never an allow.
fn answer_question(policy: &Policy, line: &str, out: &mut Vec<u8>) {
    // A struct also deserializes from a JSON array (`["a@x.io","p:q"]`):
    // only an object is a question.
    let object = if line.starts_with('{') {
        Ok(line)
    } else {
        Err(
            "invalid query line: a question is a JSON object `{\"user\":…,\"permission\":…,\"scope\":…,\"to\":…}`"
                .to_string(),
        )
    };
    let result = object
        .and_then(|line| {
            serde_json::from_str::<BatchQuery>(line).map_err(|e| format!("invalid query line: {e}"))
        })
        .and_then(|q| match (q.user, q.permission) {
            (Some(user), Some(permission)) => policy
                .query(&user, &permission, q.scope.as_deref(), q.to.as_deref())
                .map_err(|e| e.to_string()),
            (None, _) => Err("the query has no `user`".to_string()),
            (_, None) => Err("the query has no `permission`".to_string()),
        });
    match result {
        Ok(q) => {
            let new_login = q.subject == Subject::NewLogin;
            out.extend_from_slice(decision_line(policy.check(&q), new_login).as_bytes());
        }
        Err(error) => {
            let line = serde_json::to_string(&BatchError {
                decision: "error",
                error: &error,
            })
            .unwrap_or_default();
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
    }
}

/// Appends the answer line to one raw input line to `out`; a blank line gets
/// no answer (returns `false`). A line over [`MAX_LINE_BYTES`] (or the first
/// `MAX_LINE_BYTES + 1` bytes of one, as [`read_line`] keeps them) is an
/// `error` answer.
pub fn answer_line(policy: &Policy, line: &[u8], out: &mut Vec<u8>) -> bool {
    let content = line.strip_suffix(b"\n").unwrap_or(line);
    let content = content.strip_suffix(b"\r").unwrap_or(content);
    if content.len() > MAX_LINE_BYTES {
        let error = format!(
            "{{\"decision\":\"error\",\"error\":\"the line is longer than {MAX_LINE_BYTES} bytes: not read\"}}\n"
        );
        out.extend_from_slice(error.as_bytes());
        return true;
    }
    let line = match std::str::from_utf8(line) {
        Ok(s) => s.trim(),
        Err(_) => {
            out.extend_from_slice(
                b"{\"decision\":\"error\",\"error\":\"the line is not valid UTF-8\"}\n",
            );
            return true;
        }
    };
    if line.is_empty() {
        return false;
    }
    answer_question(policy, line, out);
    true
}

/// Answers raw lines into `out` (cleared first), one answer per non-blank line.
pub fn answer_lines(policy: &Policy, lines: &[Vec<u8>], out: &mut Vec<u8>) {
    out.clear();
    for line in lines {
        answer_line(policy, line, out);
    }
}

/// What [`read_line`] read.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// The end of the input: nothing was read.
    End,
    /// A whole line, with its newline unless it was the last.
    Whole,
    /// A line over [`MAX_LINE_BYTES`]: its first `MAX_LINE_BYTES + 1` bytes
    /// are kept (so that [`answer_line`] answers `error`), the rest is still
    /// to be skipped (`BufRead::skip_until(b'\n')`) — after answering, since
    /// the rest may never end (`/dev/zero`).
    TooLong,
}

/// Reads one line into `buf` (cleared first), keeping at most
/// `MAX_LINE_BYTES + 1` bytes of it plus a line ending, so that no line,
/// however long, takes more memory than that.
pub fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<Line> {
    // Room for the content, a `\r` and the newline.
    const KEEP: usize = MAX_LINE_BYTES + 2;
    buf.clear();
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(if buf.is_empty() {
                Line::End
            } else {
                Line::Whole
            });
        }
        let (take, whole) = match memchr::memchr(b'\n', available) {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        let room = KEEP - buf.len();
        if take > room {
            // Even a `\r\n` ending leaves more than the limit: too long.
            buf.extend_from_slice(&available[..room]);
            reader.consume(room);
            buf.truncate(MAX_LINE_BYTES + 1);
            return Ok(Line::TooLong);
        }
        buf.extend_from_slice(&available[..take]);
        reader.consume(take);
        if whole {
            return Ok(Line::Whole);
        }
    }
}
