//! `plan`: the operations that take the deployment to the policy, from the
//! live deployment (`--url`, or `ADAPTIVE_URL`) or a state file (`--state`).
//! Where the deployment's state comes from is [`read_live`]'s business
//! alone.

use std::path::{Path, PathBuf};

use clap::Args;

use super::live;
use super::output::{format, load_policy, print, say, until_exit, usage_error, CmdResult, Exit};
use super::{Cli, Format};
use crate::adaptive::state::StateError;
use crate::adaptive::{plan, render, Plan, PlanError, PlanOptions, State};
use crate::atomic_file::{self, NewFile};
use crate::Policy;

/// Where the deployment's state is read from.
#[derive(Args, Debug, Clone)]
pub struct LiveArgs {
    /// Read the live deployment at this base URL (default: `ADAPTIVE_URL`;
    /// the API key from `ADAPTIVE_API_KEY`).
    #[arg(long, value_name = "URL", conflicts_with_all = ["state", "me"])]
    pub url: Option<String>,
    /// Read the deployment from a state file (as `pull` writes it) instead.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// The email of the API key's own user, for the lockout guard when the
    /// state comes from a file (a live deployment says who it is).
    #[arg(long, value_name = "EMAIL")]
    pub me: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct PlanArgs {
    #[command(flatten)]
    pub live: LiveArgs,
    /// Also remove the memberships of users the policy does not declare
    /// (but a new login's default one); users are never deleted.
    #[arg(long)]
    pub prune: bool,
    /// Exit 1 when the deployment has drifted (any operation or manual step).
    #[arg(long)]
    pub fail_on_drift: bool,
    /// Plan operations that lower your own access in the admin team (they
    /// run last) instead of refusing them.
    #[arg(long)]
    pub allow_self_lockout: bool,
    /// Also save the plan as JSON, for `apply PLAN.json`.
    #[arg(short, long, value_name = "PLAN.json")]
    pub output: Option<PathBuf>,
}

const NO_DEPLOYMENT: &str = "no deployment to plan against: pass `--url URL` (or set `ADAPTIVE_URL`) to read the live deployment, or `--state FILE` for a state file written by `pull`";

/// The deployment's state and the API key's user, from where the arguments
/// say: `--state FILE` (and `--me`), else the live deployment at `--url` or
/// `ADAPTIVE_URL` (which says whose key it is). A state file that cannot be
/// read or is refused, or a deployment that cannot be read, is a usage
/// error.
pub fn read_live(args: &LiveArgs) -> Result<(State, Option<String>), Exit> {
    if let Some(path) = &args.state {
        let me = args.me.as_deref().map(str::to_ascii_lowercase);
        return Ok((read_state(path)?, me));
    }
    let connection = live::connect(args.url.as_deref(), NO_DEPLOYMENT)?;
    if args.me.is_some() {
        return Err(usage_error(
            "`--me` goes with `--state FILE`: the live deployment says whose API key it is",
        ));
    }
    let read = live::read(&connection)?;
    Ok((read.state, read.me))
}

/// A state file, read and checked; why not is a usage error naming the file.
pub fn read_state(path: &Path) -> Result<State, Exit> {
    State::read_file(path).map_err(|e| match e {
        StateError::Io { .. } | StateError::TooLarge { .. } => usage_error(e),
        e => usage_error(format!("`{}`: {e}", path.display())),
    })
}

/// The plan, or the preflight's errors printed and exit 1.
pub fn make_plan(
    policy: &Policy,
    state: &State,
    me: Option<&str>,
    options: &PlanOptions,
) -> Result<Plan, Exit> {
    match plan(policy, state, me, options) {
        Ok(plan) => Ok(plan),
        Err(PlanError::UnknownPermissions(missing)) => {
            for m in &missing {
                say(format_args!("error: {m}"));
            }
            say(format_args!("error: the plan stopped before any operation: {} permission(s) of the policy's roles are unknown to the deployment",
                missing.len()
            ));
            Err(Exit::Failure)
        }
    }
}

pub fn run(cli: &Cli, args: &PlanArgs) -> CmdResult {
    let fmt = format(
        cli,
        &[Format::Text, Format::Json, Format::Markdown],
        Format::Text,
    )?;
    // The deployment and the policy are read at the same time: for a large
    // org each is about half of the work.
    let (live, policy) = std::thread::scope(|s| {
        let policy = s.spawn(|| load_policy(cli));
        let live = read_live(&args.live);
        (live, policy.join())
    });
    let (state, me) = live?;
    let policy = policy.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
    // Kept until the process ends, like the policy: freeing a large
    // deployment's strings one by one is time spent on nothing.
    let state = until_exit(state);
    let options = PlanOptions {
        prune: args.prune,
        allow_self_lockout: args.allow_self_lockout,
    };
    let plan = until_exit(make_plan(policy, state, me.as_deref(), &options)?);
    if let Some(path) = &args.output {
        atomic_file::write(path, plan.to_json().as_bytes(), NewFile::Private)
            .map_err(|e| usage_error(format!("cannot write `{}`: {e}", path.display())))?;
    }
    print(&match fmt {
        Format::Json => plan.to_json(),
        Format::Markdown => render::to_markdown(plan),
        _ => render::to_text(plan),
    });
    if args.fail_on_drift && plan.has_drift() {
        say(format_args!("error: the deployment has drifted from the policy ({} operation(s), {} manual step(s))",
            plan.operations.len(),
            plan.manual.len()
        ));
        return Ok(Exit::Failure);
    }
    Ok(Exit::Success)
}
