//! `Connection::execute` against the stand-in: each operation changes the
//! deployment as its SDK call does, batching keeps the request count low,
//! and a failure is reported truthfully (done, failed with the server's
//! message, not confirmed, remaining), attributed through the error's path.

use rolegraph::adaptive::client::{
    ApplyEvent, ApplyOutcome, ClientError, Connection, FailedOperation, DEFAULT_BATCH_SIZE,
};
use rolegraph::adaptive::ops::{Operation, ProjectShare, TeamRole};
use rolegraph::adaptive::state::{RoleState, ShareState, State, TeamState, UserState};

use crate::standin::canned::Canned;
use crate::standin::{self, Standin};

fn connect(s: &Standin) -> Connection {
    Connection::new(s.url(), standin::KEY).unwrap()
}

fn run(c: &Connection, ops: &[Operation], batch: usize) -> (ApplyOutcome, Vec<String>) {
    let mut events = Vec::new();
    let outcome = c.execute(ops, batch, &mut |e| {
        events.push(match e {
            ApplyEvent::Sending { index, .. } => format!("sending {index}"),
            ApplyEvent::Done { index, .. } => format!("done {index}"),
            ApplyEvent::Failed { index, message, .. } => format!("failed {index}: {message}"),
            ApplyEvent::Unconfirmed { index, .. } => format!("unconfirmed {index}"),
            ApplyEvent::NotRun { index, .. } => format!("not run {index}"),
        })
    });
    (outcome, events)
}

fn s(x: &str) -> String {
    x.to_string()
}

/// One operation of each kind, in the order a plan gives them.
fn every_kind() -> Vec<Operation> {
    vec![
        Operation::CreateTeam {
            key: s("research"),
            name: s("Research"),
        },
        Operation::CreateRole {
            key: s("annotator"),
            name: s("Annotator"),
            permissions: vec![s("project:read"), s("project:adapt")],
        },
        Operation::UpdateRole {
            key: s("read-only"),
            name: s("Reader"),
            permissions: vec![s("project:read"), s("project:share")],
        },
        Operation::CreateUser {
            email: s("dana@acme.com"),
            name: s("Dana"),
            teams: vec![
                TeamRole {
                    team: s("research"),
                    role: s("annotator"),
                },
                TeamRole {
                    team: s("default"),
                    role: s("read-only"),
                },
            ],
        },
        Operation::AddToTeam {
            email: s("john@acme.com"),
            team: s("ml-team"),
            role: s("admin"),
        },
        Operation::AddToTeam {
            email: s("carol@acme.com"),
            team: s("research"),
            role: s("power_user"),
        },
        Operation::ShareProject {
            project: s("support-bot"),
            shares: vec![
                ProjectShare {
                    team: s("research"),
                    role: s("annotator"),
                    owner: true,
                },
                ProjectShare {
                    team: s("ml-team"),
                    role: s("power_user"),
                    owner: false,
                },
            ],
        },
        Operation::RemoveFromTeam {
            email: s("john@acme.com"),
            team: s("default"),
        },
    ]
}

/// The sample after [`every_kind`].
fn after_every_kind() -> State {
    let mut st = standin::sample();
    st.teams.insert(
        s("research"),
        TeamState {
            name: s("Research"),
        },
    );
    st.roles.insert(
        s("annotator"),
        RoleState {
            name: s("Annotator"),
            permissions: vec![s("project:adapt"), s("project:read")],
        },
    );
    st.roles.insert(
        s("read-only"),
        RoleState {
            name: s("Reader"),
            permissions: vec![s("project:read"), s("project:share")],
        },
    );
    st.users.insert(
        s("dana@acme.com"),
        UserState {
            name: s("Dana"),
            teams: [
                (s("research"), s("annotator")),
                (s("default"), s("read-only")),
            ]
            .into(),
        },
    );
    let john = st.users.get_mut("john@acme.com").unwrap();
    john.teams.insert(s("ml-team"), s("admin"));
    john.teams.remove("default");
    st.users
        .get_mut("carol@acme.com")
        .unwrap()
        .teams
        .insert(s("research"), s("power_user"));
    st.projects.get_mut("support-bot").unwrap().shares = [
        (
            s("research"),
            ShareState {
                role: s("annotator"),
                owner: true,
            },
        ),
        (
            s("ml-team"),
            ShareState {
                role: s("power_user"),
                owner: false,
            },
        ),
    ]
    .into();
    st
}

