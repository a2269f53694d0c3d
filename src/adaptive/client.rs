//! The connection to a live Adaptive deployment (SPEC §9 "Connection"): a
//! blocking GraphQL client over HTTPS.
//!
//! In: the base URL (`--url` or `ADAPTIVE_URL`) and the API key (only
//! `ADAPTIVE_API_KEY`). Out: [`Connection::read`], the deployment's access
//! state as a [`State`](super::State), and [`Connection::execute`], which
//! sends [`Operation`](super::Operation)s as batched mutations.
//!
//! Every call is `POST {URL}/api/graphql` with `{"query", "operationName",
//! "variables"}` and `Authorization: Bearer KEY`, as the official Python SDK
//! (`adaptive-sdk` 0.14.2) sends it. Each failure is a [`ClientError`]: one
//! line that names the operation and never holds the key.

mod read;
mod write;

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;
use ureq::http::Uri;

pub use read::Live;
pub use write::{mutation_name, ApplyEvent, ApplyOutcome, FailedOperation, DEFAULT_BATCH_SIZE};

/// The path of the GraphQL endpoint under the deployment's base URL.
const GRAPHQL_PATH: &str = "/api/graphql";
/// How long one call may take, unless `ADAPTIVE_TIMEOUT` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// The most an answer may hold. A deployment of 100,000 users and 50,000
/// projects answers about 25 MB; this leaves room and still bounds memory.
const MAX_ANSWER_BYTES: u64 = 1 << 30;
/// Longest server message kept in an error line.
const MAX_MESSAGE_CHARS: usize = 300;

/// A deployment to talk to: its GraphQL endpoint, the API key and an HTTP
/// agent (rustls with the platform's trusted roots, proxies from the
/// environment, a timeout). Its `Debug` output never shows the key.
pub struct Connection {
    base: String,
    endpoint: String,
    key: ApiKey,
    timeout: Duration,
    /// The proxy that calls go through, if any, to name it when it fails.
    proxy: Option<ProxyInUse>,
    agent: ureq::Agent,
}

/// A proxy from the environment, as messages name it.
#[derive(Debug, Clone)]
struct ProxyInUse {
    /// The variable it came from (`HTTPS_PROXY`).
    var: &'static str,
    /// Its scheme, host and port: never the user name or password.
    shown: String,
}

/// The API key. Neither `Debug` nor anything else prints it.
struct ApiKey(String);

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("endpoint", &self.endpoint)
            .field("key", &self.key)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Why talking to the deployment failed. Each displays as one line that
