//! A question written as a `can --batch` line, for the endpoints that do not
//! answer with a batch line (`/v1/explain`, the OPA input), and a question
//! built from another API's fields (AuthZEN). Resolving it is the library's
//! [`Policy::query`], as for `can` and `explain` on the command line, so a
//! usage error carries the command line's message.

use serde::{Deserialize, Serialize};

use super::object::Shape;
use crate::compile::Subject;
use crate::eval::batch::decision_line;
use crate::eval::Query;
use crate::Policy;

/// `{"user","permission","scope","to"}`, and no other key.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

impl Shape for Question {
    const EXPECTING: &'static str =
        "a question, a JSON object `{\"user\":…,\"permission\":…,\"scope\":…,\"to\":…}`";
}

/// A question asked: allow or deny, and whether the user is a new login.
#[derive(Clone, Copy)]
pub struct Decided {
    pub allowed: bool,
    pub new_login: bool,
}

impl Decided {
    /// The `can --batch` answer line of this decision.
    pub fn line(self) -> &'static str {
        decision_line(self.allowed, self.new_login)
    }
}

impl Question {
    /// The question resolved against `policy`, or the usage error's message.
    pub fn resolve(&self, policy: &Policy) -> Result<(Query, &str), String> {
        let user = self.user.as_deref().ok_or("the query has no `user`")?;
        let permission = self
            .permission
            .as_deref()
            .ok_or("the query has no `permission`")?;
        let q = policy
            .query(user, permission, self.scope.as_deref(), self.to.as_deref())
            .map_err(|e| e.to_string())?;
        Ok((q, user))
    }

    /// Asks the question.
    pub fn decide(&self, policy: &Policy) -> Result<Decided, String> {
        let (q, _) = self.resolve(policy)?;
        Ok(Decided {
            allowed: policy.check(&q),
            new_login: q.subject == Subject::NewLogin,
        })
    }

    /// The question as one line of JSON, for the decision log.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The `can --batch` answer line of a question that could not be asked.
pub fn error_line(message: &str) -> Vec<u8> {
    #[derive(Serialize)]
    struct ErrorLine<'a> {
        decision: &'static str,
        error: &'a str,
    }
    let mut line = serde_json::to_vec(&ErrorLine {
        decision: "error",
        error: message,
    })
    .unwrap_or_default();
    line.push(b'\n');
    line
}
