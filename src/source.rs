//! Policy sources: the files read from disk, and spans into them.
//!
//! In: a `.policy` file or a directory. Out: [`Sources`], every file's text
//! (BOM removed) under a display path, in a deterministic order. Which
//! entries of a directory are read — symbolic links, special files, names —
//! is [`walk`]'s rule, shared with the reads at a git revision.

pub mod walk;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use walk::{LinkProblem, Refusal};

/// The largest policy file read, in bytes (256 MiB): a hundred times the
/// largest file of the generated L org (1.4 MB; 147 MB in all), and enough
/// for that whole org in one file. It bounds the memory one file can take
/// and keeps every byte offset well inside a span's `u32`.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// Index of a file in [`Sources`].
#[derive(
    serde::Serialize,
    serde::Deserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
)]
pub struct FileId(pub u32);

/// A byte range in one source file. Kept beside the data it locates and out of
/// its equality: two definitions are the same whatever line they stand on.
#[derive(
    serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, Default,
)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span {
            file,
            start: offset(start),
            end: offset(end),
        }
    }
}

/// A byte offset as spans store it. Files are far smaller than 4 GiB; past
/// that, offsets stop at the end instead of wrapping to the start.
fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// One policy file.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
pub struct SourceFile {
    /// The path as shown to users (relative to the policy root where possible).
    pub name: String,
    /// The text, without a leading byte-order mark.
    pub text: Arc<str>,
    /// Whether the file started with a byte-order mark.
    pub bom: bool,
    /// The file read from disk, with no symbolic link in it, if the text
    /// came from disk: where `fmt` writes.
    #[serde(skip)]
    pub path: Option<PathBuf>,
    /// Whether a symbolic link was followed to reach the file (`fmt` does
    /// not rewrite such a file).
    #[serde(skip)]
    pub via_link: bool,
    line_starts: Vec<u32>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: &str) -> Self {
        let without_bom = text.strip_prefix('\u{feff}');
        let bom = without_bom.is_some();
        let text = without_bom.unwrap_or(text);
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| offset(i + 1)))
            .collect();
        SourceFile {
            name: name.into(),
            text: Arc::from(text),
            bom,
            path: None,
            via_link: false,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let offset = offset.min(self::offset(self.text.len()));
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line] as usize;
        let column = self
            .text
            .get(start..offset as usize)
            .map_or(0, |s| s.chars().count());
        (line + 1, column + 1)
    }
}

/// Every file of a policy.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, Default)]
pub struct Sources {
    pub files: Vec<SourceFile>,
}

/// Why a policy could not be read: an I/O or usage problem (exit 2), not a
/// policy error.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("`{path}` is not valid UTF-8 (first bad byte at offset {offset})")]
    NotUtf8 { path: String, offset: usize },
    #[error("`{path}` is not a regular file (a pipe, socket or device): policy files must be regular files")]
    NotRegular { path: String },
    #[error("`{path}` is {size} bytes, over the limit of {} MiB for one policy file", MAX_FILE_BYTES >> 20)]
    TooLarge { path: String, size: u64 },
    #[error("`{path}` is a symbolic link that {problem}")]
    Link { path: String, problem: LinkProblem },
    #[error("`{path}` is a symbolic link to `{target}`, which is not a `.policy` file")]
    LinkNotPolicy { path: String, target: String },
    #[error("`{path}` has a control character in its name: rename it")]
    ControlCharacter { path: String },
    #[error("no `.policy` files found under `{0}`")]
    Empty(String),
}

