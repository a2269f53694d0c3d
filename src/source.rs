//! Policy sources: the files read from disk, and spans into them.
//!
//! In: a `.policy` file or a directory. Out: [`Sources`], every file's text
//! (BOM removed) under a display path, in a deterministic order.

use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    #[error("no `.policy` files found under `{0}`")]
    Empty(String),
    #[error("`{0}` is a compiled bundle, and this command reads policy text: point `--policy` at the policy it was built from")]
    IsBundle(String),
    #[error("cannot load the bundle `{path}`: {source}")]
    Bundle {
        path: String,
        source: crate::bundle::BundleError,
    },
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
    pub fn load(path: &Path) -> Result<Sources, LoadError> {
        let io = |p: &Path| {
            let p = p.display().to_string();
            move |source| LoadError::Io { path: p, source }
        };
        let meta = std::fs::metadata(path).map_err(io(path))?;
        let mut paths = Vec::new();
        if meta.is_dir() {
            collect_policy_files(path, &mut paths, &mut Vec::new()).map_err(io(path))?;
            paths.sort();
            if paths.is_empty() {
                return Err(LoadError::Empty(path.display().to_string()));
            }
        } else if crate::bundle::is_bundle_file(path) {
            return Err(LoadError::IsBundle(path.display().to_string()));
        } else {
            paths.push(path.to_path_buf());
        }
        let mut sources = Sources::default();
        for p in paths {
            let bytes = std::fs::read(&p).map_err(io(&p))?;
            let name = display_name(path, &p, meta.is_dir());
            let text = std::str::from_utf8(&bytes).map_err(|e| LoadError::NotUtf8 {
                path: name.clone(),
                offset: e.valid_up_to(),
            })?;
            sources.add(name, text);
        }
        Ok(sources)
    }

    /// Files as (name, text) pairs, for digests and for tools that rewrite files.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(offset(i)), f))
    }
}

fn display_name(root: &Path, file: &Path, root_is_dir: bool) -> String {
    if root_is_dir {
        let rel = file.strip_prefix(root).unwrap_or(file);
        root.join(rel).display().to_string()
    } else {
        file.display().to_string()
    }
}

/// Walks a directory for `*.policy` files. Symlinked directories are followed
/// once: `seen` holds the canonical paths already visited, so a link loop ends.
fn collect_policy_files(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    seen: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    let canonical = dir.canonicalize()?;
    if seen.contains(&canonical) {
        return Ok(());
    }
    seen.push(canonical);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let Ok(meta) = std::fs::metadata(&path) else {
                continue; // a dangling symlink is not a policy file
            };
            if meta.is_dir() {
                let canonical = path.canonicalize()?;
                if !seen.contains(&canonical) {
                    seen.push(canonical);
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "policy") {
                out.push(path);
            }
        }
    }
    Ok(())
}
