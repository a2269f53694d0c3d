//! A naive reference implementation of SPEC §2, written straight from the
//! text, on its own representation of a policy (names as strings, no ids, no
//! bitsets, nothing precomputed). The differential test renders the same
//! policy as `.policy` text for rolegraph and compares every answer.

#![allow(dead_code)]

use std::collections::BTreeSet;

#[derive(Clone, Debug)]
pub struct Perm {
    pub name: String,
    pub global: bool,
    pub team: bool,
    pub kinds: Vec<String>,
    pub requires_owner: bool,
    pub target_team: bool,
}

#[derive(Clone, Debug)]
pub struct Role {
    pub key: String,
    pub includes: Vec<String>,
    /// Patterns as written: `*`, `prefix:*` or a permission name.
    pub grants: Vec<String>,
    pub only_in: Option<Vec<String>>,
}

#[derive(Clone, Debug)]
pub struct User {
    /// As written (any case).
    pub email: String,
    /// `in TEAM as ROLE` lines of the user's block.
    pub teams: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct Member {
    pub team: String,
    pub email: String,
    pub role: String,
}

#[derive(Clone, Debug)]
pub struct Share {
    pub team: String,
    pub role: String,
    pub owner: bool,
}

#[derive(Clone, Debug)]
pub struct Resource {
    pub kind: String,
    pub key: String,
    pub shares: Vec<Share>,
}

#[derive(Clone, Debug, Default)]
pub struct RefPolicy {
    pub kinds: Vec<String>,
    pub perms: Vec<Perm>,
    pub roles: Vec<Role>,
    pub teams: Vec<String>,
    /// `Some` writes `admin_team KEY`; `None` leaves the default `admin`.
    pub admin_team_line: Option<String>,
    pub defaults: Option<(String, String)>,
    pub admins: Vec<String>,
    pub users: Vec<User>,
    pub members: Vec<Member>,
    pub resources: Vec<Resource>,
}

/// A candidate path, by name: how, through which team, the member's role
/// there, the share's role and owner flag, and the condition it fails.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RefPath {
    pub through: &'static str,
    pub team: Option<String>,
    pub role: Option<String>,
    pub share: Option<(String, bool)>,
    pub failure: Option<&'static str>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Global,
    Team(String),
    Resource(String, String),
}

impl Scope {
    pub fn text(&self) -> String {
        match self {
            Scope::Global => "global".into(),
            Scope::Team(t) => format!("team/{t}"),
            Scope::Resource(k, r) => format!("{k}/{r}"),
        }
    }
}

impl Role {
    /// `role admin { grant * }`, as the generators end their role lists.
    pub fn admin() -> Role {
        Role {
            key: "admin".into(),
            includes: vec![],
            grants: vec!["*".into()],
            only_in: None,
        }
    }
}

impl RefPolicy {
    /// The generators' `only in` from a byte: none when its low bit is
    /// clear, else the teams its other bits pick (the first team when they
    /// pick none).
    pub fn only_in_from_bits(&self, bits: u8) -> Option<Vec<String>> {
        (bits & 1 == 1).then(|| {
            let teams: Vec<String> = self
                .teams
                .iter()
                .enumerate()
                .filter(|(j, _)| bits >> (1 + j) & 1 == 1)
                .map(|(_, t)| t.clone())
                .collect();
            if teams.is_empty() {
                vec![self.teams[0].clone()]
            } else {
                teams
            }
        })
    }

    pub fn admin_team(&self) -> &str {
        self.admin_team_line.as_deref().unwrap_or("admin")
    }

    pub fn perm(&self, name: &str) -> &Perm {
        self.perms
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no permission {name}"))
    }

    fn role(&self, key: &str) -> &Role {
        self.roles
            .iter()
            .find(|r| r.key == key)
            .unwrap_or_else(|| panic!("no role {key}"))
    }

    /// perms(r): the role's grants expanded, plus perms() of every include.
    pub fn perms_of(&self, role: &str) -> BTreeSet<String> {
        let r = self.role(role);
        let mut out = BTreeSet::new();
        for pattern in &r.grants {
            for p in &self.perms {
                let matches = if pattern == "*" {
                    true
                } else if let Some(prefix) = pattern.strip_suffix(":*") {
                    p.name.split(':').next() == Some(prefix)
                } else {
                    &p.name == pattern
                };
                if matches {
                    out.insert(p.name.clone());
                }
            }
        }
        for inc in &r.includes {
            out.extend(self.perms_of(inc));
        }
        out
    }

    /// The teams a role may be assigned in (`None` = anywhere): its own
    /// `only in` intersected with that of every role it includes.
    pub fn allowed_teams(&self, role: &str) -> Option<BTreeSet<String>> {
        let r = self.role(role);
        let mut allowed: Option<BTreeSet<String>> =
            r.only_in.as_ref().map(|t| t.iter().cloned().collect());
        for inc in &r.includes {
            if let Some(theirs) = self.allowed_teams(inc) {
                allowed = Some(match allowed {
                    Some(mine) => mine.intersection(&theirs).cloned().collect(),
                    None => theirs,
                });
            }
        }
        allowed
    }