#[test]
fn every_operation_changes_the_deployment_as_its_sdk_call_does() {
    for batch in [1, 3, DEFAULT_BATCH_SIZE] {
        let st = Standin::start(&standin::sample());
        let ops = every_kind();
        let (outcome, events) = run(&connect(&st), &ops, batch);
        assert!(outcome.is_complete(), "batch {batch}: {outcome:?}");
        assert_eq!(outcome.done, (0..ops.len()).collect::<Vec<_>>());
        assert_eq!(st.state(), after_every_kind(), "batch {batch}");
        // Each operation is announced before its request, and its outcome
        // follows.
        for i in 0..ops.len() {
            let sent = events.iter().position(|e| *e == format!("sending {i}"));
            let done = events.iter().position(|e| *e == format!("done {i}"));
            assert!(sent.unwrap() < done.unwrap(), "{events:?}");
        }
        assert_eq!(st.requests() as usize, ops.len().div_ceil(batch));
        // And the deployment now reads back as that state.
        assert_eq!(connect(&st).read().unwrap().state, after_every_kind());
    }
}

#[test]
fn share_project_replaces_the_list_and_can_empty_it() {
    let st = Standin::start(&standin::sample());
    let ops = [Operation::ShareProject {
        project: s("support-bot"),
        shares: vec![],
    }];
    assert!(run(&connect(&st), &ops, 1).0.is_complete());
    assert!(st.state().projects["support-bot"].shares.is_empty());
    // The owner flag of an existing share changes too.
    let ops = [Operation::ShareProject {
        project: s("triage"),
        shares: vec![ProjectShare {
            team: s("ml-team"),
            role: s("admin"),
            owner: false,
        }],
    }];
    assert!(run(&connect(&st), &ops, 1).0.is_complete());
    let ops = [Operation::ShareProject {
        project: s("triage"),
        shares: vec![ProjectShare {
            team: s("ml-team"),
            role: s("admin"),
            owner: true,
        }],
    }];
    assert!(run(&connect(&st), &ops, 1).0.is_complete());
    assert!(st.state().projects["triage"].shares["ml-team"].owner);
}

#[test]
fn the_apis_rules_are_enforced_and_the_error_attributed() {
    let cases: Vec<(Operation, &str)> = vec![
        (
            Operation::AddToTeam {
                email: s("john@acme.com"),
                team: s("ghosts"),
                role: s("admin"),
            },
            "team `ghosts` not found",
        ),
        (
            Operation::AddToTeam {
                email: s("john@acme.com"),
                team: s("ml-team"),
                role: s("ghost"),
            },
            "role `ghost` not found",
        ),
        (
            Operation::AddToTeam {
                email: s("nobody@acme.com"),
                team: s("ml-team"),
                role: s("admin"),
            },
            "user `nobody@acme.com` not found",
        ),
        (
            Operation::CreateRole {
                key: s("adapter"),
                name: s("Adapter"),
                permissions: vec![s("use_case:adapt")],
            },
            "unknown permission `use_case:adapt`",
        ),
        (
            Operation::UpdateRole {
                key: s("admin"),
                name: s("Admin"),
                permissions: vec![s("model:deploy")],
            },
            "unknown permission `model:deploy`",
        ),
        (
            Operation::CreateTeam {
                key: s("ml-team"),
                name: s("Again"),
            },
            "team `ml-team` already exists",
        ),
        (
            Operation::CreateUser {
                email: s("JOHN@acme.com"),
                name: s("John again"),
                teams: vec![],
            },
            "user `JOHN@acme.com` already exists",
        ),
        (
            Operation::CreateUser {
                email: s("eve@acme.com"),
                name: s("Eve"),
                teams: vec![TeamRole {
                    team: s("ml-team"),
                    role: s("ghost"),
                }],
            },
            "role `ghost` not found",
        ),
        (
            Operation::ShareProject {
                project: s("support-bot"),
                shares: vec![ProjectShare {
                    team: s("ghosts"),
                    role: s("admin"),
                    owner: true,
                }],
            },
            "team `ghosts` not found",
        ),
        (
            Operation::ShareProject {
                project: s("no-such-project"),
                shares: vec![],
            },
            "project `no-such-project` not found",
        ),
        (
            Operation::RemoveFromTeam {
                email: s("carol@acme.com"),
                team: s("ml-team"),
            },
            "is not a member of team `ml-team`",
        ),
    ];
    for (op, message) in cases {
        let st = Standin::start(&standin::sample());
        // A good operation before it, in the same request.
        let ops = vec![
            Operation::CreateTeam {
                key: s("research"),
                name: s("Research"),
            },
            op,
        ];
        let (outcome, _) = run(&connect(&st), &ops, DEFAULT_BATCH_SIZE);
        assert_eq!(outcome.done, vec![0], "{message}");
        assert_eq!(outcome.failed.len(), 1, "{message}: {outcome:?}");
        assert_eq!(outcome.failed[0].index, 1);
        assert!(
            outcome.failed[0].message.contains(message),
            "{message}: {:?}",
            outcome.failed[0]
        );
        assert!(outcome.unconfirmed.is_empty() && outcome.remaining.is_empty());
        assert!(outcome.error.is_none());
        // Nothing but the good operation changed.
        let mut expected = standin::sample();
        expected.teams.insert(
            s("research"),
            TeamState {
                name: s("Research"),
            },
        );
        assert_eq!(st.state(), expected, "{message}");
    }
}