/// names the operation; none holds the API key (server text is redacted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("no deployment URL: pass `--url URL` or set `ADAPTIVE_URL`")]
    NoUrl,
    #[error("`{url}` is not a deployment URL: {why}")]
    BadUrl { url: String, why: &'static str },
    #[error(
        "`ADAPTIVE_API_KEY` is not set: rolegraph reads the API key only from the environment"
    )]
    NoKey,
    #[error("`ADAPTIVE_API_KEY` cannot be sent in a header: {0}")]
    BadKey(&'static str),
    #[error("`ADAPTIVE_TIMEOUT` must be a whole number of seconds from 1 to 86400, not `{0}`")]
    BadTimeout(String),
    /// The request never reached the deployment (DNS, connection, TLS,
    /// proxy): nothing was carried out. `target` is what could not be
    /// reached: ``the deployment's `URL` `` or ``the proxy `URL` (from
    /// `HTTPS_PROXY`)``.
    #[error("{operation} failed: cannot reach {target}: {detail}")]
    Unreachable {
        operation: String,
        target: String,
        detail: String,
    },
    #[error("`{var}` is not a proxy URL: write it like `http://proxy.acme.com:3128`")]
    BadProxy { var: &'static str },
    /// The deployment refused the request as a whole (HTTP 4xx): nothing
    /// was carried out.
    #[error("{operation} failed: {detail}")]
    Refused { operation: String, detail: String },
    /// The request was sent but no complete answer came back (a timeout, a
    /// broken connection, HTTP 5xx): it may or may not have been carried out.
    #[error("{operation} failed: {detail}")]
    Lost { operation: String, detail: String },
    /// The answer is not the GraphQL JSON that was asked for (HTML, cut
    /// short, another shape).
    #[error("{operation} failed: {detail}")]
    BadAnswer { operation: String, detail: String },
    /// The deployment answered with a GraphQL `errors` array.
    #[error("{operation} failed: the deployment answered: {message}")]
    Graphql { operation: String, message: String },
    /// The answers, put together, are not a consistent state (an email
    /// twice, a membership naming an unknown role, …).
    #[error("{operation}: the deployment's answer is inconsistent: {detail}")]
    Inconsistent { operation: String, detail: String },
}

impl Connection {
    /// The deployment named by `url_flag` (`--url`), else `ADAPTIVE_URL`,
    /// with the key from `ADAPTIVE_API_KEY` and the timeout from
    /// `ADAPTIVE_TIMEOUT` (seconds; default [`DEFAULT_TIMEOUT`]).
    pub fn from_env(url_flag: Option<&str>) -> Result<Connection, ClientError> {
        let from_env = std::env::var("ADAPTIVE_URL").ok();
        let url = url_flag
            .or(from_env.as_deref())
            .filter(|u| !u.trim().is_empty())
            .ok_or(ClientError::NoUrl)?;
        let key = std::env::var("ADAPTIVE_API_KEY").map_err(|_| ClientError::NoKey)?;
        let timeout = match std::env::var("ADAPTIVE_TIMEOUT") {
            Ok(secs) => parse_timeout(&secs)?,
            Err(_) => DEFAULT_TIMEOUT,
        };
        Ok(Connection::new(url, &key)?.with_timeout(timeout))
    }

    /// A connection to the deployment at `url` (its base URL; a path prefix
    /// is kept) with `api_key`.
    pub fn new(url: &str, api_key: &str) -> Result<Connection, ClientError> {
        let base = check_url(url)?;
        let key = check_key(api_key)?;
        let endpoint = format!("{base}{GRAPHQL_PATH}");
        let proxy = env_proxy(&base)?;
        let (proxy, shown) = proxy.unzip();
        Ok(Connection {
            agent: agent(DEFAULT_TIMEOUT, proxy.clone()),
            base,
            endpoint,
            key,
            timeout: DEFAULT_TIMEOUT,
            proxy: shown,
        })
    }

    /// The same connection with another limit on each call.
    pub fn with_timeout(mut self, timeout: Duration) -> Connection {
        self.timeout = timeout;
        self.agent = agent(timeout, self.agent.config().proxy().cloned());
        self
    }

    /// The base URL, as messages name it.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// A warning when the key would cross the network unencrypted: plain
    /// `http://` to a host that is not this machine.
    pub fn insecure_warning(&self) -> Option<String> {
        let uri: Uri = self.base.parse().ok()?;
        if uri.scheme_str() != Some("http") || is_loopback(uri.host().unwrap_or_default()) {
            return None;
        }
        Some(format!(
            "`{}` is not encrypted: the API key crosses the network in clear; use `https://`",
            self.base
        ))
    }

    /// Sends one GraphQL document; the body of a 2xx answer that is not an
    /// HTML page, or why there is none. `operation` names the call in errors.
    fn call(
        &self,
        operation: &str,
        operation_name: &str,
        query: &str,
        variables: serde_json::Value,
    ) -> Result<Vec<u8>, ClientError> {
        let body = serde_json::json!({
            "query": query,
            "operationName": operation_name,
            "variables": variables,
        });
        let bytes = serde_json::to_vec(&body).map_err(|e| ClientError::BadAnswer {
            operation: operation.to_string(),
            detail: format!("cannot encode the request: {e}"),
        })?;
        let sent = self
            .agent
            .post(&self.endpoint)
            .header("Authorization", format!("Bearer {}", self.key.0))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .send(&bytes[..]);
        let mut response = sent.map_err(|e| self.transport_error(operation, e))?;
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let answer = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_vec();
        let answer = match answer {
            Ok(answer) => answer,
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                return Err(ClientError::BadAnswer {
                    operation: operation.to_string(),
                    detail: format!("the answer is larger than {} MiB", MAX_ANSWER_BYTES >> 20),
                })
            }
            Err(e) => {
                return Err(ClientError::Lost {
                    operation: operation.to_string(),
                    detail: format!("the answer was cut short ({})", self.clean(&e.to_string())),
                })
            }
        };
        if !status.is_success() {
            return Err(self.status_error(operation, status, location, &answer));
        }
        if content_type.contains("html") || answer.trim_ascii_start().starts_with(b"<") {
            return Err(ClientError::BadAnswer {
                operation: operation.to_string(),
                detail: format!(
                    "the answer is an HTML page, not GraphQL JSON: is `{}` the deployment's base URL?",
                    self.base
                ),
            });
        }
        Ok(answer)
    }

    /// An error status as one line: what it means for the user.
    fn status_error(
        &self,
        operation: &str,
        status: ureq::http::StatusCode,
        location: Option<String>,
        answer: &[u8],
    ) -> ClientError {
        let code = status.as_u16();
        let reason = status.canonical_reason().unwrap_or("");
        let said = graphql_message(answer)
            .map(|m| format!(": {}", self.clean(&m)))
            .unwrap_or_default();
        let operation = operation.to_string();
        let detail = match code {
            401 | 403 => format!(
                "the deployment refused the API key (HTTP {code} {reason}){said}: check `ADAPTIVE_API_KEY`"
            ),
            404 => format!(
                "the deployment answered HTTP 404 Not Found for `{}`: is `{}` the deployment's base URL?",
                self.endpoint, self.base
            ),
            300..=399 => format!(
                "the deployment answered a redirect (HTTP {code}) to `{}`: use that URL",
                self.clean(location.as_deref().unwrap_or("?"))
            ),
            _ => format!("the deployment answered HTTP {code} {reason}{said}"),
        };
        if (400..500).contains(&code) || (300..400).contains(&code) {
            ClientError::Refused { operation, detail }
        } else {
            ClientError::Lost { operation, detail }
        }
    }

    /// A transport failure as one line, sorted by whether the request can
    /// have reached the deployment.
    fn transport_error(&self, operation: &str, e: ureq::Error) -> ClientError {
        use ureq::Timeout;
        let operation = operation.to_string();
        let url = self.base.clone();
        let secs = self.timeout.as_secs();
        let deployment = format!("`{url}`");
        // Through a proxy, the only connection rolegraph opens is to the
        // proxy: failing to open it says nothing of the deployment.
        let first_hop = match &self.proxy {
            Some(p) => format!("the proxy `{}` (from `{}`)", p.shown, p.var),
            None => deployment.clone(),
        };
        let unreachable = |target: &String, detail: String| ClientError::Unreachable {
            operation: operation.clone(),
            target: target.clone(),
            detail,
        };
        match e {
            ureq::Error::HostNotFound => unreachable(&first_hop, "host not found".to_string()),
            ureq::Error::ConnectionFailed => {
                unreachable(&first_hop, "connection failed".to_string())
            }
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                unreachable(&first_hop, "connection refused".to_string())
            }
            // A failed TLS handshake comes as an I/O error around rustls's;
            // the request was not sent.
            ureq::Error::Io(io)
                if io
                    .get_ref()
                    .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()) =>
            {
                let why = io.get_ref().map(|i| i.to_string()).unwrap_or_default();
                unreachable(&deployment, format!("TLS: {}", self.clean(&why)))
            }
            ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect) => {
                unreachable(&first_hop, format!("no connection within {secs} s"))
            }
            ureq::Error::Tls(what) => unreachable(&deployment, format!("TLS: {what}")),
            ureq::Error::Rustls(tls) => unreachable(
                &deployment,
                format!("TLS: {}", self.clean(&tls.to_string())),
            ),
            ureq::Error::InvalidProxyUrl => unreachable(
                &first_hop,
                "the proxy URL in the environment is not valid".to_string(),
            ),
            ureq::Error::ConnectProxyFailed(why) => unreachable(
                &deployment,
                format!("{first_hop} refused: {}", self.clean(&why)),
            ),
            ureq::Error::Timeout(_) => ClientError::Lost {
                operation,
                detail: format!(
                    "no answer within {secs} s (set `ADAPTIVE_TIMEOUT` to wait longer)"
                ),
            },
            other => ClientError::Lost {
                operation,
                detail: format!(
                    "the exchange with `{url}` broke off: {}",
                    self.clean(&other.to_string())
                ),
            },
        }
    }

    /// Server or library text made safe for one error line: the key
    /// redacted, control characters turned to spaces, cut to a length.
    fn clean(&self, text: &str) -> String {
        // The key holds no whitespace or control character (`check_key`),
        // so turning those into single spaces below cannot make it appear.
        let redacted = redact(text, &self.key.0);
        let mut line: String = redacted
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if line.chars().count() > MAX_MESSAGE_CHARS {
            line = line.chars().take(MAX_MESSAGE_CHARS).collect::<String>() + "…";
        }
        line
    }
}

