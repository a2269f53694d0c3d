//! The service answers as the command line does: thousands of random
//! questions on random policies (the differential test's generator), each
//! answered by `/v1/check`, `/v1/check/batch` (lines and array) and
//! `can --batch`, compared byte for byte, and the valid ones against the
//! reference of SPEC §2; and `explain`, `who`, `what` as `--format json`.

use std::collections::HashSet;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::json;

use crate::common::{rolegraph, POLICIES};
use crate::differential::{build, raw};
use crate::reference::{RefPolicy, Scope};
use crate::serve_support::{agent, can_batch, compiled_digest, policy_dir, read, unstamp, Server};

/// A small, deterministic generator of picks.
struct Picks(u64);

impl Picks {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn cased(&mut self, email: &str) -> String {
        let bits = self.next();
        email
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if bits >> (i % 64) & 1 == 1 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect()
    }
}

/// A question line, and the reference's answer when the question is valid.
struct Asked {
    line: String,
    expected: Option<bool>,
}

fn questions(p: &RefPolicy, picks: &mut Picks, n: usize) -> Vec<Asked> {
    let mut emails: Vec<String> = p.users.iter().map(|u| u.email.clone()).collect();
    emails.extend(p.members.iter().map(|m| m.email.clone()));
    emails.extend(p.admins.iter().cloned());
    emails.push("new1@acme.com".into());
    emails.push("nobody@else.org".into());
    let scopes = p.scopes();
    let target_perm = p
        .perms
        .iter()
        .find(|x| x.target_team)
        .map(|x| x.name.clone());
    let plain_perm = p
        .perms
        .iter()
        .find(|x| !x.target_team)
        .map(|x| x.name.clone());
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let email = {
            let e = emails[picks.below(emails.len())].clone();
            picks.cased(&e)
        };
        let perm = &p.perms[picks.below(p.perms.len())];
        let scope = &scopes[picks.below(scopes.len())];
        let to = perm
            .target_team
            .then(|| p.teams[picks.below(p.teams.len())].clone());
        let kind = picks.below(20);
        let valid = || {
            let mut q = json!({ "user": email, "permission": perm.name });
            if *scope != Scope::Global || picks_flag(kind) {
                q["scope"] = json!(scope.text());
            }
            if let Some(t) = &to {
                q["to"] = json!(format!("team/{t}"));
            }
            q
        };
        let (line, expected) = match kind {
            0..=13 => (
                valid().to_string(),
                Some(p.can(&email, &perm.name, scope, to.as_deref())),
            ),
            14 => (
                json!({"user": email, "permission": "zz:nope"}).to_string(),
                None,
            ),
            15 => {
                let mut q = valid();
                q["scope"] =
                    json!(["bogus", "team/", "team/zzz", "uc/zzz", "kind/x"][picks.below(5)]);
                (q.to_string(), None)
            }
            16 => match &target_perm {
                Some(t) => (json!({"user": email, "permission": t}).to_string(), None),
                None => (json!({"user": email}).to_string(), None),
            },
            17 => match &plain_perm {
                Some(t) => (
                    json!({"user": email, "permission": t, "to": "team/t0"}).to_string(),
                    None,
                ),
                None => (json!({"permission": perm.name}).to_string(), None),
            },
            18 => {
                let mut q = valid();
                q["extra"] = json!(1);
                (q.to_string(), None)
            }
            _ => (
                [
                    "{\"user\": 5, \"permission\": \"a:p0\"}".to_string(),
                    "{\"user\":".to_string(),
                    "[1, 2]".to_string(),
                    "\"just a string\"".to_string(),
                    format!("{{\"user\":\"{email}\",\"permission\":null}}"),
                ][picks.below(5)]
                .clone(),
                None,
            ),
        };
        out.push(Asked { line, expected });
    }
    out
}

fn picks_flag(kind: usize) -> bool {
    kind % 2 == 1
}

fn answer_lines(body: &str) -> Vec<&str> {
    body.lines().filter(|l| !l.is_empty()).collect()
}

