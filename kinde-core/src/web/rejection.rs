//! Why an extractor or guard refused a request, and how to answer it: content
//! negotiation between a login redirect (a browser page) and a 401 (an API call).

use super::caller::TokenSource;
use super::reply::Reply;
use crate::error::KindeError;
use crate::return_to::safe_return_to;

/// Whether a request should get API-style rejections (401 + JSON) rather than a login
/// redirect: it carried an `Authorization` header, prefers JSON, or is not a GET/HEAD.
///
/// ```
/// use kinde_core::web::is_api_request;
/// assert!(!is_api_request("GET", Some("text/html,application/xhtml+xml"), false));
/// assert!(is_api_request("GET", Some("application/json"), false));
/// assert!(is_api_request("POST", Some("text/html"), false));
/// assert!(is_api_request("GET", None, true));
/// ```
pub fn is_api_request(method: &str, accept: Option<&str>, has_authorization: bool) -> bool {
    if has_authorization
        || !(method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD"))
    {
        return true;
    }
    let accept = accept.unwrap_or("").to_ascii_lowercase();
    let json = accept.contains("application/json") || accept.contains("+json");
    let html = accept.contains("text/html");
    json && !html
}

/// Where to send a browser that must sign in first: the login route with `returnTo`
/// set to the page it asked for (only if that is a safe local path).
///
/// ```
/// use kinde_core::web::login_redirect;
/// assert_eq!(login_redirect("/login", "/dashboard?x=1"), "/login?returnTo=%2Fdashboard%3Fx%3D1");
/// assert_eq!(login_redirect("/login", "//evil"), "/login");
/// ```
pub fn login_redirect(login_path: &str, requested: &str) -> String {
    match safe_return_to(requested) {
        Some(path) => {
            let q: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("returnTo", path)
                .finish();
            format!("{login_path}?{q}")
        }
        None => login_path.to_string(),
    }
}

/// What a rejection needs to know of the request, read by the adapter.
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    /// The method (`GET`, `POST`, …).
    pub method: &'a str,
    /// The `Accept` header, if any (and if it is text).
    pub accept: Option<&'a str>,
    /// Whether an `Authorization` header was sent.
    pub has_authorization: bool,
    /// The path and query the browser asked for, as it sees them (behind a nested
    /// router or scope, with its prefix).
    pub path_and_query: &'a str,
}

/// Why a request was refused, with what the answer depends on: whether the request
/// wants an API answer, and where a browser would sign in. `Debug` leaves out the login
/// redirect (it quotes the requested URL, query included).
pub struct Rejection {
    /// The underlying error (its [`class`](KindeError::class) decides the status).
    pub error: KindeError,
    /// Whether the request wants API-style answers (see [`is_api_request`]).
    pub is_api: bool,
    /// The login URL with `returnTo` for this request, when a login route is mounted
    /// and a login could satisfy the request.
    pub login_redirect: Option<String>,
    /// The page error pages link back to (the post-login URL).
    pub home: String,
}

impl std::fmt::Debug for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rejection")
            .field("error", &self.error)
            .field("is_api", &self.is_api)
            .finish_non_exhaustive()
    }
}

impl Rejection {
    /// Decide how to refuse `request` with `error`. `login_path` is where the login route
    /// is mounted as the browser sees it (`None` when it is switched off). A bearer-only
    /// `source` has no sessions: a login could never satisfy it (it would only loop), so
    /// its rejections are always API-style.
    ///
    /// ```
    /// use kinde_core::KindeError;
    /// use kinde_core::web::{Rejection, RequestView, TokenSource};
    /// let page = RequestView { method: "GET", accept: Some("text/html"), has_authorization: false, path_and_query: "/admin" };
    /// let r = Rejection::new(KindeError::NotSignedIn, &page, Some("/login"), TokenSource::Both, "/");
    /// assert_eq!(r.login_redirect.as_deref(), Some("/login?returnTo=%2Fadmin"));
    /// assert_eq!(r.reply().status, 303);
    /// let api = Rejection::new(KindeError::NotSignedIn, &page, Some("/login"), TokenSource::Bearer, "/");
    /// assert_eq!(api.reply().status, 401);
    /// ```
    pub fn new(
        error: KindeError,
        request: &RequestView<'_>,
        login_path: Option<&str>,
        source: TokenSource,
        home: &str,
    ) -> Self {
        let bearer_only = source == TokenSource::Bearer;
        Rejection {
            error,
            is_api: bearer_only
                || is_api_request(request.method, request.accept, request.has_authorization),
            login_redirect: login_path
                .filter(|_| !bearer_only)
                .map(|login| login_redirect(login, request.path_and_query)),
            home: home.to_string(),
        }
    }

    /// The default answer (what an app gets without a custom renderer).
    pub fn reply(&self) -> Reply {
        Reply::for_error(
            &self.error,
            self.is_api,
            self.login_redirect.as_deref(),
            &self.home,
        )
    }
}
