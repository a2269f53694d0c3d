//! `rolegraph apply [--url URL] [--prune] [--yes] [--batch-size N]
//! [--allow-self-lockout] [PLAN.json]` (SPEC §9): read the live deployment,
//! plan (or take a plan saved by `plan -o`, if the deployment is still in the
//! state it was made against), show the plan, ask, run its operations as
//! batched mutations, then read the deployment again and say whether it now
//! matches the policy.
//!
//! Nothing is ever retried. After a failure the account says what was done,
//! what failed and why, what may or may not have run, and what was not
//! sent; running `apply` again finishes the job, because it plans from a
//! fresh read.

use std::fmt::Display;
use std::io::IsTerminal;
use std::ops::Range;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use super::files::read_at_most;
use super::live;
use super::output::{ask, format, json, load_policy, print, say, usage_error, CmdResult, Exit};
use super::plan::make_plan;
use super::{Cli, Format};
use crate::adaptive::client::{
    ApplyEvent, ApplyOutcome, ClientError, Connection, FailedOperation, DEFAULT_BATCH_SIZE,
};
use crate::adaptive::plan::{describe, own_access, Manual, OwnAccess, PlannedOperation};
use crate::adaptive::{render, Plan, PlanOptions, State, Target};
use crate::{escape, Policy};

#[derive(Args, Debug, Clone)]
pub struct ApplyArgs {
    /// The deployment's base URL (default: `ADAPTIVE_URL`; the API key from
    /// `ADAPTIVE_API_KEY`).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Also remove the memberships of users the policy does not declare
    /// (but a new login's default one); users are never deleted.
    #[arg(long, conflicts_with = "plan")]
    pub prune: bool,
    /// Run without asking (needed when standard input is not a terminal);
    /// `--auto-approve` is the same, as in `terraform apply`.
    #[arg(long, visible_alias = "auto-approve")]
    pub yes: bool,
    /// Operations sent in one request, at least 1.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCH_SIZE, value_parser = parse_batch_size)]
    pub batch_size: usize,
    /// Run operations that lower your own access in the admin team (last,
    /// each in a request of its own) instead of refusing them.
    #[arg(long)]
    pub allow_self_lockout: bool,
    /// A plan saved by `plan -o`: run exactly its operations, if the
    /// deployment is still in the state it was planned against.
    #[arg(value_name = "PLAN.json")]
    pub plan: Option<PathBuf>,
}

/// `--batch-size`: a whole number, at least 1.
pub fn parse_batch_size(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("a request holds at least one operation: give 1 or more".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "`{text}` is not a whole number of operations per request"
        )),
    }
}

/// The largest saved plan read: a plan for 100,000 users and 50,000
/// projects changed at once is well under this.
const MAX_PLAN_BYTES: u64 = 256 << 20;

/// How many operations not sent are listed in text (`--format json` lists
/// every one).
const LISTED: usize = 50;