    /// A user is declared by a `user` item, a `member` line or `admins`.
    pub fn declared(&self, email: &str) -> bool {
        let e = email.to_lowercase();
        self.users.iter().any(|u| u.email.to_lowercase() == e)
            || self.members.iter().any(|m| m.email.to_lowercase() == e)
            || self.admins.iter().any(|a| a.to_lowercase() == e)
    }

    /// role(u, T): from `member` lines, `in` lines and `admins`; a new
    /// login is a member of the default team with the default role.
    pub fn role_in(&self, email: &str, team: &str) -> Option<String> {
        let e = email.to_lowercase();
        if !self.declared(email) {
            return match &self.defaults {
                Some((t, r)) if t == team => Some(r.clone()),
                _ => None,
            };
        }
        for m in &self.members {
            if m.email.to_lowercase() == e && m.team == team {
                return Some(m.role.clone());
            }
        }
        for u in &self.users {
            if u.email.to_lowercase() == e {
                for (t, r) in &u.teams {
                    if t == team {
                        return Some(r.clone());
                    }
                }
            }
        }
        if team == self.admin_team() && self.admins.iter().any(|a| a.to_lowercase() == e) {
            return Some("admin".into());
        }
        None
    }

    fn has(&self, email: &str, team: &str, perm: &str) -> bool {
        self.role_in(email, team)
            .is_some_and(|r| self.perms_of(&r).contains(perm))
    }

    pub fn can_global(&self, email: &str, perm: &str) -> bool {
        let p = self.perm(perm);
        p.global && self.teams.iter().any(|t| t == self.admin_team()) && {
            self.has(email, self.admin_team(), perm)
        }
    }

    /// The rule before the target-team condition.
    pub fn holds(&self, email: &str, perm: &str, scope: &Scope) -> bool {
        let p = self.perm(perm);
        match scope {
            Scope::Global => self.can_global(email, perm),
            Scope::Team(t) => p.team && (self.has(email, t, perm) || self.can_global(email, perm)),
            Scope::Resource(kind, key) => {
                if !p.kinds.contains(kind) {
                    return false;
                }
                let res = self
                    .resources
                    .iter()
                    .find(|r| &r.kind == kind && &r.key == key)
                    .unwrap_or_else(|| panic!("no resource {kind}/{key}"));
                let by_share = res.shares.iter().any(|s| {
                    self.has(email, &s.team, perm)
                        && self.perms_of(&s.role).contains(perm)
                        && (!p.requires_owner || s.owner)
                });
                by_share || (p.global && self.can_global(email, perm))
            }
        }
    }

    /// The whole decision, target team included.
    pub fn can(&self, email: &str, perm: &str, scope: &Scope, to: Option<&str>) -> bool {
        let p = self.perm(perm);
        let target_ok = if p.target_team {
            to.is_some_and(|t| self.role_in(email, t).is_some())
        } else {
            true
        };
        target_ok && self.holds(email, perm, scope)
    }

    /// Every declared user, lower-case.
    pub fn declared_users(&self) -> BTreeSet<String> {
        let mut users: BTreeSet<String> = BTreeSet::new();
        users.extend(self.users.iter().map(|u| u.email.to_lowercase()));
        users.extend(self.members.iter().map(|m| m.email.to_lowercase()));
        users.extend(self.admins.iter().map(|a| a.to_lowercase()));
        users
    }

