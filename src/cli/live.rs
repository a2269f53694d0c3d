//! The live deployment, for the commands that talk to it (`pull`, `plan
//! --url`, `apply`): the connection from `--url` or `ADAPTIVE_URL` and
//! `ADAPTIVE_API_KEY`, and its state read. Every failure is one line on
//! standard error (exit 2) that never holds the key.

use super::output::{usage_error, warning, Exit};
use crate::adaptive::client::{ClientError, Connection, Live};

/// The deployment named by `url` (`--url`), else `ADAPTIVE_URL`. Warns when
/// the key would cross the network unencrypted. `no_url` is the message
/// when neither names one.
pub fn connect(url: Option<&str>, no_url: &str) -> Result<Connection, Exit> {
    let connection = Connection::from_env(url).map_err(|e| match e {
        ClientError::NoUrl => usage_error(no_url),
        e => usage_error(e),
    })?;
    if let Some(text) = connection.insecure_warning() {
        warning(text);
    }
    Ok(connection)
}

/// The deployment's state and whose key it is, read now.
pub fn read(connection: &Connection) -> Result<Live, Exit> {
    connection.read().map_err(usage_error)
}