pub fn run(cli: &Cli, args: &ApplyArgs) -> CmdResult {
    let fmt = format(cli, &[Format::Text, Format::Json], Format::Text)?;
    let out = Out {
        json: fmt == Format::Json,
    };
    let saved = args.plan.as_deref().map(read_saved).transpose()?;
    let connection = live::connect(args.url.as_deref(), &ClientError::NoUrl.to_string())?;
    // The deployment and the policy are read at the same time.
    let (before, policy) = std::thread::scope(|s| {
        let policy = s.spawn(|| load_policy(cli));
        let before = live::read(&connection);
        (before, policy.join())
    });
    let before = before?;
    let policy = policy.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
    let options = PlanOptions {
        prune: args.prune,
        allow_self_lockout: args.allow_self_lockout,
    };
    let me = before.me.as_deref();
    let plan = match saved {
        Some((path, saved)) => {
            check_digest(&path, &saved, &before.state)?;
            Some(saved)
        }
        None => None,
    };
    let from_saved = plan.is_some();
    let plan = match plan {
        Some(plan) => plan,
        None => make_plan(policy, &before.state, me, &options)?,
    };
    let target = Target::new(policy, &before.state);
    let schedule = Schedule::new(&plan, me, &before.state, &target, args.allow_self_lockout)?;
    out.block(&render::to_text(&plan));

    let mut outcome = ApplyOutcome::default();
    let fresh = if plan.operations.is_empty() {
        // Nothing to send: the read just made is the fresh one.
        if from_saved {
            make_plan(policy, &before.state, me, &options).ok()
        } else {
            Some(plan.clone())
        }
    } else {
        confirm(args.yes, plan.operations.len(), connection.url())?;
        out.line(format_args!(
            "applying {} operation(s) to `{}`, at most {} per request:",
            schedule.ops.len(),
            connection.url(),
            args.batch_size
        ));
        outcome = schedule.run(&connection, args.batch_size, out);
        if !outcome.is_complete() {
            schedule.account(&outcome, out);
        }
        out.line(format_args!(
            "reading `{}` again to confirm",
            connection.url()
        ));
        reread(&connection, policy, &options)
    };
    let in_sync = fresh.as_ref().is_some_and(|f| !f.has_drift());
    let stopped = !outcome.is_complete();
    match &fresh {
        Some(_) if in_sync => out.line("in sync: the deployment matches the policy"),
        Some(f) => {
            out.line(format_args!(
                "not in sync: a fresh plan still has {} operation(s) and {} manual step(s):",
                f.operations.len(),
                f.manual.len()
            ));
            out.block(&render::to_text(f));
        }
        None => out.line("not in sync: whether the deployment matches the policy is not known"),
    }
    if stopped && !in_sync {
        out.line("run `rolegraph apply` again to finish: it plans from a fresh read and sends only what is left");
    }
    if out.json {
        print(&json(&schedule.report(&outcome, in_sync, fresh.as_ref())));
    }
    Ok(if stopped || !in_sync {
        Exit::Failure
    } else {
        Exit::Success
    })
}

/// Where the account of the run goes: standard output in text; standard
/// error with `--format json`, whose standard output is the final report.
#[derive(Clone, Copy)]
struct Out {
    json: bool,
}

impl Out {
    /// One line, every control character in it escaped.
    fn line(self, text: impl Display) {
        if self.json {
            say(text);
        } else {
            print(&format!("{}\n", escape::text(&text.to_string())));
        }
    }

    /// Lines of a rendered report (already escaped field by field).
    fn block(self, text: &str) {
        for line in text.lines() {
            self.line(line);
        }
    }
}

/// A plan saved by `plan -o`; why not is a usage error naming the file.
fn read_saved(path: &Path) -> Result<(PathBuf, Plan), Exit> {
    let bytes = read_at_most(
        path,
        MAX_PLAN_BYTES,
        ": not a plan written by `rolegraph plan -o`",
    )?;
    let plan =
        Plan::from_json(&bytes).map_err(|e| usage_error(format!("`{}`: {e}", path.display())))?;
    Ok((path.to_path_buf(), plan))
}

/// A saved plan runs only against the state it was made against.
fn check_digest(path: &Path, plan: &Plan, live: &State) -> Result<(), Exit> {
    let now = live.digest();
    if now == plan.state_digest {
        return Ok(());
    }
    say(format_args!(
        "error: the deployment has changed since `{}` was planned (its state is `{now}`, the plan was made against `{}`): nothing was sent; plan again and review the new plan",
        path.display(),
        plan.state_digest
    ));
    Err(Exit::Failure)
}

/// Goes on with `--yes`; else asks on a terminal, and refuses (exit 2) when
/// there is none to ask on. Nothing has been sent either way.
fn confirm(yes: bool, count: usize, url: &str) -> Result<(), Exit> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(usage_error(
            "standard input is not a terminal, so `apply` cannot ask before changing the deployment: nothing was sent; review the plan, then run again with `--yes`",
        ));
    }
    let answer = ask(format_args!(
        "Apply these {count} operation(s) to `{url}`? Only `yes` goes on: "
    ))
    .map_err(|e| usage_error(format!("cannot read the answer: {e}")))?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        say("apply cancelled: nothing was sent");
        Err(Exit::Failure)
    }
}

