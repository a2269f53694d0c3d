//! Code actions and formatting.
//!
//! In: the analysis's diagnostics, and a document. Out: quick fixes (every
//! "did you mean `x`?" of a diagnostic replaces the name it is about; a
//! resource without an owner share gets "mark `T` as owner" for each of its
//! shares) and the document as the library's `fmt` writes it.

use std::collections::HashMap;

use lsp_server::ErrorCode;
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CodeActionResponse,
    DocumentFormattingParams, Range, TextEdit, WorkspaceEdit,
};

use super::analysis::AnalyzedFile;
use super::server::{failed, Answer, Ctx};
use crate::diagnostics::{Code, Diagnostic};
use crate::fmt::format_policy;
use crate::source::FileId;

pub fn code_actions(ctx: &Ctx, params: CodeActionParams) -> Answer<Option<CodeActionResponse>> {
    let key = ctx.workspace.key(&params.text_document.uri);
    let (Some(id), Some(file)) = (ctx.analysis.file_id(&key), ctx.analysis.file(&key)) else {
        return Ok(None);
    };
    let from = file.offset(params.range.start);
    let to = file.offset(params.range.end);
    let mut actions = Vec::new();
    for d in &ctx.analysis.problems {
        let Some(primary) = d.labels.first() else {
            continue;
        };
        let span = primary.span;
        let overlaps = span.start as usize <= to && from <= span.end as usize;
        if span.file != FileId(super::position::saturating_u32(id)) || !overlaps {
            continue;
        }
        let shown = ctx.analysis.to_lsp(d).map(|(_, diag)| vec![diag]);
        if let Some((start, end, replacement)) = did_you_mean(d, file.source()) {
            let edit = TextEdit::new(file.range(start, end), replacement.clone());
            actions.push(action(
                file,
                format!("change to `{replacement}`"),
                vec![edit],
                shown.clone(),
                true,
            ));
        }
        if d.code == Code::MissingOwner {
            let resource = file
                .index
                .iter()
                .flat_map(|i| &i.resources)
                .find(|r| r.key_start == span.start);
            for (team, _, end) in resource.iter().flat_map(|r| &r.shares) {
                let at = file.range(*end as usize, *end as usize);
                let edit = TextEdit::new(at, " owner".to_string());
                let title = format!("mark `{team}` as owner");
                actions.push(action(file, title, vec![edit], shown.clone(), false));
            }
        }
    }
    Ok(Some(actions))
}

#[expect(
    clippy::mutable_key_type,
    reason = "lsp-types' `Uri` hashes its text, which never changes"
)]
fn action(
    file: &AnalyzedFile,
    title: String,
    edits: Vec<TextEdit>,
    diagnostics: Option<Vec<lsp_types::Diagnostic>>,
    preferred: bool,
) -> CodeActionOrCommand {
    let changes = HashMap::from([(file.uri.clone(), edits)]);
    CodeActionOrCommand::CodeAction(CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics,
        edit: Some(WorkspaceEdit::new(changes)),
        is_preferred: Some(preferred),
        ..Default::default()
    })
}

/// The suggestion of a "did you mean `x`?" help.
fn suggestion(help: &str) -> Option<&str> {
    const CUE: &str = "did you mean `";
    let rest = &help[help.find(CUE)? + CUE.len()..];
    Some(&rest[..rest.find('`')?])
}

/// The first name in backticks in a message: the unknown name.
fn first_quoted(message: &str) -> Option<&str> {
    let rest = &message[message.find('`')? + 1..];
    Some(&rest[..rest.find('`')?])
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | ':' | '/' | '*' | '@')
}

