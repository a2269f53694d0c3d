//! Answering `can --batch` lines: one JSON question in, one JSON answer line
//! out. The CLI's `can --batch` and the decision service (`serve`) share this
//! one path, so that both give the same bytes for the same question.
//!
//! In: a [`Policy`] and one line of bytes. Out: `{"decision":…}` and a newline
//! appended to a buffer, or nothing for a blank line.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::compile::Subject;
use crate::Policy;

#[derive(Deserialize)]
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
    let result = serde_json::from_str::<BatchQuery>(line)
        .map_err(|e| format!("invalid query line: {e}"))
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
/// no answer (returns `false`).
pub fn answer_line(policy: &Policy, line: &[u8], out: &mut Vec<u8>) -> bool {
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
