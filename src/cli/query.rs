//! `can`, `can --batch`, `explain`, `who`, `what`.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};

use super::output::{format, load_policy, note, print, usage_error, CmdResult, Exit};
use super::{Cli, Format};
use crate::eval::batch::{answer_lines, decision_line, read_line, Line};
use crate::eval::{json, Decision, Query};
use crate::resolve::{fold_email, Scope};
use crate::Policy;

fn decision_exit(allowed: bool) -> Exit {
    if allowed {
        Exit::Success
    } else {
        Exit::Failure
    }
}

/// A question as written on the command line (`can`, `explain`).
pub struct Question<'a> {
    pub user: &'a str,
    pub permission: &'a str,
    pub scope: Option<&'a str>,
    pub to: Option<&'a str>,
}

/// The policy and a question resolved against it; an unknown name or a
/// missing or unexpected target is a usage error.
fn resolve(cli: &Cli, asked: &Question) -> Result<(&'static Policy, Query), Exit> {
    let policy = load_policy(cli)?;
    let q = policy
        .query(asked.user, asked.permission, asked.scope, asked.to)
        .map_err(usage_error)?;
    Ok((policy, q))
}

/// On stderr: the user is declared nowhere, so the answer is a new
/// login's, and the declared email a typo away, if any (`carol@acme.con`).
fn new_login_note(policy: &Policy, user: &str, how: &str) {
    let shown = fold_email(user);
    match policy.similar_user(user) {
        Some(declared) => note(format_args!(
            "`{shown}` is declared nowhere: {how} as a new login; did you mean `{declared}`?"
        )),
        None => note(format_args!(
            "`{shown}` is declared nowhere: {how} as a new login"
        )),
    }
}

pub fn can(cli: &Cli, asked: &Question) -> CmdResult {
    let fmt = format(cli, &[Format::Text, Format::Json], Format::Text)?;
    let (policy, q) = if fmt == Format::Json {
        // As `can --batch` answers a question it cannot ask: an `error`
        // decision on standard output, so a script reads JSON either way.
        let policy = load_policy(cli)?;
        match policy.query(asked.user, asked.permission, asked.scope, asked.to) {
            Ok(q) => (policy, q),
            Err(e) => {
                let answer = serde_json::json!({"decision": "error", "error": e.to_string()});
                print(&format!("{answer}\n"));
                return Err(Exit::Usage);
            }
        }
    } else {
        resolve(cli, asked)?
    };
    let allowed = policy.check(&q);
    let new_login = q.subject == crate::compile::Subject::NewLogin;
    match fmt {
        Format::Json => print(decision_line(allowed, new_login)),
        _ => {
            if new_login {
                new_login_note(policy, asked.user, "evaluated");
            }
            print(if allowed { "allow\n" } else { "deny\n" });
        }
    }
    Ok(decision_exit(allowed))
}

/// Lines answered per block of `can --batch`, split across the cores.
const BLOCK_LINES: usize = 16 * 1024;
/// Bytes of questions gathered per block at most (with `BLOCK_LINES`, and the
/// reader's queue below, this bounds the memory a batch takes).
const BLOCK_BYTES: usize = 4 << 20;
/// Parcels of lines the reader may read ahead of the answers.
const READ_AHEAD: usize = 32;

pub fn batch(cli: &Cli, path: &str) -> CmdResult {
    let policy = load_policy(cli)?;
    let source: Box<dyn Read + Send> = if path == "-" {
        Box::new(std::io::stdin())
    } else {
        let file = std::fs::File::open(path)
            .map_err(|e| usage_error(format!("cannot read `{path}`: {e}")))?;
        Box::new(file)
    };
    let io = |e: std::io::Error| usage_error(format!("batch: {e}"));
    // A reader thread hands over the complete lines it has, as parcels, and
    // waits for input only once it has handed over every complete line: so a
    // client that writes a question (even with the start of the next) gets
    // its answer at once, and a big file is read while the last block is
    // answered.
    let parcels = spawn_reader(source);
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut answers: Vec<Vec<u8>> = vec![Vec::new(); threads];
    while let Ok(first) = parcels.recv() {
        let mut lines = first.map_err(io)?;
        let mut bytes: usize = lines.iter().map(Vec::len).sum();
        // More lines already read join the block; none are waited for.
        while lines.len() < BLOCK_LINES && bytes < BLOCK_BYTES {
            match parcels.try_recv() {
                Ok(more) => {
                    let more = more.map_err(io)?;
                    bytes += more.iter().map(Vec::len).sum::<usize>();
                    lines.extend(more);
                }
                Err(_) => break,
            }
        }
        let written = if threads < 2 || lines.len() < 1024 {
            answer_lines(policy, &lines, &mut answers[0]);
            out.write_all(&answers[0])
        } else {
            let per = lines.len().div_ceil(threads);
            let policy = &policy;
            answers.iter_mut().for_each(Vec::clear);
            std::thread::scope(|scope| {
                for (part, answer) in lines.chunks(per).zip(answers.iter_mut()) {
                    scope.spawn(move || answer_lines(policy, part, answer));
                }
            });
            answers.iter().try_for_each(|answer| out.write_all(answer))
        };
        match written.and_then(|()| out.flush()) {
            Ok(()) => {}
            // The reader of the answers has gone (`| head`): nothing to say.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(Exit::Success),
            Err(e) => return Err(io(e)),
        }
    }
    Ok(Exit::Success)
}

