//! Which files make up a policy: the one rule for symbolic links, special
//! files and file names that every loader applies — the directory walk in
//! [`super::Sources::load`] and the reads at a git revision in
//! `diff::git` — so that both read the same files from the same tree.
//!
//! In: the entries of a policy root, each with its kind, and a [`Tree`] to
//! follow links through. Out: the `.policy` files to read, or why an entry is
//! refused.
//!
//! The rule:
//! - The path given (`--policy PATH`, `git:REV:PATH`) is the policy root.
//! - Inside it, a symbolic link is followed only while every step stays inside
//!   the root. A link that leaves the root, points to nothing, loops or runs
//!   through more than [`MAX_LINK_HOPS`] links is an error, whatever its name:
//!   it could stand for a directory of policies, and skipping it would hide
//!   them.
//! - A directory reached through a link is inside the root, so the walk reads
//!   it under its real path anyway: links to directories add nothing. A
//!   `.policy` link to a `.policy` file is read once, under the file's own
//!   name; a `.policy` link to another in-root file is read under the link's
//!   name.
//! - Only regular files are read: a `.policy` entry that is a pipe, socket or
//!   device is an error.
//! - A policy file's path may not hold a control character (a newline in a
//!   name split git's requests once, issue 13).

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// The longest chain of links followed from one entry (Linux's own limit).
pub const MAX_LINK_HOPS: usize = 40;

/// What a path inside the root is, the link in its last component not
/// followed.
pub enum Entry {
    Dir,
    File,
    /// A symbolic link, with its target as written.
    Link(PathBuf),
    /// A pipe, socket, device, or a git submodule.
    Other,
    Missing,
}

/// Where a tree's entries are looked up: the disk, or a git tree.
pub trait Tree {
    /// The entry at `rel`, a path relative to the root made of plain names.
    fn entry(&self, rel: &Path) -> std::io::Result<Entry>;
    /// An absolute link target as a path relative to the root, if it is
    /// inside the root.
    fn inside(&self, absolute: &Path) -> Option<PathBuf>;
}

/// The kind of an entry found by a walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File,
    Link,
    Other,
}

/// Why a link is not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    LeavesRoot,
    Dangling,
    Loops,
    IntoFile,
}

impl std::fmt::Display for LinkProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LinkProblem::LeavesRoot => {
                "leads out of the policy directory, and links are followed only within it: remove the link, or move what it points to inside"
            }
            LinkProblem::Dangling => "points to nothing: remove it, or restore what it points to",
            LinkProblem::Loops => "loops, or chains more than 40 links",
            LinkProblem::IntoFile => "runs through a file as if it were a directory",
        })
    }
}

/// Why an entry is refused.
#[derive(Debug)]
pub enum Refusal {
    Link(LinkProblem),
    NotRegular,
    ControlCharacter,
    Io(std::io::Error),
}

/// A policy file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The path shown, relative to the root: the entry's own.
    pub shown: PathBuf,
    /// The path read, relative to the root, with no link in it.
    pub read: PathBuf,
    /// Whether a link was followed to reach it.
    pub via_link: bool,
}

/// Where a link leads inside the root.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolved {
    Dir,
    File(PathBuf),
    Other,
}

/// One step of a path being followed, owned (targets come and go).
enum Step {
    Parent,
    Name(OsString),
}

/// Follows the link at `link` (relative to the root) to what it finally
/// names, one component at a time, as the kernel does, but refusing any step
/// out of the root.
pub fn resolve(tree: &impl Tree, link: &Path, target: &Path) -> Result<Resolved, Refusal> {
    let mut at: Vec<OsString> = parent_names(link);
    // Steps still to take, the next one last.
    let mut pending: Vec<Step> = Vec::new();
    let mut hops = 1;
    push_target(tree, target, &mut at, &mut pending)?;
    let mut last = Entry::Dir;
    while let Some(step) = pending.pop() {
        match step {
            Step::Parent => {
                if at.pop().is_none() {
                    return Err(Refusal::Link(LinkProblem::LeavesRoot));
                }
                last = Entry::Dir;
            }
            Step::Name(name) => {
                at.push(name);
                let here: PathBuf = at.iter().collect();
                match tree.entry(&here).map_err(Refusal::Io)? {
                    Entry::Link(next) => {
                        hops += 1;
                        if hops > MAX_LINK_HOPS {
                            return Err(Refusal::Link(LinkProblem::Loops));
                        }
                        at.pop();
                        push_target(tree, &next, &mut at, &mut pending)?;
                        last = Entry::Dir;
                    }
                    Entry::Missing => return Err(Refusal::Link(LinkProblem::Dangling)),
                    entry @ (Entry::File | Entry::Other) => {
                        if !pending.is_empty() {
                            return Err(Refusal::Link(LinkProblem::IntoFile));
                        }
                        last = entry;
                    }
                    Entry::Dir => last = Entry::Dir,
                }
            }
        }
    }
    Ok(match last {
        Entry::File => Resolved::File(at.iter().collect()),
        Entry::Other => Resolved::Other,
        _ => Resolved::Dir,
    })
}

