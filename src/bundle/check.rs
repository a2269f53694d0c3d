//! A decoded bundle checked before anything reads it.
//!
//! In: the [`Model`] and warnings postcard decoded. Out: `Ok` when the model
//! is one rolegraph could have written — every id points at an item that
//! exists, every span into its file (a warning's on character boundaries),
//! every permission set is sized for the permissions, every derived table
//! (flattened permissions, allowed teams, the two sides of each membership)
//! agrees with what it is derived from — or the first problem, in words.
//! The checksum only catches accidents; this is what lets a bundle from
//! anywhere be loaded: whatever its bytes, it is refused (exit 2) or it is a
//! model the evaluator's indexing, merges and walks are correct on. Every
//! check is linear (or `n log n`) in the size of the bundle, and none reads
//! the policy text at random, so loading stays fast.
//!
//! The checks are written against `.index()` and the lengths of the tables,
//! not against the width of any id type, so widening an id changes nothing
//! here but what [`fits`] accepts.

use crate::diagnostics::{Diagnostic, Severity};
use crate::resolve::{
    InvariantKind, KindId, Model, PermId, PermSet, ResourceId, RoleId, Scope, ScopePattern, TeamId,
    Trusted, UserId,
};
use crate::source::{SourceFile, Sources, Span};
use crate::syntax::is_key;

/// Names are hashed with FxHash, as the model's own name tables are (see
/// `NameMap`): a bundle's names are checked once each.
type NameSet<T> = rustc_hash::FxHashSet<T>;

type Checked = Result<(), String>;

/// What is being checked, in words: built only when a check fails, so a
/// bundle that passes costs no formatting.
type Of<'a> = &'a dyn Fn() -> String;

fn ensure(ok: bool, problem: impl FnOnce() -> String) -> Checked {
    if ok {
        Ok(())
    } else {
        Err(problem())
    }
}

/// Whether `n` items can all be numbered by the id type that `_id` builds:
/// the largest id, `n - 1`, must fit its integer.
fn fits<T: TryFrom<usize>, I>(_id: fn(T) -> I, n: usize) -> bool {
    T::try_from(n.saturating_sub(1)).is_ok()
}

/// `key:key`, the grammar's `perm`.
fn is_perm_name(s: &str) -> bool {
    s.split_once(':')
        .is_some_and(|(prefix, action)| is_key(prefix) && is_key(action))
}

/// An email as the resolver stores it (SPEC §1): `local@domain`, lower-case
/// ASCII letters, no whitespace or control characters.
fn is_email(s: &str) -> bool {
    s.split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c.is_ascii_uppercase())
}

fn strictly_sorted<T: Ord>(items: impl IntoIterator<Item = T>) -> bool {
    let mut items = items.into_iter();
    let Some(mut prev) = items.next() else {
        return true;
    };
    for item in items {
        if item <= prev {
            return false;
        }
        prev = item;
    }
    true
}

/// Line tables are derived data: each file is indexed again from its text
/// (a bundle's own table could send `explain`'s `file:line` out of bounds).
/// The byte-order-mark flag is kept as saved; the text is kept as saved too,
/// including a second mark at its start, which `SourceFile::new` would strip.
/// Reads only the texts, so it runs beside [`check`].
pub(super) fn reindexed(sources: &Sources) -> Vec<SourceFile> {
    sources
        .files
        .iter()
        .map(|file| {
            let mut fresh = if file.text.starts_with('\u{feff}') {
                SourceFile::new(file.name.clone(), &format!("\u{feff}{}", file.text))
            } else {
                SourceFile::new(file.name.clone(), &file.text)
            };
            fresh.bom = file.bom;
            fresh
        })
        .collect()
}

/// The first way the decoded model and warnings fall short of a model
/// rolegraph could have written, in words.
pub(super) fn check(model: &Model, warnings: &[Diagnostic]) -> Checked {
    Tables::new(model)?.check(warnings)
}

struct Tables<'m> {
    m: &'m Model,
    kinds: usize,
    perms: usize,
    roles: usize,
    teams: usize,
    users: usize,
    resources: usize,
}

