//! The access state of a deployment as SPEC §9's state file holds it:
//! permissions, roles, teams, users with their memberships, projects with
//! their shares. Maps are `BTreeMap`s, so the bytes written are sorted and
//! deterministic.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::marker::PhantomData;
use std::path::Path;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

/// The `schema` value of a state file.
pub const SCHEMA: &str = "rolegraph/adaptive-state";
/// The `version` value of a state file.
pub const VERSION: u32 = 1;
/// The largest state file read: 64 MiB, four times the state of a deployment
/// of 100,000 users, 5,000 teams and 50,000 projects. A bigger file is far
/// more likely a mistake (or an attack on memory) than a deployment.
pub const MAX_STATE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub schema: String,
    pub version: u32,
    /// Every permission the deployment knows, sorted.
    pub permissions: Vec<String>,
    /// Role key → role.
    #[serde(deserialize_with = "unique::roles")]
    pub roles: BTreeMap<String, RoleState>,
    /// Team key → team.
    #[serde(deserialize_with = "unique::teams")]
    pub teams: BTreeMap<String, TeamState>,
    /// Lower-case email → user.
    #[serde(deserialize_with = "unique::users")]
    pub users: BTreeMap<String, UserState>,
    /// Project key → project.
    #[serde(deserialize_with = "unique::projects")]
    pub projects: BTreeMap<String, ProjectState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleState {
    pub name: String,
    /// Sorted.
    pub permissions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamState {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserState {
    pub name: String,
    /// Team key → role key.
    #[serde(deserialize_with = "unique::memberships")]
    pub teams: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectState {
    pub name: String,
    /// Team key → share.
    #[serde(deserialize_with = "unique::shares")]
    pub shares: BTreeMap<String, ShareState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareState {
    pub role: String,
    pub owner: bool,
}

/// Why a state (a state file, or what a deployment answered) is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("cannot read `{path}`: {message}")]
    Io { path: String, message: String },
    #[error("`{path}` is larger than {} MiB: not a state file", MAX_STATE_BYTES / (1024 * 1024))]
    TooLarge { path: String },
    #[error("not a state file: {0}")]
    Json(String),
    #[error("not a rolegraph state file: `schema` is `{0}`, expected `{SCHEMA}`")]
    Schema(String),
    #[error("state file version {0} is not supported (this rolegraph reads version {VERSION})")]
    Version(u32),
    /// A key, email or permission that is empty or holds whitespace or a
    /// control character: no deployment names things so, and printed it
    /// could forge a line of a report.
    #[error("{what} {name:?} is not a name (empty, or with whitespace or control characters)")]
    BadName { what: &'static str, name: String },
    /// A user that is not an email as a policy's are: `*` would be taken
    /// for the matrix's new-login user, and no policy could declare it.
    #[error("user `{email}` is not an email: {why}")]
    NotEmail { email: String, why: String },
    #[error("user `{email}` is not written in lower case")]
    EmailCase { email: String },
    #[error("user `{0}` appears twice (emails are compared case-insensitively)")]
    DuplicateEmail(String),
    #[error("user `{user}` is a member of unknown team `{team}`")]
    UnknownMemberTeam { user: String, team: String },
    #[error("user `{user}` has unknown role `{role}` in team `{team}`")]
    UnknownMemberRole {
        user: String,
        team: String,
        role: String,
    },
    #[error("project `{project}` is shared with unknown team `{team}`")]
    UnknownShareTeam { project: String, team: String },
    #[error("project `{project}` is shared with team `{team}` at unknown role `{role}`")]
    UnknownShareRole {
        project: String,
        team: String,
        role: String,
    },
}

impl State {
    /// An empty state of the current schema and version.
    pub fn new() -> State {
        State {
            schema: SCHEMA.to_string(),
            version: VERSION,
            permissions: Vec::new(),
            roles: BTreeMap::new(),
            teams: BTreeMap::new(),
            users: BTreeMap::new(),
            projects: BTreeMap::new(),
        }
    }

    /// Reads a state file from disk ([`State::from_json`]), refusing one
    /// larger than [`MAX_STATE_BYTES`] before reading it whole.
    pub fn read_file(path: &Path) -> Result<State, StateError> {
        use std::io::Read;
        let shown = path.display().to_string();
        let io = |e: std::io::Error| StateError::Io {
            path: shown.clone(),
            message: e.to_string(),
        };
        let file = std::fs::File::open(path).map_err(io)?;
        if file.metadata().is_ok_and(|m| m.len() > MAX_STATE_BYTES) {
            return Err(StateError::TooLarge { path: shown });
        }
        let mut bytes = Vec::new();
        // `take` rather than the file's length: a pipe or a special file has none.
        file.take(MAX_STATE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes.len() as u64 > MAX_STATE_BYTES {
            return Err(StateError::TooLarge { path: shown });
        }
        State::from_json(&bytes)
    }

    /// Reads a state file and checks it ([`State::validate`]).
    pub fn from_json(bytes: &[u8]) -> Result<State, StateError> {
        if bytes.len() as u64 > MAX_STATE_BYTES {
            return Err(StateError::TooLarge {
                path: "the state".to_string(),
            });
        }
        // The schema and version are read first (the rest is skipped), so
        // that a file of another schema is named as such rather than as a
        // missing field.
        #[derive(Deserialize)]
        struct Header {
            schema: Option<serde_json::Value>,
            version: Option<serde_json::Value>,
        }
        let header: Header =
            serde_json::from_slice(bytes).map_err(|e| StateError::Json(e.to_string()))?;
        match header.schema.as_ref().and_then(|s| s.as_str()) {
            Some(SCHEMA) => {}
            Some(other) => return Err(StateError::Schema(other.to_string())),
            None => return Err(StateError::Json("it has no `schema` string".to_string())),
        }
        if let Some(version) = header.version.as_ref().and_then(|v| v.as_u64()) {
            if version != u64::from(VERSION) {
                return Err(StateError::Version(
                    u32::try_from(version).unwrap_or(u32::MAX),
                ));
            }
        }
        let state: State =
            serde_json::from_slice(bytes).map_err(|e| StateError::Json(e.to_string()))?;
        state.validate()?;
        Ok(state)
    }

    /// Refuses a state that names an unknown team or role, or an email twice.
    pub fn validate(&self) -> Result<(), StateError> {
        if self.schema != SCHEMA {
            return Err(StateError::Schema(self.schema.clone()));
        }
        if self.version != VERSION {
            return Err(StateError::Version(self.version));
        }
        self.check_names()?;
        for (email, user) in &self.users {
            if let Some(why) = crate::syntax::email_problem(email) {
                return Err(StateError::NotEmail {
                    email: email.clone(),
                    why,
                });
            }
            if email.bytes().any(|b| b.is_ascii_uppercase()) {
                return Err(StateError::EmailCase {
                    email: email.clone(),
                });
            }
            for (team, role) in &user.teams {
                if !self.teams.contains_key(team) {
                    return Err(StateError::UnknownMemberTeam {
                        user: email.clone(),
                        team: team.clone(),
                    });
                }
                if !self.roles.contains_key(role) {
                    return Err(StateError::UnknownMemberRole {
                        user: email.clone(),
                        team: team.clone(),
                        role: role.clone(),
                    });
                }
            }
        }
        for (key, project) in &self.projects {
            for (team, share) in &project.shares {
                if !self.teams.contains_key(team) {
                    return Err(StateError::UnknownShareTeam {
                        project: key.clone(),
                        team: team.clone(),
                    });
                }
                if !self.roles.contains_key(&share.role) {
                    return Err(StateError::UnknownShareRole {
                        project: key.clone(),
                        team: team.clone(),
                        role: share.role.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Refuses an empty key, email or permission, or one with whitespace or
    /// a control character (display names may hold anything).
    fn check_names(&self) -> Result<(), StateError> {
        let check = |what: &'static str, name: &String| {
            if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
                Err(StateError::BadName {
                    what,
                    name: name.clone(),
                })
            } else {
                Ok(())
            }
        };
        self.permissions
            .iter()
            .try_for_each(|p| check("permission", p))?;
        for (key, role) in &self.roles {
            check("role", key)?;
            role.permissions
                .iter()
                .try_for_each(|p| check("permission", p))?;
        }
        self.teams.keys().try_for_each(|k| check("team", k))?;
        self.users.keys().try_for_each(|e| check("user", e))?;
        self.projects.keys().try_for_each(|k| check("project", k))?;
        Ok(())
    }

    /// The state file's bytes: pretty JSON, keys and arrays sorted, a final
    /// newline; the same state always gives the same bytes.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        // Writing into a Vec cannot fail, nor can serializing strings.
        let _ = self.write_json(&mut bytes);
        bytes
    }

    /// [`State::to_json`], written as it is made: a state of 100,000 users
    /// is never held twice.
    pub fn write_json(&self, out: impl std::io::Write) -> std::io::Result<()> {
        let mut out = out;
        serde_json::to_writer_pretty(&mut out, &Canonical(self))?;
        out.write_all(b"\n")
    }

    /// `sha256:` of [`State::to_json`]: what a saved plan was made against.
    /// Hashed as it is written, without the bytes in memory.
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        struct Hasher(Sha256);
        impl std::io::Write for Hasher {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.update(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut hasher = Hasher(Sha256::new());
        let _ = self.write_json(std::io::BufWriter::new(&mut hasher));
        let hex: String = hasher
            .0
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("sha256:{hex}")
    }
}

/// A state serialized with its permission lists sorted and deduplicated
/// (its maps are sorted already), without a sorted copy of it.
struct Canonical<'a>(&'a State);

/// A list of names, sorted and deduplicated as it is written.
struct SortedNames<'a>(&'a [String]);

impl Serialize for SortedNames<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let names: BTreeSet<&String> = self.0.iter().collect();
        s.collect_seq(names)
    }
}

struct CanonicalRole<'a>(&'a RoleState);

impl Serialize for CanonicalRole<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut role = s.serialize_struct("RoleState", 2)?;
        role.serialize_field("name", &self.0.name)?;
        role.serialize_field("permissions", &SortedNames(&self.0.permissions))?;
        role.end()
    }
}

impl Serialize for Canonical<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let state = self.0;
        let roles: BTreeMap<&String, CanonicalRole> = state
            .roles
            .iter()
            .map(|(k, r)| (k, CanonicalRole(r)))
            .collect();
        let mut out = s.serialize_struct("State", 7)?;
        out.serialize_field("schema", &state.schema)?;
        out.serialize_field("version", &state.version)?;
        out.serialize_field("permissions", &SortedNames(&state.permissions))?;
        out.serialize_field("roles", &roles)?;
        out.serialize_field("teams", &state.teams)?;
        out.serialize_field("users", &state.users)?;
        out.serialize_field("projects", &state.projects)?;
        out.end()
    }
}

