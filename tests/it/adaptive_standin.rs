//! The stand-in validates requests as the real server would: the SDK's own
//! selections pass, a misspelt field or input fails, and a request without
//! the key is a 401.

use serde_json::{json, Value};

use crate::standin::{self, Standin};

fn post(s: &Standin, key: &str, query: &str, variables: Value) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let mut response = agent
        .post(&format!("{}/api/graphql", s.url()))
        .header("Authorization", format!("Bearer {key}"))
        .header("Content-Type", "application/json")
        .send(serde_json::to_vec(&json!({"query": query, "variables": variables})).unwrap())
        .unwrap();
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_vec().unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn ok(s: &Standin, query: &str, variables: Value) -> Value {
    let (status, body) = post(s, standin::KEY, query, variables);
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{query}: {body}");
    body["data"].clone()
}

fn error(s: &Standin, query: &str, variables: Value) -> String {
    let (_, body) = post(s, standin::KEY, query, variables);
    body["errors"][0]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error for {query}: {body}"))
        .to_string()
}

/// The SDK's `UserData` fragment (adaptive-sdk 0.14.2, client.py).
const USER_DATA: &str = "fragment UserData on User { id email name createdAt teams { team { id key name createdAt } role { id key name createdAt permissions } } }";

#[test]
fn the_sdks_own_selections_are_valid() {
    let s = Standin::start(&standin::sample());
    s.set_me(Some("alice@acme.com"));
    let me = ok(
        &s,
        &format!("query Me {{ me {{ ...UserData }} }} {USER_DATA}"),
        json!({}),
    );
    assert_eq!(me["me"]["email"], "alice@acme.com");
    assert_eq!(
        me["me"]["teams"][0]["role"]["permissions"][0],
        "admin:manage_users"
    );
    ok(
        &s,
        &format!("query ListUsers {{ users {{ ...UserData }} }} {USER_DATA}"),
        json!({}),
    );
    ok(
        &s,
        "query ListRoles { roles { id key name createdAt permissions } }",
        json!({}),
    );
    ok(
        &s,
        "query ListTeams { teams { id key name createdAt } }",
        json!({}),
    );
    ok(&s, "query ListPermissions { permissions }", json!({}));
    // ProjectData without the model and metric parts the stand-in leaves out.
    ok(
        &s,
        "query ListProjects { projects { id key name description createdAt permissions shares { team { id key name createdAt } role { id key name createdAt permissions } isOwner } } }",
        json!({}),
    );
    ok(
        &s,
        "mutation CreateTeam($input: TeamCreate!) { createTeam(input: $input) { id key name createdAt } }",
        json!({"input": {"key": "research", "name": "Research"}}),
    );
    ok(
        &s,
        "mutation CreateRole($input: RoleCreate!) { createRole(input: $input) { id key name createdAt permissions } }",
        json!({"input": {"key": "reader", "name": "Reader", "permissions": ["project:read"]}}),
    );
    ok(
        &s,
        &format!("mutation CreateUser($input: UserCreate!) {{ createUser(input: $input) {{ user {{ ...UserData }} generatedApiKey }} }} {USER_DATA}"),
        json!({"input": {"email": "dana@acme.com", "name": "Dana", "teams": [{"team": "research", "role": "reader"}]}}),
    );
    ok(
        &s,
        &format!("mutation UpdateUser($input: TeamMemberSet!) {{ setTeamMember(input: $input) {{ user {{ ...UserData }} team {{ id key name createdAt }} role {{ id key name createdAt permissions }} }} }} {USER_DATA}"),
        json!({"input": {"user": "dana@acme.com", "team": "ml-team", "role": "admin"}}),
    );
    ok(
        &s,
        &format!("mutation RemoveTeamMember($input: TeamMemberRemove!) {{ removeTeamMember(input: $input) {{ ...UserData }} }} {USER_DATA}"),
        json!({"input": {"user": "dana@acme.com", "team": "ml-team"}}),
    );
    ok(
        &s,
        "mutation ShareProject($idOrKey: IdOrKey!, $input: ProjectShares!) { shareProject(idOrKey: $idOrKey, input: $input) { key shares { team { key } role { key } isOwner } } }",
        json!({"idOrKey": "triage", "input": {"shares": [{"team": "research", "role": "reader", "isOwner": true}]}}),
    );
    ok(
        &s,
        "mutation UpdateRole($input: RoleUpdate!) { updateRole(input: $input) { id key name createdAt permissions } }",
        json!({"input": {"role": "reader", "name": "Readers"}}),
    );
}

#[test]
fn misspelt_fields_and_inputs_fail() {
    let s = Standin::start(&standin::sample());
    let e = error(&s, "query { users { emial } }", json!({}));
    assert!(e.contains("Unknown field \"emial\""), "{e}");
    let e = error(
        &s,
        "mutation ($v: TeamCreate!) { createTeem(input: $v) { key } }",
        json!({"v": {"key": "x", "name": "X"}}),
    );
    assert!(e.contains("createTeem"), "{e}");
    let e = error(
        &s,
        "mutation ($v: TeamMemberSet!) { setTeamMember(input: $v) { team { key } } }",
        json!({"v": {"email": "john@acme.com", "team": "ml-team", "role": "admin"}}),
    );
    assert!(e.contains("email") || e.contains("user"), "{e}");
    let e = error(
        &s,
        "mutation ($v: ProjectShares!) { shareProject(idOrKey: \"triage\", input: $v) { key } }",
        json!({"v": {"shares": [{"team": "ml-team", "role": "admin", "owner": true}]}}),
    );
    assert!(e.contains("owner") || e.contains("isOwner"), "{e}");
    // Nothing changed.
    assert_eq!(s.state(), standin::sample());
    assert_eq!(s.mutations(), 0);
}

#[test]
fn a_request_without_the_key_is_refused() {
    let s = Standin::start(&standin::sample());
    let (status, _) = post(&s, "wrong", "query { permissions }", json!({}));
    assert_eq!(status, 401);
    assert_eq!(s.requests(), 1);
}
