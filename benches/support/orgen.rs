//! A deterministic generator of Adaptive-shaped organisations, for benchmarks
//! and the peer comparison (`peers/`). Shared by path (`#[path]`), so it is not
//! part of the library.
//!
//! An org is the six Adaptive roles (the text of `policies/adaptive.policy`),
//! `teams` teams, `users` users each in 1–3 teams with a role per team
//! (`platform-admin` only in `admin`, per its `only in`), `use_cases` use cases
//! each shared with 1–3 teams (exactly one owner share), and a few admins.
//! The same seed gives the same bytes.

#![allow(dead_code, reason = "each user of the module takes what it needs")]

/// The built-ins every generated org starts from.
pub const ADAPTIVE: &str = include_str!("../../policies/adaptive.policy");

pub const ROLES: [&str; 6] = [
    "admin",
    "platform-admin",
    "power_user",
    "read-only",
    "inference",
    "annotator",
];
/// Roles a member of an ordinary team may hold (not `platform-admin`).
const MEMBER_ROLES: [usize; 5] = [0, 2, 3, 4, 5];
/// Weights of MEMBER_ROLES: most people read or interact, few are admins.
const MEMBER_WEIGHTS: [u32; 5] = [1, 3, 3, 2, 1];
/// Roles a share is made at (a `platform-admin` share would give nothing on a use case).
const SHARE_ROLES: [usize; 5] = [0, 2, 3, 4, 5];

pub const USE_CASE_PERMS: [&str; 10] = [
    "use_case:read",
    "use_case:update",
    "use_case:manage_models",
    "use_case:adapt",
    "use_case:evaluate",
    "use_case:interact",
    "use_case:add_feedback",
    "use_case:read_interactions",
    "use_case:update_interactions",
    "use_case:share",
];
pub const TEAM_PERMS: [&str; 7] = [
    "use_case:create",
    "dataset:create",
    "metric:create",
    "team:manage",
    "admin:manage_roles",
    "admin:manage_teams",
    "admin:manage_users",
];
pub const GLOBAL_PERMS: [&str; 4] = [
    "model:manage_models",
    "admin:manage_roles",
    "admin:manage_teams",
    "admin:manage_users",
];

/// Sizes named in issue 6.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub users: usize,
    pub teams: usize,
    pub use_cases: usize,
}

impl Size {
    pub const S: Size = Size {
        users: 1_000,
        teams: 50,
        use_cases: 500,
    };
    pub const M: Size = Size {
        users: 100_000,
        teams: 5_000,
        use_cases: 50_000,
    };
    pub const L: Size = Size {
        users: 1_000_000,
        teams: 50_000,
        use_cases: 500_000,
    };

    pub fn named(name: &str) -> Option<Size> {
        match name {
            "S" | "s" => Some(Size::S),
            "M" | "m" => Some(Size::M),
            "L" | "l" => Some(Size::L),
            _ => None,
        }
    }
}

/// SplitMix64: tiny, good enough for test data, and no dependency.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        #[expect(
            clippy::cast_possible_truncation,
            reason = "below(total) < total, a u32"
        )]
        let mut x = self.below(total as usize) as u32;
        for (i, &w) in weights.iter().enumerate() {
            if x < w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

/// Teams are numbered; team 0 is the built-in `admin` team.
pub fn team_key(t: usize) -> String {
    if t == 0 {
        "admin".to_string()
    } else {
        format!("team-{t}")
    }
}
pub fn user_email(u: usize) -> String {
    format!("u{u}@acme.com")
}
pub fn use_case_key(r: usize) -> String {
    format!("uc-{r}")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share {
    pub team: usize,
    /// Index into [`ROLES`].
    pub role: usize,
    pub owner: bool,
}

/// An organisation as data: what the policy text says, for encoding it
/// into other engines.
#[derive(Clone, Debug)]
pub struct Org {
    /// Number of teams, `admin` (0) included; `default` is not counted.
    pub teams: usize,
    /// Per user, (team, role index), teams distinct.
    pub users: Vec<Vec<(usize, usize)>>,
    /// Per use case, its shares, teams distinct, exactly one owner.
    pub use_cases: Vec<Vec<Share>>,
}

/// One question as the CLI's batch takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub user: String,
    pub permission: &'static str,
    pub scope: Option<String>,
    pub to: Option<String>,
}

impl Query {
    /// The `can --batch` input line.
    pub fn to_json_line(&self) -> String {
        let mut s = format!(
            "{{\"user\":\"{}\",\"permission\":\"{}\"",
            self.user, self.permission
        );
        if let Some(scope) = &self.scope {
            s.push_str(&format!(",\"scope\":\"{scope}\""));
        }
        if let Some(to) = &self.to {
            s.push_str(&format!(",\"to\":\"{to}\""));
        }
        s.push('}');
        s
    }
}

/// Permissions of each role of [`ROLES`], flattened (as SPEC §8 says).
pub fn role_perms(role: usize) -> Vec<&'static str> {
    let uc_all: Vec<&str> = USE_CASE_PERMS.to_vec();
    match ROLES[role] {
        "admin" => {
            let mut all = uc_all;
            all.extend(TEAM_PERMS);
            all.push("model:manage_models");
            all
        }
        "platform-admin" => vec![
            "admin:manage_roles",
            "admin:manage_teams",
            "admin:manage_users",
            "team:manage",
        ],
        "power_user" => {
            let mut all = uc_all;
            // `use_case:*` also matches the team-scoped `use_case:create`.
            all.extend(["use_case:create", "dataset:create", "metric:create"]);
            all
        }
        "read-only" => vec!["use_case:read"],
        "inference" => vec!["use_case:read", "use_case:interact"],
        "annotator" => vec![
            "use_case:read",
            "use_case:interact",
            "use_case:add_feedback",
        ],
        _ => vec![],
    }
}

