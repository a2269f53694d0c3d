//! Policy sources at a git revision, read through the `git` command line
//! (`git ls-tree` for the files, `git cat-file` for their text) into memory:
//! nothing is checked out.
//!
//! In: `git:REV[:PATH]` or a plain path. Out: [`Sources`].

use std::path::Path;
use std::process::Command;

use crate::source::{LoadError, Sources};

/// Why a revision could not be read: a usage or I/O problem (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("cannot run `git`: {0}")]
    Spawn(std::io::Error),
    #[error("`git {args}` failed: {message}")]
    Failed { args: String, message: String },
    #[error("unknown revision `{0}`: write `git:REV[:PATH]`")]
    UnknownRevision(String),
    #[error("no `.policy` files at `{0}`")]
    Empty(String),
}

/// Where a policy comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin<'a> {
    Path(&'a Path),
    /// A revision and a path in it (relative to the current directory).
    Git {
        rev: &'a str,
        path: &'a Path,
    },
}

impl<'a> Origin<'a> {
    /// `git:REV[:PATH]` or a path; `default` is the path when none is given.
    pub fn parse(spec: &'a str, default: &'a Path) -> Origin<'a> {
        match spec.strip_prefix("git:") {
            Some(rest) => match rest.split_once(':') {
                Some((rev, path)) if !path.is_empty() => Origin::Git {
                    rev,
                    path: Path::new(path),
                },
                Some((rev, _)) => Origin::Git { rev, path: default },
                None => Origin::Git {
                    rev: rest,
                    path: default,
                },
            },
            None => Origin::Path(Path::new(spec)),
        }
    }
}

/// Reads the policy an origin names.
pub fn load(origin: &Origin) -> Result<Sources, GitError> {
    match origin {
        Origin::Path(p) => Ok(Sources::load(p)?),
        Origin::Git { rev, path } => load_rev(rev, path),
    }
}

fn git(args: &[&str]) -> Result<Vec<u8>, GitError> {
    let out = Command::new("git")
        .args(args)
        .output()
        .map_err(GitError::Spawn)?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(GitError::Failed {
            args: args.join(" "),
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

/// Every `.policy` file under `path` at `rev` (or the one file `path` names).
fn load_rev(rev: &str, path: &Path) -> Result<Sources, GitError> {
    // A revision starting with `-` would be read as an option.
    if rev.is_empty() || rev.starts_with('-') {
        return Err(GitError::UnknownRevision(rev.to_string()));
    }
    let commit = format!("{rev}^{{commit}}");
    match git(&["rev-parse", "--verify", "--quiet", &commit]) {
        Ok(_) => {}
        // `--quiet` leaves stderr empty for an unknown revision only; a
        // message says something else (not a repository, say).
        Err(GitError::Failed { message, .. }) if message.is_empty() => {
            return Err(GitError::UnknownRevision(rev.to_string()))
        }
        Err(e) => return Err(e),
    }
    let path_text = path.to_string_lossy();
    let listing = git(&[
        "ls-tree",
        "-r",
        "--name-only",
        "--full-name",
        "-z",
        rev,
        "--",
        &path_text,
    ])?;
    let names: Vec<&str> = listing
        .split(|&b| b == 0)
        .filter_map(|n| std::str::from_utf8(n).ok())
        .filter(|n| !n.is_empty())
        .collect();
    // A directory contributes its `.policy` files; a file named outright is
    // read whatever its extension, as `Sources::load` does.
    let single_file = names.len() == 1 && !names[0].ends_with('/') && {
        let n = Path::new(names[0]);
        n.ends_with(path) || n == path
    };
    let names: Vec<&str> = names
        .into_iter()
        .filter(|n| single_file || n.ends_with(".policy"))
        .collect();
    let blobs = cat_files(rev, &names)?;
    let mut sources = Sources::default();
    for (name, bytes) in names.iter().zip(blobs) {
        let display = format!("{rev}:{name}");
        let text = std::str::from_utf8(&bytes).map_err(|e| LoadError::NotUtf8 {
            path: display.clone(),
            offset: e.valid_up_to(),
        })?;
        sources.add(display, text);
    }
    if sources.files.is_empty() {
        return Err(GitError::Empty(format!("{rev}:{}", path.display())));
    }
    Ok(sources)
}

/// The contents of files at a revision, in order, through one
/// `git cat-file --batch` (one process, however many files).
fn cat_files(rev: &str, names: &[&str]) -> Result<Vec<Vec<u8>>, GitError> {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::Stdio;

    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(GitError::Spawn)?;
    let requests: String = names.iter().map(|n| format!("{rev}:{n}\n")).collect();
    let mut stdin = child.stdin.take();
    // Written from another thread: git answers while it reads, and a full
    // output pipe would otherwise stop both sides.
    let writer = std::thread::spawn(move || {
        if let Some(stdin) = stdin.as_mut() {
            let _ = stdin.write_all(requests.as_bytes());
        }
    });
    let failed = |message: String| GitError::Failed {
        args: "cat-file --batch".into(),
        message,
    };
    let mut out = Vec::with_capacity(names.len());
    let result = match child.stdout.take() {
        Some(stdout) => {
            let mut reader = BufReader::new(stdout);
            names.iter().try_for_each(|name| {
                let mut header = String::new();
                reader
                    .read_line(&mut header)
                    .map_err(|e| failed(e.to_string()))?;
                // `<oid> blob <size>`, or `<object> missing`.
                let size = match header.trim_end().rsplit_once(' ') {
                    Some((head, size)) if head.ends_with(" blob") => size.parse::<usize>().ok(),
                    _ => None,
                }
                .ok_or_else(|| failed(format!("cannot read `{rev}:{name}`: {}", header.trim())))?;
                let mut bytes = vec![0; size + 1]; // the content and a newline
                reader
                    .read_exact(&mut bytes)
                    .map_err(|e| failed(e.to_string()))?;
                bytes.pop();
                out.push(bytes);
                Ok(())
            })
        }
        None => Err(failed("no output".into())),
    };
    let _ = writer.join();
    let _ = child.wait();
    result.map(|()| out)
}
