//! Bundles (`compile --format bundle`): a policy saved and loaded again
//! answers every command exactly as the policy text does, and a bundle that
//! is damaged, from another version, or given to a text command is a clear
//! usage error (exit 2), never an answer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::{Path, PathBuf};

use common::{copy_dir, rolegraph, POLICIES};
use predicates::prelude::*;
use proptest::prelude::*;
use rolegraph::bundle::BundleError;
use rolegraph::Policy;

/// In a fresh directory: `policy/`, the shipped policies plus an empty team
/// (so that it has a warning), and `org.bundle` compiled from it.
struct Compiled {
    _dir: tempfile::TempDir,
    policy: PathBuf,
    bundle: PathBuf,
}

fn bundle() -> Compiled {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy");
    copy_dir(Path::new(POLICIES), &policy);
    std::fs::write(policy.join("lonely.policy"), "team lonely \"Lonely\"\n").unwrap();
    let bundle = dir.path().join("org.bundle");
    rolegraph(&policy)
        .args(["compile", "--format", "bundle", "-o"])
        .arg(&bundle)
        .assert()
        .code(0)
        .stdout("");
    Compiled {
        _dir: dir,
        policy,
        bundle,
    }
}

fn shipped() -> Policy {
    Policy::load(Path::new(POLICIES)).unwrap()
}

#[test]
fn a_bundle_answers_every_query_command_as_the_policy_does() {
    let compiled = bundle();
    let (policy, bundle) = (&compiled.policy, &compiled.bundle);
    let commands: &[&[&str]] = &[
        &[
            "can",
            "john@acme.com",
            "use_case:adapt",
            "use_case/support-bot",
        ],
        &[
            "can",
            "carol@acme.com",
            "use_case:adapt",
            "use_case/support-bot",
        ],
        &[
            "can",
            "newbie@acme.com",
            "use_case:read",
            "use_case/support-bot",
        ],
        &[
            "--format",
            "json",
            "explain",
            "carol@acme.com",
            "use_case:adapt",
            "use_case/support-bot",
        ],
        &[
            "explain",
            "john@acme.com",
            "use_case:share",
            "use_case/support-bot",
            "--to",
            "team/ml-team",
        ],
        &[
            "--format",
            "json",
            "who",
            "use_case:read",
            "use_case/support-bot",
        ],
        &["what", "maria@acme.com"],
        &["compile"],
        &["compile", "--format", "lines"],
        &["test"],
        &["graph"],
        &[
            "can",
            "carol@acme.com",
            "use_case:adaptt",
            "use_case/support-bot",
        ],
    ];
    for args in commands {
        let from_text = rolegraph(policy).args(*args).output().unwrap();
        let from_bundle = rolegraph(bundle).args(*args).output().unwrap();
        assert_eq!(
            from_bundle.status.code(),
            from_text.status.code(),
            "{args:?}"
        );
        assert_eq!(
            String::from_utf8_lossy(&from_bundle.stdout),
            String::from_utf8_lossy(&from_text.stdout),
            "{args:?}"
        );
        assert_eq!(
            String::from_utf8_lossy(&from_bundle.stderr),
            String::from_utf8_lossy(&from_text.stderr),
            "{args:?}"
        );
    }
    let batch = concat!(
        r#"{"user":"john@acme.com","permission":"use_case:adapt","scope":"use_case/support-bot"}"#,
        "\n",
        r#"{"user":"carol@acme.com","permission":"use_case:adapt","scope":"use_case/support-bot"}"#,
        "\n",
        r#"{"user":"x@y.z","permission":"nope"}"#,
        "\n"
    );
    let answers = |policy: &Path| {
        rolegraph(policy)
            .args(["can", "--batch", "-"])
            .write_stdin(batch)
            .output()
            .unwrap()
            .stdout
    };
    let from_bundle = answers(bundle);
    assert_eq!(from_bundle, answers(policy));
    assert!(String::from_utf8_lossy(&from_bundle).starts_with("{\"decision\":\"allow\"}\n"));
}

