//! Framework-neutral pieces of the web adapters, so that `kinde-axum` and
//! `kinde-actix` only translate their framework's types: the session keys, the query of
//! the built-in routes, bearer-header parsing, content negotiation of rejections and the
//! small error pages.

use std::sync::Arc;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::Kinde;
use crate::error::{CallbackError, ErrorClass, KindeError};
use crate::login::{LoginOptions, safe_return_to};
use crate::session::VerifiedSession;
use crate::token_cache::{CacheKey, Entry};
use crate::tokens::TokenSet;

/// The verified-session cache's tag for a stored session (the token cache uses 0 and 1).
const SESSION_CACHE_KIND: u8 = 2;

/// The session keys under which an adapter stores one client's data: the visitor's
/// [`TokenSet`] and their [`PendingLogins`](crate::PendingLogins). Namespaced by issuer
/// and client id, so two tenants sharing one session never overwrite each other.
///
/// ```
/// use kinde_core::{Kinde, KindeConfig};
/// let kinde = Kinde::new(KindeConfig::builder().domain("a.kinde.com").client_id("app").build()?)?;
/// assert_eq!(kinde.session_keys().tokens, "kinde.tokens:app@https://a.kinde.com");
/// # Ok::<(), kinde_core::KindeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionKeys {
    /// Where the [`TokenSet`] goes.
    pub tokens: String,
    /// Where the pending logins go.
    pub pending: String,
}

impl SessionKeys {
    pub(crate) fn for_client(issuer: &str, client_id: &str) -> Self {
        SessionKeys {
            tokens: format!("kinde.tokens:{client_id}@{issuer}"),
            pending: format!("kinde.pending:{client_id}@{issuer}"),
        }
    }
}

/// The paths of the built-in routes, as seen by the browser. `None` switches a route
/// off (mount your own handler there instead).
///
/// ```
/// use kinde_core::web::RoutePaths;
/// let paths = RoutePaths::default().with_prefix("/auth");
/// assert_eq!(paths.login.as_deref(), Some("/auth/login"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePaths {
    /// `GET /login`.
    pub login: Option<String>,
    /// `GET /register`.
    pub register: Option<String>,
    /// `GET /create-org`.
    pub create_org: Option<String>,
    /// `GET /callback` (must match the path of `KINDE_REDIRECT_URI`).
    pub callback: Option<String>,
    /// `GET /logout`.
    pub logout: Option<String>,
    /// `GET /portal`: redirects a signed-in user to their Kinde self-serve portal.
    pub portal: Option<String>,
}

impl Default for RoutePaths {
    fn default() -> Self {
        RoutePaths {
            login: Some("/login".into()),
            register: Some("/register".into()),
            create_org: Some("/create-org".into()),
            callback: Some("/callback".into()),
            logout: Some("/logout".into()),
            portal: Some("/portal".into()),
        }
    }
}

impl RoutePaths {
    /// Put every route under `prefix` (e.g. `/auth`).
    pub fn with_prefix(self, prefix: &str) -> Self {
        let prefix = prefix.trim_end_matches('/');
        let p = |o: Option<String>| o.map(|path| format!("{prefix}{path}"));
        RoutePaths {
            login: p(self.login),
            register: p(self.register),
            create_org: p(self.create_org),
            callback: p(self.callback),
            logout: p(self.logout),
            portal: p(self.portal),
        }
    }
}

/// Which kind of sign-in a built-in route starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginKind {
    /// `/login`: sign in (or register, with an `invitation_code`).
    Login,
    /// `/register`: sign up (`prompt=create`).
    Register,
    /// `/create-org`: sign up and create an organisation.
    CreateOrg,
}

/// The query parameters the built-in `/login`, `/register` and `/create-org` routes
/// accept from a visitor. Unknown parameters are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LoginQuery {
    /// `org_code`.
    pub org_code: Option<String>,
    /// `org_name` (used by `/create-org`).
    pub org_name: Option<String>,
    /// `login_hint`.
    pub login_hint: Option<String>,
    /// `lang`.
    pub lang: Option<String>,
    /// `connection_id`.
    pub connection_id: Option<String>,
    /// `invitation_code` (also turns `/login` into a registration).
    pub invitation_code: Option<String>,
    /// `plan_interest`.
    pub plan_interest: Option<String>,
    /// `pricing_table_key`.
    pub pricing_table_key: Option<String>,
    /// `returnTo` (or `return_to`): a local path to land on after the callback.
    #[serde(rename = "returnTo", alias = "return_to")]
    pub return_to: Option<String>,
}

