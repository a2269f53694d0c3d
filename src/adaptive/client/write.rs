//! Changing the deployment (SPEC §9 "Apply"): each [`Operation`] becomes
//! the GraphQL mutation field its SDK call sends, with its input exactly as
//! the SDK's `input_types.py` defines it. Up to `batch_size` of them go in
//! one document as aliased fields (`op7: createTeam(…)`), which a GraphQL
//! server runs one after another, in order.
//!
//! Every answer is read field by field: an error is attributed to its
//! operation through its `path` (whose first element is the alias). The
//! run stops after the first request in which anything failed, and says
//! truthfully what was done, what failed, what may or may not have run, and
//! what was not sent. No mutation is ever retried.

use serde_json::{json, Map, Value};

use super::{ClientError, Connection, GraphqlError};
use crate::adaptive::ops::Operation;

/// The default number of operations per request (`apply --batch-size`).
pub const DEFAULT_BATCH_SIZE: usize = 50;

/// What happens to each operation as [`Connection::execute`] runs, so a
/// command line can print each one before it is sent and its outcome after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyEvent<'a> {
    /// About to be sent (with the rest of its request).
    Sending {
        index: usize,
        operation: &'a Operation,
    },
    /// The deployment confirmed it.
    Done {
        index: usize,
        operation: &'a Operation,
    },
    /// The deployment refused it, with this message.
    Failed {
        index: usize,
        operation: &'a Operation,
        message: &'a str,
    },
    /// Sent, but the answer does not say whether it ran.
    Unconfirmed {
        index: usize,
        operation: &'a Operation,
    },
    /// Sent in a request the deployment refused as a whole: it did not run.
    NotRun {
        index: usize,
        operation: &'a Operation,
    },
}

/// One operation the deployment refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedOperation {
    /// Its index in the operations given to [`Connection::execute`].
    pub index: usize,
    /// The deployment's message (one line, the API key redacted).
    pub message: String,
}

/// The truthful account of a run. Every index of the operations given to
/// [`Connection::execute`] is in exactly one of `done`, `failed`,
/// `unconfirmed` and `remaining`, each list in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApplyOutcome {
    /// Confirmed by the deployment.
    pub done: Vec<usize>,
    /// Refused by the deployment, each with its message.
    pub failed: Vec<FailedOperation>,
    /// Sent, but the answer does not say whether they ran (the connection
    /// broke, the answer was cut short, HTTP 5xx): a fresh read tells.
    pub unconfirmed: Vec<usize>,
    /// Not run: never sent, or in a request refused as a whole.
    pub remaining: Vec<usize>,
    /// Why the run stopped, when no single operation is to blame (the
    /// deployment could not be reached, refused a request, answered
    /// something unreadable).
    pub error: Option<ClientError>,
}

impl ApplyOutcome {
    /// Every operation confirmed.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
            && self.unconfirmed.is_empty()
            && self.remaining.is_empty()
            && self.error.is_none()
    }
}

/// One operation as a mutation field: the field with its arguments and
/// selection, and the variables it declares.
struct Field {
    text: String,
    variables: Vec<(String, &'static str, Value)>,
}

impl Connection {
    /// Sends `ops` in order, at most `batch_size` per request (0 counts as
    /// 1), and stops after the first request in which any of them failed.
    /// `on_event` hears of each operation before its request is sent and of
    /// its outcome after.
    pub fn execute(
        &self,
        ops: &[Operation],
        batch_size: usize,
        on_event: &mut dyn FnMut(&ApplyEvent),
    ) -> ApplyOutcome {
        let batch_size = batch_size.max(1);
        let mut outcome = ApplyOutcome::default();
        let mut start = 0;
        while start < ops.len() {
            let end = (start + batch_size).min(ops.len());
            let clean = self.send_batch(ops, start, end, &mut outcome, on_event);
            start = end;
            if !clean {
                break;
            }
        }
        outcome.remaining.extend(start..ops.len());
        outcome
    }