impl<'m> Tables<'m> {
    fn new(m: &'m Model) -> Result<Self, String> {
        let t = Tables {
            m,
            kinds: m.kinds.len(),
            perms: m.perms.len(),
            roles: m.roles.len(),
            teams: m.teams.len(),
            users: m.users.len(),
            resources: m.resources.len(),
        };
        let sizes = [
            ("kinds", fits(KindId, t.kinds)),
            ("permissions", fits(PermId, t.perms)),
            ("roles", fits(RoleId, t.roles)),
            ("teams", fits(TeamId, t.teams)),
            ("users", fits(UserId, t.users)),
            ("resources", fits(ResourceId, t.resources)),
            ("files", fits(crate::source::FileId, m.sources.files.len())),
        ];
        for (what, ok) in sizes {
            ensure(ok, || format!("it holds more {what} than ids can number"))?;
        }
        Ok(t)
    }

    fn check(&self, warnings: &[Diagnostic]) -> Checked {
        // Names are hashed on a second core while the rest is checked.
        let (names, rest) = std::thread::scope(|scope| {
            let names = scope.spawn(|| self.names());
            let rest = self.structure();
            (names.join(), rest)
        });
        names.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        rest?;
        self.warnings(warnings)
    }

    /// Everything but the names: ids, spans, sets, derived tables.
    fn structure(&self) -> Checked {
        self.permissions()?;
        self.roles()?;
        self.memberships()?;
        self.resources()?;
        self.auth()?;
        self.tests()?;
        self.invariants()
    }

    fn warnings(&self, warnings: &[Diagnostic]) -> Checked {
        for d in warnings {
            ensure(d.severity() == Severity::Warning, || {
                format!("it lists the error `{}` among its warnings", d.code)
            })?;
            for label in &d.labels {
                self.label(label.span)?;
            }
        }
        Ok(())
    }

    /// A span within its file. Spans are read through `Sources::slice`
    /// and `line_col`, which take any range within the text; only the
    /// warnings' labels are handed to the snippet renderer, which slices
    /// the text, so only they must also fall on character boundaries
    /// ([`Tables::label`]). (Checking every span's boundaries read the text
    /// at half a million random offsets: most of the time of the check.)
    fn span(&self, span: Span, of: Of) -> Checked {
        let ok = self
            .m
            .sources
            .files
            .get(span.file.0 as usize)
            .is_some_and(|f| span.start <= span.end && span.end as usize <= f.text.len());
        ensure(ok, || {
            format!("the source span of {} is outside its file", of())
        })
    }

    /// A warning's label: within its file and on character boundaries.
    fn label(&self, span: Span) -> Checked {
        self.span(span, &|| "a warning".to_string())?;
        let text = &self.m.sources.files[span.file.0 as usize].text;
        ensure(
            text.is_char_boundary(span.start as usize) && text.is_char_boundary(span.end as usize),
            || "the source span of a warning splits a character".to_string(),
        )
    }

    fn id(&self, index: usize, len: usize, what: &str, of: Of) -> Checked {
        ensure(index < len, || {
            format!("{} names {what} #{index}, and there are {len}", of())
        })
    }

    fn kind(&self, k: KindId, of: Of) -> Checked {
        self.id(k.index(), self.kinds, "kind", of)
    }
    fn perm(&self, p: PermId, of: Of) -> Checked {
        self.id(p.index(), self.perms, "permission", of)
    }
    fn role(&self, r: RoleId, of: Of) -> Checked {
        self.id(r.index(), self.roles, "role", of)
    }
    fn team(&self, t: TeamId, of: Of) -> Checked {
        self.id(t.index(), self.teams, "team", of)
    }
    fn user(&self, u: UserId, of: Of) -> Checked {
        self.id(u.index(), self.users, "user", of)
    }

    fn scope(&self, scope: Scope, of: Of) -> Checked {
        match scope {
            Scope::Global => Ok(()),
            Scope::Team(t) => self.team(t, of),
            Scope::Resource(r) => self.id(r.index(), self.resources, "resource", of),
        }
    }

