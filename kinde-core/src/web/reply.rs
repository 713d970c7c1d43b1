//! What an adapter sends back, independent of the framework: a status, headers and a
//! body, which the adapter copies into its response type. Error pages and API error
//! bodies are decided here, so both adapters answer alike and no internals leak.

use std::fmt;

use serde_json::{Value, json};

use crate::error::{CallbackError, ErrorClass, KindeError};

/// An HTTP answer: the adapter copies the status, the headers (valid header values,
/// lower-case names) and the body into its framework's response. `Debug` shows header
/// names only: a `Location` can carry an ID token hint or a one-time portal link.
#[derive(Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Headers, in order.
    pub headers: Vec<(&'static str, String)>,
    /// The body (empty for redirects).
    pub body: String,
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| *name).collect();
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

const NO_STORE: (&str, &str) = ("cache-control", "no-store");

/// The `Cache-Control` value a session layer gives a response rendered for a caller
/// signed in through the session cookie, when the handler chose no caching policy itself
/// (`handler_set_one`): `no-store`. Such a page shows one user's data under a URL that
/// anyone's browser may visit; stored, the browser shows it again from its cache after
/// the user signed out (the back button: the browser suite saw Chromium do it), and a
/// shared cache could serve it to someone else. `None` when the handler set its own.
///
/// ```
/// use kinde_core::web::signed_in_cache_control;
/// assert_eq!(signed_in_cache_control(false), Some("no-store"));
/// assert_eq!(signed_in_cache_control(true), None);
/// ```
pub fn signed_in_cache_control(handler_set_one: bool) -> Option<&'static str> {
    (!handler_set_one).then_some(NO_STORE.1)
}

/// How long a client should wait before retrying a 503 (Kinde or the session store
/// unreachable), in seconds: `Retry-After` of every 503 kinde answers.
pub const RETRY_AFTER_SECS: u64 = 5;

impl Reply {
    /// `303 See Other` to `location` (already a valid header value), not cached.
    pub fn redirect(location: impl Into<String>) -> Self {
        Reply {
            status: 303,
            headers: vec![
                ("location", location.into()),
                (NO_STORE.0, NO_STORE.1.into()),
            ],
            body: String::new(),
        }
    }

    /// The answer to a request an extractor or guard refused: a browser that must sign
    /// in is redirected (303) to `login`; an API request gets JSON (401 with
    /// `WWW-Authenticate: Bearer`); a browser gets a short HTML page. 403 and 503 are
    /// never redirects, so no login loop; a 503 says when to retry (`Retry-After`).
    ///
    /// ```
    /// use kinde_core::KindeError;
    /// use kinde_core::web::Reply;
    /// let api = Reply::for_error(&KindeError::NotSignedIn, true, Some("/login"), "/");
    /// assert_eq!(api.status, 401);
    /// assert_eq!(api.header("www-authenticate"), Some("Bearer"));
    /// let page = Reply::for_error(&KindeError::NotSignedIn, false, Some("/login"), "/");
    /// assert_eq!((page.status, page.header("location")), (303, Some("/login")));
    /// let forbidden = Reply::for_error(&KindeError::Forbidden("x".into()), false, Some("/login"), "/");
    /// assert_eq!(forbidden.status, 403);
    /// let down = Reply::for_error(&KindeError::Unavailable("x".into()), false, Some("/login"), "/");
    /// assert_eq!((down.status, down.header("retry-after")), (503, Some("5")));
    /// ```
    pub fn for_error(err: &KindeError, api: bool, login: Option<&str>, home: &str) -> Self {
        let status = err.status();
        if status == 500 {
            tracing::error!(error = %err, "Kinde adapter misconfiguration");
        }
        if status == 401
            && !api
            && let Some(login) = login
        {
            return Reply {
                status: 303,
                headers: vec![
                    ("content-type", "text/plain; charset=utf-8".into()),
                    ("location", login.to_string()),
                    (NO_STORE.0, NO_STORE.1.into()),
                ],
                body: String::new(),
            };
        }
        let mut headers = Vec::with_capacity(2);
        let body = if api {
            headers.push(("content-type", "application/json".to_string()));
            error_json(err).to_string()
        } else {
            headers.push(("content-type", "text/html; charset=utf-8".to_string()));
            error_html(err, home)
        };
        if status == 401 {
            headers.push(("www-authenticate", www_authenticate(err)));
        }
        if status == 503 {
            headers.push(("retry-after", RETRY_AFTER_SECS.to_string()));
        }
        Reply {
            status,
            headers,
            body,
        }
    }

