//! The library's front door: a loaded, checked and compiled policy, and the
//! questions it answers. `Send + Sync`; build once, query from any thread.

use std::path::Path;

use crate::bundle::{self, BundleError};
use crate::compile::{self, Matrix, Subject};
use crate::diagnostics::suggest::closest;
use crate::diagnostics::{did_you_mean_suffix as suggestion, escape_controls, Diagnostic};
use crate::eval::{self, Explanation, Named, Query, What, Who};
use crate::resolve::{self, fold_email, Model, Scope, ScopeError};
use crate::source::{self, LoadError, Sources};

/// A policy with no errors, compiled for queries.
#[derive(Debug, Clone)]
pub struct Policy {
    pub model: Model,
    pub matrix: Matrix,
    /// The warnings found while checking it.
    pub warnings: Vec<Diagnostic>,
}

/// Why a policy could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error(transparent)]
    Load(#[from] LoadError),
    /// Policy text was asked for ([`Policy::read_text`]), and the path is a
    /// compiled bundle.
    #[error("`{0}` is a compiled bundle, and this command reads policy text: point `--policy` at the policy it was built from")]
    IsBundle(String),
    #[error("cannot load the bundle `{path}`: {source}")]
    Bundle { path: String, source: BundleError },
    /// The policy has errors; the diagnostics (errors and warnings) say which.
    #[error("the policy has {} error(s)", .diagnostics.iter().filter(|d| d.is_error()).count())]
    Invalid {
        diagnostics: Vec<Diagnostic>,
        sources: Box<Sources>,
    },
}

/// Why a question could not be asked (a usage error, exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("unknown permission `{0}`{1}")]
    UnknownPermission(String, String),
    #[error("unknown scope `{0}`: write `global`, `team/KEY` or `KIND/KEY`")]
    MalformedScope(String),
    #[error("unknown team `{0}`{1}")]
    UnknownTeam(String, String),
    #[error("unknown resource kind `{0}`{1}")]
    UnknownKind(String, String),
    #[error("unknown resource `{0}`{1}")]
    UnknownResource(String, String),
    #[error("`{0}` is declared `target team`: the query needs a target team (`--to team/KEY`; `\"to\"` in a batch line)")]
    MissingTarget(String),
    #[error("`{0}` takes no target team: remove `--to`")]
    UnexpectedTarget(String),
    #[error("`--to` takes a team (`team/KEY`), not `{0}`")]
    TargetNotTeam(String),
    /// Not an email as a policy's must be (SPEC §1): a character no email
    /// may hold, or not `name@domain`; shown escaped.
    #[error("`{0}` is not an email: {1}")]
    InvalidEmail(String, String),
}