#[test]
fn random_questions_are_answered_as_can_batch_answers_them() {
    let mut runner = TestRunner::deterministic();
    let strategy = raw();
    let mut picks = Picks(0x9e37_79b9_7f4a_7c15);
    let mut ids = HashSet::new();
    let mut asked_total = 0;
    let mut seen = [0usize; 3];
    for round in 0..4 {
        let reference = build(&strategy.new_tree(&mut runner).unwrap().current());
        let dir = policy_dir(&reference.render(round));
        let asked = questions(&reference, &mut picks, 1000);
        // Blank lines get no answer, from `can --batch` or the service.
        let mut input = String::new();
        for (i, a) in asked.iter().enumerate() {
            input.push_str(&a.line);
            input.push('\n');
            if i % 97 == 0 {
                input.push_str("  \n");
            }
        }
        let expected = can_batch(dir.path(), &input);
        let expected = answer_lines(&expected);
        assert_eq!(expected.len(), asked.len());
        for line in &expected {
            let at = ["\"allow\"", "\"deny\"", "\"error\""]
                .iter()
                .position(|d| line.starts_with(&format!("{{\"decision\":{d}")))
                .unwrap();
            seen[at] += 1;
        }
        let digest = compiled_digest(dir.path());
        let server = Server::start(dir.path(), &[]);

        // JSON lines.
        let (status, body) = server.post_with(
            "/v1/check/batch",
            &input,
            &[("content-type", "application/x-ndjson")],
        );
        assert_eq!(status, 200, "{body}");
        let got = answer_lines(&body);
        assert_eq!(got.len(), expected.len());
        for ((line, want), a) in got.iter().zip(&expected).zip(&asked) {
            let (answer, id, d) = unstamp(line);
            assert_eq!(&answer, want, "question {}", a.line);
            assert_eq!(d, digest);
            assert!(ids.insert(id), "decision ids are unique");
            if let Some(allow) = a.expected {
                let want = if allow { "allow" } else { "deny" };
                let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
                assert_eq!(v["decision"], want, "reference for {}", a.line);
            }
        }

        // A JSON array of the questions that are JSON values.
        let (json_asked, json_expected): (Vec<&Asked>, Vec<&str>) = asked
            .iter()
            .zip(&expected)
            .filter(|(a, _)| serde_json::from_str::<serde_json::Value>(&a.line).is_ok())
            .unzip();
        let array = format!(
            "[{}]",
            json_asked
                .iter()
                .map(|a| a.line.as_str())
                .collect::<Vec<_>>()
                .join(",\n  ")
        );
        let (status, body) = server.post("/v1/check/batch", &array);
        assert_eq!(status, 200, "{body}");
        // Read as written: each answer's bytes, not a re-serialised value.
        let answers: Vec<Box<serde_json::value::RawValue>> = serde_json::from_str(&body).unwrap();
        assert_eq!(answers.len(), json_expected.len());
        for (got, want) in answers.iter().zip(&json_expected) {
            let (answer, _, d) = unstamp(got.get());
            assert_eq!(&answer, want);
            assert_eq!(d, digest);
        }

        // One at a time, over one keep-alive connection.
        for (a, want) in asked.iter().zip(&expected).step_by(4) {
            let (status, body) = server.post("/v1/check", &a.line);
            let (answer, _, d) = unstamp(body.trim_end());
            assert_eq!(&answer, want, "question {}", a.line);
            assert_eq!(d, digest);
            let error = want.starts_with("{\"decision\":\"error\"");
            assert_eq!(status, if error { 400 } else { 200 }, "{body}");
            assert!(body.ends_with("}\n"));
        }
        asked_total += asked.len();
    }
    assert_eq!(asked_total, 4000);
    // The questions covered every kind of answer.
    assert!(
        seen.iter().all(|&n| n > 200),
        "allow, deny, error: {seen:?}"
    );
}

#[test]
fn explain_who_and_what_are_the_command_lines_json() {
    let policies = std::path::Path::new(POLICIES);
    let server = Server::start(policies, &[]);
    let cli = |args: &[&str]| {
        let out = rolegraph(policies)
            .args(["--format", "json"])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    for (user, perm, scope, to) in [
        (
            "john@acme.com",
            "use_case:adapt",
            Some("use_case/support-bot"),
            None,
        ),
        (
            "carol@acme.com",
            "use_case:adapt",
            Some("use_case/support-bot"),
            None,
        ),
        (
            "nobody@acme.com",
            "use_case:read",
            Some("use_case/support-bot"),
            None,
        ),
        ("john@acme.com", "model:manage_models", None, None),
        (
            "john@acme.com",
            "use_case:share",
            Some("use_case/support-bot"),
            Some("team/ml-team"),
        ),
    ] {
        let mut q = json!({ "user": user, "permission": perm });
        let mut args = vec!["explain", user, perm];
        if let Some(s) = scope {
            q["scope"] = json!(s);
            args.push(s);
        }
        if let Some(t) = to {
            q["to"] = json!(t);
            args.extend(["--to", t]);
        }
        let (status, body) = server.post("/v1/explain", &q.to_string());
        assert_eq!(status, 200, "{body}");
        assert_eq!(body, cli(&args), "explain {q}");
    }

    let agent = agent();
    for (perm, scope) in [
        ("use_case:adapt", Some("use_case/support-bot")),
        ("model:manage_models", None),
        ("admin:manage_users", Some("team/admin")),
    ] {
        let mut request = agent.get(server.url("/v1/who")).query("permission", perm);
        let mut args = vec!["who", perm];
        if let Some(s) = scope {
            request = request.query("scope", s);
            args.push(s);
        }
        let (status, body) = read(request.call());
        assert_eq!(status, 200, "{body}");
        assert_eq!(body, cli(&args), "who {perm} {scope:?}");
    }
    for user in ["john@acme.com", "Carol@Acme.com", "new-login@acme.com"] {
        let (status, body) = read(agent.get(server.url("/v1/what")).query("user", user).call());
        assert_eq!(status, 200, "{body}");
        assert_eq!(body, cli(&["what", user]), "what {user}");
    }
}
