//! "did you mean `x`?": the closest declared name to an unknown one, within
//! bounds on both the answer and the work.
//!
//! In: a name as written and the declared names. Out: the closest one, if it
//! is close enough to be the name that was meant.
//!
//! Close enough: at most a third of the name's differing part (at least one
//! edit, ASCII case ignored; a transposition is one edit), fewer edits than
//! either side has characters (`x` never suggests a one-letter team), and
//! not a run of two or more characters all replaced (`ab-team` is not
//! `xy-team`).
//! The differing part leaves out a shared structural prefix or suffix: what
//! a shared `use_case:` or `use_case/` leads up to, what a shared `@acme.com`
//! follows. Without that, `use_case:fly` looked close to `use_case:read`.
//!
//! Bounded: a name or candidate longer than [`MAX_CHARS`] is never compared;
//! candidates whose length, or whose set of characters, differs by more than
//! the bound are skipped without computing a distance; and the distances
//! computed are capped per lookup ([`LOOKUP_CELLS`]) and per [`Suggester`]
//! ([`TOTAL_CELLS`]). Past a cap, the best answer so far stands, or none.
//! (5,000 misspelt team references took 52 s when every lookup computed the
//! full distance to every team.)

use std::cell::Cell;
use std::collections::HashMap;

/// Longer names get no suggestion: they are not typos of a key.
pub const MAX_CHARS: usize = 128;
/// The dynamic-programming cells one lookup may compute (about a millisecond).
pub const LOOKUP_CELLS: usize = 1 << 20;
/// The cells all lookups of one [`Suggester`] may compute (about a second).
pub const TOTAL_CELLS: usize = 1 << 27;

/// The most edits a suggestion may be from a differing part of `chars`
/// characters.
pub fn max_distance(chars: usize) -> usize {
    chars.max(3) / 3
}

/// A name prepared for comparison: lower-case (ASCII only) characters and
/// the set of characters as a 64-bit mask.
#[derive(Debug)]
struct Prepared {
    chars: Vec<char>,
    mask: u64,
}

impl Prepared {
    fn new(name: &str) -> Option<Prepared> {
        let mut chars = Vec::with_capacity(name.len());
        for c in name.chars() {
            if chars.len() == MAX_CHARS {
                return None;
            }
            chars.push(c.to_ascii_lowercase());
        }
        let mask = chars.iter().fold(0, |m, &c| m | bit(c));
        Some(Prepared { chars, mask })
    }
}

/// A character's bucket: one each for letters, digits and the punctuation
/// of keys; every other character shares the last. A shared bucket only
/// makes the bound below weaker, never wrong.
fn bit(c: char) -> u64 {
    let i = match c {
        'a'..='z' => c as u32 - 'a' as u32,
        '0'..='9' => 26 + c as u32 - '0' as u32,
        '_' => 36,
        '-' => 37,
        '.' => 38,
        ':' => 39,
        '/' => 40,
        '@' => 41,
        '+' => 42,
        _ => 63,
    };
    1u64 << i
}

fn is_separator(c: char) -> bool {
    matches!(c, ':' | '/' | '@')
}

/// Declared names indexed for many lookups: the resolver's unknown names.
/// It keeps its own copy of the names, so it can be kept beside the model
/// they come from.
#[derive(Debug, Default)]
pub struct Suggester {
    /// `by_len[n]`: the candidates of `n` characters.
    by_len: Vec<Vec<(Box<str>, Prepared)>>,
    /// Each candidate by its lower-case text: (length, index in `by_len`).
    exact: HashMap<Box<str>, Vec<(usize, usize)>>,
    /// Every character of the candidates (lower-case), for the names one
    /// edit away; `None` when there are too many to try each.
    alphabet: Option<Vec<char>>,
    cells: Cell<usize>,
}

/// More distinct characters than this and the one-edit neighbourhood is
/// not worth building.
const ALPHABET: usize = 64;

impl Suggester {
    pub fn new<S: AsRef<str>>(candidates: impl IntoIterator<Item = S>) -> Self {
        let mut s = Suggester::default();
        let mut alphabet = std::collections::BTreeSet::new();
        for name in candidates {
            let name = name.as_ref();
            if let Some(p) = Prepared::new(name) {
                let n = p.chars.len();
                if s.by_len.len() <= n {
                    s.by_len.resize_with(n + 1, Vec::new);
                }
                if alphabet.len() <= ALPHABET {
                    alphabet.extend(p.chars.iter().copied());
                }
                let lower: String = p.chars.iter().collect();
                s.exact
                    .entry(lower.into())
                    .or_default()
                    .push((n, s.by_len[n].len()));
                s.by_len[n].push((name.into(), p));
            }
        }
        s.alphabet = (alphabet.len() <= ALPHABET).then(|| alphabet.into_iter().collect());
        s
    }

