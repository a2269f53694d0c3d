//! Go to definition, find references, the outline, workspace symbols and
//! rename, across the policy's files.
//!
//! In: a position and the files' indexes ([`FileIndex`]). Out: locations,
//! symbols, or a workspace edit. Names are matched as the resolver matches
//! them: a role by its key or any alias, a user by email with ASCII case
//! folding, a resource by kind and key.

use std::collections::HashMap;

use compact_str::CompactString;
use lsp_server::ErrorCode;
use lsp_types::{
    DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse, GotoDefinitionParams,
    GotoDefinitionResponse, Location, PrepareRenameResponse, ReferenceParams, RenameParams,
    SymbolInformation, SymbolKind, TextDocumentPositionParams, TextEdit, Uri, WorkspaceEdit,
    WorkspaceSymbolParams, WorkspaceSymbolResponse,
};

use super::analysis::AnalyzedFile;
use super::index::{FileIndex, ItemKind, Occurrence, OutlineItem, Symbol, Usage};
use super::server::{failed, Answer, Ctx};
use crate::syntax::is_key;

/// Workspace symbols returned at most: a large org has a million names.
const MAX_SYMBOLS: usize = 1000;

/// The policy's files that parse, with their indexes.
fn indexed<'a>(ctx: &'a Ctx) -> impl Iterator<Item = (&'a AnalyzedFile, &'a FileIndex)> {
    ctx.analysis
        .policy_files()
        .filter_map(|(_, f)| f.index.as_deref().map(|i| (f, i)))
}

/// The name at a position, in a file of the policy.
fn symbol_at<'a>(
    ctx: &'a Ctx,
    at: &TextDocumentPositionParams,
) -> Option<(&'a AnalyzedFile, &'a Occurrence)> {
    let file = ctx.file(&at.text_document.uri)?;
    if !file.in_policy {
        return None;
    }
    let offset = file.offset(at.position);
    Some((file, file.index.as_ref()?.at(offset)?))
}

/// Alias -> role key, over every file.
fn aliases<'a>(ctx: &'a Ctx) -> HashMap<&'a str, &'a str> {
    let mut map = HashMap::new();
    for (_, index) in indexed(ctx) {
        for o in &index.occurrences {
            if let (Symbol::Role(name), Usage::Alias { of }) = (&o.symbol, &o.usage) {
                map.insert(name.as_str(), of.as_str());
            }
        }
    }
    map
}

/// Whether two names stand for the same thing (a role and its aliases are
/// one role).
fn same(a: &Symbol, b: &Symbol, aliases: &HashMap<&str, &str>) -> bool {
    match (a, b) {
        (Symbol::Role(x), Symbol::Role(y)) => {
            let key = |n: &CompactString| {
                aliases
                    .get(n.as_str())
                    .copied()
                    .unwrap_or(n.as_str())
                    .to_string()
            };
            key(x) == key(y)
        }
        _ => a == b,
    }
}

pub fn definition(
    ctx: &Ctx,
    params: GotoDefinitionParams,
) -> Answer<Option<GotoDefinitionResponse>> {
    let Some((_, occurrence)) = symbol_at(ctx, &params.text_document_position_params) else {
        return Ok(None);
    };
    let locations = definitions(ctx, &occurrence.symbol);
    Ok(match locations.len() {
        0 => None,
        1 => locations
            .into_iter()
            .next()
            .map(GotoDefinitionResponse::Scalar),
        _ => Some(GotoDefinitionResponse::Array(locations)),
    })
}

