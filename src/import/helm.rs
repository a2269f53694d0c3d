//! A Helm `values.yaml` -> the `auth { … }` block it implies.
//!
//! In: the YAML text, and optionally a loaded policy to resolve names against.
//! Out: [`HelmAuth`] (the settings, with notes about what was ignored or is
//! unknown), rendered by [`HelmAuth::to_policy`] as a formatted block.
//!
//! The YAML is read by serde-saphyr, a maintained, panic-free parser with
//! budgets checked while it reads: nesting deeper than [`MAX_DEPTH`] is
//! refused at once (with libyaml, 100,000 levels took 41 s before its
//! recursion limit spoke, its scanner walking every open level on every
//! token), and so are alias bombs. Merge keys (`<<: *base`), which Helm
//! charts use to share settings, are applied as YAML 1.1 has them.

use serde::Serialize;
use serde_json::Value;

use crate::diagnostics::did_you_mean_suffix;
use crate::resolve::Model;
use crate::syntax::is_key;

/// The `auth:` settings rolegraph models.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HelmAuth {
    pub admin_team: Option<String>,
    pub default_team: Option<String>,
    pub default_role: Option<String>,
    /// `None` when the key is absent; `Some([])` for `admins: []`.
    pub admins: Option<Vec<String>>,
    /// Keys under `auth:` that rolegraph does not model, sorted.
    pub ignored: Vec<String>,
    /// What resolving against a policy found: aliases followed, unknown names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Mappings and sequences nested deeper than this are refused: a values
/// file is a few levels deep, and the budget makes the parser stop at the
/// first level past it instead of reading on.
pub const MAX_DEPTH: usize = 64;

/// Nodes (mappings, sequences, scalars, counting each alias replay) past
/// which a values file is refused: large charts' values have a few
/// thousand; an alias bomb has millions.
pub const MAX_NODES: usize = 100_000;

/// Why a values file could not be imported (a usage error, exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HelmError {
    /// The parser's message says where (`line 3 column 16`).
    #[error("invalid YAML: {0}")]
    Yaml(String),
    #[error("invalid YAML: {0}: mappings and lists nest deeper than {MAX_DEPTH} levels")]
    TooDeep(String),
    #[error("no `auth:` section at the top level")]
    NoAuth,
    #[error("`auth:` must be a mapping of settings")]
    AuthNotMapping,
    #[error("`auth.{0}` must be {1}")]
    BadValue(&'static str, &'static str),
    /// One entry of `auth.admins`, counted from 1, and why it is no email.
    #[error("`auth.admins` entry {index} {what}: each entry must be an email")]
    BadAdmin { index: usize, what: String },
    #[error("`auth.{key}`: `{value}` is not a valid name (letters, digits, `_`, `.`, `-`; not starting with a digit)")]
    BadKey { key: &'static str, value: String },
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn key_setting(
    auth: &serde_json::Map<String, Value>,
    key: &'static str,
) -> Result<Option<String>, HelmError> {
    match auth.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let s = scalar(v).ok_or(HelmError::BadValue(key, "a name"))?;
            if is_key(&s) {
                Ok(Some(s))
            } else {
                Err(HelmError::BadKey { key, value: s })
            }
        }
    }
}

/// One entry of `auth.admins` (`index` counted from 1): an email as SPEC §1
/// has it, lower-cased, or an error that names the entry.
fn admin(index: usize, value: &Value) -> Result<String, HelmError> {
    let bad = |what: String| HelmError::BadAdmin { index, what };
    let Some(text) = scalar(value) else {
        let kind = match value {
            Value::Array(_) => "a list",
            Value::Object(_) => "a mapping",
            _ => "empty",
        };
        return Err(bad(format!("is {kind}")));
    };
    // ASCII case folding only (SPEC §1): `K` (U+212A) is not `k`.
    let email = crate::resolve::fold_email(text.trim());
    let well_formed = email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
    if !well_formed {
        return Err(bad(format!("(`{text}`) is not `local@domain`")));
    }
    if email.chars().any(crate::syntax::forbidden_in_email) {
        return Err(bad(format!(
            "(`{text}`) holds a space or a control character"
        )));
    }
    Ok(email)
}