/// `text` with every occurrence of `key` replaced, whatever the key's
/// length: a garbled message is better than a printed key. The replacement
/// is `<redacted>`, unless that (with what surrounds it) would spell the key
/// again (a key like `e` or `d>`); then a run of a character the key does
/// not hold, which cannot be part of an occurrence. A key that holds every
/// such character withholds the whole text.
fn redact(text: &str, key: &str) -> String {
    if key.is_empty() || !text.contains(key) {
        return text.to_string();
    }
    let redacted = text.replace(key, "<redacted>");
    if !redacted.contains(key) {
        return redacted;
    }
    match ['*', '#', '?', '~', '=']
        .into_iter()
        .find(|c| !key.contains(*c))
    {
        Some(c) => text.replace(key, &c.to_string().repeat(3)),
        None => "(withheld: it held the API key)".to_string(),
    }
}

/// The proxy for the deployment at `base` from the environment, chosen as
/// curl chooses it: `https_proxy`/`HTTPS_PROXY` for an `https://` URL,
/// `http_proxy`/`HTTP_PROXY` for an `http://` one, else
/// `all_proxy`/`ALL_PROXY`; none when `NO_PROXY` names the host. (ureq's
/// own `Proxy::try_from_env` takes the first of `ALL_PROXY`, `HTTPS_PROXY`
/// and `HTTP_PROXY` whatever the URL's scheme; it is asked only for its
/// `NO_PROXY` matching.) A set variable that is not a proxy URL is an error,
/// not a silent direct connection.
fn env_proxy(base: &str) -> Result<Option<(ureq::Proxy, ProxyInUse)>, ClientError> {
    // `check_url` takes the scheme in any case (`HTTPS://`).
    let https = base
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"));
    let vars: [&'static str; 4] = if https {
        ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
    } else {
        ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
    };
    let Some((var, value)) = vars.into_iter().find_map(|var| {
        let value = std::env::var(var).ok()?;
        (!value.trim().is_empty()).then_some((var, value))
    }) else {
        return Ok(None);
    };
    let proxy = ureq::Proxy::new(value.trim()).map_err(|_| ClientError::BadProxy { var })?;
    let bypassed = base
        .parse::<Uri>()
        .is_ok_and(|uri| ureq::Proxy::try_from_env().is_some_and(|p| p.is_no_proxy(&uri)));
    if bypassed {
        return Ok(None);
    }
    let scheme = proxy.uri().scheme_str().unwrap_or("http");
    let shown = format!("{scheme}://{}:{}", proxy.host(), proxy.port());
    Ok(Some((proxy, ProxyInUse { var, shown })))
}

