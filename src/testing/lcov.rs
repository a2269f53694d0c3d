//! `test --coverage --format lcov`: policy coverage as an LCOV tracefile, for
//! coverage services (Codecov, Coveralls, genhtml).
//!
//! In: a [`Coverage`]. Out: one record per policy file that holds grants,
//! memberships or shares (`SF:`), a `DA:line,hits` per such line (hits: how
//! many test lines exercised it), a `BRDA` branch per item on a line that
//! holds several (each permission of `grant a:*, b:c`), `BRF`/`BRH`,
//! `LF`/`LH`, `end_of_record`. The record syntax is the `lcov` crate's.
#![cfg(feature = "cli")]

use lcov::Record;

use super::Coverage;

/// The `TN:` of every record: LCOV test names are word characters only.
const TEST_NAME: &str = "rolegraph";

/// An LCOV tracefile, and the files it could not name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lcov {
    pub text: String,
    /// Files whose name holds a line break, which LCOV cannot write: left
    /// out, for the caller to report.
    pub skipped: Vec<String>,
}

pub fn render(coverage: &Coverage) -> Lcov {
    let mut records = Vec::new();
    let mut skipped = Vec::new();
    // `lines` is grouped by file, in the order files were read.
    let mut rest = coverage.lines.as_slice();
    while let Some(first) = rest.first() {
        let n = rest.iter().take_while(|l| l.file == first.file).count();
        let (file, tail) = rest.split_at(n);
        rest = tail;
        if first.file.contains(['\n', '\r']) {
            skipped.push(first.file.clone());
            continue;
        }
        records.push(Record::TestName {
            name: TEST_NAME.to_string(),
        });
        records.push(Record::SourceFile {
            path: first.file.clone().into(),
        });
        // A line holding several items (`grant a:*, b:c`, `admins x, y`)
        // gets a branch per item, so a partly exercised line shows as such.
        let branches: Vec<Record> = file
            .iter()
            .filter(|l| l.items.len() > 1)
            .flat_map(|l| {
                l.items
                    .iter()
                    .enumerate()
                    .map(|(i, (_, hits))| Record::BranchData {
                        line: saturating(l.line),
                        block: 0,
                        branch: saturating(i),
                        taken: (l.hits > 0).then_some(*hits as u64),
                    })
            })
            .collect();
        if !branches.is_empty() {
            let taken = branches
                .iter()
                .filter(|b| matches!(b, Record::BranchData { taken: Some(n), .. } if *n > 0))
                .count();
            let found = branches.len();
            records.extend(branches);
            records.push(Record::BranchesFound {
                found: saturating(found),
            });
            records.push(Record::BranchesHit {
                hit: saturating(taken),
            });
        }
        records.extend(file.iter().map(|l| Record::LineData {
            line: saturating(l.line),
            count: l.hits as u64,
            checksum: None,
        }));
        records.push(Record::LinesFound {
            found: saturating(file.len()),
        });
        records.push(Record::LinesHit {
            hit: saturating(file.iter().filter(|l| l.hits > 0).count()),
        });
        records.push(Record::EndOfRecord);
    }
    let text = records.iter().map(|r| format!("{r}\n")).collect();
    Lcov { text, skipped }
}

/// LCOV's counters are 32-bit; a count past them is shown as the largest.
fn saturating(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