/// The document, merge keys applied, within the budgets.
fn read(yaml: &str) -> Result<Value, HelmError> {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_nodes = MAX_NODES;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    serde_saphyr::from_str_with_options(yaml, options).map_err(|e| {
        // One line: where, and what (the parser's own snippet is left out).
        let message = e.without_snippet().to_string();
        let message = message.lines().next().unwrap_or_default();
        let message = message
            .strip_prefix("error: ")
            .unwrap_or(message)
            .to_string();
        if message.contains("budget breached: Depth") || message.contains("recursion limit") {
            let place = message.split(": ").next().unwrap_or_default().to_string();
            HelmError::TooDeep(place)
        } else {
            HelmError::Yaml(message)
        }
    })
}

/// Reads the `auth:` section of a values file.
pub fn parse(yaml: &str) -> Result<HelmAuth, HelmError> {
    let doc = read(yaml)?;
    let auth = match doc.get("auth") {
        None => return Err(HelmError::NoAuth),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(HelmError::AuthNotMapping),
    };
    let admins = match auth.get("admins") {
        None => None,
        Some(Value::Null) => Some(Vec::new()),
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| admin(i + 1, v))
                .collect::<Result<_, _>>()?,
        ),
        Some(_) => return Err(HelmError::BadValue("admins", "a list of emails")),
    };
    const KNOWN: [&str; 4] = ["admin_team", "default_team", "default_role", "admins"];
    let mut ignored: Vec<String> = auth
        .keys()
        .filter(|k| !KNOWN.contains(&k.as_str()))
        .cloned()
        .collect();
    ignored.sort();
    Ok(HelmAuth {
        admin_team: key_setting(auth, "admin_team")?,
        default_team: key_setting(auth, "default_team")?,
        default_role: key_setting(auth, "default_role")?,
        admins,
        ignored,
        notes: Vec::new(),
    })
}

/// Rewrites `name` to the key the policy knows it by (through an alias, or
/// with `_` written for `-`), noting the change; an unknown name is kept as
/// written, with a note and a suggestion.
fn canonical<'m>(
    name: &mut String,
    what: &str,
    key_of: impl Fn(&str) -> Option<&'m str>,
    candidates: impl IntoIterator<Item = &'m str>,
    notes: &mut Vec<String>,
) {
    match key_of(name).or_else(|| key_of(&name.replace('_', "-"))) {
        Some(key) if key != name.as_str() => {
            notes.push(format!("`{name}` is {what} `{key}` in the policy"));
            *name = key.to_string();
        }
        Some(_) => {}
        None => {
            let hint = did_you_mean_suffix(name, candidates);
            notes.push(format!("unknown {what} `{name}` in the policy{hint}"));
        }
    }
}

impl HelmAuth {
    /// Resolves role and team names against a policy: an alias (or a key
    /// written with `_` for `-`) becomes the role's key; an unknown name is
    /// kept as written, with a note.
    pub fn resolve(&mut self, model: &Model) {
        let notes = &mut self.notes;
        if let Some(role) = &mut self.default_role {
            let keys = model.names.roles.keys().map(String::as_str);
            canonical(
                role,
                "role",
                |n| model.role(n).map(|id| &*model[id].key),
                keys,
                notes,
            );
        }
        for team in [&mut self.admin_team, &mut self.default_team]
            .into_iter()
            .flatten()
        {
            let keys = model.teams.iter().map(|t| t.key.as_str());
            canonical(
                team,
                "team",
                |n| model.team(n).map(|id| &*model[id].key),
                keys,
                notes,
            );
        }
    }

    /// The `auth { … }` block, formatted.
    pub fn to_policy(&self) -> String {
        let mut text = String::from("auth {\n");
        let settings = [
            ("admin_team", &self.admin_team),
            ("default_team", &self.default_team),
            ("default_role", &self.default_role),
        ];
        for (key, value) in settings {
            if let Some(v) = value {
                text.push_str(&format!("{key} {v}\n"));
            }
        }
        match &self.admins {
            Some(admins) if admins.is_empty() => {
                text.push_str("# admins: none (`admins: []` in values.yaml)\n");
            }
            Some(admins) => {
                let list: Vec<String> = admins.iter().map(|a| email(a)).collect();
                text.push_str(&format!("admins {}\n", list.join(", ")));
            }
            None => {}
        }
        text.push_str("}\n");
        crate::fmt::format_text(&text)
    }
}

/// An email as the grammar takes it: bare when it can be, else quoted.
fn email(s: &str) -> String {
    let bare = s.matches('@').count() == 1
        && !s.starts_with('@')
        && !s.ends_with('@')
        && !s
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, ',' | '#' | '{' | '}' | '"'));
    if bare {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
}
