//! A deployment's state -> policy files that describe it, so that an
//! existing deployment can adopt rolegraph (`import adaptive`).
//!
//! In: a [`State`], and optionally the `auth:` settings of a Helm values
//! file. Out: [`Imported`]: the files' names and text — permission
//! declarations, `auth`, roles with their permissions, teams, users with
//! their memberships, projects with their shares — and notes on what was
//! derived or left out. `plan` against the same state is then empty.
//!
//! Permission declarations say more than a deployment knows (the scopes a
//! permission is held at): a name the shipped built-ins declare takes their
//! declaration; any other is derived from its name, and the file says which.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::helm::HelmAuth;
use crate::adaptive::target::{FALLBACK_PROJECT_KIND, PROJECT_KIND};
use crate::adaptive::State;
use crate::resolve::Model;
use crate::syntax::is_key;
use crate::Policy;

/// The shipped built-ins, whose declarations are reused by name.
const BUILTINS: &str = include_str!("../../policies/adaptive.policy");

/// `auth` when no values file is given: the documented defaults (SPEC §8).
const DEFAULT_AUTH: [(&str, &str); 3] = [
    ("admin_team", "admin"),
    ("default_team", "default"),
    ("default_role", "read-only"),
];

/// The policy files of a deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    /// (file name, text), in the order they are written.
    pub files: Vec<(String, String)>,
    /// What was derived or left out, in words.
    pub notes: Vec<String>,
}

impl Imported {
    /// All files as one policy text.
    pub fn joined(&self) -> String {
        let texts: Vec<&str> = self.files.iter().map(|(_, t)| t.as_str()).collect();
        texts.join("\n")
    }
}

/// A name in the state that a policy file cannot hold (a usage error).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what} `{name}` cannot be written in a policy: {why}")]
pub struct ImportError {
    pub what: &'static str,
    pub name: String,
    pub why: String,
}

/// Refuses a key the language cannot write. It is not renamed: the key is
/// what ties the policy's item to the deployment's.
fn key(what: &'static str, name: &str) -> Result<(), ImportError> {
    if is_key(name) {
        return Ok(());
    }
    let mut chars = name.chars();
    let why = match chars.next() {
        None => "it is empty".to_string(),
        Some(c) if !(c.is_ascii_alphabetic() || c == '_') => format!(
            "it starts with `{}`, and a key starts with a letter or `_`",
            crate::escape::text(&c.to_string())
        ),
        Some(_) => match chars
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        {
            Some(c) => format!(
                "it holds `{}`, and a key holds only ASCII letters, digits, `_`, `.` and `-`",
                crate::escape::text(&c.to_string())
            ),
            None => "a key is a letter or `_`, then letters, digits, `_`, `.` or `-`".to_string(),
        },
    };
    Err(ImportError {
        what,
        name: name.to_string(),
        why,
    })
}

fn permission_name(name: &str) -> Result<(), ImportError> {
    match name.split_once(':') {
        Some((prefix, action)) if is_key(prefix) && is_key(action) => Ok(()),
        _ => Err(ImportError {
            what: "permission",
            name: name.to_string(),
            why: "a permission is written `prefix:action`, each part a key".to_string(),
        }),
    }
}

/// A quoted string: `"`, `\` and line feeds escaped.
fn quote(what: &'static str, s: &str) -> Result<String, ImportError> {
    if s.contains('\r') {
        return Err(ImportError {
            what,
            name: crate::escape::text(s).into_owned(),
            why: "a policy string cannot hold a carriage return".to_string(),
        });
    }
    Ok(format!(
        "\"{}\"",
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    ))
}

/// ` "Title"`, or nothing when the name is the key (a missing title means
/// the key, so both read back the same); and the comment lines to put
/// before the item when the name had to be changed to be written: a policy
/// string cannot hold a carriage return, so each becomes a line break.
fn title(what: &'static str, name: &str, key: &str) -> Result<(String, String), ImportError> {
    if name == key {
        return Ok((String::new(), String::new()));
    }
    if !name.contains('\r') {
        return Ok((String::new(), format!(" {}", quote(what, name)?)));
    }
    let cleaned = name.replace("\r\n", "\n").replace('\r', "\n");
    let comment = format!(
        "# the deployment's {what} \"{}\" holds a carriage return, which a policy string cannot hold: written with a line break instead\n",
        crate::escape::text(name)
    );
    Ok((comment, format!(" {}", quote(what, &cleaned)?)))
}

/// An email as the grammar takes it: bare when it can be, else quoted.
fn email(s: &str) -> Result<String, ImportError> {
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ImportError {
            what: "user",
            name: crate::escape::text(s).into_owned(),
            why: "an email holds no whitespace or control characters".to_string(),
        });
    }
    let bare = s.matches('@').count() == 1
        && !s.starts_with('@')
        && !s.ends_with('@')
        && !s.chars().any(|c| matches!(c, ',' | '#' | '{' | '}' | '"'));
    if bare {
        Ok(s.to_string())
    } else {
        quote("user", s)
    }
}

