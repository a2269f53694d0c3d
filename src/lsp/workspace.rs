//! The documents the server knows: the policy's files on disk, overridden by
//! the buffers the editor has open.
//!
//! In: the policy path and the editor's open/change/close notifications.
//! Out: a [`Snapshot`] of every file's current text, the policy's files
//! first. An open buffer takes precedence over the file on disk; closing it
//! falls back to disk. A `.policy` buffer outside the policy stands alone.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsp_types::{TextDocumentContentChangeEvent, Uri};

use super::position::LineIndex;
use super::uri;
use crate::source::LoadError;
use crate::{Policy, PolicyError};

/// How a document is known: by its path, or, for a buffer with no file
/// (`untitled:`), by its URI.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocKey {
    Path(PathBuf),
    Other(String),
}

#[derive(Debug)]
struct OpenDoc {
    uri: Uri,
    text: String,
    version: i32,
    /// The text as last analysed, shared until the next change.
    snapshot: Option<Arc<str>>,
}

/// One file of a snapshot.
#[derive(Clone, Debug)]
pub struct FileInput {
    pub key: DocKey,
    pub uri: Uri,
    /// The name shown in reports: the path relative to the editor's folder.
    pub name: String,
    /// As the editor holds it (a byte-order mark, if any, included).
    pub text: Arc<str>,
    /// Set for open buffers.
    pub version: Option<i32>,
    pub in_policy: bool,
    /// Why the file could not be read from disk (its `text` is then
    /// empty): not UTF-8, too large, unreadable.
    pub unreadable: Option<Arc<str>>,
}

/// Every file's text at one moment.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The policy's files (sorted by path), then stand-alone buffers.
    pub files: Vec<FileInput>,
}

/// Why an edit was not applied.
#[derive(Debug, PartialEq, Eq)]
pub enum EditError {
    NotOpen,
    /// The version is not newer than the buffer's.
    Stale {
        have: i32,
        got: i32,
    },
}

#[derive(Debug)]
pub struct Workspace {
    /// The policy: a directory, or one `.policy` file.
    policy: PathBuf,
    policy_is_file: bool,
    /// The editor's folder: report names are relative to it.
    base: PathBuf,
    disk: BTreeMap<PathBuf, Arc<str>>,
    /// The policy's files that could not be read, and why.
    unreadable: BTreeMap<PathBuf, Arc<str>>,
    /// Why the policy could not be read from disk, if it could not.
    pub load_problem: Option<String>,
    open: HashMap<DocKey, OpenDoc>,
}

impl Workspace {
    /// The workspace of a policy path (made absolute against `base`, the
    /// editor's folder), read from disk.
    pub fn new(policy: &Path, base: &Path) -> Workspace {
        let joined = base.join(policy);
        let policy = joined.canonicalize().unwrap_or(joined);
        let mut ws = Workspace {
            policy_is_file: policy.is_file(),
            policy,
            base: base.canonicalize().unwrap_or_else(|_| base.to_path_buf()),
            disk: BTreeMap::new(),
            unreadable: BTreeMap::new(),
            load_problem: None,
            open: HashMap::new(),
        };
        ws.reload_disk();
        ws
    }

    pub fn policy(&self) -> &Path {
        &self.policy
    }

    /// Reads the policy's files from disk again (on start, after a save, a
    /// close, or a change the editor's file watcher saw). A file that
    /// cannot be read is kept apart with why, and the others are read: one
    /// bad file does not hide the rest of the policy.
    pub fn reload_disk(&mut self) {
        self.policy_is_file = self.policy.is_file();
        self.disk.clear();
        self.unreadable.clear();
        self.load_problem = None;
        match Policy::read_text_each(&self.policy) {
            Ok((sources, problems)) => {
                for file in sources.files {
                    self.disk.insert(PathBuf::from(&file.name), file.text);
                }
                for (path, why) in problems {
                    self.unreadable.insert(path, Arc::from(why.to_string()));
                }
            }
            Err(PolicyError::Load(LoadError::Empty(_))) => {}
            Err(e) => self.load_problem = Some(e.to_string()),
        }
    }

    /// How a URI is known here.
    pub fn key(&self, uri: &Uri) -> DocKey {
        match uri::to_path(uri) {
            Some(path) => DocKey::Path(normalise(&path)),
            None => DocKey::Other(uri.as_str().to_string()),
        }
    }

    /// Whether a file belongs to the policy.
    pub fn in_policy(&self, key: &DocKey) -> bool {
        belongs(&self.policy, self.policy_is_file, key)
    }

    pub fn open(&mut self, uri: Uri, text: String, version: i32) {
        let key = self.key(&uri);
        self.open.insert(
            key,
            OpenDoc {
                uri,
                text,
                version,
                snapshot: None,
            },
        );
    }

