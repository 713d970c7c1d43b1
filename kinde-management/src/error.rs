//! One error type for every operation: what Kinde answered (status, its error body
//! parsed, `Retry-After`), or why no answer came.

use std::time::Duration;

use progenitor_client::Error;

use crate::types;

/// An operation's error, from the generated methods' `progenitor_client::Error` with
/// `?` or `From`:
///
/// ```no_run
/// use kinde_management::{Client, ManagementError};
///
/// async fn user_exists(client: &Client, id: &str) -> Result<bool, ManagementError> {
///     match client.get_user_data().id(id).send().await {
///         Ok(_) => Ok(true),
///         Err(e) => match ManagementError::from(e) {
///             e if e.is_not_found() => Ok(false),
///             e => Err(e),
///         },
///     }
/// }
/// ```
///
/// Its `Debug` and `Display` never contain a token: requests are not part of it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManagementError {
    /// Kinde answered with an error status.
    #[error("Kinde's Management API answered {status}{}", summary(errors))]
    Api {
        /// The HTTP status.
        status: u16,
        /// Kinde's error body, parsed (empty if it had none).
        errors: Vec<ApiError>,
        /// A 429's `Retry-After`, in seconds, once the client's own retries ran out.
        retry_after: Option<Duration>,
    },
    /// A parameter or body could not be built (a value that did not convert).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// No answer: connection refused, timed out, TLS failed.
    #[error("Kinde's Management API could not be reached: {0}")]
    Unreachable(String),
    /// An answer that does not match the spec (a body that does not parse).
    #[error("Kinde's Management API gave an answer that does not parse: {0}")]
    InvalidResponse(String),
    /// No M2M token (the client credentials were refused, or Kinde was unreachable),
    /// or a blocking call inside an async runtime.
    #[error("{0}")]
    Client(String),
}

/// One entry of Kinde's error body: `{"errors": [{"code": "…", "message": "…"}]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// Kinde's error code, e.g. `USER_NOT_FOUND`.
    pub code: Option<String>,
    /// Its message.
    pub message: Option<String>,
}

fn summary(errors: &[ApiError]) -> String {
    let parts: Vec<String> = errors
        .iter()
        .map(|e| match (&e.code, &e.message) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (Some(c), None) => c.clone(),
            (None, Some(m)) => m.clone(),
            (None, None) => String::new(),
        })
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

impl ManagementError {
    /// The HTTP status Kinde answered, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ManagementError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Kinde's error entries (empty unless Kinde answered with an error body).
    pub fn errors(&self) -> &[ApiError] {
        match self {
            ManagementError::Api { errors, .. } => errors,
            _ => &[],
        }
    }

    /// A 404: the user, organisation, role… does not exist.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// A 409: it exists already.
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(409)
    }

    /// A 400: Kinde refused the values (see [`errors`](Self::errors)).
    pub fn is_invalid(&self) -> bool {
        self.status() == Some(400)
    }

    /// A 401 or 403: the M2M application may not do this (its scopes).
    pub fn is_forbidden(&self) -> bool {
        matches!(self.status(), Some(401 | 403))
    }

    /// A 429 that outlasted the client's retries.
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(429)
    }

    /// Whether trying again later may succeed (429, 502, 503, 504, no answer).
    pub fn is_transient(&self) -> bool {
        matches!(self, ManagementError::Unreachable(_))
            || self
                .status()
                .is_some_and(|s| matches!(s, 429 | 502 | 503 | 504))
    }
}

fn entries(body: &types::ErrorResponse) -> Vec<ApiError> {
    let one = |e: &types::Error| ApiError {
        code: e.code.clone(),
        message: e.message.clone(),
    };
    match &body.errors {
        Some(types::ErrorResponseErrors::Array(list)) => list.iter().map(one).collect(),
        Some(types::ErrorResponseErrors::Error(e)) => vec![one(e)],
        None => Vec::new(),
    }
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
        .map(Duration::from_secs)
}

impl From<Error<types::ErrorResponse>> for ManagementError {
    fn from(e: Error<types::ErrorResponse>) -> Self {
        convert(e, entries)
    }
}

impl From<Error<()>> for ManagementError {
    fn from(e: Error<()>) -> Self {
        convert(e, |_| Vec::new())
    }
}

fn convert<E>(e: Error<E>, parse: impl FnOnce(&E) -> Vec<ApiError>) -> ManagementError {
    match e {
        Error::ErrorResponse(answer) => ManagementError::Api {
            status: answer.status().as_u16(),
            retry_after: retry_after(answer.headers()),
            errors: parse(&answer),
        },
        Error::UnexpectedResponse(response) => ManagementError::Api {
            status: response.status().as_u16(),
            retry_after: retry_after(response.headers()),
            errors: Vec::new(),
        },
        Error::InvalidRequest(message) => ManagementError::InvalidRequest(message),
        Error::CommunicationError(e) | Error::InvalidUpgrade(e) | Error::ResponseBodyError(e) => {
            ManagementError::Unreachable(without_url(&e))
        }
        Error::InvalidResponsePayload(_, e) => ManagementError::InvalidResponse(e.to_string()),
        Error::Custom(message) => ManagementError::Client(message),
    }
}

/// A transport error's text without the URL (its query could carry an email address).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_decode() {
        "the body did not decode"
    } else {
        "request failed"
    };
    kind.to_string()
}