fn parent_names(path: &Path) -> Vec<OsString> {
    let mut names: Vec<OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_owned()),
            _ => None,
        })
        .collect();
    names.pop();
    names
}

/// Queues a link's target: relative to where the link stands, or, when
/// absolute, from the root if it names a place inside it.
fn push_target(
    tree: &impl Tree,
    target: &Path,
    at: &mut Vec<OsString>,
    pending: &mut Vec<Step>,
) -> Result<(), Refusal> {
    if target.as_os_str().is_empty() {
        return Err(Refusal::Link(LinkProblem::Dangling));
    }
    let inside;
    let target = if target.has_root() {
        inside = tree
            .inside(target)
            .ok_or(Refusal::Link(LinkProblem::LeavesRoot))?;
        at.clear();
        inside.as_path()
    } else {
        target
    };
    for component in target.components().rev() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => pending.push(Step::Parent),
            Component::Normal(name) => pending.push(Step::Name(name.to_owned())),
            Component::RootDir | Component::Prefix(_) => {
                return Err(Refusal::Link(LinkProblem::LeavesRoot))
            }
        }
    }
    Ok(())
}

/// Applies the rule to one entry of a walk (directories are the walk's
/// business): the policy file it stands for, if any.
pub fn select(tree: &impl Tree, rel: &Path, kind: Kind) -> Result<Option<Found>, Refusal> {
    let is_policy = rel.extension().is_some_and(|e| e == "policy");
    match kind {
        Kind::Dir => Ok(None),
        Kind::File if is_policy => {
            refuse_control(rel)?;
            Ok(Some(Found {
                shown: rel.to_path_buf(),
                read: rel.to_path_buf(),
                via_link: false,
            }))
        }
        Kind::File => Ok(None),
        Kind::Other if is_policy => Err(Refusal::NotRegular),
        Kind::Other => Ok(None),
        Kind::Link => {
            let Entry::Link(target) = tree.entry(rel).map_err(Refusal::Io)? else {
                // Changed under us: read it on the next run.
                return Err(Refusal::Link(LinkProblem::Dangling));
            };
            match resolve(tree, rel, &target)? {
                Resolved::File(read) if is_policy => {
                    refuse_control(rel)?;
                    refuse_control(&read)?;
                    Ok(Some(Found {
                        shown: rel.to_path_buf(),
                        read,
                        via_link: true,
                    }))
                }
                Resolved::Other if is_policy => Err(Refusal::NotRegular),
                _ => Ok(None),
            }
        }
    }
}

/// The files to read, in a deterministic order (by path, component-wise),
/// each read once: a link to a `.policy` file that the walk reads anyway is
/// dropped, and of several links to one other file the first is kept.
pub fn finish(mut found: Vec<Found>) -> Vec<Found> {
    found.sort_by(|a, b| a.shown.cmp(&b.shown));
    let real: HashSet<PathBuf> = found
        .iter()
        .filter(|f| !f.via_link)
        .map(|f| f.read.clone())
        .collect();
    let mut linked: HashSet<PathBuf> = HashSet::new();
    found.retain(|f| !f.via_link || (!real.contains(&f.read) && linked.insert(f.read.clone())));
    found
}

/// Whether a character is one a file name must not hold: one that would not
/// show as itself ([`crate::escape::is_unsafe`]).
pub fn is_control(c: char) -> bool {
    crate::escape::is_unsafe(c)
}

