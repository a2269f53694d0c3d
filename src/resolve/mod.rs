//! AST -> resolved [`Model`]: names to typed ids, the role graph, lints.
//!
//! In: the parsed files of a policy. Out: the model, or every error found
//! (all of one stage, reported together), plus warnings.
//!
//! The passes, each in a file of its own:
//!
//! 1. [`declare`]: every item's name gets an id, so references may point
//!    forward and across files; duplicates are reported here;
//! 2. the references of each item, looked up by name ([`lookup`]: a lookup
//!    that reports an unknown name, with a suggestion, is named `…_or_report`):
//!    role bodies and shares ([`bodies`]), memberships and `auth`
//!    ([`members`]), tests and invariants ([`tests_and_invariants`]);
//! 3. the role graph ([`roles`]): includes flattened, cycles reported, then
//!    `only in` checked on every membership ([`members`]);
//! 4. on a model without errors, the warnings ([`lints`]).

mod bodies;
mod declare;
mod lints;
mod lookup;
mod members;
pub mod model;
mod roles;
mod tests_and_invariants;
mod trust;

use std::borrow::Cow;
use std::collections::HashMap;

use crate::diagnostics::suggest::Suggester;
use crate::diagnostics::{self, Diagnostic};
use crate::source::{Sources, Span};
use crate::syntax::{self, ast};
use lookup::NameSet;
use members::PendingMember;
pub use model::*;

/// The outcome of checking a policy: the model when it has no errors, and
/// every diagnostic, sorted.
#[derive(Debug)]
pub struct Checked {
    pub model: Option<Model>,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Sources,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses, resolves and lints a policy.
pub fn check(sources: Sources) -> Checked {
    let mut diags = Vec::new();
    let mut files = Vec::new();
    for parsed in syntax::parse_files(&sources) {
        match parsed {
            Ok(ast) => files.push(ast),
            Err(d) => diags.push(d),
        }
    }
    if !diags.is_empty() {
        return Checked {
            model: None,
            diagnostics: diags,
            sources,
        };
    }
    let mut r = Resolver {
        model: Model {
            sources: sources.clone(),
            ..Model::default()
        },
        diags,
        too_many: Vec::new(),
        suggesters: HashMap::new(),
    };
    let items: Vec<&ast::Item> = files.iter().flat_map(|f| &f.items).collect();
    let declared = r.declare(&items);
    r.resolve_references(&items, &declared);
    // The AST is not needed past here: a million roles' AST is hundreds of
    // megabytes, better freed before the lints add their diagnostics.
    drop(items);
    drop(files);
    r.suggesters.clear();
    roles::resolve_role_graph(&mut r.model, &mut r.diags);
    r.check_memberships();
    // Lints read a complete model: run on one with errors, they would report
    // the errors' echoes (a user in no team because their team is unknown).
    if !r.diags.iter().any(Diagnostic::is_error) {
        lints::lint(&r.model, &mut r.diags);
    }
    let mut diagnostics = r.diags;
    diagnostics::sort(&mut diagnostics);
    let failed = diagnostics.iter().any(Diagnostic::is_error);
    Checked {
        model: (!failed).then_some(r.model),
        diagnostics,
        sources,
    }
}

struct Resolver {
    model: Model,
    diags: Vec<Diagnostic>,
    /// The kinds of item already reported as too many, so the report is one.
    too_many: Vec<&'static str>,
    /// Declared names indexed for "did you mean", built on the first
    /// unknown name of each kind (after every declaration: references are
    /// resolved once all items are declared).
    suggesters: HashMap<NameSet, Suggester>,
}

/// `65536` as `65,536`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What the declaring pass made of one item: the id it declared, for the
/// items whose bodies are resolved later. A duplicate declares nothing, so
/// its body (reported with the duplicate) is not resolved.
#[derive(Clone, Copy, Debug)]
enum Declared {
    Role(RoleId),
    Resource(ResourceId),
    Nothing,
}

impl Resolver {
    /// The second pass: every reference of every item, looked up.
    /// `declared` is what [`Resolver::declare`] made of each item.
    fn resolve_references(&mut self, items: &[&ast::Item], declared: &[Declared]) {
        let mut members = Vec::new();
        let mut auths = Vec::new();
        for (item, &declared) in items.iter().zip(declared) {
            match (item, declared) {
                (ast::Item::Role(r), Declared::Role(id)) => self.resolve_role_body(id, r),
                (ast::Item::Team(t), _) => {
                    members.extend(t.members.iter().map(|(email, role)| PendingMember {
                        email,
                        team: Cow::Borrowed(&t.key),
                        role: Cow::Borrowed(role),
                        span: Span {
                            end: role.span.end,
                            ..email.span
                        },
                        source: MemberSource::Member,
                    }))
                }
                (ast::Item::User(u), _) => {
                    members.extend(u.teams.iter().map(|(team, role)| PendingMember {
                        email: &u.email,
                        team: Cow::Borrowed(team),
                        role: Cow::Borrowed(role),
                        span: Span {
                            end: role.span.end,
                            ..team.span
                        },
                        source: MemberSource::UserIn,
                    }))
                }
                (ast::Item::Resource(r), Declared::Resource(id)) => self.resolve_shares(id, r),
                (ast::Item::Auth(a), _) => auths.push(a),
                _ => {}
            }
        }
        let auth = self.merge_auth(&auths);
        self.resolve_auth(auth.as_ref(), &mut members);
        self.resolve_members(members);
        trust::resolve(&mut self.model, &auths, &mut self.diags);
        for item in items {
            match item {
                ast::Item::Test(t) => self.resolve_test(t),
                ast::Item::Invariant(i) => self.resolve_invariant(i),
                _ => {}
            }
        }
    }
}