/// Where a permission's declaration came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Origin {
    /// Declared so by the shipped built-ins.
    Builtin,
    /// A `project:` permission declared like the seed's `use_case:` one.
    LikeSeed,
    /// Derived from the name alone.
    Derived,
}

/// A permission declaration to write.
struct Declaration {
    team: bool,
    kinds: Vec<String>,
    global: bool,
    requires_owner: bool,
    target_team: bool,
    description: Option<String>,
    origin: Origin,
}

impl Declaration {
    fn from_model(model: &Model, name: &str) -> Option<Declaration> {
        let p = &model[model.perm(name)?];
        Some(Declaration {
            team: p.scopes.team,
            kinds: p
                .scopes
                .kinds
                .iter()
                .map(|&k| model[k].key.clone())
                .collect(),
            global: p.scopes.global,
            requires_owner: p.requires_owner,
            target_team: p.target_team,
            description: p.description.clone(),
            origin: Origin::Builtin,
        })
    }

    /// The declaration of a permission by its name (see the module doc).
    fn of(builtins: Option<&Model>, name: &str) -> Declaration {
        if let Some(d) = builtins.and_then(|m| Declaration::from_model(m, name)) {
            return d;
        }
        let (prefix, action) = name.split_once(':').unwrap_or((name, ""));
        if prefix == PROJECT_KIND {
            let seed = format!("{FALLBACK_PROJECT_KIND}:{action}");
            if let Some(mut d) = builtins.and_then(|m| Declaration::from_model(m, &seed)) {
                for k in &mut d.kinds {
                    if k == FALLBACK_PROJECT_KIND {
                        *k = PROJECT_KIND.to_string();
                    }
                }
                d.description = d.description.map(|t| {
                    t.replace("use cases", "projects")
                        .replace("use case", "project")
                });
                d.origin = Origin::LikeSeed;
                return d;
            }
        }
        let derived = |team, kinds: Vec<String>, global| Declaration {
            team,
            kinds,
            global,
            requires_owner: false,
            target_team: false,
            description: None,
            origin: Origin::Derived,
        };
        match prefix {
            PROJECT_KIND | FALLBACK_PROJECT_KIND => derived(false, vec![prefix.to_string()], false),
            "admin" => derived(true, Vec::new(), true),
            _ => derived(true, Vec::new(), false),
        }
    }

    fn line(&self, name: &str) -> Result<String, ImportError> {
        let mut on: Vec<&str> = Vec::new();
        if self.team {
            on.push("team");
        }
        on.extend(self.kinds.iter().map(String::as_str));
        if self.global {
            on.push("global");
        }
        let mut line = format!("permission {name} on {}", on.join(", "));
        let mut requires = Vec::new();
        if self.requires_owner {
            requires.push("owner");
        }
        if self.target_team {
            requires.push("target team");
        }
        if !requires.is_empty() {
            line.push_str(&format!(" requires {}", requires.join(", ")));
        }
        if let Some(d) = &self.description {
            line.push_str(&format!(" {}", quote("permission description", d)?));
        }
        Ok(line)
    }
}

fn kind_title(kind: &str) -> String {
    match kind {
        FALLBACK_PROJECT_KIND => "Use case".to_string(),
        PROJECT_KIND => "Project".to_string(),
        other => other.to_string(),
    }
}

/// The policy files that describe a deployment; `helm`, the `auth:`
/// settings of a values file, else the documented defaults.
pub fn import(state: &State, helm: Option<&HelmAuth>) -> Result<Imported, ImportError> {
    check_names(state)?;
    let mut notes = Vec::new();
    let project_kind = if state.permissions.iter().any(|p| p.starts_with("project:")) {
        PROJECT_KIND
    } else if state.permissions.iter().any(|p| p.starts_with("use_case:")) {
        FALLBACK_PROJECT_KIND
    } else {
        PROJECT_KIND
    };
    let files = vec![
        (
            "permissions.policy".to_string(),
            permissions(state, project_kind, &mut notes)?,
        ),
        ("auth.policy".to_string(), auth(state, helm)),
        ("roles.policy".to_string(), roles(state)?),
        ("teams.policy".to_string(), teams(state)?),
        ("users.policy".to_string(), users(state)?),
        (
            "projects.policy".to_string(),
            projects(state, project_kind)?,
        ),
    ];
    Ok(Imported { files, notes })
}