    /// The closest candidate, if one is close enough. Most typos are one
    /// edit: the names one edit away are looked up first, and only when
    /// none is declared are candidates scanned.
    pub fn best(&self, name: &str) -> Option<&str> {
        let name = Prepared::new(name)?;
        let n = name.chars.len();
        let mut search = Search::new(&name, TOTAL_CELLS.saturating_sub(self.cells.get()));
        if let Some(alphabet) = &self.alphabet {
            for near in within_one_edit(&name.chars, alphabet) {
                for &(len, i) in self.exact.get(near.as_str()).into_iter().flatten() {
                    let (candidate, prepared) = &self.by_len[len][i];
                    search.consider(candidate, prepared);
                }
            }
            if search.best.is_some_and(|(d, _)| d <= 1) {
                self.cells.set(self.cells.get() + search.cells);
                return search.best.map(|(_, c)| c);
            }
        }
        let bound = max_distance(n);
        let lengths = n.saturating_sub(bound)..=n + bound;
        // Nearest lengths first, so a cap stops after the likeliest ones.
        let mut order: Vec<usize> = lengths.filter(|&l| l < self.by_len.len()).collect();
        order.sort_by_key(|&l| (l.abs_diff(n), l));
        'scan: for l in order {
            for (candidate, prepared) in &self.by_len[l] {
                if search.spent() {
                    break 'scan;
                }
                search.consider(candidate, prepared);
            }
        }
        self.cells.set(self.cells.get() + search.cells);
        search.best.map(|(_, c)| c)
    }
}

/// The name itself and every text one edit away from it over `alphabet`:
/// each deletion, adjacent transposition, substitution and insertion.
fn within_one_edit(name: &[char], alphabet: &[char]) -> Vec<String> {
    let text = |chars: &[char]| chars.iter().collect::<String>();
    let mut out = vec![text(name)];
    let mut buf: Vec<char> = Vec::with_capacity(name.len() + 1);
    for i in 0..name.len() {
        buf.clear();
        buf.extend_from_slice(name);
        buf.remove(i);
        out.push(text(&buf));
        if i + 1 < name.len() {
            buf.clear();
            buf.extend_from_slice(name);
            buf.swap(i, i + 1);
            out.push(text(&buf));
        }
        for &c in alphabet {
            if c != name[i] {
                buf.clear();
                buf.extend_from_slice(name);
                buf[i] = c;
                out.push(text(&buf));
            }
        }
    }
    for i in 0..=name.len() {
        for &c in alphabet {
            buf.clear();
            buf.extend_from_slice(name);
            buf.insert(i, c);
            out.push(text(&buf));
        }
    }
    out
}

/// The closest of `candidates` to `name`, if close enough: for one lookup.
/// Candidates too far apart in length or characters cost a pass over their
/// text and no allocation.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let name = Prepared::new(name)?;
    let n = name.chars.len();
    let bound = max_distance(n);
    let mut search = Search::new(&name, LOOKUP_CELLS);
    for candidate in candidates {
        if search.spent() {
            break;
        }
        if candidate.len() > 4 * (n + bound) {
            continue; // more characters than the bound allows, whatever they are
        }
        let (mut len, mut mask) = (0usize, 0u64);
        for c in candidate.chars() {
            len += 1;
            mask |= bit(c.to_ascii_lowercase());
        }
        let differ = (name.mask & !mask)
            .count_ones()
            .max((mask & !name.mask).count_ones());
        if len.abs_diff(n) > bound || differ as usize > bound {
            continue;
        }
        if let Some(prepared) = Prepared::new(candidate) {
            search.consider(candidate, &prepared);
        }
    }
    search.best.map(|(_, c)| c)
}

/// One lookup in progress.
struct Search<'n, 'a> {
    name: &'n Prepared,
    /// The closest so far: its distance and name.
    best: Option<(usize, &'a str)>,
    cells: usize,
    budget: usize,
    rows: [Vec<usize>; 3],
}

impl<'n, 'a> Search<'n, 'a> {
    fn new(name: &'n Prepared, total_left: usize) -> Self {
        Search {
            name,
            best: None,
            cells: 0,
            budget: LOOKUP_CELLS.min(total_left),
            rows: [Vec::new(), Vec::new(), Vec::new()],
        }
    }