/// The HTTP agent: rustls with the platform's trusted roots, `proxy`,
/// `timeout` for each call.
fn agent(timeout: Duration, proxy: Option<ureq::Proxy>) -> ureq::Agent {
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::PlatformVerifier)
        .build();
    ureq::Agent::config_builder()
        .tls_config(tls)
        .proxy(proxy)
        .timeout_global(Some(timeout))
        // Error statuses are answers to read (a GraphQL error body, a
        // 401 to explain), not transport failures.
        .http_status_as_error(false)
        // A redirect is reported, never followed: a mutation must not be
        // sent twice, nor the key to another host.
        .max_redirects(0)
        .user_agent(concat!("rolegraph/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// The top level of a GraphQL answer. `data` stays raw until the caller
/// reads it as the type it asked for.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(default)]
    errors: Option<Vec<GraphqlError>>,
}

#[derive(Clone, Deserialize)]
struct GraphqlError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    path: Option<Vec<serde_json::Value>>,
}

impl Connection {
    /// Reads an answer as a GraphQL envelope; an answer that is not one
    /// (not JSON, cut short, neither `data` nor `errors`) is an error.
    fn envelope<'a>(&self, operation: &str, answer: &'a [u8]) -> Result<Envelope<'a>, ClientError> {
        let bad = |detail: String| ClientError::BadAnswer {
            operation: operation.to_string(),
            detail,
        };
        let envelope: Envelope = serde_json::from_slice(answer).map_err(|e| {
            if e.is_eof() {
                bad("the answer is cut short (its JSON ends early)".to_string())
            } else if e.is_syntax() {
                bad(format!(
                    "the answer is not JSON ({})",
                    self.clean(&e.to_string())
                ))
            } else {
                bad(format!(
                    "the answer is not a GraphQL response ({})",
                    self.clean(&e.to_string())
                ))
            }
        })?;
        if envelope.data.is_none() && envelope.errors.is_none() {
            return Err(bad(
                "the answer is not a GraphQL response (it has neither `data` nor `errors`)"
                    .to_string(),
            ));
        }
        Ok(envelope)
    }

    /// All of an `errors` array as one line.
    fn error_line(&self, errors: &[GraphqlError]) -> String {
        let first = errors
            .first()
            .map(|e| self.clean(&e.message))
            .unwrap_or_default();
        match errors.len() {
            0 | 1 => first,
            n => format!("{first} (and {} more errors)", n - 1),
        }
    }
}

