//! The one error type of kinde-core, and the HTTP class each error belongs to.
//!
//! Every message is safe to show to a visitor or write to a log: no variant
//! carries a token, an authorization code, a PKCE verifier or a client secret.

use std::fmt;

/// Result alias used throughout kinde-core.
pub type Result<T, E = KindeError> = std::result::Result<T, E>;

/// Which HTTP answer an error calls for, so adapters never have to guess.
///
/// ```
/// use kinde_core::{ErrorClass, KindeError, TokenRejection};
/// let err = KindeError::InvalidToken(TokenRejection::Expired);
/// assert_eq!(err.class(), ErrorClass::Unauthenticated);
/// assert_eq!(err.class().status(), 401);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// 400: the request itself is wrong (a bad callback, a bad parameter).
    BadRequest,
    /// 401: nobody is signed in, or the credentials presented are not valid.
    Unauthenticated,
    /// 403: signed in, but not allowed.
    Forbidden,
    /// 502: Kinde answered, but with something we cannot use.
    BadGateway,
    /// 503: Kinde could not be reached (or timed out, or is failing).
    Unavailable,
    /// 500: the application is misconfigured. Fix the configuration.
    Configuration,
}

impl ErrorClass {
    /// The HTTP status code for this class.
    pub fn status(self) -> u16 {
        match self {
            ErrorClass::BadRequest => 400,
            ErrorClass::Unauthenticated => 401,
            ErrorClass::Forbidden => 403,
            ErrorClass::BadGateway => 502,
            ErrorClass::Unavailable => 503,
            ErrorClass::Configuration => 500,
        }
    }
}

