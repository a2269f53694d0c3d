//! A short API key is never printed, even when the deployment echoes it in
//! an HTTP error body or a GraphQL error (SPEC §9: the key is never
//! printed, whatever its length).

use super::adaptive_pull::pull;
use super::standin::canned::Canned;

/// Keys of one to four characters, none of which a message holds otherwise.
const KEYS: [&str; 4] = ["~", "~^", "~^!", "~^!%"];

fn echoes(key: &str) -> Vec<Canned> {
    let said = format!(r#"{{"errors":[{{"message":"bad key {key}; key={key}"}}]}}"#);
    vec![
        Canned::http("401 Unauthorized", "application/json", &said),
        Canned::http("500 Internal Server Error", "application/json", &said),
        Canned::http("200 OK", "application/json", &said),
    ]
}

#[test]
fn short_keys_echoed_by_the_deployment_are_redacted() {
    for key in KEYS {
        for canned in echoes(key) {
            let out = pull(Some(key))
                .args(["--url", canned.url()])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{stderr}");
            assert!(stderr.contains("bad key"), "the message is kept: {stderr}");
            assert!(!stderr.contains(key), "key `{key}` printed: {stderr}");
        }
    }
}
