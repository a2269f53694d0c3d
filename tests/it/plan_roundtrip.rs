//! Round trips: `import adaptive S` then `plan --state S` is empty (on the
//! fixtures and on a generated deployment of some size); `export helm` then
//! `import helm` gives the same `auth`; and what `import adaptive` writes
//! when the deployment is not consistent, or its names are derived.

use std::path::Path;

use rolegraph::adaptive::{plan, PlanOptions, State};
use rolegraph::import::adaptive::import;
use rolegraph::import::helm;
use rolegraph::source::Sources;
use rolegraph::Policy;

use super::common::{rolegraph, POLICIES};
use super::plan_support::{fixture, org_state};
use super::{orgen, stategen};

/// The policy `import` writes for a state, checked.
fn imported(state: &State, helm: Option<&helm::HelmAuth>) -> Policy {
    let files = import(state, helm).unwrap();
    let mut sources = Sources::default();
    for (name, text) in &files.files {
        sources.add(name.clone(), text);
    }
    match Policy::from_sources(sources) {
        Ok(p) => p,
        Err(rolegraph::PolicyError::Invalid { diagnostics, .. }) => {
            let first: Vec<&str> = diagnostics
                .iter()
                .take(5)
                .map(|d| d.message.as_str())
                .collect();
            panic!("the imported policy does not check: {first:#?}")
        }
        Err(e) => panic!("{e}"),
    }
}

fn assert_empty_plan(policy: &Policy, state: &State) {
    let p = plan(policy, state, None, &PlanOptions::default()).unwrap();
    assert!(
        p.operations.is_empty(),
        "{:#?}",
        &p.operations[..p.operations.len().min(5)]
    );
    assert!(p.manual.is_empty(), "{:?}", p.manual);
    assert!(p.unmanaged.is_empty(), "{:?}", p.unmanaged);
    assert!(p.notes.is_empty(), "{:?}", p.notes);
}

#[test]
fn import_then_plan_is_empty_through_the_binary() {
    for name in ["in-sync.state.json", "project-api.state.json"] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("policies");
        let state = fixture(name);
        let import = rolegraph(&out)
            .args(["import", "adaptive"])
            .arg(&state)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(
            import.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&import.stderr)
        );
        let plan = rolegraph(&out)
            .args(["plan", "--fail-on-drift", "--state"])
            .arg(&state)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&plan.stdout);
        assert_eq!(plan.status.code(), Some(0), "{text}");
        assert_eq!(text, "No changes: the deployment matches the policy.\n");
        let validate = rolegraph(&out)
            .args(["validate", "--deny-warnings"])
            .output()
            .unwrap();
        assert_eq!(
            validate.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&validate.stderr)
        );
    }
}

#[test]
fn import_then_plan_is_empty_on_a_generated_deployment() {
    let org = orgen::generate(orgen::Size::S, 7);
    let state = stategen::state(&org);
    // The generator agrees with the org's own policy...
    let sources = orgen::sources(&org);
    let original = Policy::from_sources(sources).unwrap();
    assert_empty_plan(&original, &state);
    // ...and the imported policy describes the same deployment.
    assert_empty_plan(&imported(&state, None), &state);
    // So does the state with drift, imported as it is.
    let drifted = stategen::drifted(&org);
    assert_empty_plan(&imported(&drifted, None), &drifted);
    // The original policy sees the drift.
    let p = plan(&original, &drifted, None, &PlanOptions::default()).unwrap();
    for op in [
        "teams.create",
        "roles.update",
        "users.create",
        "users.add_to_team",
        "projects.share",
    ] {
        assert!(
            p.operations.iter().any(|o| o.operation.name() == op),
            "no {op}"
        );
    }
}

#[test]
fn import_with_helm_values_keeps_only_what_the_deployment_has() {
    let state = org_state().build();
    let yaml = "auth:\n  admin_team: admin\n  default_team: newcomers\n  default_role: viewer\n  admins:\n    - root@acme.com\n    - ghost@acme.com\n  oidc: {}\n";
    let auth = helm::parse(yaml).unwrap();
    let files = import(&state, Some(&auth)).unwrap();
    let text = &files
        .files
        .iter()
        .find(|(n, _)| n == "auth.policy")
        .unwrap()
        .1;
    assert!(text.contains("admin_team   admin"), "{text}");
    assert!(text.contains("admins       root@acme.com\n"), "{text}");
    assert!(text.contains("# default_team `newcomers` and default_role `viewer` left out: the deployment has no team `newcomers`"), "{text}");
    assert!(
        text.contains(
            "admins left out, not members of `admin` as `admin` in the deployment: ghost@acme.com"
        ),
        "{text}"
    );
    let policy = imported(&state, Some(&auth));
    assert_empty_plan(&policy, &state);
}