impl LoginQuery {
    /// The login options for this query. `returnTo` is validated ([`safe_return_to`]):
    /// anything that could leave the site is dropped.
    pub fn into_options(self, kind: LoginKind) -> LoginOptions {
        let mut o = LoginOptions::new();
        o.org_code = self.org_code;
        o.login_hint = self.login_hint;
        o.lang = self.lang;
        o.connection_id = self.connection_id;
        o.plan_interest = self.plan_interest;
        o.pricing_table_key = self.pricing_table_key;
        o.return_to = self
            .return_to
            .as_deref()
            .and_then(safe_return_to)
            .map(str::to_string);
        let invited = self.invitation_code.is_some();
        o.invitation_code = self.invitation_code;
        match kind {
            LoginKind::Login if invited => o.prompt(crate::Prompt::Create),
            LoginKind::Login => o,
            LoginKind::Register => o.prompt(crate::Prompt::Create),
            LoginKind::CreateOrg => {
                o.org_name = self.org_name;
                o.prompt(crate::Prompt::Create).create_org(true)
            }
        }
    }
}

/// Parse a raw query string into `T` (a struct of optional string fields). Repeated
/// keys keep the first value; a malformed query is a 400.
pub fn parse_query<T: DeserializeOwned>(raw: Option<&str>) -> Result<T, KindeError> {
    let mut map = Map::new();
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        map.entry(k.into_owned())
            .or_insert(Value::String(v.into_owned()));
    }
    serde_json::from_value(Value::Object(map))
        .map_err(|_| KindeError::BadRequest("malformed query".into()))
}

/// Read a bearer token from an `Authorization` header value.
///
/// `Ok(None)` when there is no header; an error for a header that is present but not
/// `Bearer <token>` (that is a 401, not "nobody signed in").
///
/// ```
/// use kinde_core::web::bearer_token;
/// assert_eq!(bearer_token(Some(b"Bearer abc.def.ghi")).unwrap(), Some("abc.def.ghi"));
/// assert_eq!(bearer_token(Some(b"bearer abc")).unwrap(), Some("abc"));
/// assert_eq!(bearer_token(None).unwrap(), None);
/// assert!(bearer_token(Some(b"Basic dXNlcjpwYXNz")).is_err());
/// assert!(bearer_token(Some(b"Bearer ")).is_err());
/// assert!(bearer_token(Some(b"Bearer abc def")).is_err());
/// assert!(bearer_token(Some(b"Bearer abc\tdef")).is_err());
/// assert!(bearer_token(Some("Bearer abcé".as_bytes())).is_err());
/// ```
pub fn bearer_token(header: Option<&[u8]>) -> Result<Option<&str>, KindeError> {
    header
        .map(bearer_bytes)
        .transpose()?
        .map(checked_token)
        .transpose()
}

fn malformed() -> KindeError {
    KindeError::InvalidToken(crate::TokenRejection::Malformed)
}

/// The token of a `Bearer <token>` header value, its characters not yet checked.
fn bearer_bytes(raw: &[u8]) -> Result<&[u8], KindeError> {
    let raw = raw.trim_ascii();
    let space = raw.iter().position(|&b| b == b' ').ok_or_else(malformed)?;
    let (scheme, token) = (&raw[..space], raw[space..].trim_ascii());
    if !scheme.eq_ignore_ascii_case(b"bearer") || token.is_empty() {
        return Err(malformed());
    }
    Ok(token)
}

/// A token of visible ASCII characters only, as text.
fn checked_token(token: &[u8]) -> Result<&str, KindeError> {
    if !is_visible_ascii(token) {
        return Err(malformed());
    }
    std::str::from_utf8(token).map_err(|_| malformed())
}

/// Whether every byte is visible ASCII (`!`..=`~`): no space, control or non-ASCII
/// byte. Branch-free, so the compiler checks many bytes a step: a token is ~1.3 KB and
/// is checked on every request.
fn is_visible_ascii(bytes: &[u8]) -> bool {
    bytes.iter().fold(0u8, |outside, &b| {
        outside | u8::from(b.wrapping_sub(b'!') > b'~' - b'!')
    }) == 0
}