/// `n` membership changes: users `u0…` into team `ml-team`, alternating roles.
fn memberships(st: &Standin, n: usize) -> Vec<Operation> {
    let ops: Vec<Operation> = (0..n)
        .map(|i| Operation::CreateUser {
            email: format!("u{i}@acme.com"),
            name: format!("U{i}"),
            teams: vec![],
        })
        .collect();
    assert!(run(&connect(st), &ops, 500).0.is_complete());
    (0..n)
        .map(|i| Operation::AddToTeam {
            email: format!("u{i}@acme.com"),
            team: s("ml-team"),
            role: s(if i % 2 == 0 {
                "read-only"
            } else {
                "power_user"
            }),
        })
        .collect()
}

#[test]
fn a_thousand_operations_take_at_most_25_requests() {
    let st = Standin::start(&standin::sample());
    let ops = memberships(&st, 1000);
    let before = st.requests();
    let (outcome, _) = run(&connect(&st), &ops, DEFAULT_BATCH_SIZE);
    assert!(outcome.is_complete(), "{:?}", outcome.failed);
    let requests = st.requests() - before;
    assert!(requests <= 25, "{requests} requests");
    assert_eq!(requests, 20);
    let state = st.state();
    assert_eq!(state.users["u999@acme.com"].teams["ml-team"], "power_user");
    assert_eq!(state.users["u0@acme.com"].teams["ml-team"], "read-only");
}

#[test]
fn a_batch_size_of_one_is_one_request_per_operation() {
    let st = Standin::start(&standin::sample());
    let ops = memberships(&st, 30);
    let before = st.requests();
    assert!(run(&connect(&st), &ops, 1).0.is_complete());
    assert_eq!(st.requests() - before, 30);
    // Zero is taken as one, not as "everything" or "nothing".
    let before = st.requests();
    assert!(run(&connect(&st), &ops[..3], 0).0.is_complete());
    assert_eq!(st.requests() - before, 3);
}

#[test]
fn a_failure_at_the_nth_mutation_is_reported_truthfully() {
    const OPS: usize = 40;
    for batch in [1, 7, DEFAULT_BATCH_SIZE] {
        for n in [1, 2, 7, 8, 20, 40] {
            let st = Standin::start(&standin::sample());
            let ops = memberships(&st, OPS);
            st.fail_nth_mutation(n as u64);
            let (outcome, events) = run(&connect(&st), &ops, batch);
            let failed = n - 1;
            // The request holding the failure runs to its end (a GraphQL
            // server runs every field of a mutation document); nothing after
            // it is sent.
            let batch_end = (failed / batch + 1) * batch;
            let batch_end = batch_end.min(OPS);
            let done: Vec<usize> = (0..batch_end).filter(|&i| i != failed).collect();
            let case = format!("batch {batch}, n {n}");
            assert_eq!(outcome.done, done, "{case}");
            assert_eq!(
                outcome.failed,
                vec![FailedOperation {
                    index: failed,
                    message: format!("injected failure of mutation {}", OPS + n),
                }],
                "{case}"
            );
            assert!(outcome.unconfirmed.is_empty(), "{case}");
            assert_eq!(
                outcome.remaining,
                (batch_end..OPS).collect::<Vec<_>>(),
                "{case}"
            );
            assert!(outcome.error.is_none(), "{case}");
            assert!(!outcome.is_complete());
            assert!(events.contains(&format!(
                "failed {failed}: injected failure of mutation {}",
                OPS + n
            )));
            // The report is the truth: exactly the done operations changed
            // the deployment.
            let state = st.state();
            for (i, op) in ops.iter().enumerate() {
                let Operation::AddToTeam { email, .. } = op else {
                    unreachable!()
                };
                let applied = state.users[email].teams.contains_key("ml-team");
                assert_eq!(applied, done.contains(&i), "{case}: operation {i}");
            }
            // Nothing is retried: one mutation per operation sent.
            assert_eq!(st.mutations() as usize, OPS + batch_end, "{case}");
        }
    }
}