impl Default for State {
    fn default() -> State {
        State::new()
    }
}

/// Maps that refuse a key written twice. JSON allows it and serde keeps the
/// last value, which would hide a membership or a share; a state file that
/// says two things about one name is refused instead. Emails are compared
/// case-insensitively (ASCII case folding, SPEC §1).
mod unique {
    use super::*;

    struct UniqueKeys<V> {
        what: &'static str,
        fold_case: bool,
        value: PhantomData<V>,
    }

    impl<'de, V: Deserialize<'de>> Visitor<'de> for UniqueKeys<V> {
        type Value = BTreeMap<String, V>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "a map of {}", self.what)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            let mut folded = BTreeSet::new();
            while let Some(key) = map.next_key::<String>()? {
                let twice = if self.fold_case {
                    !folded.insert(key.to_ascii_lowercase())
                } else {
                    out.contains_key(&key)
                };
                if twice {
                    let how = if self.fold_case {
                        " (emails are compared case-insensitively)"
                    } else {
                        ""
                    };
                    return Err(de::Error::custom(format!(
                        "{} `{key}` appears twice{how}",
                        self.what
                    )));
                }
                let value = map.next_value()?;
                out.insert(key, value);
            }
            Ok(out)
        }
    }

    fn map<'de, D: Deserializer<'de>, V: Deserialize<'de>>(
        d: D,
        what: &'static str,
        fold_case: bool,
    ) -> Result<BTreeMap<String, V>, D::Error> {
        d.deserialize_map(UniqueKeys {
            what,
            fold_case,
            value: PhantomData,
        })
    }

    pub fn roles<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, RoleState>, D::Error> {
        map(d, "role", false)
    }
    pub fn teams<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, TeamState>, D::Error> {
        map(d, "team", false)
    }
    pub fn users<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, UserState>, D::Error> {
        map(d, "user", true)
    }
    pub fn projects<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, ProjectState>, D::Error> {
        map(d, "project", false)
    }
    pub fn memberships<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, String>, D::Error> {
        map(d, "membership in team", false)
    }
    pub fn shares<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, ShareState>, D::Error> {
        map(d, "share with team", false)
    }
}
