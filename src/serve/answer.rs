//! `/v1/check` and `/v1/check/batch` answers: each question goes through
//! the library's `can --batch` path ([`crate::eval::batch::answer_line`]),
//! and its answer line gets the decision's id and the policy's digest
//! appended, so an answer is byte for byte what `can --batch` prints plus
//! `"decision_id"` and `"policy_digest"`.

use std::ops::Range;

use serde_json::value::RawValue;
use uuid::Uuid;

use super::metrics::Tally;
use super::state::Loaded;
use crate::eval::batch::answer_line;

/// How a batch's questions are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchFormat {
    /// A JSON array of questions (`application/json`).
    Array,
    /// One question per line (`application/x-ndjson`); blank lines are
    /// skipped, as `can --batch` skips them.
    Lines,
}

/// Why a batch body could not be read as questions.
pub fn not_an_array(e: &serde_json::Error) -> String {
    format!(
        "the body is not a JSON array of questions ({e}); send JSON lines with `Content-Type: application/x-ndjson`"
    )
}

/// Calls `f` with each line or array item of a batch body, in order, and
/// where it lies in the body. Lines are given whole (blank ones too:
/// [`answer_line`] skips those, by its own rule).
fn for_each_item(
    body: &[u8],
    format: BatchFormat,
    mut f: impl FnMut(&[u8], Range<usize>),
) -> Result<(), String> {
    match format {
        BatchFormat::Lines => {
            let mut start = 0;
            for line in body.split(|&b| b == b'\n') {
                let end = start + line.len();
                f(line, start..end);
                start = end + 1;
            }
        }
        BatchFormat::Array => {
            let items: Vec<&RawValue> =
                serde_json::from_slice(body).map_err(|e| not_an_array(&e))?;
            let base = body.as_ptr() as usize;
            for item in items {
                let text = item.get().as_bytes();
                // The item borrows from `body`: its offset is where it lies.
                let start = (text.as_ptr() as usize).saturating_sub(base);
                f(text, start..start + text.len());
            }
        }
    }
    Ok(())
}

/// Appends the stamped answer to one question to `out`; nothing for a
/// blank one (returns `false`).
pub fn answer(loaded: &Loaded, question: &[u8], out: &mut Vec<u8>, tally: &mut Tally) -> bool {
    let start = out.len();
    if !answer_line(&loaded.policy, question, out) {
        return false;
    }
    tally.count_line(&out[start..]);
    stamp(out, &loaded.digest);
    true
}

/// A batch answered: the answer lines (one per question, in order), the
/// tally, and where each answered question lies in the body (for the
/// decision log).
pub struct Answered {
    pub lines: Vec<u8>,
    pub tally: Tally,
    pub questions: Vec<Range<usize>>,
}

/// Answers every question of a batch body, all from the one policy given.
pub fn answer_batch(loaded: &Loaded, body: &[u8], format: BatchFormat) -> Result<Answered, String> {
    let mut answered = Answered {
        lines: Vec::with_capacity(body.len() + body.len() / 2 + 64),
        tally: Tally::default(),
        questions: Vec::new(),
    };
    for_each_item(body, format, |question, at| {
        if answer(loaded, question, &mut answered.lines, &mut answered.tally) {
            answered.questions.push(at);
        }
    })?;
    Ok(answered)
}

/// Answer lines as a JSON array: `[answer,answer,…]` and a newline.
pub fn lines_to_array(lines: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines.len() + 3);
    out.push(b'[');
    for line in lines.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if out.len() > 1 {
            out.push(b',');
        }
        out.extend_from_slice(line);
    }
    out.extend_from_slice(b"]\n");
    out
}

/// Turns the answer line `{…}\n` at the end of `out` into
/// `{…,"decision_id":"…","policy_digest":"…"}\n`.
pub fn stamp(out: &mut Vec<u8>, digest: &str) {
    let mut id = [0u8; uuid::fmt::Hyphenated::LENGTH];
    stamp_with(
        out,
        Uuid::new_v4().hyphenated().encode_lower(&mut id),
        digest,
    );
}

/// [`stamp`] with a decision id already made.
pub fn stamp_with(out: &mut Vec<u8>, id: &str, digest: &str) {
    if !out.ends_with(b"}\n") {
        return;
    }
    out.truncate(out.len() - 2);
    out.extend_from_slice(b",\"decision_id\":\"");
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(b"\",\"policy_digest\":\"");
    out.extend_from_slice(digest.as_bytes());
    out.extend_from_slice(b"\"}\n");
}

/// A decision id for the answers that are not `/v1/check` lines.
pub fn decision_id() -> String {
    Uuid::new_v4().hyphenated().to_string()
}