    /// Every way the rule could give `email` the permission at the scope,
    /// each with the first condition of SPEC §2 it fails (`None`: it grants),
    /// tested in the order the rule states them. Nothing when the permission
    /// is not declared at the scope's level.
    pub fn candidates(&self, email: &str, perm: &str, scope: &Scope) -> Vec<RefPath> {
        let p = self.perm(perm);
        let holds = |role: &Option<String>| {
            role.as_ref()
                .is_some_and(|r| self.perms_of(r).contains(perm))
        };
        // A membership of `team`: not a member, or a role without it.
        let membership = |through: &'static str, team: &str| {
            let role = self.role_in(email, team);
            let failure = match &role {
                None => Some("not_member"),
                Some(_) if !holds(&role) => Some("role_lacks"),
                Some(_) => None,
            };
            RefPath {
                through,
                team: Some(team.to_string()),
                role,
                share: None,
                failure,
            }
        };
        let mut out = Vec::new();
        match scope {
            Scope::Global if !p.global => return out,
            Scope::Global => {}
            Scope::Team(_) if !p.team => return out,
            Scope::Team(t) => out.push(membership("membership", t)),
            Scope::Resource(kind, _) if !p.kinds.contains(kind) => return out,
            Scope::Resource(kind, key) => {
                let res = self
                    .resources
                    .iter()
                    .find(|r| &r.kind == kind && &r.key == key)
                    .unwrap_or_else(|| panic!("no resource {kind}/{key}"));
                for s in &res.shares {
                    let role = self.role_in(email, &s.team);
                    let failure = if role.is_none() {
                        Some("not_member")
                    } else if !holds(&role) {
                        Some("role_lacks")
                    } else if !self.perms_of(&s.role).contains(perm) {
                        Some("share_caps")
                    } else if p.requires_owner && !s.owner {
                        Some("not_owner")
                    } else {
                        None
                    };
                    out.push(RefPath {
                        through: "share",
                        team: Some(s.team.clone()),
                        role,
                        share: Some((s.role.clone(), s.owner)),
                        failure,
                    });
                }
            }
        }
        if p.global {
            let admin = self.admin_team();
            if self.teams.iter().any(|t| t == admin) {
                out.push(membership("global", admin));
            } else {
                out.push(RefPath {
                    through: "global",
                    team: None,
                    role: None,
                    share: None,
                    failure: Some("no_admin_team"),
                });
            }
        }
        out
    }

    pub fn scopes(&self) -> Vec<Scope> {
        let mut s = vec![Scope::Global];
        s.extend(self.teams.iter().map(|t| Scope::Team(t.clone())));
        s.extend(
            self.resources
                .iter()
                .map(|r| Scope::Resource(r.kind.clone(), r.key.clone())),
        );
        s
    }

    /// Every (user, scope, permission) the rule allows before the target
    /// condition: every declared user (lower-case) and `*` for new logins.
    pub fn rows(&self) -> BTreeSet<(String, String, String)> {
        let users = self.declared_users();
        let mut out = BTreeSet::new();
        let subjects = users
            .iter()
            .map(|u| (u.clone(), u.clone()))
            .chain(std::iter::once((
                "*".to_string(),
                "nobody-declared@new.login".to_string(),
            )));
        for (name, email) in subjects {
            for scope in self.scopes() {
                for p in &self.perms {
                    if self.holds(&email, &p.name, &scope) {
                        out.insert((name.clone(), scope.text(), p.name.clone()));
                    }
                }
            }
        }
        out
    }

    /// The policy as `.policy` text. `layout` picks the order of the items
    /// (references may point forward) and whether roles are written in
    /// reverse, so that a role may include one declared after it.
    pub fn render(&self, layout: u8) -> String {
        let mut sections: Vec<String> = Vec::new();
        let mut s = String::new();
        s.push_str("auth {\n");
        if let Some(t) = &self.admin_team_line {
            s.push_str(&format!("  admin_team {t}\n"));
        }
        if let Some((t, r)) = &self.defaults {
            s.push_str(&format!("  default_team {t}\n  default_role {r}\n"));
        }
        if !self.admins.is_empty() {
            s.push_str(&format!("  admins {}\n", self.admins.join(", ")));
        }
        s.push_str("}\n");
        for k in &self.kinds {
            s.push_str(&format!("kind {k}\n"));
        }
        sections.push(std::mem::take(&mut s));
        for p in &self.perms {
            let mut on: Vec<String> = Vec::new();
            if p.global {
                on.push("global".into());
            }
            if p.team {
                on.push("team".into());
            }
            on.extend(p.kinds.iter().cloned());
            let mut req = Vec::new();
            if p.requires_owner {
                req.push("owner");
            }
            if p.target_team {
                req.push("target team");
            }
            let req = if req.is_empty() {
                String::new()
            } else {
                format!(" requires {}", req.join(", "))
            };
            s.push_str(&format!(
                "permission {} on {}{req}\n",
                p.name,
                on.join(", ")
            ));
        }
        sections.push(std::mem::take(&mut s));
        let mut roles: Vec<&Role> = self.roles.iter().collect();
        if layout & 8 == 8 {
            roles.reverse();
        }
        for r in roles {
            s.push_str(&format!("role {} {{\n", r.key));
            if !r.includes.is_empty() {
                s.push_str(&format!("  includes {}\n", r.includes.join(", ")));
            }
            for g in &r.grants {
                s.push_str(&format!("  grant {g}\n"));
            }
            if let Some(t) = &r.only_in {
                s.push_str(&format!("  only in {}\n", t.join(", ")));
            }
            s.push_str("}\n");
        }
        sections.push(std::mem::take(&mut s));
        for t in &self.teams {
            s.push_str(&format!("team {t} {{\n"));
            for m in self.members.iter().filter(|m| &m.team == t) {
                s.push_str(&format!("  member {} as {}\n", m.email, m.role));
            }
            s.push_str("}\n");
        }
        sections.push(std::mem::take(&mut s));
        for u in &self.users {
            s.push_str(&format!("user {} {{\n", u.email));
            for (t, r) in &u.teams {
                s.push_str(&format!("  in {t} as {r}\n"));
            }
            s.push_str("}\n");
        }
        sections.push(std::mem::take(&mut s));
        for res in &self.resources {
            s.push_str(&format!("{} {} {{\n", res.kind, res.key));
            for sh in &res.shares {
                let owner = if sh.owner { " owner" } else { "" };
                s.push_str(&format!("  share {} as {}{owner}\n", sh.team, sh.role));
            }
            s.push_str("}\n");
        }
        sections.push(s);
        let n = sections.len();
        sections.rotate_left(layout as usize % n);
        sections.concat()
    }
}