/// The value of the first cookie called `name` in a request's `Cookie` headers (given
/// as bytes, in order), without its optional quotes; `None` when there is none or it is
/// not UTF-8. What the session layers use to find their one cookie without parsing,
/// decoding and copying every cookie of the request.
///
/// ```
/// use kinde_core::web::cookie_value;
/// let headers: [&[u8]; 2] = [b"theme=dark; kinde_session_b=x", b"kinde_session=\"k1\"; a=1"];
/// assert_eq!(cookie_value(headers, "kinde_session"), Some("k1"));
/// assert_eq!(cookie_value(headers, "missing"), None);
/// ```
pub fn cookie_value<'h>(
    headers: impl IntoIterator<Item = &'h [u8]>,
    name: &str,
) -> Option<&'h str> {
    headers.into_iter().find_map(|header| {
        header.split(|b| *b == b';').find_map(|pair| {
            let rest = pair.trim_ascii_start().strip_prefix(name.as_bytes())?;
            let value = rest.trim_ascii_start().strip_prefix(b"=")?.trim_ascii();
            let value = match value {
                [b'"', inner @ .., b'"'] => inner,
                other => other,
            };
            std::str::from_utf8(value).ok()
        })
    })
}

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

/// Where an adapter takes credentials from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenSource {
    /// Browser sessions only; `Authorization` headers are ignored.
    Session,
    /// `Authorization: Bearer` only (APIs); no session needed. Rejections are always
    /// API-style (401 + JSON), never a login redirect: a login could not satisfy it.
    Bearer,
    /// A bearer token when the request has one, else the session (default).
    #[default]
    Both,
}

/// Who made a request, as an adapter resolved it (once per request). `Debug` never
/// prints the bearer token.
#[derive(Clone)]
pub enum Identity {
    /// Nobody is signed in.
    Anonymous,
    /// A browser session with verified (possibly refreshed) tokens.
    Session(std::sync::Arc<VerifiedSession>),
    /// A verified bearer token.
    Bearer {
        /// The raw token. Treat it as a secret.
        token: std::sync::Arc<str>,
        /// Its verified claims.
        claims: crate::Claims,
    },
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Identity::Anonymous => f.write_str("Anonymous"),
            Identity::Session(s) => f.debug_tuple("Session").field(s).finish(),
            Identity::Bearer { claims, .. } => f
                .debug_struct("Bearer")
                .field("token", &"[redacted]")
                .field("claims", claims)
                .finish(),
        }
    }
}

impl Identity {
    /// The verified access-token claims, unless anonymous.
    pub fn access_claims(&self) -> Option<&crate::Claims> {
        match self {
            Identity::Anonymous => None,
            Identity::Session(s) => Some(&s.access),
            Identity::Bearer { claims, .. } => Some(claims),
        }
    }

    /// The verified ID-token claims (browser sessions only).
    pub fn id_claims(&self) -> Option<&crate::Claims> {
        match self {
            Identity::Session(s) => s.id.as_ref(),
            _ => None,
        }
    }

    /// The signed-in user (profile from the ID token for sessions; from the access
    /// token for bearer requests). Built once per verified session and per verified
    /// token, and shared: every request of that session or token gets the same `Arc`.
    pub fn user(&self) -> Option<std::sync::Arc<crate::KindeUser>> {
        match self {
            Identity::Anonymous => None,
            Identity::Session(s) => s.user(),
            Identity::Bearer { claims, .. } => claims.user_alone(),
        }
    }

    /// The raw access token, unless anonymous.
    pub fn access_token(&self) -> Option<&str> {
        match self {
            Identity::Anonymous => None,
            Identity::Session(s) => Some(s.tokens.access_token()),
            Identity::Bearer { token, .. } => Some(token),
        }
    }

    /// Whether the signed-in user holds `permission`.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.access_claims()
            .is_some_and(|c| c.permissions().is_granted(permission))
    }

    /// Whether the signed-in user has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.access_claims().is_some_and(|c| c.roles().has(role))
    }

    /// `Ok` if the signed-in user holds `permission`, else [`KindeError::Forbidden`]
    /// naming it (a guard's 403).
    pub fn require_permission(&self, permission: &str) -> Result<(), KindeError> {
        if self.has_permission(permission) {
            Ok(())
        } else {
            Err(KindeError::Forbidden(format!(
                "missing permission {permission}"
            )))
        }
    }

    /// `Ok` if the signed-in user has `role`, else [`KindeError::Forbidden`] naming it.
    pub fn require_role(&self, role: &str) -> Result<(), KindeError> {
        if self.has_role(role) {
            Ok(())
        } else {
            Err(KindeError::Forbidden(format!("missing role {role}")))
        }
    }
}

/// How to answer a rejected request, independent of the framework: the adapter copies
/// these fields into its response type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    /// HTTP status.
    pub status: u16,
    /// `Location`, for a redirect to the login route.
    pub location: Option<String>,
    /// `WWW-Authenticate`, for 401 API answers.
    pub www_authenticate: Option<String>,
    /// `Content-Type` of `body`.
    pub content_type: &'static str,
    /// The body (JSON or a small HTML page).
    pub body: String,
}

