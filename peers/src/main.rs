//! rolegraph vs cedar-policy vs regorus (OPA's Rego in Rust) on the same
//! generated org and the same questions (issue 6).
//!
//! ```text
//! cd peers && cargo run --release -- M [QUERIES]
//! ```
//!
//! The parent process runs each engine in a child process of its own (so that
//! peak memory, VmHWM, is the engine's), each child writes its decisions, and
//! the parent checks that all three agree on every question and prints a table.
//! `cargo run --release -- M 20000 ENGINE` runs one engine only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../benches/support/orgen.rs"]
mod orgen;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::process::Command;
use std::str::FromStr;
use std::time::{Duration, Instant};

use orgen::{role_perms, team_key, use_case_key, user_email, Org, Query, ROLES};
use serde_json::{json, Value};

/// `rolegraph` loads the policy text; `rolegraph-bundle` the bundle the parent
/// compiled from it beforehand (`compile --format bundle`), as Cedar and
/// regorus load entities and data documents prepared beforehand.
const ENGINES: [&str; 4] = ["rolegraph", "rolegraph-bundle", "cedar", "regorus"];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size_name = args.first().map_or("S", String::as_str);
    let size = orgen::Size::named(size_name).expect("size: S, M or L");
    let n: usize = args.get(1).map_or(20_000, |s| s.parse().expect("a count"));
    match args.get(2) {
        Some(engine) => child(size_name, size, n, engine),
        None => parent(size_name, n),
    }
}

fn decisions_path(size: &str, engine: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("peers-{size}-{engine}.decisions"))
}

fn bundle_path(size: &str) -> std::path::PathBuf {
    decisions_path(size, "rolegraph").with_extension("bundle")
}

fn parent(size: &str, n: usize) {
    let org = orgen::generate(orgen::Size::named(size).unwrap(), 42);
    let queries = org.queries(n, 42);
    let policy = rolegraph::Policy::from_sources(orgen::sources(&org)).unwrap();
    std::fs::write(bundle_path(size), policy.to_bundle().unwrap()).unwrap();
    drop((org, policy));
    let exe = std::env::current_exe().unwrap();
    let mut rows = Vec::new();
    for engine in ENGINES {
        let out = Command::new(&exe)
            .args([size, &n.to_string(), engine])
            .output()
            .unwrap();
        if !out.status.success() {
            eprintln!("{engine} failed: {}", String::from_utf8_lossy(&out.stderr));
            std::process::exit(1);
        }
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        eprintln!("{engine}: {report}");
        rows.push((engine, report));
    }
    let decisions: Vec<Vec<u8>> = ENGINES
        .iter()
        .map(|e| std::fs::read(decisions_path(size, e)).unwrap())
        .collect();
    let mut disagree = 0;
    for i in 0..decisions[0].len() {
        if decisions.iter().any(|d| d[i] != decisions[0][i]) {
            if disagree < 10 {
                eprintln!(
                    "disagreement on question {i} (rolegraph, cedar, regorus): {} {:?}",
                    decisions.iter().map(|d| d[i] as char).collect::<String>(),
                    queries[i]
                );
            }
            disagree += 1;
        }
    }
    let allows = decisions[0].iter().filter(|&&d| d == b'1').count();
    println!(
        "{size}: {} questions, {allows} allows ({:.1}%), disagreements: {disagree}",
        decisions[0].len(),
        100.0 * allows as f64 / decisions[0].len() as f64
    );
    println!();
    println!("| engine | load (s) | peak RSS (MB) | decision median (ns) | decision p99 (ns) | with name lookup median (ns) | median vs rolegraph |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    let base = rows[0].1["median_ns"].as_f64().unwrap();
    for (engine, r) in &rows {
        println!(
            "| {engine} | {:.2} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0}× |",
            r["load_s"].as_f64().unwrap(),
            r["peak_rss_mb"].as_f64().unwrap(),
            r["median_ns"].as_f64().unwrap(),
            r["p99_ns"].as_f64().unwrap(),
            r["named_median_ns"].as_f64().unwrap(),
            r["median_ns"].as_f64().unwrap() / base,
        );
    }
    if disagree > 0 {
        std::process::exit(1);
    }
}

/// VmHWM of this process, in MB.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Times `decide` once per question, several rounds; returns the median and
/// p99 of the per-question times. Timer overhead (~20 ns) is included and
/// reported as measured: at rolegraph's speed a batch of one is too small,
/// so rolegraph's figures come from batches of 64 (see `time_batched`).
fn time_each(n: usize, rounds: usize, mut decide: impl FnMut(usize) -> bool) -> (f64, f64) {
    let mut times = Vec::with_capacity(n * rounds);
    for _ in 0..rounds {
        for i in 0..n {
            let t = Instant::now();
            black_box(decide(i));
            times.push(t.elapsed());
        }
    }
    quantiles(times)
}

/// Per-question time measured over runs of 64 consecutive questions.
fn time_batched(n: usize, rounds: usize, mut decide: impl FnMut(usize) -> bool) -> (f64, f64) {
    let mut times = Vec::new();
    for _ in 0..rounds {
        let mut i = 0;
        while i < n {
            let end = (i + 64).min(n);
            let t = Instant::now();
            for j in i..end {
                black_box(decide(j));
            }
            times.push(t.elapsed() / (end - i) as u32);
            i = end;
        }
    }
    quantiles(times)
}

fn quantiles(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort_unstable();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize].as_nanos() as f64;
    (at(0.5), at(0.99))
}