type Parcel = std::io::Result<Vec<Vec<u8>>>;

/// Reads lines on a thread of its own, each cut at `MAX_LINE_BYTES + 1`
/// bytes, and sends them in parcels: a parcel ends when no complete line is
/// left in the read buffer (the next read may wait), at a size bound, and
/// right after an over-long line, whose answer must not wait for the rest of
/// it (which may never end: `/dev/zero`). The thread is left to end with the
/// process when the answers stop first.
fn spawn_reader(source: Box<dyn Read + Send>) -> std::sync::mpsc::Receiver<Parcel> {
    let (send, parcels) = std::sync::mpsc::sync_channel::<Parcel>(READ_AHEAD);
    std::thread::spawn(move || {
        let mut reader = BufReader::with_capacity(1 << 16, source);
        let mut parcel: Vec<Vec<u8>> = Vec::new();
        let mut bytes = 0;
        let mut line = Vec::with_capacity(256);
        loop {
            let read = match read_line(&mut reader, &mut line) {
                Ok(read) => read,
                Err(e) => {
                    let _ = send.send(Err(e));
                    return;
                }
            };
            if read == Line::End {
                if !parcel.is_empty() {
                    let _ = send.send(Ok(parcel));
                }
                return;
            }
            bytes += line.len();
            parcel.push(line.clone());
            let complete_line_buffered = memchr::memchr(b'\n', reader.buffer()).is_some();
            if read == Line::TooLong
                || !complete_line_buffered
                || parcel.len() >= BLOCK_LINES
                || bytes >= BLOCK_BYTES
            {
                if send.send(Ok(std::mem::take(&mut parcel))).is_err() {
                    return;
                }
                bytes = 0;
            }
            if read == Line::TooLong {
                if let Err(e) = reader.skip_until(b'\n') {
                    let _ = send.send(Err(e));
                    return;
                }
            }
        }
    });
    parcels
}

pub fn explain(cli: &Cli, asked: &Question) -> CmdResult {
    let fmt = format(cli, &[Format::Text, Format::Json], Format::Text)?;
    let (policy, q) = resolve(cli, asked)?;
    let e = policy.explain(&q, asked.user);
    match fmt {
        Format::Json => print(&json::explain(&e)),
        _ => {
            if q.subject == crate::compile::Subject::NewLogin {
                new_login_note(policy, asked.user, "explained");
            }
            print(&e.to_text())
        }
    }
    Ok(decision_exit(e.decision == Decision::Allow))
}

pub fn who(cli: &Cli, permission: &str, scope: Option<&str>) -> CmdResult {
    let fmt = format(cli, &[Format::Text, Format::Json], Format::Text)?;
    let policy = load_policy(cli)?;
    let perm = policy.permission(permission).map_err(usage_error)?;
    let scope = match scope {
        Some(s) => policy.scope(s).map_err(usage_error)?,
        None => Scope::Global,
    };
    let who = policy.who(perm, scope);
    match fmt {
        Format::Json => print(&json::who(&who)),
        _ => print(&who.to_text()),
    }
    Ok(Exit::Success)
}

pub fn what(cli: &Cli, user: &str) -> CmdResult {
    let fmt = format(cli, &[Format::Text, Format::Json], Format::Text)?;
    Policy::check_user(user).map_err(usage_error)?;
    let policy = load_policy(cli)?;
    let w = policy.what(user);
    match fmt {
        Format::Json => print(&json::what(&w)),
        _ => print(&w.to_text()),
    }
    Ok(Exit::Success)
}
