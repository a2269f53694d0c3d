//! A failure half way: the stand-in fails the Nth mutation, for every N of
//! the plan and several batch sizes. `apply` exits 1, its report is the
//! truth (replaying what it calls done on the starting state gives exactly
//! the stand-in's state; every operation is in one list), nothing is
//! retried, and a second `apply` finishes the job.

use std::collections::BTreeSet;

use rolegraph::adaptive::{Operation, PlanOptions};

use super::apply_support::{
    apply, drifted, operation, operations, ops_of, org, org_file, plan_for, with_applied,
};
use super::standin::Standin;

#[test]
fn a_failed_mutation_stops_apply_truthfully_and_a_second_apply_converges() {
    let policy = org_file();
    let planned = plan_for(&org(), &drifted(), None, PlanOptions::default());
    let all = ops_of(&planned);
    let n_ops = all.len();
    assert_eq!(n_ops, 8);
    for batch in [1usize, 3, 50] {
        for n in 1..=n_ops {
            let case = format!("batch size {batch}, mutation {n} fails");
            let s = Standin::start(&drifted());
            s.fail_nth_mutation(n as u64);
            let r = apply(
                &policy.path,
                &s,
                &[
                    "--yes",
                    "--format",
                    "json",
                    "--batch-size",
                    &batch.to_string(),
                ],
            );
            assert_eq!(r.code, 1, "{case}: {r:?}");
            let report = r.report();
            assert_eq!(report["in_sync"], false, "{case}");

            // The operation that failed is named, with the server's message.
            let failed = report["failed"].as_array().unwrap();
            assert_eq!(operation(&failed[0]), all[n - 1], "{case}");
            assert!(
                failed[0]["message"]
                    .as_str()
                    .unwrap()
                    .contains("injected failure"),
                "{case}: {report}"
            );
            assert!(
                r.stderr.contains("failed (injected failure"),
                "{case}: {}",
                r.stderr
            );

            // Every operation is in exactly one list, in the plan's order.
            let done = operations(&report, "done");
            let remaining = operations(&report, "remaining");
            let mut seen: Vec<Operation> = done.clone();
            seen.extend(failed.iter().map(operation));
            seen.extend(operations(&report, "unconfirmed"));
            seen.extend(remaining.clone());
            assert_eq!(seen.len(), n_ops, "{case}");
            let distinct: BTreeSet<String> = seen.iter().map(|o| format!("{o:?}")).collect();
            assert_eq!(distinct.len(), n_ops, "{case}");

            // Nothing after the failed request was sent; nothing was retried.
            let sent = (n.div_ceil(batch) * batch).min(n_ops);
            assert_eq!(remaining, all[sent..].to_vec(), "{case}");
            assert_eq!(s.mutations(), sent as u64, "{case}");

            // What the report calls done is what the deployment holds.
            assert_eq!(s.state(), with_applied(&drifted(), &done), "{case}");
            // The fresh plan it printed is what is left.
            let left = operations(&report["left"], "operations");
            let fresh = plan_for(&org(), &s.state(), None, PlanOptions::default());
            assert_eq!(left, ops_of(&fresh), "{case}");
            assert!(!left.is_empty(), "{case}");

            // Running it again finishes the job.
            let again = apply(
                &policy.path,
                &s,
                &["--yes", "--batch-size", &batch.to_string()],
            );
            assert_eq!(again.code, 0, "{case}: {again:?}");
            assert!(again.stdout.contains("in sync"), "{case}");
            let done_again = plan_for(&org(), &s.state(), None, PlanOptions::default());
            assert!(!done_again.has_drift(), "{case}: {done_again:#?}");
        }
    }
}

#[test]
fn the_text_account_names_what_was_done_failed_and_not_sent() {
    let policy = org_file();
    let s = Standin::start(&drifted());
    s.fail_nth_mutation(3);
    let r = apply(&policy.path, &s, &["--yes", "--batch-size", "2"]);
    assert_eq!(r.code, 1, "{r:?}");
    let out = &r.stdout;
    for line in [
        "[1/8] done: teams.create ops \"Ops\"",
        "[3/8] failed (injected failure of mutation 3): roles.update viewer \"Viewer\"",
        // The other field of the failed request ran: reported as done.
        "[4/8] done: users.create ana@acme.com",
        "apply stopped: 3 done, 1 failed, 0 not confirmed, 4 not sent",
        "failed (the deployment's message):\n  [3/8] roles.update viewer \"Viewer\": injected failure of mutation 3",
        "not sent:\n  [5/8] users.add_to_team bo@acme.com to ml as viewer",
        "not in sync: a fresh plan still has 5 operation(s)",
        "run `rolegraph apply` again to finish",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    // Never sent, never announced.
    assert!(!out.contains("[5/8] ~"), "{out}");
}
