//! Determinism: the compiled matrix is the same bytes whatever the order the
//! files are given in, how items are spread over files, and where they live.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use rolegraph::source::Sources;
use rolegraph::Policy;

const FILES: [&str; 6] = [
    include_str!("../../policies/adaptive.policy"),
    include_str!("../../policies/example/teams.policy"),
    include_str!("../../policies/example/users.policy"),
    include_str!("../../policies/example/use_cases.policy"),
    include_str!("../../policies/example/tests.policy"),
    include_str!("../../policies/example/escalation.policy"),
];

/// Splits a policy text into its top-level items (a line at depth 0 that
/// starts a word begins an item; comments stay with what follows).
fn items(text: &str) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    let mut depth = 0isize;
    let mut current = String::new();
    for line in text.lines() {
        let starts_item = depth == 0
            && line.starts_with(|c: char| c.is_ascii_alphabetic())
            && !current.trim().is_empty()
            && !current
                .lines()
                .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
        if starts_item && !line.starts_with(' ') && !previous_continues(&current) {
            items.push(std::mem::take(&mut current));
        }
        let code = line.split('#').next().unwrap_or("");
        depth += code.matches('{').count() as isize - code.matches('}').count() as isize;
        current.push_str(line);
        current.push('\n');
    }
    items.push(current);
    items
}

/// A `permission` whose description continues on the next line.
fn previous_continues(current: &str) -> bool {
    current
        .lines()
        .last()
        .is_some_and(|l| l.trim_end().ends_with("target team"))
}

fn compiled(files: &[(String, String)]) -> String {
    let mut sources = Sources::default();
    for (name, text) in files {
        sources.add(name.clone(), text);
    }
    Policy::from_sources(sources).unwrap().compiled_json()
}

/// The document without its `source_digest`, which names the exact files:
/// a policy split differently is the same policy from different sources.
fn without_digest(json: &str) -> String {
    json.lines()
        .filter(|l| !l.trim_start().starts_with("\"source_digest\""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn named(order: &[usize]) -> Vec<(String, String)> {
    order
        .iter()
        .map(|&i| (format!("f{i}.policy"), FILES[i].to_string()))
        .collect()
}

#[test]
fn the_split_keeps_the_policy() {
    let whole: Vec<(String, String)> = FILES
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("f{i}.policy"), t.to_string()))
        .collect();
    let all_items: Vec<String> = FILES.iter().flat_map(|f| items(f)).collect();
    assert!(all_items.len() > 30);
    let one_file = vec![("all.policy".to_string(), all_items.concat())];
    assert_eq!(
        without_digest(&compiled(&whole)),
        without_digest(&compiled(&one_file))
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The same files in any order: the same bytes, digest included.
    #[test]
    fn same_bytes_whatever_the_file_order(order in Just(vec![0usize, 1, 2, 3, 4, 5]).prop_shuffle()) {
        let a = compiled(&named(&order));
        let b = compiled(&named(&[0, 1, 2, 3, 4, 5]));
        prop_assert!(a == b, "file order {order:?} changed the compiled bytes");
    }

    #[test]
    fn same_bytes_whatever_the_file_layout(
        order in Just((0..FILES.iter().map(|f| items(f).len()).sum::<usize>()).collect::<Vec<_>>()).prop_shuffle(),
        buckets in proptest::collection::vec(0usize..7, 200),
        names in proptest::collection::vec("[a-z]{1,8}(/[a-z]{1,8})?", 7),
    ) {
        let all_items: Vec<String> = FILES.iter().flat_map(|f| items(f)).collect();
        let baseline = without_digest(&compiled(&[("all.policy".to_string(), all_items.concat())]));
        let mut files: Vec<(String, String)> = (0..7)
            .map(|i| (format!("{}-{i}.policy", names[i]), String::new()))
            .collect();
        for (n, &i) in order.iter().enumerate() {
            files[buckets[n % buckets.len()]].1.push_str(&all_items[i]);
        }
        files.retain(|(_, t)| !t.is_empty());
        let got = without_digest(&compiled(&files));
        prop_assert!(got == baseline, "a different split changed the compiled matrix");
    }
}