impl ErrorResponse {
    /// Decide the answer: a browser that must sign in is redirected (303) to `login`;
    /// an API request gets JSON (401 with `WWW-Authenticate: Bearer`); a browser gets a
    /// short HTML page. 403 and 503 are never redirects, so no login loop.
    pub fn for_error(err: &KindeError, api: bool, login: Option<&str>, home: &str) -> Self {
        let status = err.status();
        if status == 500 {
            tracing::error!(error = %err, "Kinde adapter misconfiguration");
        }
        if status == 401
            && !api
            && let Some(login) = login
        {
            return ErrorResponse {
                status: 303,
                location: Some(login.to_string()),
                www_authenticate: None,
                content_type: "text/plain; charset=utf-8",
                body: String::new(),
            };
        }
        ErrorResponse {
            status,
            location: None,
            www_authenticate: (status == 401).then(|| www_authenticate(err)),
            content_type: if api {
                "application/json"
            } else {
                "text/html; charset=utf-8"
            },
            body: if api {
                error_json(err).to_string()
            } else {
                error_html(err, home)
            },
        }
    }
}

/// What an adapter should do with a stored session after [`Kinde::resume_session`].
#[derive(Debug)]
pub enum SessionState {
    /// Nobody is signed in (no tokens were stored).
    Anonymous,
    /// Signed in. If `session.refreshed`, write `session.tokens` back to the store.
    Active(Arc<VerifiedSession>),
    /// The stored tokens can no longer be used (refresh refused, tokens invalid):
    /// remove them from the store and treat the visitor as signed out.
    Ended,
}

impl Kinde {
    /// The identity of a request that presented `token` as `Authorization: Bearer`:
    /// [`verify_access_token`](Self::verify_access_token), keeping the verified-token
    /// cache's copy of the token instead of copying it per request.
    pub async fn bearer_identity(&self, token: &str) -> crate::Result<Identity> {
        let (claims, token) = self
            .verify_jwt_shared(token, crate::verify::TokenKind::Access)
            .await?;
        Ok(Identity::Bearer { token, claims })
    }

    /// The identity of a request's `Authorization` header value: `Ok(None)` without a
    /// header, the verified bearer token's identity, or an error for a header that is
    /// not `Bearer <token>` or a token that does not verify. What both adapters call:
    /// a token verified before is recognised from the header's bytes (one lookup and a
    /// fixed-time comparison), others are checked and verified in full.
    ///
    /// ```
    /// # async fn run(kinde: &kinde_core::Kinde) {
    /// assert!(kinde.bearer_identity_of_header(None).await.unwrap().is_none());
    /// assert!(kinde.bearer_identity_of_header(Some(b"Basic eDp5")).await.is_err());
    /// # }
    /// ```
    pub async fn bearer_identity_of_header(
        &self,
        header: Option<&[u8]>,
    ) -> crate::Result<Option<Identity>> {
        let Some(raw) = header else { return Ok(None) };
        let token = bearer_bytes(raw)?;
        if let Some((claims, token)) = self.cached_jwt(token, crate::verify::TokenKind::Access) {
            return Ok(Some(Identity::Bearer { token, claims }));
        }
        self.bearer_identity(checked_token(token)?).await.map(Some)
    }

    /// The session keys of this client (see [`SessionKeys`]).
    pub fn session_keys(&self) -> &SessionKeys {
        &self.inner.session_keys
    }

    /// Resume a browser session from the tokens an adapter stored: verify them,
    /// refreshing when needed. An outage of Kinde is an error (503), never "signed out".
    pub async fn resume_session(&self, stored: Option<TokenSet>) -> crate::Result<SessionState> {
        let Some(tokens) = stored else {
            return Ok(SessionState::Anonymous);
        };
        match self.authenticate_owned_session(tokens).await {
            Ok(s) => Ok(SessionState::Active(Arc::new(s))),
            Err(
                KindeError::SessionEnded | KindeError::InvalidToken(_) | KindeError::NotSignedIn,
            ) => {
                tracing::debug!("stored Kinde session ended");
                Ok(SessionState::Ended)
            }
            Err(e) => Err(e),
        }
    }

