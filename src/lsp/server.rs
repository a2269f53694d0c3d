//! The server loop: messages in, answers and diagnostics out.
//!
//! In: LSP messages from the editor (read and written on stdio by
//! [`transport`](super::transport)). Out: answers, and
//! `textDocument/publishDiagnostics` after every change of the workspace.
//! Every message that has arrived is handled before the workspace is
//! analysed again: a burst of keystrokes is analysed once, and a request is
//! answered from an analysis of the text it was asked about. A handler that
//! panics answers its request with an error and the server goes on.
//!
//! The handshake: before `initialize`, a request is answered -32002 (not
//! initialized) and a notification dropped; after the answer to
//! `initialize`, the loop runs (`initialized` is just a notification, and
//! whatever comes before it is handled as usual). The server ends on `exit`
//! or when stdin closes: [`Ended::AfterShutdown`] when `shutdown` came
//! first, else [`Ended::WithoutShutdown`] (exit code 1, as LSP asks).

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{self as notif, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, CompletionOptions,
    DidChangeTextDocumentParams, DidChangeWatchedFilesRegistrationOptions,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, DidSaveTextDocumentParams,
    FileSystemWatcher, GlobPattern, HoverProviderCapability, LogMessageParams, MessageType, OneOf,
    PositionEncodingKind, PublishDiagnosticsParams, Registration, RegistrationParams,
    RenameOptions, ServerCapabilities, ServerInfo, ShowMessageParams, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Uri,
    WorkDoneProgressOptions,
};
use serde_json::Value;

use super::analysis::{Analysis, AnalyzedFile, ParseCache};
use super::workspace::{EditError, Workspace};
use super::{actions, complete, hover, navigate, transport, uri};
use crate::Policy;

/// What a request handler sees: the current analysis, and the last policy
/// without errors (hover reads it while the policy has errors).
pub struct Ctx<'a> {
    pub analysis: &'a Analysis,
    pub workspace: &'a Workspace,
    pub last_good: Option<&'a Policy>,
    pub cache: &'a ParseCache,
    /// Hover answers plain text: the editor does not take Markdown.
    pub plain_hover: bool,
}

impl Ctx<'_> {
    pub fn file(&self, uri: &Uri) -> Option<&AnalyzedFile> {
        self.analysis.file(&self.workspace.key(uri))
    }

    /// The policy for explanations: the current one, else the last one
    /// without errors (`true` when it is that older one).
    pub fn policy(&self) -> Option<(&Policy, bool)> {
        match (&self.analysis.policy, self.last_good) {
            (Some(p), _) => Some((p, false)),
            (None, Some(p)) => Some((p, true)),
            (None, None) => None,
        }
    }
}

pub type Answer<T> = Result<T, lsp_server::ResponseError>;

/// An error answer.
pub fn failed(code: ErrorCode, message: impl Into<String>) -> lsp_server::ResponseError {
    lsp_server::ResponseError {
        code: code as i32,
        message: message.into(),
        data: None,
    }
}

/// The text of a panic's payload.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic".to_string()
    }
}

/// How the server ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// `exit` (or the end of stdin) after `shutdown`: exit code 0.
    AfterShutdown,
    /// `exit` or the end of stdin without `shutdown` (or before
    /// `initialize`): exit code 1.
    WithoutShutdown,
}

/// Runs the language server on stdio until the editor says `exit` or
/// closes the pipe. An `Err` is a broken input (a header that cannot be
/// read) or output.
pub fn run(policy: &Path) -> Result<Ended, String> {
    let (connection, io_threads) = transport::stdio()?;
    let ended = serve(connection, policy);
    // The connection is gone: the writer writes what is left, and ends.
    io_threads.join()?;
    ended
}

/// Runs the server on a connection: the handshake, then the loop.
pub fn serve(connection: Connection, policy: &Path) -> Result<Ended, String> {
    let Some((id, params)) = initialize_request(&connection) else {
        return Ok(Ended::WithoutShutdown);
    };
    let client = Client::read(&params);
    let result = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": ServerInfo {
            name: "rolegraph".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        },
    });
    let _ = connection.sender.send(Response::new_ok(id, result).into());
    let policy = workspace_policy(policy, &client.base);
    let mut server = Server::new(connection, &policy, &client.base);
    server.plain_hover = client.plain_hover;
    server.started(client.watch);
    server.main_loop()
}