/// Refuses a key, permission or email a policy file cannot hold, before
/// anything is written.
fn check_names(state: &State) -> Result<(), ImportError> {
    for (k, role) in &state.roles {
        key("role", k)?;
        role.permissions
            .iter()
            .try_for_each(|p| permission_name(p))?;
    }
    state
        .permissions
        .iter()
        .try_for_each(|p| permission_name(p))?;
    state.teams.keys().try_for_each(|k| key("team", k))?;
    for (k, project) in &state.projects {
        key("project", k)?;
        project.shares.keys().try_for_each(|t| key("team", t))?;
    }
    for e in state.users.keys() {
        email(e)?;
    }
    Ok(())
}

fn permissions(
    state: &State,
    project_kind: &str,
    notes: &mut Vec<String>,
) -> Result<String, ImportError> {
    let builtins = Policy::from_text("adaptive.policy", BUILTINS).ok();
    let builtins = builtins.as_ref().map(|p| &p.model);
    let listed: BTreeSet<&str> = state.permissions.iter().map(String::as_str).collect();
    let held: BTreeSet<&str> = state
        .roles
        .values()
        .flat_map(|r| r.permissions.iter().map(String::as_str))
        .collect();
    let unlisted: Vec<&&str> = held.difference(&listed).collect();
    if !unlisted.is_empty() {
        let names: Vec<String> = unlisted.iter().map(|p| format!("`{p}`")).collect();
        notes.push(format!(
            "roles of the deployment hold permissions its permission list lacks ({}): they are declared, but `plan` will stop on them until the deployment lists them",
            names.join(", ")
        ));
    }
    let declarations: BTreeMap<&str, Declaration> = listed
        .union(&held)
        .map(|&name| (name, Declaration::of(builtins, name)))
        .collect();

    let mut kinds: BTreeSet<String> = BTreeSet::from([project_kind.to_string()]);
    kinds.extend(declarations.values().flat_map(|d| d.kinds.iter().cloned()));
    let by_origin = |origin| -> Vec<&str> {
        declarations
            .iter()
            .filter(|(_, d)| d.origin == origin)
            .map(|(n, _)| *n)
            .collect()
    };
    let (builtin, like_seed, derived) = (
        by_origin(Origin::Builtin),
        by_origin(Origin::LikeSeed),
        by_origin(Origin::Derived),
    );

    let mut text = String::from(
        "# Written by `rolegraph import adaptive` from the deployment's state.\n#\n# Permission declarations. A deployment lists its permissions' names, not\n# where each is held, so:\n",
    );
    let _ = writeln!(
        text,
        "# - {} are declared as the shipped built-ins (policies/adaptive.policy) declare them;",
        builtin.len()
    );
    let _ = writeln!(
        text,
        "# - {} `project:` ones are declared like the seed's `use_case:` namesakes, on kind `project`;",
        like_seed.len()
    );
    let _ = writeln!(
        text,
        "# - {} were DERIVED FROM THEIR NAMES ONLY: `project:*` and `use_case:*` on that kind,\n#   `admin:*` on team and global, any other on team. Check their scopes{}",
        derived.len(),
        if derived.is_empty() { "." } else { ":" }
    );
    for chunk in derived.chunks(4) {
        let _ = writeln!(text, "#     {}", chunk.join(", "));
    }
    text.push('\n');
    for kind in &kinds {
        let _ = writeln!(
            text,
            "kind {kind} {}",
            quote("kind title", &kind_title(kind))?
        );
    }
    text.push('\n');
    for (name, d) in &declarations {
        let _ = writeln!(text, "{}", d.line(name)?);
    }
    if !derived.is_empty() {
        notes.push(format!(
            "{} permission declaration(s) were derived from their names: check their scopes in `permissions.policy`",
            derived.len()
        ));
    }
    Ok(text)
}