impl Sources {
    pub fn add(&mut self, name: impl Into<String>, text: &str) -> FileId {
        self.files.push(SourceFile::new(name, text));
        FileId(offset(self.files.len() - 1))
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// Text of a span.
    pub fn slice(&self, span: Span) -> &str {
        self.file(span.file)
            .text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    /// `file:line` of a span, for explanations.
    pub fn location(&self, span: Span) -> String {
        let file = self.file(span.file);
        let (line, _) = file.line_col(span.start);
        format!("{}:{}", file.name, line)
    }

    /// Reads a `.policy` file, or every `*.policy` file under a directory,
    /// sorted by path so the result does not depend on directory order.
    /// Symbolic links, special files and names follow [`walk`]'s rule. A
    /// path given outright may be a link to a directory or to a `.policy`
    /// file, or name a pipe (`/dev/stdin`); nothing larger than
    /// [`MAX_FILE_BYTES`] is read.
    pub fn load(path: &Path) -> Result<Sources, LoadError> {
        let (sources, problems) = Sources::load_each(path)?;
        match problems.into_iter().next() {
            Some((_, first)) => Err(first),
            None => Ok(sources),
        }
    }

    /// [`Sources::load`], except that a file that cannot be read (not
    /// UTF-8, too large, unreadable) does not stop the others: it is
    /// returned apart, named as in the policy, with why, and every other
    /// file is read. A problem of the walk itself is still an error. The
    /// language server shows each such file's problem on it.
    pub fn load_each(path: &Path) -> Result<(Sources, Vec<(PathBuf, LoadError)>), LoadError> {
        let meta = std::fs::symlink_metadata(path).map_err(io_error(path))?;
        let is_link = meta.file_type().is_symlink();
        let meta = if is_link {
            std::fs::metadata(path).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => LoadError::Link {
                    path: shown(path),
                    problem: LinkProblem::Dangling,
                },
                _ => io_error(path)(e),
            })?
        } else {
            meta
        };
        let mut sources = Sources::default();
        let mut problems = Vec::new();
        if meta.is_dir() {
            let root = path.canonicalize().map_err(io_error(path))?;
            let found = walk_dir(&root, path)?;
            if found.is_empty() {
                return Err(LoadError::Empty(shown(path)));
            }
            for file in found {
                let name = path.join(&file.shown);
                let real = root.join(&file.read);
                let text = match read_regular(&real, &name) {
                    Ok(text) => text,
                    Err(e) => {
                        problems.push((name, e));
                        continue;
                    }
                };
                sources.add(name.display().to_string(), &text);
                if let Some(added) = sources.files.last_mut() {
                    added.path = Some(real);
                    added.via_link = file.via_link;
                }
            }
        } else if meta.is_file() {
            let real = if is_link {
                let target = path.canonicalize().map_err(io_error(path))?;
                if target.extension().is_none_or(|e| e != "policy") {
                    return Err(LoadError::LinkNotPolicy {
                        path: shown(path),
                        target: shown(&target),
                    });
                }
                target
            } else {
                path.to_path_buf()
            };
            let text = match read_regular(&real, path) {
                Ok(text) => text,
                Err(e) => return Ok((sources, vec![(path.to_path_buf(), e)])),
            };
            sources.add(path.display().to_string(), &text);
            if let Some(added) = sources.files.last_mut() {
                added.path = Some(real);
                added.via_link = is_link;
            }
        } else if is_stream(&meta) && (!is_link || names_a_stream(path)) {
            let text = read_stream(path)?;
            sources.add(path.display().to_string(), &text);
        } else {
            return Err(LoadError::NotRegular { path: shown(path) });
        }
        Ok((sources, problems))
    }

    /// Files as (name, text) pairs, for digests and for tools that rewrite files.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(offset(i)), f))
    }
}