/// Where a name is defined: a role key or alias, the `user` item (else the
/// first `member` line or `admins` entry), every permission a wildcard
/// matches.
fn definitions(ctx: &Ctx, symbol: &Symbol) -> Vec<Location> {
    let mut found = Vec::new();
    let mut members = Vec::new();
    for (file, index) in indexed(ctx) {
        for o in &index.occurrences {
            let here = || file.location(o.start as usize, o.end as usize);
            let defines = match (&o.usage, symbol, &o.symbol) {
                (Usage::Reference, _, _) => false,
                (Usage::Member, Symbol::User(_), _) => {
                    if o.symbol == *symbol {
                        members.push(here());
                    }
                    false
                }
                (Usage::Member, _, _) => false,
                (_, Symbol::Pattern(pattern), Symbol::Permission(name)) => {
                    pattern == "*"
                        || pattern
                            .strip_suffix(":*")
                            .is_some_and(|p| name.split_once(':').is_some_and(|(pre, _)| pre == p))
                }
                (_, _, other) => other == symbol,
            };
            if defines {
                found.push(here());
            }
        }
    }
    if found.is_empty() {
        found.extend(members.into_iter().take(1));
    }
    found
}

pub fn references(ctx: &Ctx, params: ReferenceParams) -> Answer<Option<Vec<Location>>> {
    let Some((_, occurrence)) = symbol_at(ctx, &params.text_document_position) else {
        return Ok(None);
    };
    let aliases = aliases(ctx);
    let with_declaration = params.context.include_declaration;
    let mut out = Vec::new();
    for (file, index) in indexed(ctx) {
        for o in &index.occurrences {
            let declares = matches!(o.usage, Usage::Declaration | Usage::Alias { .. });
            if same(&o.symbol, &occurrence.symbol, &aliases) && (with_declaration || !declares) {
                out.push(file.location(o.start as usize, o.end as usize));
            }
        }
    }
    Ok(Some(out))
}

fn symbol_kind(kind: ItemKind) -> SymbolKind {
    match kind {
        ItemKind::Auth => SymbolKind::NAMESPACE,
        ItemKind::Kind => SymbolKind::CLASS,
        ItemKind::Permission => SymbolKind::KEY,
        ItemKind::Role => SymbolKind::INTERFACE,
        ItemKind::User => SymbolKind::OBJECT,
        ItemKind::Team => SymbolKind::MODULE,
        ItemKind::Resource => SymbolKind::STRUCT,
        ItemKind::Test => SymbolKind::METHOD,
        ItemKind::Invariant => SymbolKind::EVENT,
    }
}

pub fn document_symbols(
    ctx: &Ctx,
    params: DocumentSymbolParams,
) -> Answer<Option<DocumentSymbolResponse>> {
    let Some(file) = ctx.file(&params.text_document.uri) else {
        return Ok(None);
    };
    let Some(index) = &file.index else {
        return Ok(None);
    };
    let symbols = index
        .outline
        .iter()
        .map(|item| document_symbol(file, item))
        .collect();
    Ok(Some(DocumentSymbolResponse::Nested(symbols)))
}

#[expect(deprecated, reason = "`deprecated` is a required field of the type")]
fn document_symbol(file: &AnalyzedFile, item: &OutlineItem) -> DocumentSymbol {
    DocumentSymbol {
        name: item.name.clone(),
        detail: item.detail.clone(),
        kind: symbol_kind(item.kind),
        tags: None,
        deprecated: None,
        range: file.range(item.start as usize, item.end as usize),
        selection_range: file.range(item.name_start as usize, item.name_end as usize),
        children: None,
    }
}

pub fn workspace_symbols(
    ctx: &Ctx,
    params: WorkspaceSymbolParams,
) -> Answer<Option<WorkspaceSymbolResponse>> {
    let query = params.query.to_lowercase();
    let mut out = Vec::new();
    'files: for (file, index) in indexed(ctx) {
        for item in &index.outline {
            if !item.name.to_lowercase().contains(&query) {
                continue;
            }
            if out.len() == MAX_SYMBOLS {
                break 'files;
            }
            #[expect(deprecated, reason = "`deprecated` is a required field of the type")]
            out.push(SymbolInformation {
                name: item.name.clone(),
                kind: symbol_kind(item.kind),
                tags: None,
                deprecated: None,
                location: file.location(item.name_start as usize, item.name_end as usize),
                container_name: Some(file.name.clone()),
            });
        }
    }
    Ok(Some(WorkspaceSymbolResponse::Flat(out)))
}

