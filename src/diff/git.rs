//! Policy sources at a git revision, read through the `git` command line
//! (`git ls-tree` for the files, `git cat-file` for their text, asked for by
//! object id) into memory: nothing is checked out. The files chosen are those
//! the directory walk would choose in the same tree (`source::walk`'s rule:
//! links followed only within the policy root, only regular files, no control
//! characters in names).
//!
//! In: `git:REV[:PATH]` or a plain path. Out: [`Sources`].

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use crate::source::{refused, walk, LoadError, Sources, MAX_FILE_BYTES};

/// Why a revision could not be read: a usage or I/O problem (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A path that is no policy text (a compiled bundle).
    #[error(transparent)]
    Text(#[from] crate::PolicyError),
    #[error("cannot run `git`: {0}")]
    Spawn(std::io::Error),
    #[error("`git {args}` failed: {message}")]
    Failed { args: String, message: String },
    #[error("unknown revision `{0}`: write `git:REV[:PATH]`")]
    UnknownRevision(String),
    #[error("no `.policy` files at `{0}`")]
    Empty(String),
    #[error("`{0}` is outside the repository")]
    Outside(String),
    #[error("`{0}` is a symbolic link at that revision: name the path it points to")]
    RootLink(String),
    #[error("`{0}` is a git submodule: its files are not in this repository at that revision")]
    Submodule(String),
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
        Origin::Path(p) => Ok(crate::Policy::read_text(p)?),
        Origin::Git { rev, path } => load_rev(rev, path),
    }
}