#[test]
fn derived_permission_declarations_are_named_in_a_comment() {
    let state = org_state().build();
    let mut state = state;
    state
        .permissions
        .extend(["project:create", "admin:audit", "widget:make"].map(String::from));
    state.permissions.sort();
    let files = import(&state, None).unwrap();
    let perms = &files.files[0].1;
    let line = |name: &str| {
        perms
            .lines()
            .find(|l| l.starts_with(&format!("permission {name} ")))
            .unwrap_or_else(|| panic!("no declaration of {name}:\n{perms}"))
            .to_string()
    };
    // The seed's `use_case:share` and `use_case:create`, on projects.
    assert!(line("project:share")
        .starts_with("permission project:share on project requires owner, target team"));
    assert!(
        line("project:create").starts_with("permission project:create on team "),
        "{}",
        line("project:create")
    );
    // From the name alone.
    assert_eq!(
        line("project:adapt").split(" \"").next(),
        Some("permission project:adapt on project")
    );
    assert_eq!(
        line("admin:audit"),
        "permission admin:audit on team, global"
    );
    assert_eq!(line("widget:make"), "permission widget:make on team");
    // The built-ins' own names keep their declaration.
    assert!(line("admin:manage_users")
        .starts_with("permission admin:manage_users on team, global \"List/update users"));
    assert!(perms.contains("DERIVED FROM THEIR NAMES ONLY"));
    assert!(
        perms.contains("#     admin:audit, widget:make\n"),
        "{perms}"
    );
    assert!(files
        .notes
        .iter()
        .any(|n| n.contains("derived from their names")));
    assert_empty_plan(&imported(&state, None), &state);
}

#[test]
fn an_inconsistent_deployment_is_written_then_reported() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p");
    // The drifted fixture has a project without an owner share.
    let r = rolegraph(&out)
        .args(["import", "adaptive"])
        .arg(fixture("drifted.state.json"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{err}");
    assert!(
        err.contains("has no owner share") && err.contains("ranker"),
        "{err}"
    );
    assert!(err.contains("does not validate"), "{err}");
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        6,
        "the files are written"
    );
}

#[test]
fn import_refuses_a_non_empty_directory_and_unwritable_names() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mine.policy"), "team t").unwrap();
    let r = rolegraph(dir.path())
        .args(["import", "adaptive"])
        .arg(fixture("in-sync.state.json"))
        .arg("-o")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("is not empty"));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "nothing written"
    );

    let mut state = org_state().build();
    state.teams.insert(
        "9 lives".into(),
        rolegraph::adaptive::state::TeamState {
            name: "Cats".into(),
        },
    );
    assert!(import(&state, None)
        .unwrap_err()
        .to_string()
        .contains("team `9 lives` cannot be written"));

    // Without `-o`, one policy on standard output.
    let r = rolegraph(dir.path())
        .args(["import", "adaptive"])
        .arg(fixture("in-sync.state.json"))
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(0));
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(Policy::from_text("stdout.policy", &text).is_ok());
}

/// `export helm` of a policy, read back by `import helm`, against the same policy.
fn helm_round_trip(policy_dir: &Path) -> (helm::HelmAuth, Policy) {
    let out = rolegraph(policy_dir)
        .args(["export", "helm"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml = String::from_utf8(out.stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.yaml");
    std::fs::write(&values, &yaml).unwrap();
    let back = rolegraph(policy_dir)
        .args(["--format", "json", "import", "helm"])
        .arg(&values)
        .output()
        .unwrap();
    assert_eq!(back.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&back.stdout).unwrap();
    let auth = helm::HelmAuth {
        admin_team: v["admin_team"].as_str().map(String::from),
        default_team: v["default_team"].as_str().map(String::from),
        default_role: v["default_role"].as_str().map(String::from),
        admins: v["admins"]
            .as_array()
            .map(|a| a.iter().map(|e| e.as_str().unwrap().to_string()).collect()),
        ignored: Vec::new(),
        notes: Vec::new(),
    };
    (auth, Policy::load(policy_dir).unwrap())
}

#[test]
fn export_helm_then_import_helm_gives_the_same_auth() {
    let dir = tempfile::tempdir().unwrap();
    let variants = [
        ("shipped", None),
        ("small org", Some(super::plan_support::ORG.to_string())),
        (
            "no defaults, another admin team, two admins",
            Some(
                "role admin { grant * }\npermission a:b on global\nteam ops\nauth {\n  admin_team ops\n  admins b@acme.com, a@acme.com\n}\n"
                    .to_string(),
            ),
        ),
        ("no auth at all", Some("role r\nteam t\n".to_string())),
    ];
    for (what, text) in variants {
        let path = match &text {
            None => Path::new(POLICIES).to_path_buf(),
            Some(text) => {
                let p = dir.path().join(what.replace(' ', "_").replace(',', ""));
                std::fs::create_dir_all(&p).unwrap();
                std::fs::write(p.join("p.policy"), text).unwrap();
                p
            }
        };
        let (auth, policy) = helm_round_trip(&path);
        let m = &policy.model;
        assert_eq!(
            auth.admin_team.as_deref(),
            Some(m.auth.admin_team_key.as_str()),
            "{what}"
        );
        let defaults = m
            .auth
            .default
            .map(|(t, r)| (m[t].key.clone(), m[r].key.clone()));
        assert_eq!(
            auth.default_team.clone().zip(auth.default_role.clone()),
            defaults,
            "{what}"
        );
        let mut admins: Vec<String> = m
            .users
            .iter()
            .filter(|u| {
                u.memberships
                    .iter()
                    .any(|ms| ms.source == rolegraph::resolve::MemberSource::Admins)
            })
            .map(|u| u.email.clone())
            .collect();
        admins.sort();
        assert_eq!(auth.admins.unwrap_or_default(), admins, "{what}");
    }
}