    /// Sends `ops[start..end]` as one document and files each operation's
    /// outcome; false when anything in it did not succeed.
    fn send_batch(
        &self,
        ops: &[Operation],
        start: usize,
        end: usize,
        outcome: &mut ApplyOutcome,
        on_event: &mut dyn FnMut(&ApplyEvent),
    ) -> bool {
        let batch = start..end;
        for index in batch.clone() {
            on_event(&ApplyEvent::Sending {
                index,
                operation: &ops[index],
            });
        }
        let (document, variables) = document(ops, start, end);
        let operation = if end - start == 1 {
            label(&ops[start])
        } else {
            format!(
                "`RolegraphApply` (operations {} to {} of {})",
                start + 1,
                end,
                ops.len()
            )
        };
        let answer = self
            .call(&operation, "RolegraphApply", &document, variables)
            .and_then(|answer| {
                self.envelope(&operation, &answer).map(|e| {
                    (
                        e.data.map(|d| d.get().to_string()),
                        e.errors.unwrap_or_default(),
                    )
                })
            });
        let (data, errors) = match answer {
            Ok(parsed) => parsed,
            Err(e) => {
                let ran = !matches!(
                    e,
                    ClientError::Unreachable { .. } | ClientError::Refused { .. }
                );
                for index in batch {
                    let operation = &ops[index];
                    if ran {
                        outcome.unconfirmed.push(index);
                        on_event(&ApplyEvent::Unconfirmed { index, operation });
                    } else {
                        outcome.remaining.push(index);
                        on_event(&ApplyEvent::NotRun { index, operation });
                    }
                }
                outcome.error = Some(e);
                return false;
            }
        };
        let data: Map<String, Value> = data
            .and_then(|d| serde_json::from_str::<Value>(&d).ok())
            .and_then(|d| match d {
                Value::Object(map) => Some(map),
                _ => None,
            })
            .unwrap_or_default();
        let (attributed, unattributed): (Vec<&GraphqlError>, Vec<&GraphqlError>) = errors
            .iter()
            .partition(|e| alias_index(e).is_some_and(|i| batch.contains(&i)));
        // Errors that name no operation of this request, with nothing run:
        // the document was refused before execution (GraphQL validation).
        if !unattributed.is_empty() && attributed.is_empty() && data.is_empty() {
            for index in batch {
                outcome.remaining.push(index);
                on_event(&ApplyEvent::NotRun {
                    index,
                    operation: &ops[index],
                });
            }
            outcome.error = Some(ClientError::Graphql {
                operation,
                message: self.error_line(&errors),
            });
            return false;
        }
        let mut clean = unattributed.is_empty();
        if !clean {
            let refs: Vec<GraphqlError> = unattributed.into_iter().cloned().collect();
            outcome.error = Some(ClientError::Graphql {
                operation,
                message: self.error_line(&refs),
            });
        }
        for index in batch {
            let op = &ops[index];
            let mine: Vec<&GraphqlError> = attributed
                .iter()
                .copied()
                .filter(|e| alias_index(e) == Some(index))
                .collect();
            if let Some(first) = mine.first() {
                let mut message = self.clean(&first.message);
                if mine.len() > 1 {
                    message.push_str(&format!(" (and {} more errors)", mine.len() - 1));
                }
                on_event(&ApplyEvent::Failed {
                    index,
                    operation: op,
                    message: &message,
                });
                outcome.failed.push(FailedOperation { index, message });
                clean = false;
            } else if data.get(&alias(index)).is_some_and(|v| !v.is_null()) {
                outcome.done.push(index);
                on_event(&ApplyEvent::Done {
                    index,
                    operation: op,
                });
            } else {
                outcome.unconfirmed.push(index);
                on_event(&ApplyEvent::Unconfirmed {
                    index,
                    operation: op,
                });
                clean = false;
            }
        }
        clean
    }
}

/// The alias of the operation at `index`.
fn alias(index: usize) -> String {
    format!("op{index}")
}

/// The operation an error's `path` points at, by its alias.
fn alias_index(error: &GraphqlError) -> Option<usize> {
    let first = error.path.as_ref()?.first()?.as_str()?;
    first.strip_prefix("op")?.parse().ok()
}

/// An operation as error messages name it: its SDK call and mutation.
fn label(op: &Operation) -> String {
    format!("`{}` (`{}`)", op.name(), mutation_name(op))
}

/// The mutation field an operation is sent as.
pub fn mutation_name(op: &Operation) -> &'static str {
    match op {
        Operation::CreateTeam { .. } => "createTeam",
        Operation::CreateRole { .. } => "createRole",
        Operation::UpdateRole { .. } => "updateRole",
        Operation::CreateUser { .. } => "createUser",
        Operation::AddToTeam { .. } => "setTeamMember",
        Operation::ShareProject { .. } => "shareProject",
        Operation::RemoveFromTeam { .. } => "removeTeamMember",
    }
}

/// The mutation document for `ops[start..end]` and its variables.
fn document(ops: &[Operation], start: usize, end: usize) -> (String, Value) {
    let mut declared = Vec::new();
    let mut body = String::new();
    let mut variables = Map::new();
    for (index, op) in ops.iter().enumerate().take(end).skip(start) {
        let field = field(index, op);
        body.push_str(&format!("  {}: {}\n", alias(index), field.text));
        for (name, ty, value) in field.variables {
            declared.push(format!("${name}: {ty}"));
            variables.insert(name, value);
        }
    }
    let document = format!(
        "mutation RolegraphApply({}) {{\n{body}}}",
        declared.join(", ")
    );
    (document, Value::Object(variables))
}

