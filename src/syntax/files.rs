//! Every file of a policy parsed, on every core when it pays.
//!
//! In: the policy's [`Sources`]. Out: one parsed file or syntax error per
//! file, in file order.

use super::ast;
use crate::diagnostics::Diagnostic;
use crate::source::Sources;

/// Parses every file, in file order. Large policies are split into many
/// files, and parsing is most of the time spent checking them, so files are
/// parsed on every core; small policies stay on this thread.
pub fn parse_files(sources: &Sources) -> Vec<Result<ast::File, Diagnostic>> {
    let parse = |(id, file): (crate::source::FileId, &crate::source::SourceFile)| {
        super::parse_file(id, &file.text)
    };
    let bytes: usize = sources.files.iter().map(|f| f.text.len()).sum();
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(sources.files.len());
    if threads < 2 || bytes < (1 << 20) {
        return sources.iter().map(parse).collect();
    }
    let files: Vec<_> = sources.iter().collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, Result<ast::File, Diagnostic>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&file) = files.get(i) else {
                            return out;
                        };
                        out.push((i, parse(file)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, parsed)| parsed).collect()
}