#[test]
fn a_wrong_key_runs_nothing() {
    let st = Standin::start(&standin::sample());
    let c = Connection::new(st.url(), "not-the-key").unwrap();
    let ops = every_kind();
    let (outcome, events) = run(&c, &ops, 3);
    assert!(outcome.done.is_empty() && outcome.failed.is_empty());
    assert_eq!(outcome.remaining, (0..ops.len()).collect::<Vec<_>>());
    assert!(matches!(outcome.error, Some(ClientError::Refused { .. })));
    assert!(events.contains(&s("not run 0")));
    assert_eq!(st.requests(), 1);
    assert_eq!(st.state(), standin::sample());
}

#[test]
fn an_unreachable_deployment_runs_nothing() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = Connection::new(&format!("http://127.0.0.1:{port}"), standin::KEY).unwrap();
    let (outcome, _) = run(&c, &every_kind(), 50);
    assert_eq!(outcome.remaining.len(), every_kind().len());
    let e = outcome.error.unwrap();
    assert!(matches!(e, ClientError::Unreachable { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("`RolegraphApply` (operations 1 to 8 of 8) failed"),
        "{e}"
    );
}

#[test]
fn a_lost_answer_leaves_the_batch_unconfirmed() {
    let c = Canned::http("502 Bad Gateway", "text/html", "<html>502</html>");
    let conn = Connection::new(c.url(), standin::KEY).unwrap();
    let (outcome, events) = run(&conn, &every_kind(), 5);
    assert_eq!(outcome.unconfirmed, vec![0, 1, 2, 3, 4]);
    assert_eq!(outcome.remaining, vec![5, 6, 7]);
    assert!(outcome.done.is_empty());
    assert!(events.contains(&s("unconfirmed 4")));
    let e = outcome.error.unwrap().to_string();
    assert!(e.contains("HTTP 502"), "{e}");
}

#[test]
fn a_document_refused_before_execution_runs_nothing() {
    // A validation error carries no path and comes with no data.
    let c = Canned::http(
        "200 OK",
        "application/json",
        r#"{"data":null,"errors":[{"message":"Unknown field \"createTeem\"","locations":[{"line":2,"column":3}]}]}"#,
    );
    let conn = Connection::new(c.url(), standin::KEY).unwrap();
    let (outcome, _) = run(&conn, &every_kind(), 1);
    assert_eq!(outcome.remaining, (0..8).collect::<Vec<_>>());
    let e = outcome.error.unwrap().to_string();
    assert!(
        e.starts_with(
            "`teams.create` (`createTeam`) failed: the deployment answered: Unknown field"
        ),
        "{e}"
    );
}

#[test]
fn an_answer_without_the_fields_result_is_not_counted_as_done() {
    let c = Canned::http(
        "200 OK",
        "application/json",
        r#"{"data":{"op0":{"key":"research"}}}"#,
    );
    let conn = Connection::new(c.url(), standin::KEY).unwrap();
    let (outcome, _) = run(&conn, &every_kind()[..2], 2);
    assert_eq!(outcome.done, vec![0]);
    assert_eq!(outcome.unconfirmed, vec![1]);
}

#[test]
fn a_mutation_error_echoing_the_key_is_redacted() {
    let c = Canned::http(
        "200 OK",
        "application/json",
        &format!(
            r#"{{"data":null,"errors":[{{"message":"key {} may not create teams","path":["op0"]}}]}}"#,
            standin::KEY
        ),
    );
    let conn = Connection::new(c.url(), standin::KEY).unwrap();
    let (outcome, events) = run(&conn, &every_kind()[..1], 1);
    assert_eq!(
        outcome.failed[0].message,
        "key <redacted> may not create teams"
    );
    assert!(events.iter().all(|e| !e.contains(standin::KEY)));
    assert!(!format!("{outcome:?}").contains(standin::KEY));
}