pub fn generate(size: Size, seed: u64) -> Org {
    let mut rng = Rng::new(seed);
    let teams = size.teams.max(2);
    let admins = (size.users / 1000).clamp(3, 50);
    let mut users = Vec::with_capacity(size.users);
    for u in 0..size.users {
        let mut m: Vec<(usize, usize)> = Vec::with_capacity(3);
        if u < admins {
            // A few admins: in the admin team, as admin or platform-admin.
            m.push((0, if u % 3 == 2 { 1 } else { 0 }));
        }
        // Every ordinary team gets a member: user u's first team is u mod teams.
        let first = 1 + u % (teams - 1);
        let n = 1 + rng.below(3);
        let mut pick = first;
        while m.len() < n + usize::from(u < admins) {
            if !m.iter().any(|&(t, _)| t == pick) {
                let role = MEMBER_ROLES[rng.weighted(&MEMBER_WEIGHTS)];
                m.push((pick, role));
            }
            pick = 1 + rng.below(teams - 1);
        }
        m.sort_unstable();
        users.push(m);
    }
    let mut use_cases = Vec::with_capacity(size.use_cases);
    for _ in 0..size.use_cases {
        let n = 1 + rng.below(3);
        let mut shares: Vec<Share> = Vec::with_capacity(n);
        while shares.len() < n {
            let team = 1 + rng.below(teams - 1);
            if shares.iter().any(|s| s.team == team) {
                continue;
            }
            shares.push(Share {
                team,
                role: SHARE_ROLES[rng.below(SHARE_ROLES.len())],
                owner: shares.is_empty(),
            });
        }
        use_cases.push(shares);
    }
    Org {
        teams,
        users,
        use_cases,
    }
}