fn refuse_control(path: &Path) -> Result<(), Refusal> {
    if path.to_string_lossy().chars().any(is_control) {
        Err(Refusal::ControlCharacter)
    } else {
        Ok(())
    }
}

/// Text with its control characters escaped, for messages.
pub fn escaped(text: &str) -> String {
    crate::escape::text(text).into_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// A tree in memory: paths to entries.
    struct Fake(Vec<(&'static str, &'static str)>);

    impl Tree for Fake {
        fn entry(&self, rel: &Path) -> std::io::Result<Entry> {
            for (path, what) in &self.0 {
                if Path::new(path) == rel {
                    return Ok(match *what {
                        "dir" => Entry::Dir,
                        "file" => Entry::File,
                        "fifo" => Entry::Other,
                        target => Entry::Link(PathBuf::from(target)),
                    });
                }
            }
            Ok(Entry::Missing)
        }
        fn inside(&self, absolute: &Path) -> Option<PathBuf> {
            absolute.strip_prefix("/root").ok().map(Path::to_path_buf)
        }
    }

    fn resolved(tree: &Fake, link: &str) -> Result<Resolved, LinkProblem> {
        let Entry::Link(target) = tree.entry(Path::new(link)).unwrap() else {
            panic!("not a link")
        };
        resolve(tree, Path::new(link), &target).map_err(|e| match e {
            Refusal::Link(p) => p,
            other => panic!("{other:?}"),
        })
    }

    #[test]
    fn links_inside_the_root_are_followed() {
        let tree = Fake(vec![
            ("d", "dir"),
            ("d/a.policy", "file"),
            ("d/up", ".."),
            ("l.policy", "d/a.policy"),
            ("m.policy", "d/up/d/./a.policy"),
            ("abs.policy", "/root/d/a.policy"),
            ("chain.policy", "l.policy"),
            ("todir", "d"),
            ("p.policy", "fifo"),
            ("pipe.policy", "p.policy"),
        ]);
        let a = Ok(Resolved::File(PathBuf::from("d/a.policy")));
        assert_eq!(resolved(&tree, "l.policy"), a);
        assert_eq!(resolved(&tree, "m.policy"), a);
        assert_eq!(resolved(&tree, "abs.policy"), a);
        assert_eq!(resolved(&tree, "chain.policy"), a);
        assert_eq!(resolved(&tree, "todir"), Ok(Resolved::Dir));
        assert_eq!(resolved(&tree, "pipe.policy"), Ok(Resolved::Other));
    }

    #[test]
    fn links_that_leave_dangle_or_loop_are_refused() {
        let tree = Fake(vec![
            ("d", "dir"),
            ("f", "file"),
            ("out.policy", "../etc/passwd"),
            ("back.policy", "../root/f"),
            ("abs.policy", "/proc/self/environ"),
            ("missing.policy", "nothing"),
            ("loop", "loop"),
            ("a", "b"),
            ("b", "a"),
            ("through", "f/x"),
            ("d/deep", "../../x"),
        ]);
        for (link, problem) in [
            ("out.policy", LinkProblem::LeavesRoot),
            ("back.policy", LinkProblem::LeavesRoot),
            ("abs.policy", LinkProblem::LeavesRoot),
            ("missing.policy", LinkProblem::Dangling),
            ("loop", LinkProblem::Loops),
            ("a", LinkProblem::Loops),
            ("through", LinkProblem::IntoFile),
            ("d/deep", LinkProblem::LeavesRoot),
        ] {
            assert_eq!(resolved(&tree, link), Err(problem), "{link}");
        }
    }

    #[test]
    fn each_file_is_read_once() {
        let found = |shown: &str, read: &str, via_link| Found {
            shown: shown.into(),
            read: read.into(),
            via_link,
        };
        let kept = finish(vec![
            found("z.policy", "notes.txt", true),
            found("b.policy", "a.policy", true),
            found("a.policy", "a.policy", false),
            found("y.policy", "notes.txt", true),
        ]);
        assert_eq!(
            kept,
            vec![
                found("a.policy", "a.policy", false),
                found("y.policy", "notes.txt", true),
            ]
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escaped("zzz\nx.policy"), "zzz\\nx.policy");
        assert!(is_control('\u{202e}'));
    }
}