/// The `auth` block: each setting kept only when the deployment has the team
/// or role it names, else left out with a comment saying why.
fn auth(state: &State, helm: Option<&HelmAuth>) -> String {
    let (admin_team, default_team, default_role, admins, from) = match helm {
        Some(h) => (
            h.admin_team.clone(),
            h.default_team.clone(),
            h.default_role.clone(),
            h.admins.clone(),
            "the Helm values file",
        ),
        None => {
            let [(_, a), (_, t), (_, r)] = DEFAULT_AUTH;
            (
                Some(a.to_string()),
                Some(t.to_string()),
                Some(r.to_string()),
                None,
                "the documented defaults",
            )
        }
    };
    let mut lines = Vec::new();
    let mut comments = Vec::new();
    let admin_key = match admin_team {
        Some(t) if state.teams.contains_key(&t) => {
            lines.push(format!("admin_team   {t}"));
            t
        }
        Some(t) => {
            comments.push(format!(
                "admin_team `{t}` left out: the deployment has no team `{t}`"
            ));
            "admin".to_string()
        }
        None => "admin".to_string(),
    };
    match (default_team, default_role) {
        (Some(t), Some(r)) => {
            let mut missing = Vec::new();
            if !state.teams.contains_key(&t) {
                missing.push(format!("team `{t}`"));
            }
            if !state.roles.contains_key(&r) {
                missing.push(format!("role `{r}`"));
            }
            if missing.is_empty() {
                lines.push(format!("default_team {t}"));
                lines.push(format!("default_role {r}"));
            } else {
                comments.push(format!(
                    "default_team `{t}` and default_role `{r}` left out: the deployment has no {}",
                    missing.join(" and no ")
                ));
            }
        }
        (Some(t), None) => comments.push(format!(
            "default_team `{t}` left out: it takes a default_role too"
        )),
        (None, Some(r)) => comments.push(format!(
            "default_role `{r}` left out: it takes a default_team too"
        )),
        (None, None) => {}
    }
    match admins {
        Some(list) if list.is_empty() => comments.push("admins: none (`admins: []`)".into()),
        Some(list) => {
            let is_admin = |e: &String| {
                state.roles.contains_key("admin")
                    && state
                        .users
                        .get(e)
                        .and_then(|u| u.teams.get(&admin_key))
                        .is_some_and(|r| r == "admin")
            };
            let (kept, left): (Vec<String>, Vec<String>) = list.into_iter().partition(is_admin);
            if !kept.is_empty() {
                let written: Vec<String> = kept
                    .iter()
                    .map(|e| email(e).unwrap_or_else(|_| e.clone()))
                    .collect();
                lines.push(format!("admins       {}", written.join(", ")));
            }
            if !left.is_empty() {
                comments.push(format!(
                    "admins left out, not members of `{admin_key}` as `admin` in the deployment: {}",
                    left.join(", ")
                ));
            }
        }
        None => {}
    }
    let mut text = format!("# `auth`, from {from}.\n");
    for c in &comments {
        let _ = writeln!(text, "# {c}");
    }
    if !lines.is_empty() {
        text.push_str("\nauth {\n");
        for l in &lines {
            let _ = writeln!(text, "  {l}");
        }
        text.push_str("}\n");
    }
    text
}

fn roles(state: &State) -> Result<String, ImportError> {
    let mut text = String::from("# The deployment's roles, each with the permissions it lists.\n");
    for (k, role) in &state.roles {
        let (comment, title) = title("role name", &role.name, k)?;
        let _ = write!(text, "\n{comment}role {k}{title}");
        if role.permissions.is_empty() {
            text.push('\n');
            continue;
        }
        text.push_str(" {\n");
        // One `grant` line per prefix, four names at most, for reading.
        let mut by_prefix: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let sorted: BTreeSet<&str> = role.permissions.iter().map(String::as_str).collect();
        for p in sorted {
            let prefix = p.split_once(':').map_or(p, |(a, _)| a);
            by_prefix.entry(prefix).or_default().push(p);
        }
        for perms in by_prefix.values() {
            for line in perms.chunks(4) {
                let _ = writeln!(text, "  grant {}", line.join(", "));
            }
        }
        text.push_str("}\n");
    }
    Ok(text)
}

fn teams(state: &State) -> Result<String, ImportError> {
    let mut text = String::from("# The deployment's teams.\n\n");
    for (k, team) in &state.teams {
        let (comment, title) = title("team name", &team.name, k)?;
        let _ = writeln!(text, "{comment}team {k}{title}");
    }
    Ok(text)
}

fn users(state: &State) -> Result<String, ImportError> {
    let mut text = String::with_capacity(state.users.len() * 80);
    text.push_str("# The deployment's users, each with their teams and role in each.\n");
    for (e, user) in &state.users {
        let (comment, title) = title("user name", &user.name, e)?;
        let _ = write!(text, "\n{comment}user {}{title}", email(e)?);
        if user.teams.is_empty() {
            text.push('\n');
            continue;
        }
        text.push_str(" {\n");
        for (team, role) in &user.teams {
            let _ = writeln!(text, "  in {team} as {role}");
        }
        text.push_str("}\n");
    }
    Ok(text)
}

fn projects(state: &State, kind: &str) -> Result<String, ImportError> {
    let mut text = String::with_capacity(state.projects.len() * 100);
    text.push_str("# The deployment's projects, each with its shares.\n");
    for (k, project) in &state.projects {
        let (comment, title) = title("project name", &project.name, k)?;
        let _ = write!(text, "\n{comment}{kind} {k}{title}");
        if project.shares.is_empty() {
            text.push('\n');
            continue;
        }
        text.push_str(" {\n");
        for (team, share) in &project.shares {
            let owner = if share.owner { " owner" } else { "" };
            let _ = writeln!(text, "  share {team} as {}{owner}", share.role);
        }
        text.push_str("}\n");
    }
    Ok(text)
}