impl Policy {
    /// Reads, checks and compiles a `.policy` file or a directory of them;
    /// or loads a bundle (`compile --format bundle`), told apart by its
    /// first bytes (a file that starts like a bundle is not UTF-8 text).
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        if bundle::is_bundle_file(path) {
            return Policy::load_bundle(path);
        }
        Policy::from_sources(Sources::load(path)?)
    }

    /// The text of the policy at `path`, for what reads text rather than a
    /// checked policy (`validate`, `fmt`, `diff`, the language server):
    /// [`Sources::load`], with a compiled bundle refused as such rather
    /// than as a file that is not UTF-8.
    pub fn read_text(path: &Path) -> Result<Sources, PolicyError> {
        let (sources, problems) = Policy::read_text_each(path)?;
        match problems.into_iter().next() {
            Some((_, first)) => Err(first.into()),
            None => Ok(sources),
        }
    }

    /// [`Policy::read_text`], with the files that cannot be read returned
    /// apart, each with why ([`Sources::load_each`]): the language server
    /// shows every other file and a diagnostic on each of those.
    pub fn read_text_each(
        path: &Path,
    ) -> Result<(Sources, Vec<(std::path::PathBuf, LoadError)>), PolicyError> {
        if bundle::is_bundle_file(path) {
            return Err(PolicyError::IsBundle(source::shown(path)));
        }
        Ok(Sources::load_each(path)?)
    }

    fn load_bundle(path: &Path) -> Result<Policy, PolicyError> {
        let bundle_error = |source| PolicyError::Bundle {
            path: path.display().to_string(),
            source,
        };
        let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Policy::from_bundle(&bytes).map_err(bundle_error)
    }

    /// A policy saved by [`Policy::to_bundle`], with the warnings it had.
    pub fn from_bundle(bytes: &[u8]) -> Result<Policy, BundleError> {
        let bundle::Saved {
            mut model,
            warnings,
        } = bundle::read(bytes)?;
        let (names, matrix) = std::thread::scope(|scope| {
            let names = scope.spawn(|| resolve::Names::index(&model));
            let matrix = compile::compile(&model);
            (names.join(), matrix)
        });
        model.names = names.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Ok(Policy {
            model,
            matrix,
            warnings,
        })
    }

    /// This policy saved for fast loading.
    pub fn to_bundle(&self) -> Result<Vec<u8>, BundleError> {
        bundle::write(&self.model, &self.warnings)
    }

    /// Checks and compiles in-memory sources.
    pub fn from_sources(sources: Sources) -> Result<Policy, PolicyError> {
        let checked = resolve::check(sources);
        match checked.model {
            Some(model) => {
                let matrix = compile::compile(&model);
                Ok(Policy {
                    model,
                    matrix,
                    warnings: checked.diagnostics,
                })
            }
            None => Err(PolicyError::Invalid {
                diagnostics: checked.diagnostics,
                sources: Box::new(checked.sources),
            }),
        }
    }

    /// Convenience for tests and embedding: one policy text.
    pub fn from_text(name: &str, text: &str) -> Result<Policy, PolicyError> {
        let mut sources = Sources::default();
        sources.add(name, text);
        Policy::from_sources(sources)
    }

    /// A declared user, or a new login.
    pub fn subject(&self, email: &str) -> Subject {
        Subject::of(&self.model, email)
    }

    /// A declared permission, by name.
    pub fn permission(&self, name: &str) -> Result<crate::resolve::PermId, QueryError> {
        let m = &self.model;
        m.perm(name).ok_or_else(|| {
            QueryError::UnknownPermission(
                escape_controls(name),
                suggestion(name, m.perms.iter().map(|p| p.name.as_str())),
            )
        })
    }

    /// A scope as written. Suggestions name the whole scope
    /// (`team/ml-team`, `use_case/support-bot`), found by key among the
    /// keys of the same kind, so a shared `use_case/` makes nothing close.
    pub fn scope(&self, text: &str) -> Result<Scope, QueryError> {
        let m = &self.model;
        let did_you_mean = |scope: Option<String>| {
            scope
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default()
        };
        m.parse_scope(text).map_err(|e| {
            let (kind, key) = text.split_once('/').unwrap_or((text, ""));
            match e {
                ScopeError::Malformed => QueryError::MalformedScope(escape_controls(text)),
                ScopeError::UnknownTeam => QueryError::UnknownTeam(
                    escape_controls(key),
                    did_you_mean(
                        closest(key, m.teams.iter().map(|t| t.key.as_str()))
                            .map(|t| format!("team/{t}")),
                    ),
                ),
                // `tema/ml-team` meant `team/ml-team`.
                ScopeError::UnknownKind => QueryError::UnknownKind(
                    escape_controls(kind),
                    did_you_mean(
                        closest(kind, m.kinds.iter().map(|k| k.key.as_str()).chain(["team"]))
                            .map(|k| format!("{k}/{key}")),
                    ),
                ),
                ScopeError::UnknownResource => {
                    let of_kind = m.names.kinds.get(kind).copied();
                    let keys = m
                        .resources
                        .iter()
                        .filter(|r| Some(r.kind) == of_kind)
                        .map(|r| r.key.as_str());
                    QueryError::UnknownResource(
                        escape_controls(text),
                        did_you_mean(closest(key, keys).map(|k| format!("{kind}/{k}"))),
                    )
                }
            }
        })
    }

    /// For a user declared nowhere (a new login), the declared email a
    /// typo away, if any: `carol@acme.con` is more likely `carol@acme.com`
    /// than a new login. `None` for a declared user.
    pub fn similar_user(&self, email: &str) -> Option<&str> {
        if self.model.user(email).is_some() {
            return None;
        }
        let email = fold_email(email);
        closest(&email, self.model.users.iter().map(|u| u.email.as_str()))
    }

    /// A user named in a question must be an email, as in a policy: an
    /// undeclared one is a new login, but `""`, `nobody` or `*` is a usage
    /// error, not a new login that would be allowed the defaults.
    pub fn check_user(user: &str) -> Result<(), QueryError> {
        match crate::syntax::email_problem(user) {
            Some(why) => Err(QueryError::InvalidEmail(escape_controls(user), why)),
            None => Ok(()),
        }
    }

    /// Resolves a question written with names. `scope` absent means global.
    pub fn query(
        &self,
        user: &str,
        permission: &str,
        scope: Option<&str>,
        to: Option<&str>,
    ) -> Result<Query, QueryError> {
        let m = &self.model;
        Policy::check_user(user)?;
        let perm = self.permission(permission)?;
        let scope = match scope {
            Some(s) => self.scope(s)?,
            None => Scope::Global,
        };
        let target_team = m[perm].target_team;
        let to = match (to, target_team) {
            (None, true) => return Err(QueryError::MissingTarget(permission.into())),
            (Some(_), false) => return Err(QueryError::UnexpectedTarget(permission.into())),
            (None, false) => None,
            // Only a team is a target: `KIND/KEY` or a bare name is not
            // worth resolving (nor suggesting `KIND/KEY` for).
            (Some(t), true) if !t.starts_with("team/") => {
                return Err(QueryError::TargetNotTeam(t.into()))
            }
            (Some(t), true) => match self.scope(t)? {
                Scope::Team(team) => Some(team),
                _ => return Err(QueryError::TargetNotTeam(t.into())),
            },
        };
        Ok(Query {
            subject: self.subject(user),
            perm,
            scope,
            to,
        })
    }

    /// Allow or deny. Allocates nothing.
    #[inline]
    pub fn check(&self, query: &Query) -> bool {
        self.matrix.can(query)
    }

    /// The decision with every path considered: a typed report that prints
    /// as text (`to_text`) and serializes as `explain`'s JSON.
    pub fn explain(&self, query: &Query, user: &str) -> Named<'_, Explanation> {
        Named::new(
            &self.model,
            eval::explain(&self.model, &self.matrix, query, user),
        )
    }

    /// Who holds the permission at the scope, each with every path that
    /// grants it: prints as text (`to_text`), serializes as `who`'s JSON.
    pub fn who(&self, perm: crate::resolve::PermId, scope: Scope) -> Named<'_, Who> {
        Named::new(
            &self.model,
            eval::who(&self.model, &self.matrix, perm, scope),
        )
    }

    /// Everything a user can do, by scope: prints as text (`to_text`),
    /// serializes as `what`'s JSON.
    pub fn what(&self, user: &str) -> Named<'_, What> {
        Named::new(&self.model, eval::what(&self.model, &self.matrix, user))
    }

    /// The compiled document of SPEC §6 as JSON.
    pub fn compiled_json(&self) -> String {
        written(|out| self.write_compiled_json(out))
    }

    /// The effective matrix as sorted `user\tscope\tpermission` lines.
    pub fn compiled_lines(&self) -> String {
        written(|out| self.write_compiled_lines(out))
    }

    /// [`Policy::compiled_json`], written as it is built: the whole matrix
    /// is never held in memory.
    pub fn write_compiled_json(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        compile::json::write_json(&self.model, &self.matrix, out)
    }

    /// [`Policy::compiled_lines`], written as it is built.
    pub fn write_compiled_lines(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        compile::json::write_lines(&self.model, &self.matrix, out)
    }
}

/// What a writer of UTF-8 wrote into memory, as a string.
fn written(write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> String {
    let mut bytes = Vec::new();
    // Writing into a Vec fails only when memory runs out, which aborts; the
    // writers write UTF-8, so the lossy branch is never taken.
    let _ = write(&mut bytes);
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