/// Waits for `initialize`: requests before it are answered "not
/// initialized", notifications dropped; `None` on `exit` or the end of
/// stdin.
fn initialize_request(connection: &Connection) -> Option<(RequestId, Value)> {
    for message in &connection.receiver {
        match message {
            Message::Request(r) if r.method == req::Initialize::METHOD => {
                return Some((r.id, r.params));
            }
            Message::Request(r) => {
                let error = failed(
                    ErrorCode::ServerNotInitialized,
                    format!("`{}` before `initialize`", r.method),
                );
                let response = Response {
                    id: r.id,
                    response_result: Err(error),
                };
                let _ = connection.sender.send(response.into());
            }
            Message::Notification(n) if n.method == notif::Exit::METHOD => return None,
            Message::Notification(_) | Message::Response(_) => {}
        }
    }
    None
}

/// What the server takes from `initialize`'s parameters. Each field is read
/// on its own and falls back on its own: one field the server does not
/// know the shape of (a newer capability, an odd value) costs only itself.
#[derive(Debug, PartialEq)]
struct Client {
    /// The folder the editor opened: the first workspace folder, else the
    /// root URI, else the root path, else the current directory.
    base: PathBuf,
    /// It can watch `.policy` files for the server.
    watch: bool,
    /// Its hover takes plain text rather than Markdown: of the two, it
    /// lists `plaintext` first.
    plain_hover: bool,
}

impl Client {
    fn read(params: &Value) -> Client {
        let text = |pointer: &str| params.pointer(pointer).and_then(Value::as_str);
        let folders = params
            .get("workspaceFolders")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|f| f.get("uri")?.as_str());
        let base = folders
            .chain(text("/rootUri"))
            .filter_map(|u| u.parse::<Uri>().ok())
            .find_map(|u| uri::to_path(&u))
            .or_else(|| {
                text("/rootPath")
                    .filter(|p| Path::new(p).is_absolute())
                    .map(PathBuf::from)
            })
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_default();
        let watch = params
            .pointer("/capabilities/workspace/didChangeWatchedFiles/dynamicRegistration")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let hover_format = params
            .pointer("/capabilities/textDocument/hover/contentFormat")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .find(|k| *k == "markdown" || *k == "plaintext");
        Client {
            base,
            watch,
            plain_hover: hover_format == Some("plaintext"),
        }
    }
}

/// The policy of the editor's folder: `--policy` from that folder; when it
/// is the default `policies` and the folder has none, but holds `.policy`
/// files itself (the editor opened the policy directory), the folder.
fn workspace_policy(policy: &Path, base: &Path) -> PathBuf {
    let default = policy == Path::new("policies");
    let holds_policies = || {
        std::fs::read_dir(base).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "policy"))
        })
    };
    if default && !base.join(policy).exists() && holds_policies() {
        base.to_path_buf()
    } else {
        policy.to_path_buf()
    }
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["/".to_string(), ":".to_string()]),
            ..Default::default()
        }),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..Default::default()
        })),
        document_formatting_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        ..Default::default()
    }
}

struct Server {
    connection: Connection,
    workspace: Workspace,
    cache: ParseCache,
    analysis: Arc<Analysis>,
    last_good: Option<Arc<Policy>>,
    /// The workspace changed since the analysis.
    dirty: bool,
    /// What the editor was last sent, per URI: (version, diagnostics).
    published: HashMap<String, (Option<i32>, Vec<lsp_types::Diagnostic>)>,
    /// URIs to publish even when nothing changed (saved files).
    republish: Vec<String>,
    shutting_down: bool,
    plain_hover: bool,
    next_id: i32,
}

impl Server {
    fn new(connection: Connection, policy: &Path, base: &Path) -> Server {
        Server {
            connection,
            workspace: Workspace::new(policy, base),
            cache: ParseCache::default(),
            analysis: Arc::new(Analysis::default()),
            last_good: None,
            dirty: true,
            published: HashMap::new(),
            republish: Vec::new(),
            shutting_down: false,
            plain_hover: false,
            next_id: 0,
        }
    }