fn git(args: &[&str]) -> Result<Vec<u8>, GitError> {
    let out = Command::new("git")
        .args(args)
        .env("GIT_LITERAL_PATHSPECS", "1")
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

/// One entry of `git ls-tree -r -z`.
#[derive(Debug, PartialEq, Eq)]
struct TreeEntry {
    kind: EntryKind,
    oid: String,
    /// Relative to the top of the repository.
    path: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EntryKind {
    File,
    Link,
    /// A submodule: a commit of another repository, whose files are not in
    /// this one.
    Submodule,
}

/// Parses `<mode> SP <type> SP <oid> TAB <path> NUL`, record by record;
/// anything else is an error, never a guess.
fn parse_ls_tree(listing: &[u8]) -> Result<Vec<TreeEntry>, String> {
    let Some(listing) = listing.strip_suffix(b"\0") else {
        return if listing.is_empty() {
            Ok(Vec::new())
        } else {
            Err("the listing does not end with a NUL".into())
        };
    };
    listing
        .split(|&b| b == 0)
        .map(|record| {
            let bad = || format!("unexpected entry `{}`", String::from_utf8_lossy(record));
            let tab = memchr::memchr(b'\t', record).ok_or_else(bad)?;
            let (meta, path) = (&record[..tab], &record[tab + 1..]);
            let meta = std::str::from_utf8(meta).map_err(|_| bad())?;
            let mut fields = meta.split(' ');
            let (Some(mode), Some(kind), Some(oid), None) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Err(bad());
            };
            let kind = match (mode, kind) {
                ("100644" | "100755", "blob") => EntryKind::File,
                ("120000", "blob") => EntryKind::Link,
                ("160000", "commit") => EntryKind::Submodule,
                _ => return Err(bad()),
            };
            if !is_oid(oid) || path.is_empty() {
                return Err(bad());
            }
            Ok(TreeEntry {
                kind,
                oid: oid.to_string(),
                path: path_from_bytes(path),
            })
        })
        .collect()
}

fn is_oid(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

/// The path given at a revision, relative to the top of the repository and
/// with `.` and `..` taken out: `git:REV:PATH` is relative to the current
/// directory, as a policy path is.
fn repo_path(path: &Path) -> Result<PathBuf, GitError> {
    let outside = || GitError::Outside(walk::escaped(&path.display().to_string()));
    let start = if path.has_root() {
        let top = git(&["rev-parse", "--show-toplevel"])?;
        let top = path_from_bytes(top.strip_suffix(b"\n").unwrap_or(&top));
        let top = top.canonicalize().unwrap_or(top);
        let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        return match path.strip_prefix(&top) {
            Ok(rel) => normalise(Path::new(""), rel).ok_or_else(outside),
            Err(_) => Err(outside()),
        };
    } else {
        let prefix = git(&["rev-parse", "--show-prefix"])?;
        path_from_bytes(prefix.strip_suffix(b"\n").unwrap_or(&prefix))
    };
    normalise(&start, path).ok_or_else(outside)
}

/// `base` joined with `path`, `.` and `..` resolved by name; `None` if it
/// climbs above the top.
fn normalise(base: &Path, path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in base.components().chain(path.components()) {
        match component {
            Component::Normal(name) => out.push(name),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// A git tree under the policy root, for [`walk`]: its files, links (with
/// their targets) and the directories that hold them.
struct GitTree {
    entries: HashMap<PathBuf, (EntryKind, usize)>,
    targets: HashMap<PathBuf, PathBuf>,
    dirs: HashSet<PathBuf>,
}

impl walk::Tree for GitTree {
    fn entry(&self, rel: &Path) -> std::io::Result<walk::Entry> {
        Ok(match self.entries.get(rel) {
            Some((EntryKind::File, _)) => walk::Entry::File,
            Some((EntryKind::Submodule, _)) => walk::Entry::Other,
            Some((EntryKind::Link, _)) => match self.targets.get(rel) {
                Some(target) => walk::Entry::Link(target.clone()),
                None => walk::Entry::Missing,
            },
            None if self.dirs.contains(rel) => walk::Entry::Dir,
            None => walk::Entry::Missing,
        })
    }

    /// An absolute target names a place on some machine's disk, not in the
    /// tree: it always leaves.
    fn inside(&self, _absolute: &Path) -> Option<PathBuf> {
        None
    }
}

/// Every `.policy` file under `path` at `rev` (or the one file `path` names),
/// chosen by [`walk`]'s rule as the directory walk chooses them, and read by
/// object id.
fn load_rev(rev: &str, path: &Path) -> Result<Sources, GitError> {
    // A revision starting with `-` would be read as an option.
    if rev.is_empty() || rev.starts_with('-') {
        return Err(GitError::UnknownRevision(rev.to_string()));
    }
    let commit = format!("{rev}^{{commit}}");
    let commit = match git(&["rev-parse", "--verify", "--quiet", &commit]) {
        Ok(out) => String::from_utf8_lossy(&out).trim().to_string(),
        // `--quiet` leaves stderr empty for an unknown revision only; a
        // message says something else (not a repository, say).
        Err(GitError::Failed { message, .. }) if message.is_empty() => {
            return Err(GitError::UnknownRevision(rev.to_string()))
        }
        Err(e) => return Err(e),
    };
    if !is_oid(&commit) {
        return Err(GitError::UnknownRevision(rev.to_string()));
    }
    let root = repo_path(path)?;
    let spec = if root.as_os_str().is_empty() {
        ".".to_string()
    } else {
        root.to_string_lossy().into_owned()
    };
    let listing = git(&["ls-tree", "-r", "-z", "--full-tree", &commit, "--", &spec])?;
    let entries = parse_ls_tree(&listing).map_err(|message| GitError::Failed {
        args: "ls-tree".into(),
        message,
    })?;
    let shown = |rel: &Path| format!("{rev}:{}", root.join(rel).display());
    let empty = || GitError::Empty(format!("{rev}:{}", path.display()));

    // A file named outright is read whatever its extension, as
    // `Sources::load` does; a link named outright is not followed.
    if let [only] = entries.as_slice() {
        if only.path == root {
            let name = format!("{rev}:{}", root.display());
            return match only.kind {
                EntryKind::File => {
                    let blobs = cat_blobs(&[(&only.oid, &name)], MAX_FILE_BYTES)?;
                    let mut sources = Sources::default();
                    for (bytes, name) in blobs.into_iter().zip([name]) {
                        add_text(&mut sources, name, bytes)?;
                    }
                    Ok(sources)
                }
                EntryKind::Link => Err(GitError::RootLink(walk::escaped(&name))),
                EntryKind::Submodule => Err(GitError::Submodule(walk::escaped(&name))),
            };
        }
    }

    let mut tree = GitTree {
        entries: HashMap::with_capacity(entries.len()),
        targets: HashMap::new(),
        dirs: HashSet::new(),
    };
    let mut links = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let Ok(rel) = entry.path.strip_prefix(&root) else {
            continue;
        };
        if rel.as_os_str().is_empty() {
            continue;
        }
        match entry.kind {
            // The directory walk would read a submodule's checked-out files;
            // at a revision they are not in this repository.
            EntryKind::Submodule => {
                return Err(GitError::Submodule(walk::escaped(&shown(rel))));
            }
            EntryKind::Link => links.push((rel.to_path_buf(), i)),
            EntryKind::File => {}
        }
        let mut dir = rel.parent();
        while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
            if !tree.dirs.insert(d.to_path_buf()) {
                break;
            }
            dir = d.parent();
        }
        tree.entries.insert(rel.to_path_buf(), (entry.kind, i));
    }
    if tree.entries.is_empty() {
        return Err(empty());
    }
    // Links are followed through their targets, read first (rarely any).
    let names: Vec<String> = links.iter().map(|(rel, _)| shown(rel)).collect();
    let requests: Vec<(&str, &str)> = links
        .iter()
        .zip(&names)
        .map(|((_, i), name)| (entries[*i].oid.as_str(), name.as_str()))
        .collect();
    for ((rel, _), target) in links.iter().zip(cat_blobs(&requests, MAX_LINK_BYTES)?) {
        tree.targets.insert(rel.clone(), path_from_bytes(&target));
    }

    let mut found = Vec::new();
    let mut rels: Vec<&PathBuf> = tree.entries.keys().collect();
    rels.sort();
    for rel in rels {
        let kind = match tree.entries[rel].0 {
            EntryKind::File => walk::Kind::File,
            EntryKind::Link => walk::Kind::Link,
            EntryKind::Submodule => walk::Kind::Other,
        };
        match walk::select(&tree, rel, kind) {
            Ok(Some(file)) => found.push(file),
            Ok(None) => {}
            Err(why) => return Err(refused(walk::escaped(&shown(rel)), why).into()),
        }
    }
    let found = walk::finish(found);
    if found.is_empty() {
        return Err(empty());
    }
    let names: Vec<String> = found.iter().map(|f| shown(&f.shown)).collect();
    let requests: Vec<(&str, &str)> = found
        .iter()
        .zip(&names)
        .map(|(f, name)| {
            let (_, i) = tree.entries[&f.read];
            (entries[i].oid.as_str(), name.as_str())
        })
        .collect();
    let blobs = cat_blobs(&requests, MAX_FILE_BYTES)?;
    let mut sources = Sources::default();
    for (name, bytes) in names.into_iter().zip(blobs) {
        add_text(&mut sources, name, bytes)?;
    }
    Ok(sources)
}

fn add_text(sources: &mut Sources, name: String, bytes: Vec<u8>) -> Result<(), GitError> {
    let text = String::from_utf8(bytes).map_err(|e| LoadError::NotUtf8 {
        path: name.clone(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    sources.add(name, &text);
    Ok(())
}

/// The longest link target read (Linux's `PATH_MAX`).
const MAX_LINK_BYTES: u64 = 4096;

/// The contents of blobs, in order, through one `git cat-file --batch` (one
/// process, however many blobs), each asked for by object id: a name never
/// reaches git's input, so no name can split a request in two.
fn cat_blobs(requests: &[(&str, &str)], limit: u64) -> Result<Vec<Vec<u8>>, GitError> {
    use std::io::{BufReader, Write};
    use std::process::Stdio;

    if requests.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(GitError::Spawn)?;
    let input: String = requests.iter().map(|(oid, _)| format!("{oid}\n")).collect();
    let mut stdin = child.stdin.take();
    // Written from another thread: git answers while it reads, and a full
    // output pipe would otherwise stop both sides. Dropping stdin at the end
    // lets git finish, so that anything it writes past the last answer shows.
    let writer = std::thread::spawn(move || {
        if let Some(stdin) = stdin.as_mut() {
            let _ = stdin.write_all(input.as_bytes());
        }
    });
    let result = match child.stdout.take() {
        Some(stdout) => read_replies(BufReader::new(stdout), requests, limit),
        None => Err(BatchProblem::Protocol("no output".into())),
    };
    if result.is_err() {
        let _ = child.kill();
    }
    let _ = writer.join();
    let status = child.wait().map_err(GitError::Spawn)?;
    match result {
        Ok(_) if !status.success() => Err(GitError::Failed {
            args: "cat-file --batch".into(),
            message: format!("exited with {status}"),
        }),
        Ok(blobs) => Ok(blobs),
        Err(BatchProblem::TooLarge { name, size }) => Err(LoadError::TooLarge {
            path: walk::escaped(&name),
            size,
        }
        .into()),
        Err(BatchProblem::Protocol(message)) => Err(GitError::Failed {
            args: "cat-file --batch".into(),
            message,
        }),
    }
}

#[derive(Debug)]
enum BatchProblem {
    TooLarge { name: String, size: u64 },
    Protocol(String),
}

/// Reads `git cat-file --batch` replies to `requests`: each must be
/// `<oid> blob <size>` for the object asked, then exactly that many bytes and
/// a newline; after the last, nothing. A missing object, another object, a
/// short or a long answer is an error.
fn read_replies(
    mut reader: impl std::io::BufRead,
    requests: &[(&str, &str)],
    limit: u64,
) -> Result<Vec<Vec<u8>>, BatchProblem> {
    use std::io::{BufRead, Read};
    let protocol = |message: String| BatchProblem::Protocol(message);
    let mut blobs = Vec::with_capacity(requests.len());
    for (oid, name) in requests {
        let cannot =
            |what: &str| protocol(format!("cannot read `{}`: {what}", walk::escaped(name)));
        let mut header = Vec::new();
        (&mut reader)
            .take(256)
            .read_until(b'\n', &mut header)
            .map_err(|e| cannot(&e.to_string()))?;
        let header = header
            .strip_suffix(b"\n")
            .and_then(|h| std::str::from_utf8(h).ok())
            .ok_or_else(|| cannot("git's answer ended early"))?;
        let mut fields = header.split(' ');
        let size = match (fields.next(), fields.next(), fields.next(), fields.next()) {
            (Some(got), Some("blob"), Some(size), None) if got == *oid => size.parse::<u64>().ok(),
            _ => None,
        }
        .ok_or_else(|| cannot(&format!("git answered `{}`", walk::escaped(header))))?;
        if size > limit {
            return Err(BatchProblem::TooLarge {
                name: name.to_string(),
                size,
            });
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
        (&mut reader)
            .take(size + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| cannot(&e.to_string()))?;
        if bytes.len() as u64 != size + 1 {
            return Err(cannot("git's answer ended early"));
        }
        if bytes.pop() != Some(b'\n') {
            return Err(cannot("git's answer is longer than it says"));
        }
        blobs.push(bytes);
    }
    let mut rest = Vec::new();
    (&mut reader)
        .take(1)
        .read_to_end(&mut rest)
        .map_err(|e| protocol(e.to_string()))?;
    if !rest.is_empty() {
        return Err(protocol(
            "git answered more than was asked: not read".into(),
        ));
    }
    Ok(blobs)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const A: &str = "78981922613b2afb6025042ff6bd878ac1994e85";
    const B: &str = "eda76f7226728b0f13def6ba3452fc35bb8d3961";

    fn replies(answer: &str) -> Result<Vec<Vec<u8>>, String> {
        read_replies(answer.as_bytes(), &[(A, "a.policy"), (B, "b.policy")], 100).map_err(|e| {
            match e {
                BatchProblem::Protocol(m) => m,
                BatchProblem::TooLarge { name, size } => format!("{name} {size}"),
            }
        })
    }

    #[test]
    fn replies_are_checked_one_by_one() {
        let good = format!("{A} blob 2\nab\n{B} blob 0\n\n");
        assert_eq!(replies(&good).unwrap(), vec![b"ab".to_vec(), Vec::new()]);
        for (answer, problem) in [
            (format!("{A} blob 2\nab\n{B} missing\n"), "git answered"),
            (format!("{B} blob 2\nab\n{A} blob 0\n\n"), "git answered"),
            (format!("{A} tree 2\nab\n{B} blob 0\n\n"), "git answered"),
            (format!("{A} blob 2\nab\n"), "ended early"),
            (format!("{A} blob 2\nab\n{B} blob 5\nab\n"), "ended early"),
            (
                format!("{A} blob 2\nabc\n{B} blob 0\n\n"),
                "longer than it says",
            ),
            (
                format!("{A} blob 2\nab\n{B} blob 0\n\nextra"),
                "more than was asked",
            ),
            (format!("{A} blob 200\nab\n"), "a.policy 200"),
        ] {
            let got = replies(&answer).unwrap_err();
            assert!(got.contains(problem), "{answer:?}: {got}");
        }
    }

    #[test]
    fn listings_are_parsed_strictly() {
        let listing = format!(
            "100644 blob {A}\tp/a.policy\0120000 blob {B}\tp/l\0160000 commit {A}\tp/sub\0"
        );
        let entries = parse_ls_tree(listing.as_bytes()).unwrap();
        assert_eq!(
            entries.iter().map(|e| e.kind).collect::<Vec<_>>(),
            [EntryKind::File, EntryKind::Link, EntryKind::Submodule]
        );
        assert_eq!(entries[0].path, Path::new("p/a.policy"));
        let newline = format!("100644 blob {A}\tp/zzz\nx.policy\0");
        assert_eq!(
            parse_ls_tree(newline.as_bytes()).unwrap()[0].path,
            Path::new("p/zzz\nx.policy")
        );
        for bad in [
            format!("100644 blob {A}\tp/a.policy"),
            format!("100644 blob {A} p/a.policy\0"),
            "100644 blob xyz\tp/a.policy\0".to_string(),
            format!("040000 tree {A}\tp\0"),
        ] {
            assert!(parse_ls_tree(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn paths_are_normalised_by_name() {
        assert_eq!(
            normalise(Path::new("sub/"), Path::new("../policies/./x")),
            Some(PathBuf::from("policies/x"))
        );
        assert_eq!(normalise(Path::new(""), Path::new("../x")), None);
    }
}