/// Only keys rename: roles, teams and resources.
fn renamable(symbol: &Symbol) -> bool {
    matches!(
        symbol,
        Symbol::Role(_) | Symbol::Team(_) | Symbol::Resource { .. }
    )
}

pub fn prepare_rename(
    ctx: &Ctx,
    params: TextDocumentPositionParams,
) -> Answer<Option<PrepareRenameResponse>> {
    let Some((file, o)) = symbol_at(ctx, &params) else {
        return Ok(None);
    };
    if !renamable(&o.symbol) {
        return Err(failed(
            ErrorCode::RequestFailed,
            format!(
                "a {} cannot be renamed: only roles, teams and resources can",
                o.symbol.what()
            ),
        ));
    }
    Ok(Some(PrepareRenameResponse::RangeWithPlaceholder {
        range: file.range(o.start as usize, o.end as usize),
        placeholder: o.symbol.name().to_string(),
    }))
}

#[expect(
    clippy::mutable_key_type,
    reason = "lsp-types' `Uri` hashes its text, which never changes"
)]
pub fn rename(ctx: &Ctx, params: RenameParams) -> Answer<Option<WorkspaceEdit>> {
    let Some((_, o)) = symbol_at(ctx, &params.text_document_position) else {
        return Ok(None);
    };
    let refuse = |message: String| Err(failed(ErrorCode::RequestFailed, message));
    let old = &o.symbol;
    let new_name = params.new_name.trim();
    if !renamable(old) {
        return refuse(format!(
            "a {} cannot be renamed: only roles, teams and resources can",
            old.what()
        ));
    }
    if !is_key(new_name) {
        return refuse(format!(
            "`{new_name}` is not a key: a key starts with a letter or `_` and holds letters, digits, `_`, `.` and `-`"
        ));
    }
    if let Some((_, file)) = ctx.analysis.policy_files().find(|(_, f)| f.index.is_none()) {
        return refuse(format!(
            "`{}` does not parse: fix it before renaming",
            file.name
        ));
    }
    let new = match old {
        Symbol::Role(_) => Symbol::Role(new_name.into()),
        Symbol::Team(_) => Symbol::Team(new_name.into()),
        Symbol::Resource { kind, .. } => Symbol::Resource {
            kind: kind.clone(),
            key: new_name.into(),
        },
        _ => return Ok(None),
    };
    let indexes: Vec<(&AnalyzedFile, &FileIndex)> = indexed(ctx).collect();
    let declared = |s: &Symbol| {
        indexes.iter().any(|(_, i)| {
            i.occurrences.iter().any(|o| {
                o.symbol == *s && matches!(o.usage, Usage::Declaration | Usage::Alias { .. })
            })
        })
    };
    if new != *old && declared(&new) {
        return refuse(format!("a {} `{new_name}` is already declared", old.what()));
    }
    let sets_admin_team = indexes.iter().any(|(_, i)| i.sets_admin_team);
    let lists_admins = indexes.iter().any(|(_, i)| i.lists_admins);
    match old {
        Symbol::Team(key) if key == "admin" && !sets_admin_team => {
            return refuse(
                "team `admin` is the admin team because `auth` sets no `admin_team`: add `admin_team admin` to `auth` first, then rename".to_string(),
            );
        }
        Symbol::Role(key) if key == "admin" && lists_admins => {
            return refuse(
                "`admins` in `auth` are given the role `admin`: it keeps that name while `auth` lists admins".to_string(),
            );
        }
        _ => {}
    }
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for (file, index) in &indexes {
        let edits: Vec<TextEdit> = index
            .occurrences
            .iter()
            .filter(|o| o.symbol == *old)
            .map(|o| {
                TextEdit::new(
                    file.range(o.start as usize, o.end as usize),
                    new_name.to_string(),
                )
            })
            .collect();
        if !edits.is_empty() {
            changes.insert(file.uri.clone(), edits);
        }
    }
    Ok(Some(WorkspaceEdit::new(changes)))
}
