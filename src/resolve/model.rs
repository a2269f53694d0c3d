//! The resolved model: every name turned into a typed id, every reference
//! checked. The evaluator and the compiler never see a string compare.

use std::collections::HashMap;
use std::ops::Index;

use fixedbitset::FixedBitSet;
use serde::{Deserialize, Serialize};

use crate::source::{Sources, Span};

macro_rules! ids {
    ($($name:ident($int:ty) in $field:ident: $item:ty;)*) => {$(
        #[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $int);

        impl $name {
            /// How many ids there are: a policy may declare at most this many.
            pub const LIMIT: usize = <$int>::MAX as usize + 1;

            pub fn index(self) -> usize {
                self.0 as usize
            }

            /// The id at `index`, or `None` past [`Self::LIMIT`]: never a
            /// wrapped id that would name another item.
            pub fn new(index: usize) -> Option<Self> {
                <$int>::try_from(index).ok().map($name)
            }

            /// The ids of the first `len` items (at most [`Self::LIMIT`]).
            pub fn first(len: usize) -> impl Iterator<Item = Self> + Clone {
                (0..=<$int>::MAX).take(len).map($name)
            }
        }

        impl Index<$name> for Model {
            type Output = $item;
            fn index(&self, id: $name) -> &$item {
                &self.$field[id.index()]
            }
        }
    )*};
}

ids! {
    KindId(u16) in kinds: Kind;
    PermId(u16) in perms: Permission;
    RoleId(u32) in roles: Role;
    TeamId(u32) in teams: Team;
    UserId(u32) in users: User;
    ResourceId(u32) in resources: Resource;
}

/// A set of permissions, one bit per [`PermId`].
///
/// Read back from a bundle through [`TryFrom<FixedBitSet>`]: the bitset's
/// own fields are not checked when it is deserialized, and its
/// `count_ones`, `insert` and `union_with` trust them (an unchecked read
/// past the blocks, a grow to any length), so a set whose length and blocks
/// disagree is refused there.
///
/// Two sets are equal when they hold the same permissions, whatever room
/// each has (a bitset's own equality compares lengths too).
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
#[serde(try_from = "FixedBitSet")]
pub struct PermSet(FixedBitSet);

impl PermSet {
    /// The blocks up to the last one with a bit set: what equality and
    /// hashing compare. Bits past the length are never set (`insert` grows
    /// first, and [`TryFrom<FixedBitSet>`] refuses such a set).
    fn significant_blocks(&self) -> &[u32] {
        let blocks = self.0.as_slice();
        let used = blocks.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        &blocks[..used]
    }
}

impl PartialEq for PermSet {
    fn eq(&self, other: &Self) -> bool {
        self.significant_blocks() == other.significant_blocks()
    }
}

impl Eq for PermSet {}

impl std::hash::Hash for PermSet {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.significant_blocks().hash(state);
    }
}

impl TryFrom<FixedBitSet> for PermSet {
    type Error = String;

    /// Exactly `ceil(len / 32)` blocks, and no bit set at or past `len`.
    fn try_from(bits: FixedBitSet) -> Result<Self, String> {
        let blocks = bits.as_slice();
        let len = bits.len();
        let tail = len % 32;
        let stray = tail != 0 && blocks.last().is_some_and(|&last| last >> tail != 0);
        if blocks.len() != len.div_ceil(32) || stray {
            return Err(format!(
                "a permission set of {len} bits held in {} blocks",
                blocks.len()
            ));
        }
        Ok(PermSet(bits))
    }
}

impl PermSet {
    /// How many permission ids the set has room for: every member is below.
    pub fn capacity(&self) -> usize {
        self.0.len()
    }
    pub fn with_capacity(n: usize) -> Self {
        PermSet(FixedBitSet::with_capacity(n))
    }
    pub fn insert(&mut self, p: PermId) {
        self.0.grow(p.index() + 1);
        self.0.insert(p.index());
    }
    pub fn contains(&self, p: PermId) -> bool {
        self.0.contains(p.index())
    }
    pub fn union_with(&mut self, other: &PermSet) {
        self.0.union_with(&other.0);
    }
    pub fn intersect(&self, other: &PermSet) -> PermSet {
        PermSet(self.0.intersection(&other.0).collect())
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_clear()
    }
    pub fn iter(&self) -> impl Iterator<Item = PermId> + '_ {
        // Every bit was set from a `PermId`, so every index fits.
        self.0.ones().map_while(PermId::new)
    }
    pub fn len(&self) -> usize {
        self.0.count_ones(..)
    }
}