    /// After the handshake: say what is wrong with the policy's path, ask
    /// the editor to report changes of `.policy` files, publish.
    fn started(&mut self, watch: bool) {
        let policy = self.workspace.policy().display().to_string();
        self.log(MessageType::INFO, format!("policy `{policy}`"));
        if let Some(problem) = self.workspace.load_problem.clone() {
            let message =
                format!("rolegraph: {problem}; open `.policy` files are checked for syntax only");
            self.show(MessageType::WARNING, message);
        }
        if watch {
            let options = DidChangeWatchedFilesRegistrationOptions {
                watchers: vec![FileSystemWatcher {
                    glob_pattern: GlobPattern::String("**/*.policy".to_string()),
                    kind: None,
                }],
            };
            let params = RegistrationParams {
                registrations: vec![Registration {
                    id: "rolegraph-policy-files".to_string(),
                    method: notif::DidChangeWatchedFiles::METHOD.to_string(),
                    register_options: serde_json::to_value(options).ok(),
                }],
            };
            self.request::<req::RegisterCapability>(params);
        }
        self.refresh();
    }

    fn main_loop(&mut self) -> Result<Ended, String> {
        while let Ok(first) = self.connection.receiver.recv() {
            // Everything that has arrived, and whatever arrives while it is
            // handled: a burst of edits is analysed once.
            let mut next = Some(first);
            while let Some(message) = next
                .take()
                .or_else(|| self.connection.receiver.try_recv().ok())
            {
                match message {
                    Message::Request(request) => {
                        if self.dirty {
                            self.refresh();
                        }
                        self.answer(request);
                    }
                    Message::Notification(n) if n.method == notif::Exit::METHOD => {
                        return Ok(self.ended());
                    }
                    Message::Notification(n) => {
                        let method = n.method.clone();
                        if catch_unwind(AssertUnwindSafe(|| self.notified(n))).is_err() {
                            self.log(MessageType::ERROR, format!("handling `{method}` panicked"));
                        }
                    }
                    Message::Response(_) => {}
                }
            }
            if self.dirty {
                self.refresh();
            }
        }
        Ok(self.ended())
    }

    fn ended(&self) -> Ended {
        if self.shutting_down {
            Ended::AfterShutdown
        } else {
            Ended::WithoutShutdown
        }
    }

    fn notified(&mut self, n: Notification) {
        match n.method.as_str() {
            notif::DidOpenTextDocument::METHOD => {
                if let Some(p) = params::<DidOpenTextDocumentParams>(n.params) {
                    let doc = p.text_document;
                    self.workspace.open(doc.uri, doc.text, doc.version);
                    self.dirty = true;
                }
            }
            notif::DidChangeTextDocument::METHOD => {
                let Some(p) = params::<DidChangeTextDocumentParams>(n.params) else {
                    return;
                };
                let doc = p.text_document;
                match self
                    .workspace
                    .change(&doc.uri, doc.version, p.content_changes)
                {
                    Ok(()) => self.dirty = true,
                    Err(EditError::NotOpen) => self.log(
                        MessageType::WARNING,
                        format!(
                            "ignored a change of `{}`, which is not open",
                            doc.uri.as_str()
                        ),
                    ),
                    Err(EditError::Stale { have, got }) => self.log(
                        MessageType::WARNING,
                        format!(
                            "ignored version {got} of `{}`: version {have} is newer",
                            doc.uri.as_str()
                        ),
                    ),
                }
            }
            notif::DidCloseTextDocument::METHOD => {
                if let Some(p) = params::<DidCloseTextDocumentParams>(n.params) {
                    self.workspace.close(&p.text_document.uri);
                    self.dirty = true;
                }
            }
            notif::DidSaveTextDocument::METHOD => {
                if let Some(p) = params::<DidSaveTextDocumentParams>(n.params) {
                    let key = self.workspace.key(&p.text_document.uri);
                    self.workspace.reload_file(&key);
                    self.republish
                        .push(p.text_document.uri.as_str().to_string());
                    self.dirty = true;
                }
            }
            notif::DidChangeWatchedFiles::METHOD => {
                self.workspace.reload_disk();
                self.dirty = true;
            }
            _ => {}
        }
    }