#[test]
fn the_same_policy_gives_the_same_bundle_bytes() {
    let a = shipped().to_bundle().unwrap();
    let b = shipped().to_bundle().unwrap();
    assert!(a == b, "two bundles of the same policy differ");
    let reloaded = Policy::from_bundle(&a).unwrap();
    assert_eq!(reloaded.compiled_json(), shipped().compiled_json());
    assert!(reloaded.to_bundle().unwrap() == a);
}

#[test]
fn a_damaged_or_foreign_bundle_is_refused_with_exit_2() {
    let compiled = bundle();
    let bytes = std::fs::read(&compiled.bundle).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = compiled.policy.with_file_name(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 1;
    let truncated = &bytes[..bytes.len() - 100];
    let version = env!("CARGO_PKG_VERSION").as_bytes();
    let at = bytes
        .windows(version.len())
        .position(|w| w == version)
        .unwrap();
    let other_version = [&bytes[..at], b"0.0.0-other", &bytes[at + version.len()..]].concat();
    for (path, says) in [
        (write("flipped.bundle", &flipped), "damaged"),
        (write("truncated.bundle", truncated), "damaged"),
        (write("header-only.bundle", &bytes[..20]), "damaged"),
        (
            write("other.bundle", &other_version),
            "built by rolegraph 0.0.0-other",
        ),
    ] {
        rolegraph(&path)
            .args([
                "can",
                "john@acme.com",
                "use_case:adapt",
                "use_case/support-bot",
            ])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(says).and(predicate::str::contains("rebuild it")));
    }
}

#[test]
fn text_commands_say_a_bundle_is_not_policy_text() {
    let compiled = bundle();
    for command in ["validate", "fmt"] {
        rolegraph(&compiled.bundle)
            .arg(command)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("is a compiled bundle"));
    }
    rolegraph(Path::new(POLICIES))
        .args(["compile", "--format", "bundle"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("-o FILE"));
}

/// Looking for a bundle's header must not use up a piped policy.
#[test]
fn a_piped_policy_is_read_whole() {
    let text = std::fs::read_to_string(Path::new(POLICIES).join("adaptive.policy")).unwrap();
    rolegraph(Path::new("/dev/stdin"))
        .args(["can", "nobody@acme.com", "use_case:read", "team/admin"])
        .write_stdin(text)
        .assert()
        .code(1)
        .stdout("deny\n");
}

/// A bundle does not save the name tables; `Names::index` rebuilds them from
/// the model's own tables. It must give what resolution inserted.
#[test]
fn the_rebuilt_name_tables_are_the_resolved_ones() {
    let mut policies = vec![shipped()];
    for dir in ["resolve/ok", "lint/ok", "lint/err", "fmt"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(dir);
        for fixture in std::fs::read_dir(dir).unwrap() {
            if let Ok(policy) = Policy::load(&fixture.unwrap().path()) {
                policies.push(policy);
            }
        }
    }
    assert!(
        policies.len() > 3,
        "too few valid policies: {}",
        policies.len()
    );
    for policy in &policies {
        let resolved = &policy.model.names;
        let rebuilt = rolegraph::resolve::Names::index(&policy.model);
        assert_eq!(rebuilt.kinds, resolved.kinds);
        assert_eq!(rebuilt.perms, resolved.perms);
        assert_eq!(rebuilt.roles, resolved.roles);
        assert_eq!(rebuilt.teams, resolved.teams);
        assert_eq!(rebuilt.users, resolved.users);
        assert_eq!(rebuilt.resources, resolved.resources);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any change to a bundle's bytes is an error, never another policy.
    #[test]
    fn a_changed_byte_is_an_error(at in any::<prop::sample::Index>(), xor in 1u8..) {
        static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let bytes = BYTES.get_or_init(|| shipped().to_bundle().unwrap());
        let mut changed = bytes.clone();
        changed[at.index(bytes.len())] ^= xor;
        let err = Policy::from_bundle(&changed).unwrap_err();
        prop_assert!(matches!(err, BundleError::Damaged | BundleError::OtherVersion(..)));
    }
}
