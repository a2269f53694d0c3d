//! The spanned AST: names as written, each with the span it came from. It may
//! be invalid (unknown names, duplicates); resolution checks it.

use compact_str::CompactString;

use crate::source::Span;

/// A value with the span it was written at. Equality ignores the span, and
/// so does every AST node's: two files that say the same thing are equal,
/// however they are laid out (`fmt`'s round trip holds it).
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

impl<T> Spanned<T> {
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}

/// A name as written. Most names are short (`team-12`, `power_user`,
/// `ana@acme.com`) and are stored inline, without an allocation each: a
/// large org is millions of them.
pub type Name = Spanned<CompactString>;

#[derive(Clone, Debug, PartialEq, Default)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Auth(Auth),
    Kind(Kind),
    Permission(Permission),
    Role(Role),
    User(User),
    Team(Team),
    Resource(Resource),
    Test(Test),
    Invariant(Invariant),
}

#[derive(Clone, Debug, Default)]
pub struct Auth {
    pub span: Span,
    pub admin_team: Option<Name>,
    pub default_team: Option<Name>,
    pub default_role: Option<Name>,
    /// `None` when the block has no `admins` line.
    pub admins: Option<Vec<Name>>,
    /// The entries of its `trust` lines; `None` when it has none.
    pub trust: Option<Vec<Spanned<Trusted>>>,
}

/// One entry of a `trust` line: who is expected to hold global powers.
#[derive(Clone, Debug, PartialEq)]
pub enum Trusted {
    /// `trust nobody`.
    Nobody,
    /// `team KEY`, or `team KEY as ROLE`.
    Team { team: Name, role: Option<Name> },
    /// `role KEY`: whoever holds it, in any team.
    Role(Name),
    /// `user EMAIL`.
    User(Name),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Kind {
    pub key: Name,
    pub title: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Permission {
    pub name: Name,
    /// `global`, `team` or a kind key, as written.
    pub scopes: Vec<Name>,
    pub requires_owner: bool,
    pub target_team: bool,
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Role {
    pub key: Name,
    pub title: Option<String>,
    pub includes: Vec<Name>,
    /// `*`, `prefix:*` or a permission name.
    pub grants: Vec<Name>,
    pub aliases: Vec<Name>,
    /// `None` when there is no `only in` clause.
    pub only_in: Option<Vec<Name>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub email: Name,
    pub name: Option<String>,
    /// `in TEAM as ROLE` lines.
    pub teams: Vec<(Name, Name)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Team {
    pub key: Name,
    pub title: Option<String>,
    /// `member EMAIL as ROLE` lines.
    pub members: Vec<(Name, Name)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    pub kind: Name,
    pub key: Name,
    pub title: Option<String>,
    pub shares: Vec<Share>,
}

#[derive(Clone, Debug)]
pub struct Share {
    pub team: Name,
    pub role: Name,
    pub owner: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Test {
    pub name: Name,
    pub lines: Vec<TestLine>,
}

/// `allow` or `deny`, as written at the start of a test line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    Allow,
    Deny,
}

#[derive(Clone, Debug)]
pub struct TestLine {
    pub expect: Expect,
    pub user: Name,
    pub permission: Name,
    pub scope: Option<Name>,
    pub to: Option<Name>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Invariant {
    pub name: Name,
    pub rules: Vec<Spanned<Rule>>,
}

/// One invariant statement. `permission` is a pattern (`*`, `p:*`, `p:a`), and
/// `scope` a scope pattern (`global`, `team/*`, `use_case/bot`).
#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    OnlyTeam {
        teams: Vec<Name>,
        permission: Name,
        scope: Option<Name>,
    },
    OnlyRole {
        roles: Vec<Name>,
        permission: Name,
        scope: Option<Name>,
    },
    Nobody {
        permission: Name,
        scope: Option<Name>,
    },
    AtMost {
        count: u32,
        permission: Name,
        scope: Option<Name>,
    },
    Implies {
        permission: Name,
        implied: Name,
        scope: Option<Name>,
    },
}

impl PartialEq for Auth {
    fn eq(&self, other: &Self) -> bool {
        let Auth {
            span: _,
            admin_team,
            default_team,
            default_role,
            admins,
            trust,
        } = self;
        (admin_team, default_team, default_role, admins, trust)
            == (
                &other.admin_team,
                &other.default_team,
                &other.default_role,
                &other.admins,
                &other.trust,
            )
    }
}

impl PartialEq for Share {
    fn eq(&self, other: &Self) -> bool {
        let Share {
            team,
            role,
            owner,
            span: _,
        } = self;
        (team, role, owner) == (&other.team, &other.role, &other.owner)
    }
}

impl PartialEq for TestLine {
    fn eq(&self, other: &Self) -> bool {
        let TestLine {
            expect,
            user,
            permission,
            scope,
            to,
            span: _,
        } = self;
        (expect, user, permission, scope, to)
            == (
                &other.expect,
                &other.user,
                &other.permission,
                &other.scope,
                &other.to,
            )
    }
}