/// The first `errors[].message` of a JSON answer, if it is one.
fn graphql_message(answer: &[u8]) -> Option<String> {
    let envelope: Envelope = serde_json::from_slice(answer).ok()?;
    envelope.errors?.into_iter().next().map(|e| e.message)
}

/// The base URL without a trailing `/`, if it is one rolegraph can call.
fn check_url(url: &str) -> Result<String, ClientError> {
    let url = url.trim();
    let bad = |why: &'static str| ClientError::BadUrl {
        url: without_userinfo(url),
        why,
    };
    let uri: Uri = url
        .parse()
        .map_err(|_| bad("write it like `https://adaptive.acme.com`"))?;
    match uri.scheme_str() {
        Some("https" | "http") => {}
        Some(_) => return Err(bad("it must start with `https://` (or `http://`)")),
        None => return Err(bad("write it like `https://adaptive.acme.com`")),
    }
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
    if authority.is_empty() || uri.host().is_none_or(str::is_empty) {
        return Err(bad("it names no host"));
    }
    if authority.contains('@') {
        return Err(bad(
            "it holds a user name or password: the key goes in `ADAPTIVE_API_KEY`",
        ));
    }
    if uri.query().is_some() || url.contains('#') {
        return Err(bad("it must not have a query or fragment"));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// `url` with any `user:password@` taken out, to name it in a message.
fn without_userinfo(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}<redacted>@{}", &url[..scheme_end + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

fn check_key(key: &str) -> Result<ApiKey, ClientError> {
    // A key read with `$(cat file)` keeps no newline, but one pasted into an
    // env file may carry spaces around it.
    let key = key.trim();
    if key.is_empty() {
        return Err(ClientError::NoKey);
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ClientError::BadKey(
            "it holds spaces, control or non-ASCII characters",
        ));
    }
    Ok(ApiKey(key.to_string()))
}