fn child(size_name: &str, size: orgen::Size, n: usize, engine: &str) {
    let org = orgen::generate(size, 42);
    let queries = org.queries(n, 42);
    let base_rss = peak_rss_mb();
    let (load, decisions, (median, p99), (named_median, _)) = match engine {
        "rolegraph" => run_rolegraph(&org, &queries),
        "rolegraph-bundle" => run_rolegraph_bundle(size_name, &queries),
        "cedar" => run_cedar(&org, &queries),
        "regorus" => run_regorus(&org, &queries),
        other => panic!("unknown engine {other}"),
    };
    let bytes: Vec<u8> = decisions
        .iter()
        .map(|&d| if d { b'1' } else { b'0' })
        .collect();
    std::fs::write(decisions_path(size_name, engine), bytes).unwrap();
    let report = json!({
        "load_s": load.as_secs_f64(),
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_load_mb": base_rss,
        "median_ns": median,
        "p99_ns": p99,
        "named_median_ns": named_median,
    });
    println!("{report}");
}

type Run = (Duration, Vec<bool>, (f64, f64), (f64, f64));

// ------------------------------------------------------------------ rolegraph

fn run_rolegraph(org: &Org, queries: &[Query]) -> Run {
    let files = org.files();
    let t = Instant::now();
    let mut sources = rolegraph::source::Sources::default();
    for (name, text) in &files {
        sources.add(name.as_str(), text);
    }
    drop(files);
    let policy = rolegraph::Policy::from_sources(sources).unwrap();
    answer_rolegraph(&policy, t.elapsed(), queries)
}

/// Loading starts from the bundle's bytes, as Cedar's and regorus's start
/// from their JSON text.
fn run_rolegraph_bundle(size: &str, queries: &[Query]) -> Run {
    let bytes = std::fs::read(bundle_path(size)).unwrap();
    let t = Instant::now();
    let policy = rolegraph::Policy::from_bundle(&bytes).unwrap();
    let load = t.elapsed();
    drop(bytes);
    answer_rolegraph(&policy, load, queries)
}