/// The edit a did-you-mean help asks for: (start, end, replacement), in the
/// file's span offsets. The diagnostic's span covers the name as written (a
/// syntax error's runs on to the next space, so only its leading name is
/// replaced); when it covers a whole scope (`team/ml-tem`) and the
/// suggestion is one part of it (`ml-team`), only that part is.
pub fn did_you_mean(d: &Diagnostic, source: &str) -> Option<(usize, usize, String)> {
    let x = suggestion(d.help.as_deref()?)?;
    let span = d.labels.first()?.span;
    let start = span.start as usize;
    let written = source.get(start..span.end as usize)?;
    let len = written
        .char_indices()
        .find(|&(_, c)| !is_name_char(c))
        .map_or(written.len(), |(i, _)| i);
    let word = &written[..len];
    if word.is_empty() || word == x {
        return None;
    }
    if x.contains('/') || !word.contains('/') {
        return Some((start, start + len, x.to_string()));
    }
    let unknown = first_quoted(&d.message)?;
    let (kind, key) = word.split_once('/')?;
    if key == unknown {
        Some((start + kind.len() + 1, start + len, x.to_string()))
    } else if kind == unknown {
        Some((start, start + kind.len(), x.to_string()))
    } else {
        None
    }
}

pub fn format(ctx: &Ctx, params: DocumentFormattingParams) -> Answer<Option<Vec<TextEdit>>> {
    let Some(file) = ctx.file(&params.text_document.uri) else {
        return Ok(None);
    };
    let formatted = format_policy(FileId(0), &file.text).map_err(|d| {
        failed(
            ErrorCode::RequestFailed,
            format!(
                "`{}` does not parse, so it is not formatted: {}",
                file.name, d.message
            ),
        )
    })?;
    Ok(Some(minimal_edit(file, &formatted).into_iter().collect()))
}

/// One edit that turns the document into `new`: the part between their
/// common start and common end (the cursor stays where nothing changed).
fn minimal_edit(file: &AnalyzedFile, new: &str) -> Option<TextEdit> {
    let old: &str = &file.text;
    if old == new {
        return None;
    }
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = (old.len() - prefix).min(new.len() - prefix);
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    // An end between `\r` and `\n` has no LSP position (it would be the
    // end of the line, before the `\r`, and leave that `\r` behind): take
    // the whole line break into the edit.
    let inside_crlf = |at: usize| {
        at > 0 && old.as_bytes()[at - 1] == b'\r' && old.as_bytes().get(at) == Some(&b'\n')
    };
    if inside_crlf(prefix) {
        prefix -= 1;
    }
    if inside_crlf(old.len() - suffix) {
        suffix -= 1;
    }
    let lines = file.lines();
    let range = Range::new(
        lines.position(old, prefix),
        lines.position(old, old.len() - suffix),
    );
    Some(TextEdit::new(
        range,
        new[prefix..new.len() - suffix].to_string(),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::source::Span;

    fn fix(message: &str, help: &str, source: &str, written: &str) -> Option<String> {
        let start = source.find(written).unwrap();
        let span = Span::new(FileId(0), start, start + written.len());
        let d = Diagnostic::new(Code::UnknownTeam, message, span, "").with_help(help);
        let (s, e, x) = did_you_mean(&d, source)?;
        let mut out = source.to_string();
        out.replace_range(s..e, &x);
        Some(out)
    }

    #[test]
    fn replaces_the_part_the_suggestion_is_for() {
        let src = "allow a@x.io p:q on team/ml-tem";
        let fixed = fix(
            "unknown team `ml-tem`",
            "did you mean `ml-team`?",
            src,
            "team/ml-tem",
        );
        assert_eq!(fixed.unwrap(), "allow a@x.io p:q on team/ml-team");
        let src = "allow a@x.io p:q on use_cse/bot";
        let fixed = fix(
            "unknown resource kind `use_cse`",
            "did you mean `use_case`?",
            src,
            "use_cse/bot",
        );
        assert_eq!(fixed.unwrap(), "allow a@x.io p:q on use_case/bot");
        let src = "on use_case/suport-bot";
        let fixed = fix(
            "unknown use_case `suport-bot`",
            "did you mean `use_case/support-bot`?",
            src,
            "use_case/suport-bot",
        );
        assert_eq!(fixed.unwrap(), "on use_case/support-bot");
        let src = "role r { grnat x:y }";
        let fixed = fix(
            "expected …, found `grnat`",
            "did you mean `grant`?",
            src,
            "grnat x:y }",
        );
        assert_eq!(fixed.unwrap(), "role r { grant x:y }");
        assert!(fix("unknown team `x`", "declare it with `team x`", "x", "x").is_none());
    }
}