fn parse_timeout(secs: &str) -> Result<Duration, ClientError> {
    match secs.trim().parse::<u64>() {
        Ok(n @ 1..=86_400) => Ok(Duration::from_secs(n)),
        _ => Err(ClientError::BadTimeout(secs.to_string())),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_path_prefix_is_kept_and_a_trailing_slash_dropped() {
        let c = Connection::new("https://acme.com/adaptive/", "k-123456").unwrap();
        assert_eq!(c.endpoint, "https://acme.com/adaptive/api/graphql");
        assert_eq!(c.url(), "https://acme.com/adaptive");
    }

    #[test]
    fn urls_that_cannot_be_called_are_refused() {
        for url in [
            "acme.com",
            "ftp://acme.com",
            "https://",
            "https://acme.com/?a=b",
            "https://u:secret@acme.com",
        ] {
            let e = Connection::new(url, "k-123456").unwrap_err();
            assert!(matches!(e, ClientError::BadUrl { .. }), "{url}: {e}");
            assert!(!e.to_string().contains("secret"), "{e}");
        }
    }

    #[test]
    fn the_key_never_shows_in_debug_or_messages() {
        let c = Connection::new("http://10.0.0.1", "sk-very-secret").unwrap();
        assert!(!format!("{c:?}").contains("sk-very-secret"));
        assert!(!c
            .clean("invalid token sk-very-secret\nretry")
            .contains("sk-very-secret"));
        assert_eq!(c.clean("a\nb\t c"), "a b c");
        assert!(c.insecure_warning().is_some());
        let local = Connection::new("http://127.0.0.1:8080", "sk-very-secret").unwrap();
        assert!(local.insecure_warning().is_none());
    }

    #[test]
    fn keys_of_any_length_are_redacted() {
        for key in ["k", "k9", "k9z", "k9zq", "e", "d>", "<redacted>"] {
            let c = Connection::new("http://127.0.0.1:1", key).unwrap();
            let text = format!("bad key {key}; key={key}{key}\n<r");
            let line = c.clean(&text);
            assert!(!line.contains(key), "{key}: {line}");
        }
        let c = Connection::new("http://127.0.0.1:1", "k9z").unwrap();
        assert_eq!(c.clean("bad key k9z"), "bad key <redacted>");
        assert_eq!(redact("key d>x", "d>"), "key ***x");
        assert_eq!(
            redact("a *#?~= b", "*#?~="),
            "a <redacted> b",
            "no overlap: the placeholder is kept"
        );
        assert!(!redact("e", "e").contains('e'));
    }

    #[test]
    fn keys_that_cannot_be_a_header_are_refused() {
        assert_eq!(check_key("  ").unwrap_err(), ClientError::NoKey);
        assert!(matches!(check_key("a b"), Err(ClientError::BadKey(_))));
        assert!(matches!(check_key("ké"), Err(ClientError::BadKey(_))));
        assert_eq!(check_key(" abc \n").unwrap().0, "abc");
    }

    #[test]
    fn timeouts_are_whole_seconds() {
        assert_eq!(parse_timeout("5").unwrap(), Duration::from_secs(5));
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("1.5").is_err());
    }
}