    /// Applies an editor's changes, in order. A change whose range lies past
    /// the end of the text is clamped to it.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) -> Result<(), EditError> {
        let key = self.key(uri);
        let doc = self.open.get_mut(&key).ok_or(EditError::NotOpen)?;
        if version <= doc.version {
            return Err(EditError::Stale {
                have: doc.version,
                got: version,
            });
        }
        for change in changes {
            match change.range {
                None => doc.text = change.text,
                Some(range) => {
                    let lines = LineIndex::new(&doc.text);
                    let start = lines.offset(&doc.text, range.start);
                    let end = lines.offset(&doc.text, range.end).max(start);
                    doc.text.replace_range(start..end, &change.text);
                }
            }
        }
        doc.version = version;
        doc.snapshot = None;
        Ok(())
    }

    /// Closes a buffer; its file on disk (if any) is read again.
    pub fn close(&mut self, uri: &Uri) {
        let key = self.key(uri);
        self.open.remove(&key);
        self.reload_file(&key);
    }

    /// Reads one file of the policy again after the editor saved it.
    pub fn reload_file(&mut self, key: &DocKey) {
        let DocKey::Path(path) = key else {
            return;
        };
        if !self.in_policy(key) {
            return;
        }
        match std::fs::read(path).map(String::from_utf8) {
            Ok(Ok(text)) => {
                let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
                self.disk.insert(path.clone(), Arc::from(text));
                self.unreadable.remove(path);
            }
            // Gone, unreadable or not UTF-8: read the whole policy again,
            // which drops the file or says why it cannot be read.
            _ => self.reload_disk(),
        }
    }

    pub fn is_open(&self, key: &DocKey) -> bool {
        self.open.contains_key(key)
    }

    /// Every file's current text.
    pub fn snapshot(&mut self) -> Snapshot {
        let mut policy: BTreeMap<DocKey, FileInput> = BTreeMap::new();
        let empty: Arc<str> = Arc::from("");
        let disk = self.disk.iter().map(|(path, text)| (path, text, None));
        let unreadable = (self.unreadable.iter()).map(|(path, why)| (path, &empty, Some(why)));
        for (path, text, why) in disk.chain(unreadable) {
            let key = DocKey::Path(path.clone());
            let Some(uri) = uri::from_path(path) else {
                continue;
            };
            policy.insert(
                key,
                FileInput {
                    key: DocKey::Path(path.clone()),
                    uri,
                    name: self.display_name(path),
                    text: Arc::clone(text),
                    version: None,
                    in_policy: true,
                    unreadable: why.cloned(),
                },
            );
        }
        let mut others = Vec::new();
        for (key, doc) in &mut self.open {
            let text = Arc::clone(
                doc.snapshot
                    .get_or_insert_with(|| Arc::from(doc.text.as_str())),
            );
            let name = match key {
                DocKey::Path(path) => display_name(&self.base, path),
                DocKey::Other(uri) => uri.clone(),
            };
            let in_policy = belongs(&self.policy, self.policy_is_file, key);
            let input = FileInput {
                key: key.clone(),
                uri: doc.uri.clone(),
                name,
                text,
                version: Some(doc.version),
                in_policy,
                unreadable: None,
            };
            if in_policy {
                policy.insert(key.clone(), input);
            } else {
                others.push(input);
            }
        }
        others.sort_by(|a, b| a.key.cmp(&b.key));
        Snapshot {
            files: policy.into_values().chain(others).collect(),
        }
    }

    fn display_name(&self, path: &Path) -> String {
        display_name(&self.base, path)
    }
}

/// Whether a file belongs to the policy at `policy`.
fn belongs(policy: &Path, policy_is_file: bool, key: &DocKey) -> bool {
    let DocKey::Path(path) = key else {
        return false;
    };
    if policy_is_file {
        return path == policy;
    }
    path.extension().is_some_and(|e| e == "policy") && path.starts_with(policy)
}

fn display_name(base: &Path, path: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A path as the policy's files are named: symlinks resolved where the
/// file (or its folder, for a new file) exists.
fn normalise(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => parent
            .canonicalize()
            .map_or_else(|_| path.to_path_buf(), |p| p.join(name)),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::str::FromStr;

    use lsp_types::{Position, Range};

    use super::*;

    fn change(
        range: Option<((u32, u32), (u32, u32))>,
        text: &str,
    ) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: range.map(|(a, b)| Range::new(Position::new(a.0, a.1), Position::new(b.0, b.1))),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn buffers_override_disk_and_close_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.policy");
        std::fs::write(&file, "kind k\n").unwrap();
        let mut ws = Workspace::new(Path::new("."), dir.path());
        let uri = uri::from_path(&file.canonicalize().unwrap()).unwrap();
        assert_eq!(&*ws.snapshot().files[0].text, "kind k\n");
        ws.open(uri.clone(), "kind é\n".into(), 1);
        ws.change(&uri, 2, vec![change(Some(((0, 5), (0, 6))), "x")])
            .unwrap();
        let snap = ws.snapshot();
        assert_eq!(snap.files.len(), 1);
        assert_eq!(&*snap.files[0].text, "kind x\n");
        assert_eq!(
            ws.change(&uri, 2, vec![change(None, "")]),
            Err(EditError::Stale { have: 2, got: 2 })
        );
        ws.change(&uri, 3, vec![change(Some(((9, 0), (12, 0))), "kind z\n")])
            .unwrap();
        assert_eq!(&*ws.snapshot().files[0].text, "kind x\nkind z\n");
        ws.close(&uri);
        assert_eq!(&*ws.snapshot().files[0].text, "kind k\n");
        let other = Uri::from_str("untitled:Untitled-1").unwrap();
        ws.open(other, "kind q".into(), 1);
        let snap = ws.snapshot();
        assert!(!snap.files[1].in_policy);
    }
}
