//! `can`, `can --batch`, `explain`, `who`, `what`.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};

use super::output::{format, load_policy, print, usage_error, CmdResult, Exit};
use super::{Cli, Format};
use crate::eval::batch::{answer_lines, decision_line};
use crate::eval::{Decision, Query};
use crate::resolve::Scope;
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

pub fn can(cli: &Cli, asked: &Question) -> CmdResult {
    let fmt = format(cli, &[Format::Text, Format::Json], Format::Text)?;
    let (policy, q) = resolve(cli, asked)?;
    let allowed = policy.check(&q);
    let new_login = q.subject == crate::compile::Subject::NewLogin;
    match fmt {
        Format::Json => print(decision_line(allowed, new_login)),
        _ => {
            if new_login {
                eprintln!(
                    "note: `{}` is declared nowhere: evaluated as a new login",
                    asked.user.to_lowercase()
                );
            }
            print(if allowed { "allow\n" } else { "deny\n" });
        }
    }
    Ok(decision_exit(allowed))
}

/// Lines answered per block of `can --batch`.
const BLOCK_LINES: usize = 16 * 1024;

pub fn batch(cli: &Cli, path: &str) -> CmdResult {
    let policy = load_policy(cli)?;
    let source: Box<dyn Read> = if path == "-" {
        Box::new(std::io::stdin())
    } else {
        let file = std::fs::File::open(path)
            .map_err(|e| usage_error(format!("cannot read `{path}`: {e}")))?;
        Box::new(file)
    };
    let mut reader = BufReader::with_capacity(1 << 16, source);
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let io = |e: std::io::Error| usage_error(format!("batch: {e}"));
    // Lines are read as bytes so that one line of bad UTF-8 is one error
    // answer, not the end of the batch. They are answered a block at a time,
    // the block split across the cores, and the answers written in order. A
    // block ends early when no more input has arrived yet, so a client that
    // writes one question and waits gets its answer at once (streaming).
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut block: Vec<Vec<u8>> = Vec::new();
    let mut answers: Vec<Vec<u8>> = vec![Vec::new(); threads];
    let mut eof = false;
    while !eof {
        let mut filled = 0;
        while filled < BLOCK_LINES && !(filled > 0 && reader.buffer().is_empty()) {
            if block.len() == filled {
                block.push(Vec::with_capacity(128));
            }
            let buf = &mut block[filled];
            buf.clear();
            if reader.read_until(b'\n', buf).map_err(io)? == 0 {
                eof = true;
                break;
            }
            filled += 1;
        }
        let lines = &block[..filled];
        if threads < 2 || filled < 1024 {
            answer_lines(policy, lines, &mut answers[0]);
            out.write_all(&answers[0]).map_err(io)?;
        } else {
            let per = filled.div_ceil(threads);
            let policy = &policy;
            answers.iter_mut().for_each(Vec::clear);
            std::thread::scope(|scope| {
                for (part, answer) in lines.chunks(per).zip(answers.iter_mut()) {
                    scope.spawn(move || answer_lines(policy, part, answer));
                }
            });
            for answer in &answers {
                out.write_all(answer).map_err(io)?;
            }
        }
        out.flush().map_err(io)?;
    }
    Ok(Exit::Success)
}

pub fn explain(cli: &Cli, asked: &Question) -> CmdResult {
    let fmt = format(cli, &[Format::Text, Format::Json], Format::Text)?;
    let (policy, q) = resolve(cli, asked)?;
    let e = policy.explain(&q, asked.user);
    match fmt {
        Format::Json => print(&crate::eval::json::explain(&e)),
        _ => print(&e.to_text()),
    }
    Ok(decision_exit(e.decision == Decision::Allow))
}

pub fn who(cli: &Cli, permission: &str, scope: Option<&str>) -> CmdResult {
    let fmt = format(cli, &[Format::Text, Format::Json], Format::Text)?;
    let policy = load_policy(cli)?;
    let m = &policy.model;
    let perm = policy.permission(permission).map_err(usage_error)?;
    let scope = match scope {
        Some(s) => policy.scope(s).map_err(usage_error)?,
        None => Scope::Global,
    };
    let users = policy.who(perm, scope);
    match fmt {
        Format::Json => print(&crate::eval::json::who(&users)),
        _ => {
            let mut out = String::new();
            if users.is_empty() {
                out.push_str(&format!(
                    "nobody holds {permission} on {}\n",
                    m.scope_name(scope)
                ));
            }
            for entry in &users {
                let via: Vec<String> = entry
                    .via
                    .iter()
                    .map(|v| match &v.share_role {
                        Some(s) => format!("{} as {} (shared as {s})", v.team, v.role),
                        None if v.through == "global" => {
                            format!("{} as {} (global)", v.team, v.role)
                        }
                        None => format!("{} as {}", v.team, v.role),
                    })
                    .collect();
                out.push_str(&format!("{}\tvia {}\n", entry.user, via.join("; ")));
            }
            print(&out);
        }
    }
    Ok(Exit::Success)
}

pub fn what(cli: &Cli, user: &str) -> CmdResult {
    let fmt = format(cli, &[Format::Text, Format::Json], Format::Text)?;
    let policy = load_policy(cli)?;
    let w = policy.what(user);
    match fmt {
        Format::Json => print(&crate::eval::json::what(&w)),
        _ => {
            let mut out = String::new();
            if w.new_login {
                out.push_str(&format!(
                    "note: `{}` is declared nowhere: shown as a new login\n",
                    w.user
                ));
            }
            if w.scopes.is_empty() {
                out.push_str(&format!("{} can do nothing\n", w.user));
            }
            for s in &w.scopes {
                out.push_str(&format!("{}\n", s.scope));
                for p in &s.permissions {
                    out.push_str(&format!("  {p}\n"));
                }
            }
            print(&out);
        }
    }
    Ok(Exit::Success)
}
