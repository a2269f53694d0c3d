//! Shared by the `adaptive_review_*` modules: running a command on the
//! small org against a state, and a check that Markdown shows hostile names
//! only as code.
#![allow(dead_code)]

use rolegraph::adaptive::State;

use super::common::rolegraph;
use super::plan_support::ORG;

/// `rolegraph ARGS…` with the small org as the policy and `state` written
/// to `STATE` (which ARGS name as `STATE`): (exit code, stdout, stderr).
pub fn run_on(state: &State, args: &[&str]) -> (i32, String, String) {
    run_with(ORG, state, args)
}

/// [`run_on`] with `policy_text` as the policy (`POLICY` in ARGS).
pub fn run_with(policy_text: &str, state: &State, args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("org.policy");
    std::fs::write(&policy, policy_text).unwrap();
    let file = dir.path().join("state.json");
    std::fs::write(&file, state.to_json()).unwrap();
    let file = file.to_str().unwrap();
    let policy_arg = policy.to_str().unwrap();
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            a.replace("STATE", file)
                .replace("POLICY", policy_arg)
                .replace("DIR", dir.path().to_str().unwrap())
        })
        .collect();
    let out = rolegraph(&policy).args(&args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Markdown with its fenced code blocks and code spans taken out: what a
/// reader sees rendered as Markdown.
pub fn outside_code(md: &str) -> String {
    let mut out = String::new();
    let mut in_block = false;
    for line in md.lines() {
        if line.starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            continue;
        }
        // A span opens with a run of N backticks and closes at the next run
        // of exactly N.
        let chars: Vec<char> = line.chars().collect();
        let run = |i: usize| chars[i..].iter().take_while(|&&c| c == '`').count();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] != '`' {
                out.push(chars[i]);
                i += 1;
                continue;
            }
            let n = run(i);
            let mut j = i + n;
            let mut closed = None;
            while j < chars.len() {
                if chars[j] == '`' {
                    let m = run(j);
                    if m == n {
                        closed = Some(j + m);
                        break;
                    }
                    j += m;
                } else {
                    j += 1;
                }
            }
            match closed {
                Some(end) => {
                    out.push_str("<code>");
                    i = end;
                }
                None => {
                    out.extend(&chars[i..i + n]);
                    i += n;
                }
            }
        }
        out.push('\n');
    }
    out
}

/// Fails when `md` shows raw HTML or a link outside code.
pub fn no_live_markup(md: &str) {
    let seen = outside_code(md)
        .replace("<code>", "")
        .replace("<details>", "")
        .replace("</details>", "")
        .replace("<summary>", "")
        .replace("</summary>", "");
    for bad in ["<img", "<", "](", "onerror"] {
        assert!(
            !seen.contains(bad),
            "`{bad}` outside code in:\n{md}\n--- outside code:\n{seen}"
        );
    }
}