fn answer_rolegraph(policy: &rolegraph::Policy, load: Duration, queries: &[Query]) -> Run {
    let named = |q: &Query| {
        policy
            .query(&q.user, q.permission, q.scope.as_deref(), q.to.as_deref())
            .unwrap()
    };
    let resolved: Vec<_> = queries.iter().map(named).collect();
    let decisions: Vec<bool> = resolved.iter().map(|q| policy.check(q)).collect();
    let timing = time_batched(resolved.len(), 20, |i| policy.check(&resolved[i]));
    let named_timing = time_batched(queries.len(), 3, |i| policy.check(&named(&queries[i])));
    (load, decisions, timing, named_timing)
}

// ------------------------------------------------------------------ cedar

/// The Cedar encoding, as Cedar's RBAC examples do it: memberships are
/// entity groups. A user is `in` a `Member::"team#role"` group per team;
/// the group is `in` its `Team` and in `Can::"team#perm"` for every
/// permission of the role. A use case lists, per permission, the `Can`
/// groups of the teams it is shared with whose share role holds the
/// permission (owner shares only for `requires owner`). A policy per
/// permission then asks `principal in resource.can["perm"]`: the member's
/// role and the share's role must agree through the same team.
fn cedar_policies() -> String {
    let mut text = String::new();
    for p in orgen::USE_CASE_PERMS {
        let extra = if p == "use_case:share" {
            " && principal in context.to"
        } else {
            ""
        };
        text.push_str(&format!(
            "permit(principal, action == Action::\"{p}\", resource is UseCase)\n  when {{ principal in resource.can[\"{p}\"]{extra} }};\n"
        ));
    }
    for p in orgen::TEAM_PERMS {
        let global = if p.starts_with("admin:") {
            format!(" || principal in Can::\"admin#{p}\"")
        } else {
            String::new()
        };
        text.push_str(&format!(
            "permit(principal, action == Action::\"{p}\", resource is Team)\n  when {{ principal in resource.can[\"{p}\"]{global} }};\n"
        ));
    }
    for p in orgen::GLOBAL_PERMS {
        text.push_str(&format!(
            "permit(principal, action == Action::\"{p}\", resource == Scope::\"global\")\n  when {{ principal in Can::\"admin#{p}\" }};\n"
        ));
    }
    text
}

fn cedar_entities(org: &Org) -> Value {
    let uid = |ty: &str, id: String| json!({"type": ty, "id": id});
    let mut entities = Vec::new();
    let mut groups: BTreeMap<(usize, usize), ()> = BTreeMap::new();
    for (u, m) in org.users.iter().enumerate() {
        let parents: Vec<Value> = m
            .iter()
            .map(|&(t, r)| {
                groups.insert((t, r), ());
                uid("Member", format!("{}#{}", team_key(t), ROLES[r]))
            })
            .collect();
        entities.push(json!({"uid": uid("User", user_email(u)), "attrs": {}, "parents": parents}));
    }
    for &(t, r) in groups.keys() {
        let mut parents = vec![uid("Team", team_key(t))];
        parents.extend(
            role_perms(r)
                .into_iter()
                .map(|p| uid("Can", format!("{}#{p}", team_key(t)))),
        );
        entities.push(json!({"uid": uid("Member", format!("{}#{}", team_key(t), ROLES[r])), "attrs": {}, "parents": parents}));
    }
    for t in 0..org.teams {
        let can: serde_json::Map<String, Value> = orgen::TEAM_PERMS
            .iter()
            .map(|p| {
                (
                    p.to_string(),
                    json!({"__entity": uid("Can", format!("{}#{p}", team_key(t)))}),
                )
            })
            .collect();
        entities
            .push(json!({"uid": uid("Team", team_key(t)), "attrs": {"can": can}, "parents": []}));
    }
    for (r, shares) in org.use_cases.iter().enumerate() {
        let can: serde_json::Map<String, Value> = orgen::USE_CASE_PERMS
            .iter()
            .map(|&p| {
                let teams: Vec<Value> = shares
                    .iter()
                    .filter(|s| role_perms(s.role).contains(&p))
                    .filter(|s| s.owner || p != "use_case:share")
                    .map(|s| json!({"__entity": uid("Can", format!("{}#{p}", team_key(s.team)))}))
                    .collect();
                (p.to_string(), Value::Array(teams))
            })
            .collect();
        entities.push(
            json!({"uid": uid("UseCase", use_case_key(r)), "attrs": {"can": can}, "parents": []}),
        );
    }
    Value::Array(entities)
}