    /// Whether this lookup has used up its work.
    fn spent(&self) -> bool {
        self.cells >= self.budget
    }

    fn consider(&mut self, candidate: &'a str, c: &Prepared) {
        let a = &self.name.chars;
        let b = &c.chars;
        // Lower bounds first: each character (bucket) one side has and the
        // other lacks needs an edit of its own, and so does each character
        // of difference in length. Once a candidate is found, only one as
        // close can win.
        let global = self
            .best
            .map_or(max_distance(a.len()), |(d, _)| d.min(max_distance(a.len())));
        let missing = (self.name.mask & !c.mask).count_ones() as usize;
        let extra = (c.mask & !self.name.mask).count_ones() as usize;
        if a.len().abs_diff(b.len()) > global || missing.max(extra) > global {
            return;
        }
        // The differing middle, and the part of it the bound is measured on.
        let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let room = a.len().min(b.len()) - prefix;
        let suffix = a
            .iter()
            .rev()
            .zip(b.iter().rev())
            .take(room)
            .take_while(|(x, y)| x == y)
            .count();
        let structural_prefix = a[..prefix]
            .iter()
            .rposition(|&c| is_separator(c))
            .map_or(0, |i| i + 1);
        let structural_suffix = a[a.len() - suffix..]
            .iter()
            .position(|&c| is_separator(c))
            .map_or(0, |i| suffix - i);
        let rest_a = a.len() - structural_prefix - structural_suffix;
        let rest_b = b.len() - structural_prefix - structural_suffix;
        let mut bound = max_distance(rest_a);
        if let Some((d, _)) = self.best {
            bound = bound.min(d); // only a closer (or as close) one can win
        }
        let (ma, mb) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
        if self.cells >= self.budget {
            return; // spent: nothing more is compared
        }
        let (d, cells) = bounded_osa(ma, mb, bound, &mut self.rows);
        self.cells += cells;
        let Some(d) = d else {
            return;
        };
        // No edit that replaces the whole name (`x` is no typo of `a`), and
        // no middle of two or more characters replaced character by
        // character (`ab-team` is no typo of `xy-team`).
        let replaced = ma.len().min(mb.len()) >= 2 && d == ma.len().max(mb.len());
        if d > 0 && (d >= rest_a || d >= rest_b || replaced) {
            return;
        }
        let better = match self.best {
            None => true,
            Some((best, name)) => (d, candidate) < (best, name),
        };
        if better {
            self.best = Some((d, candidate));
        }
    }
}

/// The optimal-string-alignment distance (Levenshtein plus adjacent
/// transpositions) of `a` and `b`, or `None` once it must exceed `bound`;
/// and the cells computed. Only the band of cells within `bound` of the
/// diagonal can hold a distance within it, so only those are computed.
fn bounded_osa(
    a: &[char],
    b: &[char],
    bound: usize,
    rows: &mut [Vec<usize>; 3],
) -> (Option<usize>, usize) {
    if a.len().abs_diff(b.len()) > bound {
        return (None, 0);
    }
    let far = bound + 1; // any distance past the bound
    let width = b.len() + 1;
    for row in rows.iter_mut() {
        row.clear();
        row.resize(width, far);
    }
    let [before, previous, current] = rows;
    for (j, cell) in previous.iter_mut().enumerate().take(bound + 1) {
        *cell = j;
    }
    let mut cells = 0;
    for i in 1..=a.len() {
        let lo = i.saturating_sub(bound).max(1);
        let hi = (i + bound).min(b.len());
        // The cell left of the band: the first column, or past the bound
        // (this buffer last held an older row's band).
        current[lo - 1] = if lo == 1 && i <= bound { i } else { far };
        let mut row_min = current[lo - 1];
        for j in lo..=hi {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d.min(far);
            row_min = row_min.min(d);
        }
        cells += hi + 1 - lo;
        if row_min > bound {
            return (None, cells);
        }
        std::mem::swap(before, previous);
        std::mem::swap(previous, current);
    }
    let d = previous[b.len()];
    ((d <= bound).then_some(d), cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suggest(name: &str, candidates: &[&'static str]) -> Option<&'static str> {
        let one = closest(name, candidates.iter().copied());
        let suggester = Suggester::new(candidates.iter().copied());
        assert_eq!(one, suggester.best(name), "{name}");
        one
    }

    #[test]
    fn typos_are_suggested() {
        assert_eq!(
            suggest("powr_user", &["power_user", "admin"]),
            Some("power_user")
        );
        assert_eq!(suggest("suport-bot", &["support-bot"]), Some("support-bot"));
        assert_eq!(suggest("sport-bot", &["support-bot"]), Some("support-bot"));
        assert_eq!(
            suggest("use_case:adpat", &["use_case:adapt"]),
            Some("use_case:adapt")
        );
        assert_eq!(suggest("Admin", &["admin"]), Some("admin"));
        assert_eq!(suggest("tem", &["team"]), Some("team"));
        assert_eq!(
            suggest("carol@acme.con", &["carol@acme.com", "carl@acme.com"]),
            Some("carol@acme.com")
        );
    }

    #[test]
    fn unrelated_names_are_not() {
        assert_eq!(suggest("nope", &["ranker"]), None);
        assert_eq!(suggest("use_case:fly", &["use_case:read"]), None);
        assert_eq!(suggest("use_case/nope", &["use_case/ranker"]), None);
        assert_eq!(suggest("x", &["a"]), None);
        assert_eq!(suggest("qa", &["a"]), None);
        assert_eq!(suggest("ab-team", &["xy-team"]), None);
    }

    #[test]
    fn unicode_case_is_not_folded_but_suggested() {
        // `K` U+212A is not `k`: one edit away, so the declared one is named.
        assert_eq!(suggest("\u{212a}en", &["ken"]), Some("ken"));
        assert_eq!(
            suggest("\u{212a}EN", &["ken", "\u{212a}en"]),
            Some("\u{212a}en")
        );
    }

    #[test]
    fn ties_go_to_the_alphabetically_first() {
        assert_eq!(suggest("tam", &["tom", "tim"]), Some("tim"));
    }

    #[test]
    fn the_distance_is_osa() {
        let d = |a: &str, b: &str, bound| {
            let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            bounded_osa(&a, &b, bound, &mut Default::default()).0
        };
        assert_eq!(d("ab", "ba", 10), Some(1));
        assert_eq!(d("kitten", "sitting", 10), Some(3));
        assert_eq!(d("kitten", "sitting", 3), Some(3));
        assert_eq!(d("kitten", "sitting", 2), None);
        assert_eq!(d("", "abc", 10), Some(3));
        assert_eq!(d("aaaaa", "bbbbb", 2), None);
        assert_eq!(d("abcdef", "badcfe", 3), Some(3));
        assert_eq!(d("team-00123", "taem-00123", 1), Some(1));
    }

    /// The banded distance agrees with the full one wherever it answers.
    #[test]
    fn the_band_gives_the_full_distance() {
        let words = [
            "", "a", "ab", "ba", "abc", "acb", "team-1", "taem-1", "mate-1", "kitten", "sitting",
            "xyz",
        ];
        for x in words {
            for y in words {
                let (a, b): (Vec<char>, Vec<char>) = (x.chars().collect(), y.chars().collect());
                let full = bounded_osa(&a, &b, 64, &mut Default::default())
                    .0
                    .unwrap_or(usize::MAX);
                for bound in 0..5 {
                    let banded = bounded_osa(&a, &b, bound, &mut Default::default()).0;
                    assert_eq!(banded, (full <= bound).then_some(full), "{x} {y} {bound}");
                }
            }
        }
    }

    #[test]
    fn the_one_edit_neighbourhood_finds_what_the_scan_finds() {
        let names = ["team-00123", "team-00132", "tema-00123", "ml-team", "admin"];
        let s = Suggester::new(names);
        for probe in [
            "taem-00123",
            "team-0123",
            "team-001234",
            "ml-tem",
            "amdin",
            "Admin",
        ] {
            assert_eq!(s.best(probe), closest(probe, names), "{probe}");
        }
    }

    #[test]
    fn long_names_and_spent_budgets_give_no_suggestion() {
        let long = "a".repeat(MAX_CHARS + 1);
        assert_eq!(closest(&long, [long.as_str()]), None);
        let s = Suggester::new(["team"]);
        s.cells.set(TOTAL_CELLS);
        assert_eq!(s.best("tema"), None);
    }
}