impl Org {
    pub fn admins(&self) -> impl Iterator<Item = usize> + '_ {
        self.users
            .iter()
            .enumerate()
            .filter(|(_, m)| m.iter().any(|&(t, r)| t == 0 && r == 0))
            .map(|(u, _)| u)
    }

    /// The policy as (file name, text) pairs: the built-ins, the teams, the
    /// users in chunks of 10,000, the use cases in chunks of 10,000.
    pub fn files(&self) -> Vec<(String, String)> {
        use std::fmt::Write;
        let mut files = vec![("adaptive.policy".to_string(), ADAPTIVE.to_string())];
        let mut teams = String::from("# generated by examples/gen_org.rs\n\nauth {\n  admins ");
        let admins: Vec<String> = self.admins().map(user_email).collect();
        teams.push_str(&admins.join(", "));
        teams.push_str("\n}\n\n");
        for t in 1..self.teams {
            let _ = writeln!(teams, "team {} \"Team {t}\"", team_key(t));
        }
        files.push(("teams.policy".to_string(), teams));
        for (chunk, users) in self.users.chunks(10_000).enumerate() {
            let mut text = String::with_capacity(users.len() * 80);
            for (i, m) in users.iter().enumerate() {
                let u = chunk * 10_000 + i;
                let _ = writeln!(text, "user {} \"User {u}\" {{", user_email(u));
                for &(t, r) in m {
                    if t == 0 && r == 0 {
                        continue; // admins come from `auth { admins … }`
                    }
                    let _ = writeln!(text, "  in {} as {}", team_key(t), ROLES[r]);
                }
                text.push_str("}\n");
            }
            files.push((format!("users-{chunk:04}.policy"), text));
        }
        for (chunk, ucs) in self.use_cases.chunks(10_000).enumerate() {
            let mut text = String::with_capacity(ucs.len() * 100);
            for (i, shares) in ucs.iter().enumerate() {
                let r = chunk * 10_000 + i;
                let _ = writeln!(text, "use_case {} \"Use case {r}\" {{", use_case_key(r));
                for s in shares {
                    let owner = if s.owner { " owner" } else { "" };
                    let _ = writeln!(
                        text,
                        "  share {} as {}{owner}",
                        team_key(s.team),
                        ROLES[s.role]
                    );
                }
                text.push_str("}\n");
            }
            files.push((format!("use_cases-{chunk:04}.policy"), text));
        }
        files
    }

    /// Use cases shared with each team.
    fn by_team(&self) -> Vec<Vec<usize>> {
        let mut by_team = vec![Vec::new(); self.teams];
        for (r, shares) in self.use_cases.iter().enumerate() {
            for s in shares {
                by_team[s.team].push(r);
            }
        }
        by_team
    }

    /// `n` questions: likely allows (a permission of the member's role on a
    /// use case shared with their team) mixed with near misses (right user,
    /// wrong use case; right team, wrong permission; `use_case:share` on a
    /// non-owner share or to a team they are not in), team and global
    /// questions, and new logins.
    pub fn queries(&self, n: usize, seed: u64) -> Vec<Query> {
        let mut rng = Rng::new(seed ^ 0x5151_5151);
        let by_team = self.by_team();
        let mut out = Vec::with_capacity(n);
        let uc = |r: usize| Some(format!("use_case/{}", use_case_key(r)));
        while out.len() < n {
            let u = rng.below(self.users.len());
            let m = &self.users[u];
            let (team, role) = m[rng.below(m.len())];
            let user = user_email(u);
            let shared = &by_team[team];
            let q = match rng.below(10) {
                // A permission of the member's role, on a use case shared with the team.
                0 | 1 if !shared.is_empty() => {
                    let perms = role_perms(role);
                    let perm = perms[rng.below(perms.len())];
                    let r = shared[rng.below(shared.len())];
                    if perm == "use_case:share" {
                        let (to, _) = m[rng.below(m.len())];
                        Query {
                            user,
                            permission: perm,
                            scope: uc(r),
                            to: Some(format!("team/{}", team_key(to))),
                        }
                    } else if !perm.starts_with("use_case:") || perm == "use_case:create" {
                        Query {
                            user,
                            permission: perm,
                            scope: Some(format!("team/{}", team_key(team))),
                            to: None,
                        }
                    } else {
                        Query {
                            user,
                            permission: perm,
                            scope: uc(r),
                            to: None,
                        }
                    }
                }
                // Right user, wrong use case.
                2..=4 => Query {
                    user,
                    permission: USE_CASE_PERMS[rng.below(9)],
                    scope: uc(rng.below(self.use_cases.len())),
                    to: None,
                },
                // Right team, any permission (mostly not the role's).
                5 if !shared.is_empty() => Query {
                    user,
                    permission: USE_CASE_PERMS[rng.below(9)],
                    scope: uc(shared[rng.below(shared.len())]),
                    to: None,
                },
                // Owner-required permission, often on a non-owner share.
                6 if !shared.is_empty() => {
                    let to = if rng.below(2) == 0 {
                        m[rng.below(m.len())].0
                    } else {
                        1 + rng.below(self.teams - 1)
                    };
                    Query {
                        user,
                        permission: "use_case:share",
                        scope: uc(shared[rng.below(shared.len())]),
                        to: Some(format!("team/{}", team_key(to))),
                    }
                }
                // Team-scoped permissions, own team or another.
                7 => {
                    let t = if rng.below(2) == 0 {
                        team
                    } else {
                        1 + rng.below(self.teams - 1)
                    };
                    Query {
                        user,
                        permission: TEAM_PERMS[rng.below(TEAM_PERMS.len())],
                        scope: Some(format!("team/{}", team_key(t))),
                        to: None,
                    }
                }
                // Global permissions (admins now and then).
                8 => Query {
                    user: if rng.below(4) == 0 {
                        user_email(rng.below(4))
                    } else {
                        user
                    },
                    permission: GLOBAL_PERMS[rng.below(GLOBAL_PERMS.len())],
                    scope: None,
                    to: None,
                },
                // A new login.
                9 => Query {
                    user: format!("new{}@acme.com", rng.below(1000)),
                    permission: USE_CASE_PERMS[rng.below(9)],
                    scope: uc(rng.below(self.use_cases.len())),
                    to: None,
                },
                _ => continue,
            };
            out.push(q);
        }
        out
    }
}

/// Writes the org's policy files under `dir`.
pub fn write_dir(org: &Org, dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in org.files() {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

/// The org with 1% of its memberships given another role (every 100th one
/// outside the admin team, to the next member role): a change to `diff`.
pub fn one_percent_changed(org: &Org) -> Org {
    let mut changed = org.clone();
    let memberships = changed
        .users
        .iter_mut()
        .flatten()
        .filter(|(team, _)| *team != 0);
    for (_, role) in memberships.step_by(100) {
        let at = MEMBER_ROLES.iter().position(|r| r == role).unwrap_or(0);
        *role = MEMBER_ROLES[(at + 1) % MEMBER_ROLES.len()];
    }
    changed
}

/// The org's policy as in-memory sources.
pub fn sources(org: &Org) -> rolegraph::source::Sources {
    let mut sources = rolegraph::source::Sources::default();
    for (name, text) in org.files() {
        sources.add(name, &text);
    }
    sources
}