    /// The page a built-in route shows when it fails: never a login redirect (so no
    /// loop), not cached, and logged (a warning for 5xx, debug otherwise).
    pub fn route_error(err: &KindeError, home: &str) -> Self {
        if err.status() >= 500 {
            tracing::warn!(error = %err, "Kinde route failed");
        } else {
            tracing::debug!(error = %err, "Kinde route refused");
        }
        let mut reply = Self::for_error(err, false, None, home);
        reply.headers.push((NO_STORE.0, NO_STORE.1.into()));
        reply
    }

    /// The value of header `name` (lower case), if the reply has it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A short, safe description of an error for the visitor: the status and a message
/// without internals.
pub fn public_message(err: &KindeError) -> (u16, &'static str) {
    let status = err.status();
    let msg = match err {
        KindeError::NotSignedIn => "You need to sign in.",
        KindeError::SessionEnded => "Your session has ended. Please sign in again.",
        KindeError::InvalidToken(_) => "The access token is not valid.",
        KindeError::Forbidden(_) => "You do not have access to this page.",
        KindeError::Callback(CallbackError::MissingState | CallbackError::UnknownState) => {
            "This sign-in link is invalid or has already been used. Please sign in again."
        }
        KindeError::Callback(CallbackError::Denied { .. }) => "Sign-in was cancelled or refused.",
        KindeError::Callback(_) => "Sign-in could not be completed. Please try again.",
        KindeError::BadRequest(_) => "The request is not valid.",
        KindeError::Unavailable(_) => {
            "The sign-in service is unavailable. Please try again shortly."
        }
        KindeError::Provider(_) => "The sign-in service answered unexpectedly. Please try again.",
        KindeError::Config(_) | KindeError::BlockingInAsync(_) => {
            "Sign-in is not configured correctly."
        }
    };
    (status, msg)
}

/// The JSON body of an API rejection: `{"error": code, "message": text}`.
pub fn error_json(err: &KindeError) -> Value {
    let (_, message) = public_message(err);
    let code = match err.class() {
        ErrorClass::Unauthenticated => match err {
            KindeError::InvalidToken(_) => "invalid_token",
            _ => "unauthenticated",
        },
        ErrorClass::Forbidden => "forbidden",
        ErrorClass::BadRequest => "bad_request",
        ErrorClass::Unavailable => "unavailable",
        ErrorClass::BadGateway => "bad_gateway",
        ErrorClass::Configuration => "server_error",
    };
    json!({ "error": code, "message": message })
}

/// The `WWW-Authenticate` value for a 401 API rejection (RFC 6750).
pub fn www_authenticate(err: &KindeError) -> String {
    match err {
        KindeError::InvalidToken(_) => r#"Bearer error="invalid_token""#.to_string(),
        _ => "Bearer".to_string(),
    }
}

/// A minimal, self-contained HTML error page (the message is HTML-escaped).
pub fn error_html(err: &KindeError, home: &str) -> String {
    let (status, message) = public_message(err);
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{status}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;color:#222}}</style>\
         </head><body><h1>{status}</h1><p>{}</p><p><a href=\"{}\">Continue</a></p></body></html>",
        escape_html(message),
        escape_html(home)
    )
}

/// Escape text for HTML element content and attribute values.
///
/// ```
/// assert_eq!(kinde_core::web::escape_html("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
/// ```
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        let page = error_html(&KindeError::NotSignedIn, "/\"><script>");
        assert!(!page.contains("<script>"));
    }

    #[test]
    fn json_errors_have_codes() {
        assert_eq!(
            error_json(&KindeError::NotSignedIn)["error"],
            "unauthenticated"
        );
        assert_eq!(
            error_json(&KindeError::InvalidToken(crate::TokenRejection::Expired))["error"],
            "invalid_token"
        );
        assert_eq!(
            error_json(&KindeError::Unavailable("x".into()))["error"],
            "unavailable"
        );
        // Internals stay out of the body.
        assert!(
            !error_json(&KindeError::Unavailable("secret detail".into()))
                .to_string()
                .contains("secret")
        );
    }

    #[test]
    fn debug_shows_no_header_values() {
        let reply = Reply::redirect("https://kinde.example/logout?id_token_hint=secret.jwt");
        assert!(!format!("{reply:?}").contains("secret"));
    }
}