/// The plan made from a fresh read, or none when the deployment cannot be
/// read or planned against (said on standard error).
fn reread(connection: &Connection, policy: &Policy, options: &PlanOptions) -> Option<Plan> {
    match connection.read() {
        Ok(after) => make_plan(policy, &after.state, after.me.as_deref(), options).ok(),
        Err(e) => {
            say(format_args!(
                "error: cannot read the deployment again to confirm: {e}"
            ));
            None
        }
    }
}

/// The operations in the order they are sent: the plan's, except that those
/// touching your own access in the admin team go after all the others, each
/// in a request of its own, so none runs unless everything before it was
/// confirmed (a GraphQL server runs every field of a request, even after
/// one fails).
struct Schedule<'p> {
    ops: Vec<&'p PlannedOperation>,
    /// `ops[alone..]` are sent one per request.
    alone: usize,
}

impl<'p> Schedule<'p> {
    /// Refuses (exit 1, before anything is sent) a saved plan that lowers
    /// your own access when `--allow-self-lockout` is not given: a plan made
    /// from a state file without `--me` could not know whose key runs it.
    fn new(
        plan: &'p Plan,
        me: Option<&str>,
        live: &State,
        target: &Target,
        allow_self_lockout: bool,
    ) -> Result<Schedule<'p>, Exit> {
        let access = match me {
            Some(me) => own_access(&plan.operations, me, live, target),
            None => vec![None; plan.operations.len()],
        };
        let (mut ops, mut after_move, mut lowers) = (Vec::new(), Vec::new(), Vec::new());
        let mut refused = Vec::new();
        for (op, access) in plan.operations.iter().zip(access) {
            match access {
                None => ops.push(op),
                Some(OwnAccess::AfterMove) => after_move.push(op),
                Some(OwnAccess::Lowers(_)) if allow_self_lockout => lowers.push(op),
                Some(OwnAccess::Lowers(why)) => refused.push((op, why)),
            }
        }
        if !refused.is_empty() {
            for (op, why) in &refused {
                say(format_args!(
                    "error: refused: {}: {why}",
                    describe(&op.operation)
                ));
            }
            say("error: the plan lowers your own access in the admin team: nothing was sent; pass `--allow-self-lockout` to run those operations (last), or plan again from the live deployment, which knows whose key it is");
            return Err(Exit::Failure);
        }
        let alone = ops.len();
        ops.extend(after_move);
        ops.extend(lowers);
        Ok(Schedule { ops, alone })
    }

    /// Sends the operations; stops after the first request in which
    /// anything did not succeed.
    fn run(&self, connection: &Connection, batch_size: usize, out: Out) -> ApplyOutcome {
        let ops: Vec<_> = self.ops.iter().map(|p| p.operation.clone()).collect();
        let mut groups: Vec<(Range<usize>, usize)> = vec![(0..self.alone, batch_size)];
        groups.extend((self.alone..ops.len()).map(|i| (i..i + 1, 1)));
        let mut outcome = ApplyOutcome::default();
        for (range, batch) in groups {
            if !outcome.is_complete() {
                outcome.remaining.extend(range);
                continue;
            }
            let offset = range.start;
            let part = connection.execute(&ops[range], batch, &mut |e| {
                self.show(e, offset, out);
            });
            merge(&mut outcome, part, offset);
        }
        outcome
    }

    /// One line per event: each operation before it is sent, its outcome
    /// after.
    fn show(&self, event: &ApplyEvent, offset: usize, out: Out) {
        let (index, what) = match *event {
            ApplyEvent::Sending { index, .. } => (index, None),
            ApplyEvent::Done { index, .. } => (index, Some("done".to_string())),
            ApplyEvent::Failed { index, message, .. } => {
                (index, Some(format!("failed ({message})")))
            }
            ApplyEvent::Unconfirmed { index, .. } => (
                index,
                Some("not confirmed (the answer does not say whether it ran)".to_string()),
            ),
            ApplyEvent::NotRun { index, .. } => (
                index,
                Some("not run (the deployment refused the request as a whole)".to_string()),
            ),
        };
        let index = index + offset;
        let op = self.ops[index];
        let at = format!("[{}/{}]", index + 1, self.ops.len());
        match what {
            None => out.line(format_args!(
                "{at} {} {}",
                op.action.sign(),
                describe(&op.operation)
            )),
            Some(what) => out.line(format_args!("{at} {what}: {}", describe(&op.operation))),
        }
    }

    /// What a run that stopped did, list by list.
    fn account(&self, outcome: &ApplyOutcome, out: Out) {
        out.line(format_args!(
            "apply stopped: {} done, {} failed, {} not confirmed, {} not sent",
            outcome.done.len(),
            outcome.failed.len(),
            outcome.unconfirmed.len(),
            outcome.remaining.len()
        ));
        let line = |i: usize| {
            format!(
                "[{}/{}] {}",
                i + 1,
                self.ops.len(),
                describe(&self.ops[i].operation)
            )
        };
        if !outcome.failed.is_empty() {
            out.line("failed (the deployment's message):");
            for f in &outcome.failed {
                out.line(format_args!("  {}: {}", line(f.index), f.message));
            }
        }
        if !outcome.unconfirmed.is_empty() {
            out.line("not confirmed (sent; the fresh read below tells whether they ran):");
            for &i in &outcome.unconfirmed {
                out.line(format_args!("  {}", line(i)));
            }
        }
        if !outcome.remaining.is_empty() {
            out.line("not sent:");
            for &i in outcome.remaining.iter().take(LISTED) {
                out.line(format_args!("  {}", line(i)));
            }
            if outcome.remaining.len() > LISTED {
                out.line(format_args!(
                    "  … and {} more (`--format json` lists every one)",
                    outcome.remaining.len() - LISTED
                ));
            }
        }
        if let Some(e) = &outcome.error {
            out.line(format_args!("error: {e}"));
        }
    }

    /// The final report of `--format json`.
    fn report<'a>(
        &'a self,
        outcome: &'a ApplyOutcome,
        in_sync: bool,
        fresh: Option<&'a Plan>,
    ) -> Report<'a> {
        let ops = |list: &[usize]| list.iter().map(|&i| self.ops[i]).collect();
        Report {
            done: ops(&outcome.done),
            failed: outcome
                .failed
                .iter()
                .map(|f| FailedReport {
                    operation: self.ops[f.index],
                    message: &f.message,
                })
                .collect(),
            unconfirmed: ops(&outcome.unconfirmed),
            remaining: ops(&outcome.remaining),
            in_sync,
            error: outcome.error.as_ref().map(ToString::to_string),
            left: fresh.map(|f| Left {
                operations: &f.operations,
                manual: &f.manual,
            }),
        }
    }
}

