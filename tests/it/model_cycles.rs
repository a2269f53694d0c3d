//! Include cycles are reported with a path that exists (issue 13.8): every
//! step of the reported cycle is an include written in the policy, and the
//! path closes on the role it starts from.

use std::fmt::Write as _;

use rolegraph::diagnostics::Code;
use rolegraph::resolve;
use rolegraph::source::Sources;

fn cycle_message(text: &str) -> String {
    let mut sources = Sources::default();
    sources.add("cycle.policy", text);
    let checked = resolve::check(sources);
    let cycles: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::IncludeCycle)
        .collect();
    assert_eq!(cycles.len(), 1, "{:?}", checked.diagnostics);
    cycles[0].message.clone()
}

const BASE: &str = "kind use_case\npermission use_case:read on use_case\n";

#[test]
fn a_branching_component_reports_a_cycle_that_exists() {
    let text = format!(
        "{BASE}role a {{ includes b }}\nrole b {{ includes c, d }}\nrole c {{ includes b }}\nrole d {{ includes a }}\n"
    );
    // The greedy walk said `a -> b -> c -> a`, and `c` does not include `a`.
    assert_eq!(
        cycle_message(&text),
        "role includes form a cycle: a -> b -> d -> a"
    );
}

/// Every step of the reported path is a declared include, on random graphs
/// whose roles form one component.
#[test]
fn every_reported_step_is_an_include() {
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::try_from(seed % n as u64).unwrap()
    };
    for _ in 0..200 {
        let n = 2 + next(8);
        // A ring through every role makes one component; extra edges branch.
        let mut includes: Vec<Vec<usize>> = (0..n).map(|i| vec![(i + 1) % n]).collect();
        for _ in 0..next(2 * n) {
            let (from, to) = (next(n), next(n));
            if from != to && !includes[from].contains(&to) {
                includes[from].push(to);
            }
        }
        let mut text = String::from(BASE);
        for (i, to) in includes.iter().enumerate() {
            let list: Vec<String> = to.iter().map(|t| format!("r{t}")).collect();
            writeln!(text, "role r{i} {{ includes {} }}", list.join(", ")).unwrap();
        }
        let message = cycle_message(&text);
        let path: Vec<usize> = message
            .trim_start_matches("role includes form a cycle: ")
            .split(" -> ")
            .map(|r| r.trim_start_matches('r').parse().unwrap())
            .collect();
        assert_eq!(path.first(), path.last(), "{message}");
        for step in path.windows(2) {
            assert!(
                includes[step[0]].contains(&step[1]),
                "r{} does not include r{}: {message}\n{text}",
                step[0],
                step[1]
            );
        }
    }
}