/// Why a token was refused. Each reason maps to 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenRejection {
    /// Not a JWT at all, or its parts do not decode.
    #[error("the token is malformed")]
    Malformed,
    /// The header names an algorithm other than RS256 (including `none` and HMAC).
    #[error("the token uses an algorithm other than RS256")]
    UnsupportedAlgorithm,
    /// The header lists, in `crit`, extensions this verifier must understand to accept
    /// the token, and it implements none (RFC 7515 §4.1.11).
    #[error("the token requires a header extension that is not supported")]
    UnsupportedCritical,
    /// The header's `typ` says it is some other kind of token than the JWT expected
    /// (RFC 8725 §3.11), e.g. a logout or security-event token of the same issuer.
    #[error("the token is not of the expected type")]
    WrongType,
    /// The header has no `kid`, or names a key the issuer does not publish.
    #[error("the token was signed with an unknown key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the token signature is invalid")]
    BadSignature,
    /// `exp` is in the past (beyond the configured leeway).
    #[error("the token has expired")]
    Expired,
    /// `nbf` is in the future (beyond the configured leeway).
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iss` is not the configured issuer.
    #[error("the token was issued by another issuer")]
    WrongIssuer,
    /// `aud` does not satisfy the audience policy.
    #[error("the token is meant for another audience")]
    WrongAudience,
    /// The ID token's `nonce` is not the one this login sent.
    #[error("the ID token nonce does not match")]
    WrongNonce,
    /// A claim the SDK relies on is absent or has the wrong type.
    #[error("the token lacks a required claim: {0}")]
    MissingClaim(&'static str),
}

/// What went wrong on the login callback.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// The callback carried no `state` parameter.
    #[error("the sign-in response has no state")]
    MissingState,
    /// The `state` matches no pending login of this browser: forged, replayed or expired.
    #[error(
        "the sign-in response does not match a sign-in in progress (it may have expired or been used already)"
    )]
    UnknownState,
    /// The callback carried neither `code` nor `error`.
    #[error("the sign-in response has no authorization code")]
    MissingCode,
    /// Kinde sent the visitor back with `error=…` (for example `access_denied`).
    #[error("sign-in was not completed: {error}")]
    Denied {
        /// The OAuth error code, reduced to a safe token (`[a-z0-9_]`).
        error: String,
        /// Kinde's description, if any (untrusted text: escape it before rendering).
        description: Option<String>,
    },
    /// Kinde refused the authorization code (already used, expired, or PKCE mismatch).
    #[error("the authorization code was refused")]
    CodeRejected,
    /// The tokens Kinde returned for the code failed verification (signature, issuer,
    /// audience, expiry or nonce): nothing is signed in.
    #[error("the sign-in response carried tokens that failed verification: {0}")]
    TokenRejected(TokenRejection),
}

/// The error type of every fallible kinde-core operation.
///
/// Use [`KindeError::class`] to decide the HTTP response. Messages never contain secrets.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum KindeError {
    /// A configuration value is missing or malformed. The message names the variable.
    #[error("configuration error: {0}")]
    Config(String),
    /// Nobody is signed in.
    #[error("not signed in")]
    NotSignedIn,
    /// A token failed verification.
    #[error("invalid token: {0}")]
    InvalidToken(#[from] TokenRejection),
    /// The session can no longer be refreshed (Kinde answered `invalid_grant`, or no
    /// refresh token is available): the visitor must sign in again.
    #[error("the session has ended; sign in again")]
    SessionEnded,
    /// The login callback could not be completed.
    #[error("{0}")]
    Callback(#[from] CallbackError),
    /// Signed in but lacking a permission, role or organisation.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The caller passed an invalid argument.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Kinde could not be reached, timed out or answered 5xx.
    #[error("Kinde is unavailable: {0}")]
    Unavailable(String),
    /// Kinde answered with something unexpected (bad JSON, unexpected status).
    #[error("unexpected answer from Kinde: {0}")]
    Provider(String),
    /// A blocking call was made where it would block an async runtime.
    #[error("{0}")]
    BlockingInAsync(&'static str),
}

impl KindeError {
    /// The HTTP class this error belongs to.
    pub fn class(&self) -> ErrorClass {
        match self {
            KindeError::Config(_) | KindeError::BlockingInAsync(_) => ErrorClass::Configuration,
            KindeError::NotSignedIn | KindeError::InvalidToken(_) | KindeError::SessionEnded => {
                ErrorClass::Unauthenticated
            }
            KindeError::Callback(_) | KindeError::BadRequest(_) => ErrorClass::BadRequest,
            KindeError::Forbidden(_) => ErrorClass::Forbidden,
            KindeError::Unavailable(_) => ErrorClass::Unavailable,
            KindeError::Provider(_) => ErrorClass::BadGateway,
        }
    }

    /// Shorthand for `self.class().status()`.
    pub fn status(&self) -> u16 {
        self.class().status()
    }

    pub(crate) fn config(var: &str, msg: impl fmt::Display) -> Self {
        KindeError::Config(format!("{var}: {msg}"))
    }

    /// The session store failed (unreachable, timed out, or could not save): a 503 for
    /// the visitor, never a sign-out. The detail is logged here and kept out of the
    /// error, so no store address or session id can reach a page.
    ///
    /// ```
    /// use kinde_core::KindeError;
    /// let err = KindeError::session_store(&"connection refused (redis://10.0.0.5)");
    /// assert_eq!(err.status(), 503);
    /// assert!(!err.to_string().contains("10.0.0.5"));
    /// ```
    pub fn session_store(detail: &dyn fmt::Display) -> Self {
        tracing::error!(error = %detail, "session store error");
        KindeError::Unavailable("session store".into())
    }

    /// Map a transport error from reqwest without leaking URLs with query strings.
    pub(crate) fn transport(what: &str, err: &reqwest::Error) -> Self {
        let reason = if err.is_timeout() {
            "timed out"
        } else if err.is_connect() {
            "connection failed"
        } else if err.is_decode() || err.is_body() {
            return KindeError::Provider(format!("{what}: unreadable response"));
        } else {
            "request failed"
        };
        KindeError::Unavailable(format!("{what}: {reason}"))
    }
}

/// Reduce an untrusted OAuth error code (from a callback or a token endpoint answer) to
/// `[a-z0-9_]`, at most 64 characters, so it can be shown and logged.
pub(crate) fn safe_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect::<String>()
        .to_ascii_lowercase()
}

impl From<crate::claims::FlagError> for KindeError {
    /// A feature flag of the wrong type is a mismatch between the code and the flag's
    /// definition in Kinde: a server-side configuration error (500), not the visitor's.
    fn from(err: crate::claims::FlagError) -> Self {
        KindeError::Config(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_map_to_statuses() {
        assert_eq!(KindeError::NotSignedIn.status(), 401);
        assert_eq!(KindeError::SessionEnded.status(), 401);
        assert_eq!(KindeError::Forbidden("x".into()).status(), 403);
        assert_eq!(KindeError::Unavailable("x".into()).status(), 503);
        assert_eq!(KindeError::Provider("x".into()).status(), 502);
        assert_eq!(
            KindeError::Callback(CallbackError::UnknownState).status(),
            400
        );
        assert_eq!(KindeError::Config("x".into()).status(), 500);
    }
}