impl FromIterator<PermId> for PermSet {
    fn from_iter<I: IntoIterator<Item = PermId>>(iter: I) -> Self {
        let mut set = PermSet::default();
        for p in iter {
            set.insert(p);
        }
        set
    }
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Kind {
    pub key: String,
    pub title: Option<String>,
    pub span: Span,
}

/// Where a permission may be held.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Scopes {
    pub global: bool,
    pub team: bool,
    pub kinds: Vec<KindId>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Permission {
    pub name: String,
    pub scopes: Scopes,
    pub requires_owner: bool,
    pub target_team: bool,
    pub description: Option<String>,
    pub span: Span,
}

impl Permission {
    pub fn prefix(&self) -> &str {
        self.name.split_once(':').map_or(&*self.name, |(p, _)| p)
    }
}

/// One `grant` pattern of a role, with the permissions it matched.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Grant {
    pub pattern: String,
    pub perms: Vec<PermId>,
    pub span: Span,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Role {
    pub key: String,
    pub title: Option<String>,
    pub aliases: Vec<String>,
    pub includes: Vec<(RoleId, Span)>,
    pub grants: Vec<Grant>,
    /// Permissions granted by this role's own `grant` lines.
    pub direct: PermSet,
    /// Permissions including those of every role it includes, directly or not.
    pub perms: PermSet,
    /// The role's own `only in` teams, sorted, with the clause's span.
    pub only_in: Option<(Vec<TeamId>, Span)>,
    /// Teams it may be assigned in, sorted: the intersection of its own
    /// `only in` and that of every role it includes. `None` means anywhere.
    pub allowed_teams: Option<Vec<TeamId>>,
    pub span: Span,
}

impl Role {
    pub fn allowed_in(&self, team: TeamId) -> bool {
        self.allowed_teams
            .as_ref()
            .is_none_or(|teams| teams.binary_search(&team).is_ok())
    }
}

/// Where a membership was written.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberSource {
    /// `member EMAIL as ROLE` in the team's block.
    Member,
    /// `in TEAM as ROLE` in the user's block.
    UserIn,
    /// `admins` in `auth`.
    Admins,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug)]
pub struct Membership {
    pub user: UserId,
    pub team: TeamId,
    pub role: RoleId,
    pub span: Span,
    pub source: MemberSource,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Team {
    pub key: String,
    pub title: Option<String>,
    pub span: Span,
    /// Sorted by user.
    pub members: Vec<Membership>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct User {
    /// Lower-case.
    pub email: String,
    pub name: Option<String>,
    /// The `user` item, the first `member` line or the `admins` entry.
    pub span: Span,
    /// Declared by a `user` item (as opposed to a member line only).
    pub explicit: bool,
    /// Sorted by team.
    pub memberships: Vec<Membership>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug)]
pub struct Share {
    pub team: TeamId,
    pub role: RoleId,
    pub owner: bool,
    pub span: Span,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Resource {
    pub kind: KindId,
    pub key: String,
    pub title: Option<String>,
    pub span: Span,
    /// Sorted by team.
    pub shares: Vec<Share>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct Auth {
    /// The admin team's key (default `admin`), and the team if it is declared.
    pub admin_team_key: String,
    pub admin_team: Option<TeamId>,
    pub default: Option<(TeamId, RoleId)>,
    /// The users `admins` lists, sorted.
    pub admins: Vec<UserId>,
    pub span: Option<Span>,
    /// Where `default_role` names the role, for the warning about its powers.
    pub default_role_span: Option<Span>,
}

/// Who is expected to hold global powers: the `trust` line of `auth`.
/// `audit` reports these users' escalation paths as trusted, not as
/// escalations.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Trust {
    /// `None` when `auth` has no `trust` line: then the admin team's members
    /// with role `admin` are trusted. `Some` and empty: `trust nobody`.
    /// Sorted, without repeats.
    pub principals: Option<Vec<Trusted>>,
}

/// One trusted principal.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Trusted {
    /// The team's members; with a role, only those who hold it there.
    Team(TeamId, Option<RoleId>),
    /// Whoever holds the role, in any team.
    Role(RoleId),
    User(UserId),
}

/// A resolved scope.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Global,
    Team(TeamId),
    Resource(ResourceId),
}