fn cedar_request(q: &Query) -> cedar_policy::Request {
    use cedar_policy::{Context, EntityId, EntityTypeName, EntityUid, RestrictedExpression};
    let e = |ty: &str, id: &str| {
        EntityUid::from_type_name_and_id(EntityTypeName::from_str(ty).unwrap(), EntityId::new(id))
    };
    let resource = match q.scope.as_deref() {
        None => e("Scope", "global"),
        Some(s) => match s.split_once('/') {
            Some(("team", t)) => e("Team", t),
            Some(("use_case", r)) => e("UseCase", r),
            _ => panic!("scope {s}"),
        },
    };
    let context = match &q.to {
        Some(to) => Context::from_pairs([(
            "to".to_string(),
            RestrictedExpression::new_entity_uid(e("Team", to.trim_start_matches("team/"))),
        )])
        .unwrap(),
        None => Context::empty(),
    };
    cedar_policy::Request::new(
        e("User", &q.user),
        e("Action", q.permission),
        resource,
        context,
        None,
    )
    .unwrap()
}

fn run_cedar(org: &Org, queries: &[Query]) -> Run {
    use cedar_policy::{Authorizer, Decision, Entities, PolicySet};
    let entities_json = serde_json::to_string(&cedar_entities(org)).unwrap();
    let policies_text = cedar_policies();
    let t = Instant::now();
    let policies = PolicySet::from_str(&policies_text).unwrap();
    let value: Value = serde_json::from_str(&entities_json).unwrap();
    drop(entities_json);
    let entities = Entities::from_json_value(value, None).unwrap();
    let load = t.elapsed();
    let auth = Authorizer::new();
    let requests: Vec<_> = queries.iter().map(cedar_request).collect();
    let decide = |r: &cedar_policy::Request| {
        auth.is_authorized(r, &policies, &entities).decision() == Decision::Allow
    };
    let decisions: Vec<bool> = requests.iter().map(decide).collect();
    let timing = time_each(requests.len(), 3, |i| decide(&requests[i]));
    let named_timing = time_each(queries.len(), 1, |i| decide(&cedar_request(&queries[i])));
    (load, decisions, timing, named_timing)
}

// ------------------------------------------------------------------ regorus

/// The Rego encoding, as OPA's RBAC examples do it: a data document of
/// memberships (`users[u][team] = role`), role permissions, shares
/// (`use_cases[uc][team] = {role, owner}`) and permission declarations, and
/// an `allow` rule per scope form of SPEC §2.
const REGO: &str = r#"
package rolegraph
import rego.v1

default allow := false

holds_globally(perm) if {
	data.perms[perm].global
	role := data.users[input.user][data.admin_team]
	data.roles[role][perm]
}

target_ok if not data.perms[input.permission].target
target_ok if data.users[input.user][substring(input.to, 5, -1)]

owner_ok(share) if not data.perms[input.permission].owner
owner_ok(share) if share.owner

allow if {
	input.scope == "global"
	holds_globally(input.permission)
}

allow if {
	startswith(input.scope, "team/")
	data.perms[input.permission].team
	role := data.users[input.user][substring(input.scope, 5, -1)]
	data.roles[role][input.permission]
}

allow if {
	startswith(input.scope, "team/")
	data.perms[input.permission].team
	holds_globally(input.permission)
}