    /// Analyses the workspace as it is now and publishes what changed.
    fn refresh(&mut self) {
        self.dirty = false;
        let snapshot = self.workspace.snapshot();
        let cache = &mut self.cache;
        match catch_unwind(AssertUnwindSafe(|| Analysis::run(snapshot, cache))) {
            Ok(analysis) => {
                let old_good = match &analysis.policy {
                    Some(policy) => self.last_good.replace(Arc::clone(policy)),
                    None => None,
                };
                let old = std::mem::replace(&mut self.analysis, Arc::new(analysis));
                self.publish();
                // A large org's model is millions of names: freeing it
                // takes a while, and the editor need not wait for it.
                std::thread::spawn(move || drop((old, old_good)));
            }
            Err(panic) => {
                // Keep the previous analysis; start the cache afresh.
                self.cache = ParseCache::default();
                let what = panic_message(&*panic);
                self.log(MessageType::ERROR, format!("analysis panicked: {what}"));
            }
        }
    }

    fn publish(&mut self) {
        let analysis = Arc::clone(&self.analysis);
        let mut seen = Vec::with_capacity(analysis.files.len());
        for (file, diagnostics) in analysis.files.iter().zip(&analysis.diagnostics) {
            let key = file.uri.as_str().to_string();
            let forced = self.republish.contains(&key);
            let now = (file.version, diagnostics.clone());
            seen.push(key.clone());
            if !forced && self.published.get(&key) == Some(&now) {
                continue;
            }
            self.publish_one(file.uri.clone(), diagnostics.clone(), file.version);
            self.published.insert(key, now);
        }
        // Files gone from the workspace (deleted, or a closed stand-alone
        // buffer) keep no diagnostics.
        let gone: Vec<String> = self
            .published
            .keys()
            .filter(|k| !seen.contains(k))
            .cloned()
            .collect();
        for key in gone {
            self.published.remove(&key);
            if let Ok(uri) = key.parse::<Uri>() {
                self.publish_one(uri, vec![], None);
            }
        }
        self.republish.clear();
    }

    fn publish_one(&self, uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        self.notify::<notif::PublishDiagnostics>(PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        });
    }

    fn answer(&mut self, request: Request) {
        let Request { id, method, params } = request;
        if self.shutting_down && method != req::Shutdown::METHOD {
            let error = failed(ErrorCode::InvalidRequest, "the server is shutting down");
            return self.respond(id, Err(error));
        }
        let ctx = Ctx {
            analysis: &self.analysis,
            workspace: &self.workspace,
            last_good: self.last_good.as_deref(),
            cache: &self.cache,
            plain_hover: self.plain_hover,
        };
        let result = match method.as_str() {
            req::Shutdown::METHOD => {
                self.shutting_down = true;
                Ok(Value::Null)
            }
            req::Initialize::METHOD => Err(failed(
                ErrorCode::InvalidRequest,
                "the server is already initialized",
            )),
            req::HoverRequest::METHOD => call::<req::HoverRequest>(&ctx, params, hover::hover),
            req::GotoDefinition::METHOD => {
                call::<req::GotoDefinition>(&ctx, params, navigate::definition)
            }
            req::References::METHOD => call::<req::References>(&ctx, params, navigate::references),
            req::DocumentSymbolRequest::METHOD => {
                call::<req::DocumentSymbolRequest>(&ctx, params, navigate::document_symbols)
            }
            req::WorkspaceSymbolRequest::METHOD => {
                call::<req::WorkspaceSymbolRequest>(&ctx, params, navigate::workspace_symbols)
            }
            req::Completion::METHOD => call::<req::Completion>(&ctx, params, complete::complete),
            req::CodeActionRequest::METHOD => {
                call::<req::CodeActionRequest>(&ctx, params, actions::code_actions)
            }
            req::Formatting::METHOD => call::<req::Formatting>(&ctx, params, actions::format),
            req::PrepareRenameRequest::METHOD => {
                call::<req::PrepareRenameRequest>(&ctx, params, navigate::prepare_rename)
            }
            req::Rename::METHOD => call::<req::Rename>(&ctx, params, navigate::rename),
            #[cfg(test)]
            "rolegraph/panic" => {
                call::<req::HoverRequest>(&ctx, params, |_, _| panic!("on purpose"))
            }
            _ => Err(failed(
                ErrorCode::MethodNotFound,
                format!("rolegraph lsp does not answer `{method}`"),
            )),
        };
        if let Err(e) = &result {
            if e.code == ErrorCode::InternalError as i32 {
                self.log(MessageType::ERROR, format!("`{method}`: {}", e.message));
            }
        }
        self.respond(id, result);
    }

    fn respond(&self, id: RequestId, result: Answer<Value>) {
        let response = Response {
            id,
            response_result: result,
        };
        let _ = self.connection.sender.send(response.into());
    }

    fn notify<N: notif::Notification>(&self, params: N::Params) {
        let _ = self
            .connection
            .sender
            .send(Notification::new(N::METHOD.to_string(), params).into());
    }

    fn request<R: req::Request>(&mut self, params: R::Params) {
        self.next_id += 1;
        let id = RequestId::from(format!("rolegraph-{}", self.next_id));
        let _ = self
            .connection
            .sender
            .send(Request::new(id, R::METHOD.to_string(), params).into());
    }

    /// A line in the editor's log (and on stderr).
    fn log(&self, typ: MessageType, message: String) {
        eprintln!("rolegraph lsp: {message}");
        self.notify::<notif::LogMessage>(LogMessageParams { typ, message });
    }

    /// A message the editor shows.
    fn show(&self, typ: MessageType, message: String) {
        eprintln!("rolegraph lsp: {message}");
        self.notify::<notif::ShowMessage>(ShowMessageParams { typ, message });
    }
}