/// `part`, whose indices start at `offset`, added to `outcome`.
fn merge(outcome: &mut ApplyOutcome, part: ApplyOutcome, offset: usize) {
    outcome.done.extend(part.done.iter().map(|i| i + offset));
    outcome
        .failed
        .extend(part.failed.into_iter().map(|f| FailedOperation {
            index: f.index + offset,
            message: f.message,
        }));
    outcome
        .unconfirmed
        .extend(part.unconfirmed.iter().map(|i| i + offset));
    outcome
        .remaining
        .extend(part.remaining.iter().map(|i| i + offset));
    if part.error.is_some() {
        outcome.error = part.error;
    }
}

/// `apply --format json`: every operation of the plan in exactly one of
/// `done`, `failed`, `unconfirmed` and `remaining` (each as in the plan
/// JSON), whether a fresh plan is empty, and what it still holds.
#[derive(Serialize)]
struct Report<'a> {
    done: Vec<&'a PlannedOperation>,
    failed: Vec<FailedReport<'a>>,
    unconfirmed: Vec<&'a PlannedOperation>,
    remaining: Vec<&'a PlannedOperation>,
    in_sync: bool,
    /// Why the run stopped when no single operation is to blame.
    error: Option<String>,
    /// The fresh plan's operations and manual steps; null when the
    /// deployment could not be read again.
    left: Option<Left<'a>>,
}

#[derive(Serialize)]
struct FailedReport<'a> {
    #[serde(flatten)]
    operation: &'a PlannedOperation,
    /// The deployment's message.
    message: &'a str,
}

#[derive(Serialize)]
struct Left<'a> {
    operations: &'a [PlannedOperation],
    manual: &'a [Manual],
}