allow if {
	startswith(input.scope, "use_case/")
	data.perms[input.permission].use_case
	target_ok
	some team, share in data.use_cases[substring(input.scope, 9, -1)]
	role := data.users[input.user][team]
	data.roles[role][input.permission]
	data.roles[share.role][input.permission]
	owner_ok(share)
}
"#;

fn rego_data(org: &Org) -> Value {
    let users: serde_json::Map<String, Value> = org
        .users
        .iter()
        .enumerate()
        .map(|(u, m)| {
            let teams: serde_json::Map<String, Value> = m
                .iter()
                .map(|&(t, r)| (team_key(t), json!(ROLES[r])))
                .collect();
            (user_email(u), Value::Object(teams))
        })
        .collect();
    let roles: serde_json::Map<String, Value> = (0..ROLES.len())
        .map(|r| {
            let perms: serde_json::Map<String, Value> = role_perms(r)
                .into_iter()
                .map(|p| (p.to_string(), json!(true)))
                .collect();
            (ROLES[r].to_string(), Value::Object(perms))
        })
        .collect();
    let use_cases: serde_json::Map<String, Value> = org
        .use_cases
        .iter()
        .enumerate()
        .map(|(r, shares)| {
            let by_team: serde_json::Map<String, Value> = shares
                .iter()
                .map(|s| {
                    (
                        team_key(s.team),
                        json!({"role": ROLES[s.role], "owner": s.owner}),
                    )
                })
                .collect();
            (use_case_key(r), Value::Object(by_team))
        })
        .collect();
    let mut perms = serde_json::Map::new();
    for p in orgen::USE_CASE_PERMS {
        let share = p == "use_case:share";
        perms.insert(
            p.into(),
            json!({"use_case": true, "owner": share, "target": share}),
        );
    }
    for p in orgen::TEAM_PERMS {
        perms.insert(p.into(), json!({"team": true}));
    }
    for p in orgen::GLOBAL_PERMS {
        perms
            .entry(p)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .unwrap()
            .insert("global".into(), json!(true));
    }
    // Absent flags are `false` in the rule's eyes, written out for clarity.
    for v in perms.values_mut() {
        let o = v.as_object_mut().unwrap();
        for flag in ["global", "team", "use_case", "owner", "target"] {
            o.entry(flag).or_insert(json!(false));
        }
    }
    json!({"users": users, "roles": roles, "use_cases": use_cases, "perms": perms, "admin_team": "admin"})
}

fn rego_input(q: &Query) -> regorus::Value {
    let mut input = json!({"user": q.user, "permission": q.permission,
        "scope": q.scope.as_deref().unwrap_or("global")});
    if let Some(to) = &q.to {
        input["to"] = json!(to);
    }
    regorus::Value::from(input)
}

fn run_regorus(org: &Org, queries: &[Query]) -> Run {
    let data_json = serde_json::to_string(&rego_data(org)).unwrap();
    let t = Instant::now();
    let mut engine = regorus::Engine::new();
    engine
        .add_policy("rolegraph.rego".into(), REGO.into())
        .unwrap();
    engine.add_data_json(&data_json).unwrap();
    drop(data_json);
    // The first evaluation prepares the engine; count it as loading.
    engine.set_input(rego_input(&queries[0]));
    engine.eval_rule("data.rolegraph.allow".into()).unwrap();
    let load = t.elapsed();
    let inputs: Vec<regorus::Value> = queries.iter().map(rego_input).collect();
    let mut decide = |input: &regorus::Value| {
        engine.set_input(input.clone());
        engine.eval_rule("data.rolegraph.allow".into()).unwrap() == regorus::Value::from(true)
    };
    let decisions: Vec<bool> = inputs.iter().map(&mut decide).collect();
    let timing = time_each(inputs.len(), 1, |i| decide(&inputs[i]));
    let named_timing = time_each(queries.len().min(5_000), 1, |i| {
        decide(&rego_input(&queries[i]))
    });
    (load, decisions, timing, named_timing)
}