/// One operation as its mutation field. Inputs follow `input_types.py`;
/// selections are subsets of the SDK's own for the same mutation.
fn field(index: usize, op: &Operation) -> Field {
    let input = format!("v{index}");
    let one = |text: String, ty: &'static str, value: Value| Field {
        text,
        variables: vec![(input.clone(), ty, value)],
    };
    match op {
        // TeamCreate { key, name }
        Operation::CreateTeam { key, name } => one(
            format!("createTeam(input: ${input}) {{ key }}"),
            "TeamCreate!",
            json!({ "key": key, "name": name }),
        ),
        // RoleCreate { key, name, permissions }
        Operation::CreateRole {
            key,
            name,
            permissions,
        } => one(
            format!("createRole(input: ${input}) {{ key }}"),
            "RoleCreate!",
            json!({ "key": key, "name": name, "permissions": permissions }),
        ),
        // RoleUpdate { role, name, permissions } (custom_mutations.py)
        Operation::UpdateRole {
            key,
            name,
            permissions,
        } => one(
            format!("updateRole(input: ${input}) {{ key }}"),
            "RoleUpdate!",
            json!({ "role": key, "name": name, "permissions": permissions }),
        ),
        // UserCreate { email, name, teams: [UserCreateTeamWithRole { team, role }] };
        // userType and generateApiKey left to their defaults, as the SDK's
        // `users.create` leaves them.
        Operation::CreateUser { email, name, teams } => one(
            format!("createUser(input: ${input}) {{ user {{ email }} }}"),
            "UserCreate!",
            json!({
                "email": email,
                "name": name,
                "teams": teams
                    .iter()
                    .map(|m| json!({ "team": m.team, "role": m.role }))
                    .collect::<Vec<_>>(),
            }),
        ),
        // TeamMemberSet { user, team, role } (the SDK's `UpdateUser`)
        Operation::AddToTeam { email, team, role } => one(
            format!(
                "setTeamMember(input: ${input}) {{ user {{ email }} team {{ key }} role {{ key }} }}"
            ),
            "TeamMemberSet!",
            json!({ "user": email, "team": team, "role": role }),
        ),
        // shareProject(idOrKey: IdOrKey!, input: ProjectShares { shares:
        // [ProjectShareInput { team, role, isOwner }] }): the complete list.
        Operation::ShareProject { project, shares } => {
            let key = format!("p{index}");
            Field {
                text: format!("shareProject(idOrKey: ${key}, input: ${input}) {{ key }}"),
                variables: vec![
                    (key, "IdOrKey!", json!(project)),
                    (
                        input,
                        "ProjectShares!",
                        json!({
                            "shares": shares
                                .iter()
                                .map(|s| json!({ "team": s.team, "role": s.role, "isOwner": s.owner }))
                                .collect::<Vec<_>>(),
                        }),
                    ),
                ],
            }
        }
        // TeamMemberRemove { user, team }
        Operation::RemoveFromTeam { email, team } => one(
            format!("removeTeamMember(input: ${input}) {{ email }}"),
            "TeamMemberRemove!",
            json!({ "user": email, "team": team }),
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::adaptive::ops::{ProjectShare, TeamRole};

    #[test]
    fn a_batch_is_one_document_of_aliased_fields_in_order() {
        let ops = vec![
            Operation::CreateTeam {
                key: "ml".into(),
                name: "ML".into(),
            },
            Operation::CreateUser {
                email: "a@x.com".into(),
                name: "A".into(),
                teams: vec![TeamRole {
                    team: "ml".into(),
                    role: "admin".into(),
                }],
            },
            Operation::ShareProject {
                project: "bot".into(),
                shares: vec![ProjectShare {
                    team: "ml".into(),
                    role: "admin".into(),
                    owner: true,
                }],
            },
        ];
        let (doc, vars) = document(&ops, 1, 3);
        assert_eq!(
            doc,
            "mutation RolegraphApply($v1: UserCreate!, $p2: IdOrKey!, $v2: ProjectShares!) {\n  \
             op1: createUser(input: $v1) { user { email } }\n  \
             op2: shareProject(idOrKey: $p2, input: $v2) { key }\n}"
        );
        assert_eq!(
            vars,
            json!({
                "v1": {"email": "a@x.com", "name": "A", "teams": [{"team": "ml", "role": "admin"}]},
                "p2": "bot",
                "v2": {"shares": [{"team": "ml", "role": "admin", "isOwner": true}]},
            })
        );
    }

    #[test]
    fn errors_are_attributed_through_their_path() {
        let e = |path: Value| GraphqlError {
            message: String::new(),
            path: serde_json::from_value(path).ok(),
        };
        assert_eq!(alias_index(&e(json!(["op12", "user"]))), Some(12));
        assert_eq!(alias_index(&e(json!(["users", 3]))), None);
        assert_eq!(alias_index(&e(json!(null))), None);
    }
}