/// A path as shown in a message, control characters escaped.
pub(crate) fn shown(path: &Path) -> String {
    walk::escaped(&path.display().to_string())
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> LoadError {
    let path = shown(path);
    move |source| LoadError::Io { path, source }
}

/// The error for an entry the rule refuses, at `path`.
pub(crate) fn refused(path: String, why: Refusal) -> LoadError {
    match why {
        Refusal::Link(problem) => LoadError::Link { path, problem },
        Refusal::NotRegular => LoadError::NotRegular { path },
        Refusal::ControlCharacter => LoadError::ControlCharacter { path },
        Refusal::Io(source) => LoadError::Io { path, source },
    }
}

/// Reads one regular file of at most [`MAX_FILE_BYTES`] as text. The file is
/// opened without following a link in its last component and without
/// blocking, and checked once open, so that a pipe or a link put in its
/// place after the walk looked at it is refused, not read.
fn read_regular(path: &Path, name: &Path) -> Result<String, LoadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(io_error(name))?;
    let meta = file.metadata().map_err(io_error(name))?;
    if !meta.is_file() {
        return Err(LoadError::NotRegular { path: shown(name) });
    }
    let too_large = |size| LoadError::TooLarge {
        path: shown(name),
        size,
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error(name))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| LoadError::NotUtf8 {
        path: shown(name),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// Whether a file is a pipe or a character device: input to read to its end.
fn is_stream(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        meta.file_type().is_fifo() || meta.file_type().is_char_device()
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
}

/// Whether a path names a stream outright — `/dev/stdin`, `/dev/fd/N`, a
/// shell's `<(…)` — rather than through a link that a policy tree could
/// hold: only those links may lead to a pipe or device.
fn names_a_stream(path: &Path) -> bool {
    path.starts_with("/dev") || path.starts_with("/proc/self/fd")
}

/// Reads a stream named outright as the policy (`--policy /dev/stdin`), to
/// its end or to [`MAX_FILE_BYTES`], whichever comes first.
fn read_stream(path: &Path) -> Result<String, LoadError> {
    let file = std::fs::File::open(path).map_err(io_error(path))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error(path))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(LoadError::TooLarge {
            path: shown(path),
            size: bytes.len() as u64,
        });
    }
    String::from_utf8(bytes).map_err(|e| LoadError::NotUtf8 {
        path: shown(path),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// The disk under a canonical root, for [`walk`].
struct Disk<'a> {
    root: &'a Path,
}

impl walk::Tree for Disk<'_> {
    fn entry(&self, rel: &Path) -> std::io::Result<walk::Entry> {
        use std::io::ErrorKind;
        let path = self.root.join(rel);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) => {
                let kind = meta.file_type();
                Ok(if kind.is_symlink() {
                    walk::Entry::Link(std::fs::read_link(&path)?)
                } else if kind.is_dir() {
                    walk::Entry::Dir
                } else if kind.is_file() {
                    walk::Entry::File
                } else {
                    walk::Entry::Other
                })
            }
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                Ok(walk::Entry::Missing)
            }
            Err(e) => Err(e),
        }
    }

    fn inside(&self, absolute: &Path) -> Option<PathBuf> {
        // The root may be written through a link (`/tmp` on macOS): where the
        // target really is decides.
        let real;
        let absolute = match absolute.strip_prefix(self.root) {
            Ok(rel) => return Some(rel.to_path_buf()),
            Err(_) => {
                real = absolute.canonicalize().ok()?;
                &real
            }
        };
        absolute.strip_prefix(self.root).ok().map(Path::to_path_buf)
    }
}

/// Walks a directory (canonical `root`, shown as `shown_root`) for its policy
/// files. No link is followed into a directory, so the walk is a tree walk:
/// it ends, and visits each directory once, with no set of visited paths.
fn walk_dir(root: &Path, shown_root: &Path) -> Result<Vec<walk::Found>, LoadError> {
    let tree = Disk { root };
    let mut found = Vec::new();
    let mut dirs = vec![PathBuf::new()];
    while let Some(dir) = dirs.pop() {
        let shown_dir = shown_root.join(&dir);
        let entries = std::fs::read_dir(root.join(&dir)).map_err(io_error(&shown_dir))?;
        for entry in entries {
            let entry = entry.map_err(io_error(&shown_dir))?;
            let rel = dir.join(entry.file_name());
            let kind = entry
                .file_type()
                .map_err(io_error(&shown_root.join(&rel)))?;
            let kind = if kind.is_dir() {
                dirs.push(rel);
                continue;
            } else if kind.is_file() {
                walk::Kind::File
            } else if kind.is_symlink() {
                walk::Kind::Link
            } else {
                walk::Kind::Other
            };
            match walk::select(&tree, &rel, kind) {
                Ok(Some(file)) => found.push(file),
                Ok(None) => {}
                Err(why) => return Err(refused(shown(&shown_root.join(&rel)), why)),
            }
        }
    }
    Ok(walk::finish(found))
}