    /// [`resume_session`](Self::resume_session) from the session format
    /// ([`TokenSet::to_json`]), what both adapters store. A session verified before
    /// from exactly these bytes is served from the verified-session cache (see
    /// [`KindeConfigBuilder::verified_session_cache`](crate::KindeConfigBuilder::verified_session_cache));
    /// otherwise the tokens are parsed and verified (and refreshed when due) in full.
    /// A stored value that does not parse is [`SessionState::Ended`].
    pub async fn resume_stored_session(&self, stored: Option<&str>) -> crate::Result<SessionState> {
        let Some(stored) = stored else {
            return Ok(SessionState::Anonymous);
        };
        if let Some(session) = self.cached_session(stored) {
            return Ok(SessionState::Active(session));
        }
        let Ok(tokens) = TokenSet::from_json(stored) else {
            tracing::debug!("stored Kinde session does not parse; treating it as ended");
            return Ok(SessionState::Ended);
        };
        let state = self.resume_session(Some(tokens)).await?;
        if let SessionState::Active(session) = &state
            && !session.refreshed
        {
            self.remember_session(stored, session);
        }
        Ok(state)
    }

    /// The session verified before from exactly `stored` (the session format), while
    /// it needs no refresh and the keys that signed it are still published. Never does
    /// I/O, so an adapter can call it while it borrows the stored value.
    pub fn cached_session(&self, stored: &str) -> Option<Arc<VerifiedSession>> {
        self.inner.sessions.get(
            &CacheKey::of(SESSION_CACHE_KIND, stored.as_bytes()),
            stored.as_bytes(),
            &**self.published_keys(),
        )
    }

    fn remember_session(&self, stored: &str, session: &Arc<VerifiedSession>) {
        let cache = &self.inner.sessions;
        if !cache.enabled() {
            return;
        }
        let tokens = &session.tokens;
        // Served until the access token enters the refresh margin: from then on every
        // request takes the full path, which refreshes.
        let until = tokens
            .expires_at()
            .saturating_sub(self.inner.config.refresh_margin.as_secs());
        let kids: Option<Vec<Arc<str>>> = std::iter::once(tokens.access_token())
            .chain(tokens.id_token())
            .map(|t| crate::verify::header_kid(t).ok().map(Arc::from))
            .collect();
        let Some(kids) = kids else { return };
        cache.insert(
            CacheKey::of(SESSION_CACHE_KIND, stored.as_bytes()),
            Arc::from(stored),
            Entry {
                value: session.clone(),
                until,
                kids: kids.into(),
            },
        );
    }

    /// The absolute URL of a local path on this app, derived from the redirect URI's
    /// origin (used as the portal's `return_url`).
    pub fn app_url(&self, path: &str) -> Option<url::Url> {
        let base = self.inner.config.redirect_uri.as_ref()?;
        let path = safe_return_to(path).unwrap_or("/");
        base.join(path).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_one_cookie_among_others() {
        let one = |h: &'static str| cookie_value([h.as_bytes()], "kinde_session");
        assert_eq!(one("a=1; kinde_session=abc ; b=2"), Some("abc"));
        assert_eq!(one("kinde_session=\"xyz\""), Some("xyz"));
        assert_eq!(one("kinde_session = spaced"), Some("spaced"));
        // The first of two wins; a name that only starts or ends with ours is not ours.
        assert_eq!(
            one("my_kinde_session=no; kinde_session_b=no; kinde_session=one; kinde_session=two"),
            Some("one")
        );
        assert_eq!(one("kinde_session"), None);
        assert_eq!(one("kinde_session="), Some(""));
        assert_eq!(
            cookie_value([&b"kinde_session=\xff"[..]], "kinde_session"),
            None
        );
        let two: [&[u8]; 2] = [b"a=1", b"kinde_session=k"];
        assert_eq!(cookie_value(two, "kinde_session"), Some("k"));
        assert_eq!(cookie_value([], "kinde_session"), None);
    }

    #[test]
    fn login_query_maps_to_options() {
        let q: LoginQuery = parse_query(Some(
            "org_code=org_1&login_hint=a%40b.c&lang=fr&returnTo=%2Fdash&connection_id=c&plan_interest=p&pricing_table_key=t",
        ))
        .unwrap();
        let o = q.into_options(LoginKind::Login);
        assert_eq!(o.org_code.as_deref(), Some("org_1"));
        assert_eq!(o.login_hint.as_deref(), Some("a@b.c"));
        assert_eq!(o.return_to.as_deref(), Some("/dash"));
        assert_eq!(o.prompt, None);

        let q: LoginQuery = parse_query(Some("invitation_code=inv&returnTo=https://evil")).unwrap();
        let o = q.into_options(LoginKind::Login);
        assert_eq!(o.prompt, Some(crate::Prompt::Create));
        assert_eq!(o.return_to, None);

        let q: LoginQuery = parse_query(Some("org_name=Acme")).unwrap();
        let o = q.into_options(LoginKind::CreateOrg);
        assert!(o.is_create_org);
        assert_eq!(o.org_name.as_deref(), Some("Acme"));
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
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
}
