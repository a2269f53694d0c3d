//! Loading a policy directory whose contents an attacker chose (issues 13
//! and 14): links out of the policy root, special files, huge files, odd
//! names and many directories each get a clear error (exit 2) or a correct
//! load — never a leaked file, a hang, unbounded memory or a silent skip.
#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

use rolegraph::source::{Sources, MAX_FILE_BYTES};

use crate::common::{copy_dir, rolegraph, POLICIES};

const SECRET: &str = "s3cr3t-token-4f9a";

/// The shipped policies, copied to a directory of their own.
fn policies() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(POLICIES), &dir.path().join("policies"));
    dir
}

/// `validate` on `policy`, with a secret in the environment; its output.
fn validate(policy: &Path) -> (Option<i32>, String) {
    let out = rolegraph(policy)
        .arg("validate")
        .env("ROLEGRAPH_TEST_SECRET", SECRET)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// Issue 13, finding 3: `x.policy -> /proc/self/environ` put the process
/// environment (tokens included) into the syntax error's snippet.
#[test]
fn a_link_to_the_environment_is_refused_unread() {
    let dir = policies();
    let root = dir.path().join("policies");
    symlink("/proc/self/environ", root.join("example/env.policy")).unwrap();
    let (code, text) = validate(&root);
    assert_eq!(code, Some(2), "{text}");
    assert!(!text.contains(SECRET), "{text}");
    assert!(
        text.contains("env.policy") && text.contains("leads out"),
        "{text}"
    );

    // Named outright, a link must lead to a `.policy` file.
    let named = dir.path().join("env.policy");
    symlink("/proc/self/environ", &named).unwrap();
    let (code, text) = validate(&named);
    assert_eq!(code, Some(2), "{text}");
    assert!(!text.contains(SECRET), "{text}");
    assert!(text.contains("not a `.policy` file"), "{text}");
}

/// A link to a file outside the root is not read, even a `.policy` one.
#[test]
fn a_link_out_of_the_root_is_refused_unread() {
    let dir = policies();
    std::fs::write(
        dir.path().join("secret.policy"),
        format!("TOKEN={SECRET}\n"),
    )
    .unwrap();
    let root = dir.path().join("policies");
    symlink("../secret.policy", root.join("s.policy")).unwrap();
    let (code, text) = validate(&root);
    assert_eq!(code, Some(2), "{text}");
    assert!(!text.contains(SECRET), "{text}");
    // Whatever its name: a link could stand for a directory of policies.
    std::fs::remove_file(root.join("s.policy")).unwrap();
    symlink("..", root.join("notes")).unwrap();
    let (code, text) = validate(&root);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("notes") && text.contains("leads out"),
        "{text}"
    );
}

/// Issue 14, finding 5: a FIFO named `x.policy` blocked forever, and a link
/// to `/dev/zero` read until memory ran out.
#[test]
fn pipes_and_devices_are_not_read() {
    let dir = policies();
    let root = dir.path().join("policies");
    let fifo = root.join("example/fifo.policy");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let (code, text) = validate(&root);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("not a regular file"), "{text}");
    std::fs::remove_file(&fifo).unwrap();

    symlink("/dev/zero", root.join("zero.policy")).unwrap();
    let (code, text) = validate(&root);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("zero.policy"), "{text}");
}

/// A file over the limit is refused before it is read (a sparse file costs
/// no disk), naming the limit.
#[test]
fn a_file_over_the_size_limit_is_refused() {
    let dir = policies();
    let root = dir.path().join("policies");
    let big = std::fs::File::create(root.join("big.policy")).unwrap();
    big.set_len(MAX_FILE_BYTES + 1).unwrap();
    let (code, text) = validate(&root);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("big.policy") && text.contains("over the limit of 256 MiB"),
        "{text}"
    );
    // Named outright, too.
    let (code, text) = validate(&root.join("big.policy"));
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("over the limit"), "{text}");
}

/// A newline or another control character in a policy file's name is
/// refused, and shown escaped.
#[test]
fn control_characters_in_names_are_refused() {
    for name in ["a\nb.policy", "a\u{1b}[8m.policy", "a\u{202e}b.policy"] {
        let dir = policies();
        let root = dir.path().join("policies");
        std::fs::write(root.join(name), "").unwrap();
        let (code, text) = validate(&root);
        assert_eq!(code, Some(2), "{name:?}: {text}");
        assert!(text.contains("control character"), "{name:?}: {text}");
        assert!(!text.contains(name), "{name:?} is shown raw: {text}");
    }
}

/// Links inside the root are followed, each file read once: a link to a
/// `.policy` file adds nothing, a `.policy` link to another file is read
/// under the link's name, links to directories are not walked twice.
#[test]
fn links_inside_the_root_read_each_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("sub")).unwrap();
    std::fs::write(root.join("base.policy"), "kind use_case\n").unwrap();
    std::fs::write(root.join("sub/roles.txt"), "role r\n").unwrap();
    symlink("../base.policy", root.join("sub/again.policy")).unwrap();
    symlink("roles.txt", root.join("sub/roles.policy")).unwrap();
    symlink("roles.txt", root.join("sub/roles2.policy")).unwrap();
    symlink("sub", root.join("sub-again")).unwrap();
    symlink(root.join("sub"), root.join("sub-absolute")).unwrap();
    let sources = Sources::load(root).unwrap();
    let names: Vec<String> = sources
        .files
        .iter()
        .map(|f| {
            Path::new(&f.name)
                .strip_prefix(root)
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(names, ["base.policy", "sub/roles.policy"]);
    assert_eq!(&*sources.files[1].text, "role r\n");
    assert!(sources.files[1].via_link && !sources.files[0].via_link);
}

/// A root named outright may be a link to a directory or a `.policy` file,
/// and a pipe named outright (`--policy /dev/stdin`) is read.
#[test]
fn a_root_named_outright_may_be_a_link() {
    let dir = policies();
    let linked_dir = dir.path().join("linked");
    symlink("policies", &linked_dir).unwrap();
    let (code, text) = validate(&linked_dir);
    assert_eq!(code, Some(0), "{text}");
    let linked_file = dir.path().join("adaptive.policy");
    symlink("policies/adaptive.policy", &linked_file).unwrap();
    let (code, text) = validate(&linked_file);
    assert_eq!(code, Some(0), "{text}");
}

/// Issue 14, finding 7: the walk searched a `Vec` of the directories seen,
/// so 60,000 empty directories took 99 s (minutes on a busy machine). The
/// walk keeps no such list now; a generous bound catches a quadratic one.
/// The directories go to a RAM disk where there is one: making and removing
/// 60,000 of them on a busy disk takes longer than the walk ever should.
#[test]
fn sixty_thousand_directories_are_walked_in_linear_time() {
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let root = dir.path().to_path_buf();
    std::fs::write(root.join("base.policy"), "kind use_case\n").unwrap();
    for i in 0..60_000 {
        std::fs::create_dir(root.join(format!("d{i}"))).unwrap();
    }
    let (done, finished) = std::sync::mpsc::channel();
    let walker = std::thread::spawn(move || {
        let loaded = Sources::load(&root).map(|s| s.files.len());
        let _ = done.send(());
        loaded
    });
    finished
        .recv_timeout(Duration::from_secs(60))
        .expect("60,000 directories walked within a minute");
    assert_eq!(walker.join().unwrap().unwrap(), 1);
}
