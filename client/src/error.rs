//! What can go wrong talking to the server, and what the server said.

use crate::journal::{LoggedRequest, Times};

fn in_scope(scope: Option<&str>) -> String {
    scope
        .map(|s| format!(" in scope {s:?}"))
        .unwrap_or_default()
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

fn eviction(evicted: Option<u64>) -> String {
    match evicted {
        Some(n) => format!(
            " (the journal has evicted {n} entries that could count since it was last reset; counts may be short)"
        ),
        None => String::new(),
    }
}

/// The result of every call of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error of this crate. The messages say what was asked and, when the
/// server answered, its status and body.
///
/// ```
/// use fake_servicer_client::Error;
///
/// fn explain(e: &Error) -> String {
///     match e.status() {
///         Some(status) => format!("the server answered {status}: {}", e.body().unwrap_or("")),
///         None => e.to_string(),
///     }
/// }
/// # let _ = explain;
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with a status the call does not expect (a 422
    /// for a mapping it refused, a 401 without the admin token, a 400 for a
    /// malformed override, …).
    #[error("{method} {url} answered {status}: {body}")]
    Server {
        /// The method of the call.
        method: String,
        /// The URL called.
        url: String,
        /// The status the server answered.
        status: u16,
        /// The body it answered, as text (lossy UTF-8).
        body: String,
    },
    /// No answer: the connection failed or timed out.
    #[error("{method} {url}: {source}")]
    Transport {
        /// The method of the call.
        method: String,
        /// The URL called.
        url: String,
        /// What failed.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered the expected status with a body this crate could
    /// not read.
    #[error("{method} {url}: unexpected answer ({message}): {body}")]
    Decode {
        /// The method of the call.
        method: String,
        /// The URL called.
        url: String,
        /// Why it could not be read.
        message: String,
        /// The body, as text (lossy UTF-8).
        body: String,
    },
    /// A [`verify`](crate::Client::verify) found another number of requests.
    #[error(
        "expected {expected} matching {pattern}{}, found {actual}; the last requests received{}: {}{}",
        in_scope(scope.as_deref()),
        in_scope(scope.as_deref()),
        list_or_none(recent),
        eviction(*evicted)
    )]
    Verification {
        /// How many were expected.
        expected: Times,
        /// How many the journal holds.
        actual: u64,
        /// The request pattern, as JSON.
        pattern: String,
        /// The scope the verification counted in, if any.
        scope: Option<String>,
        /// The newest requests of the journal (`METHOD url -> status`), to
        /// see what arrived instead.
        recent: Vec<String>,
        /// How many journal entries that could have counted the journal
        /// dropped since it was last reset (its `--journal-size` or byte
        /// budget): when set, `actual` may be short.
        evicted: Option<u64>,
    },
    /// A [`wait`](crate::Client::wait) timed out before enough matching
    /// requests arrived (the server's 408).
    #[error(
        "waiting for {wanted} matching {pattern}{}: {} of {wanted} arrived before the timeout; the closest requests received: {}{}",
        in_scope(scope.as_deref()),
        arrived.len(),
        list_or_none(near_misses),
        eviction(*evicted)
    )]
    WaitTimedOut {
        /// How many were wanted.
        wanted: u64,
        /// The matching requests that did arrive, oldest first.
        arrived: Vec<LoggedRequest>,
        /// The request pattern, as JSON.
        pattern: String,
        /// The scope the wait counted in, if any.
        scope: Option<String>,
        /// The requests closest to the pattern (`METHOD url (distance d)`,
        /// closest first), to see what arrived instead.
        near_misses: Vec<String>,
        /// As for [`Error::Verification`]: entries the journal dropped.
        evicted: Option<u64>,
    },
    /// Something given to a builder cannot be sent (a value that is not
    /// JSON-serialisable, a next-request body with a line break, …).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The container could not be started or reached.
    #[cfg(feature = "testcontainers")]
    #[error("container: {0}")]
    Container(String),
}

impl Error {
    /// The status the server answered, for [`Error::Server`].
    ///
    /// ```
    /// # use fake_servicer_client::Error;
    /// let e = Error::Invalid("x".into());
    /// assert_eq!(e.status(), None);
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Server { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The body the server answered, for [`Error::Server`] and
    /// [`Error::Decode`].
    ///
    /// ```
    /// # use fake_servicer_client::Error;
    /// let e = Error::Invalid("x".into());
    /// assert_eq!(e.body(), None);
    /// ```
    pub fn body(&self) -> Option<&str> {
        match self {
            Error::Server { body, .. } | Error::Decode { body, .. } => Some(body),
            _ => None,
        }
    }
}