/// A resolved scope pattern (invariants).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopePattern {
    Any,
    Exact(Scope),
    AnyTeam,
    AnyOfKind(KindId),
}

impl ScopePattern {
    pub fn matches(self, scope: Scope, model: &Model) -> bool {
        match (self, scope) {
            (ScopePattern::Any, _) => true,
            (ScopePattern::Exact(s), scope) => s == scope,
            (ScopePattern::AnyTeam, Scope::Team(_)) => true,
            (ScopePattern::AnyOfKind(k), Scope::Resource(r)) => model[r].kind == k,
            _ => false,
        }
    }
}

/// What a test line expects: `allow` or `deny`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    Allow,
    Deny,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct TestLine {
    pub expect: Expect,
    /// Lower-case email; may name an undeclared user (a new login).
    pub user: String,
    pub perm: PermId,
    pub scope: Scope,
    pub to: Option<TeamId>,
    pub span: Span,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Test {
    pub name: String,
    pub span: Span,
    pub lines: Vec<TestLine>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub enum InvariantKind {
    OnlyTeam(Vec<TeamId>),
    OnlyRole(Vec<RoleId>),
    Nobody,
    AtMost(u32),
    Implies(Vec<PermId>),
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct InvariantRule {
    pub kind: InvariantKind,
    /// The permissions the rule's pattern matched.
    pub perms: Vec<PermId>,
    pub scope: ScopePattern,
    /// The rule as written, for reports.
    pub text: String,
    pub span: Span,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Invariant {
    pub name: String,
    pub span: Span,
    pub rules: Vec<InvariantRule>,
}

/// Name -> id lookups, built once during resolution (and again from the
/// model's own tables when a bundle is loaded: [`Names::index`]).
#[derive(Clone, Debug, Default)]
pub struct Names {
    pub kinds: NameMap<String, KindId>,
    pub perms: NameMap<String, PermId>,
    /// Keys and aliases.
    pub roles: NameMap<String, RoleId>,
    pub teams: NameMap<String, TeamId>,
    pub users: NameMap<String, UserId>,
    /// By scope name, `KIND/KEY`, so a query's scope is looked up as written.
    pub resources: NameMap<String, ResourceId>,
}

/// A name table. Every question looks up a user, a permission and a scope by
/// name, and resolving a large policy inserts millions of names: with std's
/// SipHash, hashing was a third of a `can --batch` question. FxHash (rustc's
/// hash) is a few instructions per word. It is not DoS-resistant, which is
/// fine here: the keys inserted come from the policy files, and questions
/// only look names up.
pub type NameMap<K, V> = HashMap<K, V, rustc_hash::FxBuildHasher>;

impl Names {
    /// The lookups of a model whose tables are complete: what resolution
    /// inserted, name by name.
    pub fn index(model: &Model) -> Names {
        fn table<I, T>(
            items: &[T],
            ids: impl Iterator<Item = I>,
            name: impl Fn(&T) -> String,
        ) -> NameMap<String, I> {
            items
                .iter()
                .zip(ids)
                .map(|(item, id)| (name(item), id))
                .collect()
        }
        let mut roles = table(&model.roles, model.role_ids(), |r| r.key.clone());
        for (role, id) in model.roles.iter().zip(model.role_ids()) {
            roles.extend(role.aliases.iter().map(|a| (a.clone(), id)));
        }
        Names {
            kinds: table(&model.kinds, KindId::first(model.kinds.len()), |k| {
                k.key.clone()
            }),
            perms: table(&model.perms, model.perm_ids(), |p| p.name.clone()),
            roles,
            teams: table(&model.teams, model.team_ids(), |t| t.key.clone()),
            users: table(&model.users, model.user_ids(), |u| u.email.clone()),
            resources: table(&model.resources, model.resource_ids(), |r| {
                format!("{}/{}", model[r.kind].key, r.key)
            }),
        }
    }
}

/// An email as users are stored and compared: ASCII letters lower-cased,
/// nothing else changed. Unicode case folding would make two addresses one
/// (`K` U+212A folds to `k`), so it is never used on an email.
pub fn fold_email(email: &str) -> String {
    email.to_ascii_lowercase()
}

/// A policy whose every reference resolved.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct Model {
    pub sources: Sources,
    pub kinds: Vec<Kind>,
    pub perms: Vec<Permission>,
    pub roles: Vec<Role>,
    pub teams: Vec<Team>,
    pub users: Vec<User>,
    pub resources: Vec<Resource>,
    pub auth: Auth,
    pub trust: Trust,
    pub tests: Vec<Test>,
    pub invariants: Vec<Invariant>,
    /// Not saved in a bundle: rebuilt from the tables above.
    #[serde(skip)]
    pub names: Names,
}

impl Model {
    // Resolution refuses a policy with more items than ids
    // (`rolegraph::resolve::too_many`), so these cover every item.
    pub fn perm_ids(&self) -> impl Iterator<Item = PermId> + Clone {
        PermId::first(self.perms.len())
    }
    pub fn role_ids(&self) -> impl Iterator<Item = RoleId> + Clone {
        RoleId::first(self.roles.len())
    }
    pub fn team_ids(&self) -> impl Iterator<Item = TeamId> + Clone {
        TeamId::first(self.teams.len())
    }
    pub fn user_ids(&self) -> impl Iterator<Item = UserId> + Clone {
        UserId::first(self.users.len())
    }
    pub fn resource_ids(&self) -> impl Iterator<Item = ResourceId> + Clone {
        ResourceId::first(self.resources.len())
    }

    /// The declared user with this email, compared with ASCII case folding
    /// only (SPEC §1: `K` U+212A is not `k`).
    pub fn user(&self, email: &str) -> Option<UserId> {
        if !email.bytes().any(|b| b.is_ascii_uppercase()) {
            return self.names.users.get(email).copied(); // already folded: no allocation
        }
        self.names.users.get(&fold_email(email)).copied()
    }
    pub fn perm(&self, name: &str) -> Option<PermId> {
        self.names.perms.get(name).copied()
    }
    pub fn role(&self, name: &str) -> Option<RoleId> {
        self.names.roles.get(name).copied()
    }
    pub fn team(&self, key: &str) -> Option<TeamId> {
        self.names.teams.get(key).copied()
    }
    pub fn kind(&self, key: &str) -> Option<KindId> {
        self.names.kinds.get(key).copied()
    }

    /// A scope as written: `global`, `team/KEY` or `KIND/KEY`.
    pub fn scope_name(&self, scope: Scope) -> String {
        match scope {
            Scope::Global => "global".to_string(),
            Scope::Team(t) => format!("team/{}", self[t].key),
            Scope::Resource(r) => {
                let res = &self[r];
                format!("{}/{}", self[res.kind].key, res.key)
            }
        }
    }

    /// Parses a scope as written. `Err` says what is unknown.
    pub fn parse_scope(&self, text: &str) -> Result<Scope, ScopeError> {
        if text == "global" {
            return Ok(Scope::Global);
        }
        let Some((kind, key)) = text.split_once('/') else {
            return Err(ScopeError::Malformed);
        };
        if kind == "team" {
            return self
                .team(key)
                .map(Scope::Team)
                .ok_or(ScopeError::UnknownTeam);
        }
        if let Some(&r) = self.names.resources.get(text) {
            return Ok(Scope::Resource(r));
        }
        if self.names.kinds.contains_key(kind) {
            Err(ScopeError::UnknownResource)
        } else {
            Err(ScopeError::UnknownKind)
        }
    }

    /// The team the role `admin` of `admins` and the global permissions go through.
    pub fn admin_team(&self) -> Option<TeamId> {
        self.auth.admin_team
    }
}

/// Why a written scope did not resolve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeError {
    Malformed,
    UnknownTeam,
    UnknownKind,
    UnknownResource,
}