fn params<P: serde::de::DeserializeOwned>(value: Value) -> Option<P> {
    serde_json::from_value(value).ok()
}

/// Runs a request's handler: its parameters read, a panic caught and
/// answered as an internal error.
fn call<R: req::Request>(
    ctx: &Ctx,
    params: Value,
    handler: impl FnOnce(&Ctx, R::Params) -> Answer<R::Result>,
) -> Answer<Value> {
    let params: R::Params = serde_json::from_value(params).map_err(|e| {
        failed(
            ErrorCode::InvalidParams,
            format!("bad parameters for `{}`: {e}", R::METHOD),
        )
    })?;
    let result = catch_unwind(AssertUnwindSafe(|| handler(ctx, params))).map_err(|panic| {
        failed(
            ErrorCode::InternalError,
            format!("internal error: {}", panic_message(&*panic)),
        )
    })??;
    serde_json::to_value(result).map_err(|e| failed(ErrorCode::InternalError, e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::time::Duration;

    use serde_json::json;

    use super::*;

    /// The answer to request `id`, skipping notifications.
    fn answer(client: &Connection, id: i32) -> Response {
        loop {
            match client
                .receiver
                .recv_timeout(Duration::from_secs(60))
                .unwrap()
            {
                Message::Response(r) if r.id == RequestId::from(id) => return r,
                _ => {}
            }
        }
    }

    #[test]
    fn a_panicking_handler_answers_an_error_and_the_server_goes_on() {
        let (server_side, client) = Connection::memory();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.policy"), "kind k\n").unwrap();
        let policy = dir.path().to_path_buf();
        let server = std::thread::spawn(move || serve(server_side, &policy));
        let send = |m: Message| client.sender.send(m).unwrap();
        send(Request::new(1.into(), "initialize".into(), json!({"capabilities": {}})).into());
        assert!(answer(&client, 1).response_result.is_ok());
        send(Notification::new("initialized".into(), json!({})).into());
        let uri = uri::from_path(&dir.path().canonicalize().unwrap().join("a.policy")).unwrap();
        let at = json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 6}});
        send(Request::new(2.into(), "rolegraph/panic".into(), at.clone()).into());
        let error = answer(&client, 2).response_result.unwrap_err();
        assert_eq!(error.code, ErrorCode::InternalError as i32);
        assert!(error.message.contains("on purpose"), "{}", error.message);
        send(Request::new(3.into(), "textDocument/hover".into(), at).into());
        let hover = answer(&client, 3).response_result.unwrap();
        assert!(hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("kind"));
        send(Request::new(4.into(), "shutdown".into(), Value::Null).into());
        assert!(answer(&client, 4).response_result.is_ok());
        send(Notification::new("exit".into(), Value::Null).into());
        assert_eq!(server.join().unwrap(), Ok(Ended::AfterShutdown));
    }
}