    /// A set sized for the declared permissions (checks and walks look a
    /// permission's info up by every member).
    fn perm_set(&self, set: &PermSet, of: Of) -> Checked {
        ensure(set.capacity() <= self.perms, || {
            format!(
                "{} has room for {} permissions, and there are {}",
                of(),
                set.capacity(),
                self.perms
            )
        })
    }

    /// Every name well formed and declared once: lookups by name must find
    /// the one item a name stands for.
    fn names(&self) -> Checked {
        let m = self.m;
        fn unique<'a>(
            what: &str,
            names: impl Iterator<Item = &'a str>,
            well_formed: fn(&str) -> bool,
        ) -> Checked {
            let mut seen = NameSet::default();
            for name in names {
                ensure(well_formed(name), || {
                    format!("{what} `{name}` is not a name the language accepts")
                })?;
                ensure(seen.insert(name), || {
                    format!("{what} `{name}` is declared twice")
                })?;
            }
            Ok(())
        }
        unique("kind", m.kinds.iter().map(|k| k.key.as_str()), |k| {
            is_key(k) && k != "team" && k != "global"
        })?;
        unique(
            "permission",
            m.perms.iter().map(|p| p.name.as_str()),
            is_perm_name,
        )?;
        let role_names = m
            .roles
            .iter()
            .flat_map(|r| std::iter::once(&r.key).chain(&r.aliases))
            .map(String::as_str);
        unique("role", role_names, is_key)?;
        unique("team", m.teams.iter().map(|t| t.key.as_str()), is_key)?;
        unique("user", m.users.iter().map(|u| u.email.as_str()), is_email)?;
        let mut seen = NameSet::default();
        for r in &m.resources {
            self.kind(r.kind, &|| format!("resource `{}`", r.key))?;
            ensure(is_key(&r.key), || {
                format!("resource `{}` is not a name the language accepts", r.key)
            })?;
            ensure(seen.insert((r.kind, r.key.as_str())), || {
                format!("resource `{}` is declared twice", r.key)
            })?;
        }
        for k in &m.kinds {
            self.span(k.span, &|| format!("kind `{}`", k.key))?;
        }
        for u in &m.users {
            self.span(u.span, &|| format!("user `{}`", u.email))?;
        }
        Ok(())
    }

    fn permissions(&self) -> Checked {
        for p in &self.m.perms {
            let of = || format!("permission `{}`", p.name);
            self.span(p.span, &of)?;
            for &k in &p.scopes.kinds {
                self.kind(k, &of)?;
            }
            ensure(strictly_sorted(&p.scopes.kinds), || {
                format!("{} lists its kinds out of order", of())
            })?;
        }
        Ok(())
    }

    /// Ids, spans and sets of every role; includes that form no cycle; and
    /// the derived tables — own grants, flattened permissions, allowed teams
    /// — equal to what they are derived from.
    fn roles(&self) -> Checked {
        let m = self.m;
        for role in &m.roles {
            let of = || format!("role `{}`", role.key);
            self.span(role.span, &of)?;
            for &(inc, span) in &role.includes {
                self.role(inc, &of)?;
                self.span(span, &of)?;
            }
            let mut direct = PermSet::default();
            for grant in &role.grants {
                self.span(grant.span, &of)?;
                for &p in &grant.perms {
                    self.perm(p, &of)?;
                    direct.insert(p);
                }
            }
            self.perm_set(&role.direct, &of)?;
            self.perm_set(&role.perms, &of)?;
            ensure(role.direct == direct, || {
                format!("{} holds other permissions than its grants", of())
            })?;
            if let Some((teams, span)) = &role.only_in {
                self.span(*span, &of)?;
                for &t in teams {
                    self.team(t, &of)?;
                }
            }
            for &t in role.allowed_teams.iter().flatten() {
                self.team(t, &of)?;
            }
        }
        // Includes first: each role after every role it includes (Kahn's
        // algorithm, iterative: a chain of any length is fine).
        let mut left: Vec<usize> = m.roles.iter().map(|r| r.includes.len()).collect();
        let mut included_by: Vec<Vec<RoleId>> = vec![Vec::new(); self.roles];
        for r in m.role_ids() {
            for &(inc, _) in &m[r].includes {
                included_by[inc.index()].push(r);
            }
        }
        let mut ready: Vec<RoleId> = m.role_ids().filter(|r| left[r.index()] == 0).collect();
        let mut done = 0;
        while let Some(r) = ready.pop() {
            done += 1;
            self.derived(r)?;
            for &by in &included_by[r.index()] {
                left[by.index()] -= 1;
                if left[by.index()] == 0 {
                    ready.push(by);
                }
            }
        }
        ensure(done == self.roles, || {
            let r = m.role_ids().find(|r| left[r.index()] > 0);
            format!(
                "its role includes form a cycle (through `{}`)",
                r.map_or("", |r| m[r].key.as_str())
            )
        })
    }

    /// A role's flattened permissions and allowed teams, from its own and
    /// those of the roles it includes (already checked).
    fn derived(&self, r: RoleId) -> Checked {
        let m = self.m;
        let role = &m[r];
        let mut perms = role.direct.clone();
        let mut allowed: Option<Vec<TeamId>> = role.only_in.as_ref().map(|(t, _)| t.clone());
        for &(inc, _) in &role.includes {
            perms.union_with(&m[inc].perms);
            if let Some(theirs) = &m[inc].allowed_teams {
                allowed = Some(match allowed {
                    Some(mine) => mine.into_iter().filter(|t| theirs.contains(t)).collect(),
                    None => theirs.clone(),
                });
            }
        }
        if let Some(teams) = &mut allowed {
            teams.sort();
            teams.dedup();
        }
        ensure(role.perms == perms, || {
            format!(
                "role `{}` holds other permissions than its grants and includes",
                role.key
            )
        })?;
        ensure(role.allowed_teams == allowed, || {
            format!(
                "role `{}` may be assigned in other teams than its `only in` allows",
                role.key
            )
        })
    }

    /// Each membership is listed by its team (sorted by user) and by its
    /// user (sorted by team), the two lists agree, and the role is allowed
    /// in the team. Checks merge the sorted lists; `who` reads one side and
    /// `can` the other.
    fn memberships(&self) -> Checked {
        let m = self.m;
        for t in m.team_ids() {
            let team = &m[t];
            let of = || format!("team `{}`", team.key);
            self.span(team.span, &of)?;
            for mb in &team.members {
                self.user(mb.user, &of)?;
                self.role(mb.role, &of)?;
                self.span(mb.span, &of)?;
                ensure(mb.team == t, || {
                    format!("{} lists a member of another team", of())
                })?;
                ensure(m[mb.role].allowed_in(t), || {
                    format!(
                        "{} has a member as `{}`, which its `only in` does not allow there",
                        of(),
                        m[mb.role].key
                    )
                })?;
            }
            ensure(
                strictly_sorted(team.members.iter().map(|mb| mb.user)),
                || format!("{} lists its members out of order, or one twice", of()),
            )?;
        }
        // Users in id order meet each team's members in order (they are
        // sorted by user), so one cursor per team walks both sides at once:
        // linear, and each team's list read front to back.
        let mut cursor = vec![0usize; self.teams];
        for u in m.user_ids() {
            let user = &m[u];
            let of = || format!("user `{}`", user.email);
            for mb in &user.memberships {
                self.team(mb.team, &of)?;
                self.role(mb.role, &of)?;
                ensure(mb.user == u, || {
                    format!("{} lists another user's membership", of())
                })?;
                let next = &mut cursor[mb.team.index()];
                let mirrored = m[mb.team].members.get(*next).is_some_and(|x| {
                    (x.user, x.role, x.span, x.source) == (u, mb.role, mb.span, mb.source)
                });
                ensure(mirrored, || {
                    format!(
                        "{} and team `{}` disagree about their membership",
                        of(),
                        m[mb.team].key
                    )
                })?;
                *next += 1;
            }
            ensure(
                strictly_sorted(user.memberships.iter().map(|mb| mb.team)),
                || format!("{} lists their teams out of order, or one twice", of()),
            )?;
        }
        for t in m.team_ids() {
            ensure(cursor[t.index()] == m[t].members.len(), || {
                format!(
                    "team `{}` lists a membership that its user does not list",
                    m[t].key
                )
            })?;
        }
        Ok(())
    }

    fn resources(&self) -> Checked {
        for r in &self.m.resources {
            let of = || format!("resource `{}`", r.key);
            self.span(r.span, &of)?;
            for s in &r.shares {
                self.team(s.team, &of)?;
                self.role(s.role, &of)?;
                self.span(s.span, &of)?;
            }
            ensure(strictly_sorted(r.shares.iter().map(|s| s.team)), || {
                format!("{} lists its shares out of order, or one team twice", of())
            })?;
            ensure(r.shares.iter().any(|s| s.owner), || {
                format!("{} has no owner share", of())
            })?;
        }
        Ok(())
    }

    fn auth(&self) -> Checked {
        let m = self.m;
        let auth = &m.auth;
        let of = &|| "`auth`".to_string();
        ensure(is_key(&auth.admin_team_key), || {
            "the admin team's key is not a name the language accepts".to_string()
        })?;
        // The admin team is the team with the admin team's key, if declared.
        let by_key = m.teams.iter().position(|t| t.key == auth.admin_team_key);
        ensure(auth.admin_team.map(TeamId::index) == by_key, || {
            format!("its admin team is not the team `{}`", auth.admin_team_key)
        })?;
        if let Some((team, role)) = auth.default {
            self.team(team, of)?;
            self.role(role, of)?;
            ensure(m[role].allowed_in(team), || {
                format!(
                    "`auth` gives new logins `{}` in team `{}`, which its `only in` does not allow there",
                    m[role].key, m[team].key
                )
            })?;
        }
        for &u in &auth.admins {
            self.user(u, of)?;
        }
        let of_trust = &|| "`trust`".to_string();
        for &t in m.trust.principals.iter().flatten() {
            match t {
                Trusted::Team(team, role) => {
                    self.team(team, of_trust)?;
                    if let Some(r) = role {
                        self.role(r, of_trust)?;
                    }
                }
                Trusted::Role(r) => self.role(r, of_trust)?,
                Trusted::User(u) => self.user(u, of_trust)?,
            }
        }
        for span in auth.span.iter().chain(&auth.default_role_span) {
            self.span(*span, of)?;
        }
        Ok(())
    }

    fn tests(&self) -> Checked {
        for test in &self.m.tests {
            let of = || format!("test \"{}\"", test.name);
            self.span(test.span, &of)?;
            for line in &test.lines {
                self.span(line.span, &of)?;
                ensure(is_email(&line.user), || {
                    format!("{} asks about `{}`, which is not an email", of(), line.user)
                })?;
                self.perm(line.perm, &of)?;
                self.scope(line.scope, &of)?;
                if let Some(t) = line.to {
                    self.team(t, &of)?;
                }
                let target = self.m[line.perm].target_team;
                ensure(target == line.to.is_some(), || {
                    format!(
                        "{} has a line whose target team does not match its permission",
                        of()
                    )
                })?;
            }
        }
        Ok(())
    }

    fn invariants(&self) -> Checked {
        for inv in &self.m.invariants {
            let of = || format!("invariant \"{}\"", inv.name);
            self.span(inv.span, &of)?;
            for rule in &inv.rules {
                self.span(rule.span, &of)?;
                for &p in &rule.perms {
                    self.perm(p, &of)?;
                }
                match &rule.kind {
                    InvariantKind::OnlyTeam(teams) => {
                        teams.iter().try_for_each(|&t| self.team(t, &of))?
                    }
                    InvariantKind::OnlyRole(roles) => {
                        roles.iter().try_for_each(|&r| self.role(r, &of))?
                    }
                    InvariantKind::Implies(perms) => {
                        perms.iter().try_for_each(|&p| self.perm(p, &of))?
                    }
                    InvariantKind::Nobody | InvariantKind::AtMost(_) => {}
                }
                match rule.scope {
                    ScopePattern::Any | ScopePattern::AnyTeam => {}
                    ScopePattern::Exact(scope) => self.scope(scope, &of)?,
                    ScopePattern::AnyOfKind(k) => self.kind(k, &of)?,
                }
            }
        }
        Ok(())
    }
}
