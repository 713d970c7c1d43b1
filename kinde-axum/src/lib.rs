//! # kinde-axum
//!
//! [Kinde](https://kinde.com) authentication for [axum]: one call mounts the login,
//! register, create-organisation, callback, logout and portal routes; extractors give
//! handlers the signed-in user, their permissions, roles, feature flags and
//! organisation; guards demand a permission or role. It serves server-rendered sites
//! (browser sessions through [tower-sessions]) and JSON APIs (`Authorization: Bearer`)
//! alike. All protocol logic lives in [`kinde_core`]; this crate only translates axum's
//! requests, sessions and responses.
//!
//! ```no_run
//! use axum::{Router, routing::get, extract::FromRef};
//! use kinde_axum::{KindeAuth, KindeUser, RequirePermission, permission};
//!
//! permission!(pub ReadTodos = "read:todos");
//!
//! #[derive(Clone)]
//! struct AppState { kinde: KindeAuth }
//! impl FromRef<AppState> for KindeAuth {
//!     fn from_ref(state: &AppState) -> Self { state.kinde.clone() }
//! }
//!
//! async fn me(user: KindeUser) -> String { format!("hello {}", user.display_name()) }
//! async fn todos(_: RequirePermission<ReadTodos>) -> &'static str { "[]" }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let kinde = KindeAuth::from_env()?; // KINDE_DOMAIN, KINDE_CLIENT_ID, KINDE_REDIRECT_URI, …
//! let app = Router::new()
//!     .route("/me", get(me))
//!     .route("/todos", get(todos))
//!     .merge(kinde.routes())              // /login /register /create-org /callback /logout /portal
//!     .layer(kinde.session_layer())       // in-memory sessions with safe cookie defaults
//!     .with_state(AppState { kinde });
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! ## Sessions
//! [`KindeAuth::session_layer`] is a [`SessionLayer`] over a [`MemorySessionStore`]
//! (in this process's memory; unlike tower-sessions' test `MemoryStore`, it forgets
//! expired sessions) with `HttpOnly`, `SameSite=Lax`, `Secure` (unless the app runs on
//! http loopback) and a 14-day inactivity expiry. Handlers extract tower-sessions'
//! `Session` as usual; the layer is a leaner twin of tower-sessions'
//! `SessionManagerLayer` that reads only its own cookie (see [`SessionLayer`] for why).
//! For several instances or restarts, use any other tower-sessions store with
//! [`KindeAuth::session_layer_with`] (for example `tower-sessions-redis-store`). The
//! session holds, server-side, the tokens in kinde-core's session format
//! ([`TokenSet::to_json`], one string) and, during a login, the [`PendingLogins`].
//!
//! ## Rejections
//! A browser page without a session is redirected to the login route with `returnTo`;
//! an API request (a `Bearer` header, `Accept: application/json`, or a non-GET) gets 401
//! with `WWW-Authenticate: Bearer` and a JSON body; a signed-in visitor lacking a
//! permission or role gets 403 (never a login loop); Kinde being unreachable is 503.
//! Replace the rendering with [`KindeAuth::render_rejections_with`].
//!
//! [tower-sessions]: https://docs.rs/tower-sessions

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;

use axum::Router;
use axum::extract::{
    FromRef, FromRequestParts, OptionalFromRequestParts, OriginalUri, RawQuery, State,
};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde_json::Value;
use tower_sessions::{Session, SessionStore};

pub use kinde_core;

mod session_layer;
mod store;
use kinde_core::web::{self, ErrorResponse, Identity, LoginKind, LoginQuery, SessionState};
use kinde_core::{
    CallbackOutcome, CallbackParams, Claims, Kinde, KindeError, PendingLogins, PortalPage,
    TokenSet, VerifiedSession,
};
pub use session_layer::{ResponseFuture, SessionLayer, SessionService};
pub use store::MemorySessionStore;

pub use kinde_core::web::TokenSource;

pub use kinde_core::web::RoutePaths;

type Renderer = Arc<dyn Fn(&AuthRejection) -> Response + Send + Sync>;

struct Inner {
    kinde: Kinde,
    paths: RoutePaths,
    source: TokenSource,
    renderer: Option<Renderer>,
    /// The store of [`KindeAuth::session_layer`]: shared by every layer made from this
    /// handle, and read in place by the extractors (see `cached_session`).
    memory_store: MemorySessionStore,
}

/// The Kinde handle of an axum app: the core client plus route and rejection settings.
///
/// Cheap to clone. Put it in your state and derive `FromRef` so extractors find it;
/// two routers with two `KindeAuth`s for two tenants can live in one process.
///
/// For two tenants in one app, give each tenant its own router and state and merge the
/// routers. They may share one session layer (each client stores its tokens under its
/// own [session keys](kinde_core::Kinde::session_keys)) or use a cookie each, as below.
/// Built-in routes are browser paths (see [`RoutePaths`]): merge
/// [`routes`](Self::routes), do not nest it.
///
/// ```no_run
/// use axum::{Router, routing::get};
/// use kinde_axum::{KindeAuth, KindeUser, RoutePaths};
///
/// async fn me(user: KindeUser) -> String { user.id.clone() }
///
/// fn tenant(auth: KindeAuth, prefix: &str, cookie: &'static str) -> Router {
///     let auth = auth.with_paths(RoutePaths::default().with_prefix(&format!("{prefix}/auth")));
///     Router::new()
///         .nest(prefix, Router::new().route("/me", get(me)))
///         .merge(auth.routes())
///         .layer(auth.session_layer().with_name(cookie))
///         .with_state(auth)
/// }
/// # fn run(a: KindeAuth, b: KindeAuth) {
/// let app = tenant(a, "/a", "kinde_session_a").merge(tenant(b, "/b", "kinde_session_b"));
/// # }
/// ```
#[derive(Clone)]
pub struct KindeAuth {
    inner: Arc<Inner>,
}

impl fmt::Debug for KindeAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KindeAuth")
            .field("kinde", &self.inner.kinde)
            .field("paths", &self.inner.paths)
            .field("source", &self.inner.source)
            .finish_non_exhaustive()
    }
}

impl KindeAuth {
    /// Wrap a core client with the default paths and [`TokenSource::Both`].
    pub fn new(kinde: Kinde) -> Self {
        KindeAuth {
            inner: Arc::new(Inner {
                kinde,
                paths: RoutePaths::default(),
                source: TokenSource::default(),
                renderer: None,
                memory_store: MemorySessionStore::default(),
            }),
        }
    }

    /// Read `KINDE_*` variables and wrap the client.
    pub fn from_env() -> Result<Self, KindeError> {
        Ok(Self::new(Kinde::from_env()?))
    }

    fn map(self, f: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Inner {
            kinde: self.inner.kinde.clone(),
            paths: self.inner.paths.clone(),
            source: self.inner.source,
            renderer: self.inner.renderer.clone(),
            memory_store: self.inner.memory_store.clone(),
        };
        f(&mut inner);
        KindeAuth {
            inner: Arc::new(inner),
        }
    }

    /// Use other route paths (or switch routes off).
    pub fn with_paths(self, paths: RoutePaths) -> Self {
        self.map(|i| i.paths = paths)
    }

    /// Choose where credentials come from (default [`TokenSource::Both`]).
    pub fn with_token_source(self, source: TokenSource) -> Self {
        self.map(|i| i.source = source)
    }

    /// Render rejections yourself (401/403/503 pages, login redirects).
    pub fn render_rejections_with(
        self,
        render: impl Fn(&AuthRejection) -> Response + Send + Sync + 'static,
    ) -> Self {
        self.map(|i| i.renderer = Some(Arc::new(render)))
    }

    /// The core client (for the Account API, verification outside HTTP, …).
    pub fn kinde(&self) -> &Kinde {
        &self.inner.kinde
    }

    /// The configured route paths.
    pub fn paths(&self) -> &RoutePaths {
        &self.inner.paths
    }

    /// The built-in routes, ready to `merge` into your router.
    pub fn routes<S>(&self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
        KindeAuth: FromRef<S>,
    {
        let paths = &self.inner.paths;
        if let (Some(cb), Some(uri)) = (&paths.callback, self.inner.kinde.config().redirect_uri())
            && uri.path() != cb
        {
            tracing::warn!(route = %cb, redirect_uri_path = uri.path(), "the callback route does not match KINDE_REDIRECT_URI");
        }
        let mut router = Router::new();
        if let Some(p) = &paths.login {
            router = router.route(p, get(|s, se, q| login_route(LoginKind::Login, s, se, q)));
        }
        if let Some(p) = &paths.register {
            router = router.route(
                p,
                get(|s, se, q| login_route(LoginKind::Register, s, se, q)),
            );
        }
        if let Some(p) = &paths.create_org {
            router = router.route(
                p,
                get(|s, se, q| login_route(LoginKind::CreateOrg, s, se, q)),
            );
        }
        if let Some(p) = &paths.callback {
            router = router.route(p, get(callback_route));
        }
        if let Some(p) = &paths.logout {
            router = router.route(p, get(logout_route));
        }
        if let Some(p) = &paths.portal {
            router = router.route(p, get(portal_route));
        }
        router
    }

    /// A session layer over this handle's in-memory store ([`memory_store`](Self::memory_store),
    /// shared by every layer made from this handle) with safe defaults (see the crate
    /// docs). The extractors read the tokens of a signed-in visitor in place in this
    /// store, without the copy tower-sessions would load.
    pub fn session_layer(&self) -> SessionLayer<MemorySessionStore> {
        self.session_layer_with(self.inner.memory_store.clone())
    }

    /// The in-memory session store behind [`session_layer`](Self::session_layer), one
    /// per handle (and the handles derived from it with `with_*`).
    pub fn memory_store(&self) -> &MemorySessionStore {
        &self.inner.memory_store
    }

    /// The same session layer over any tower-sessions store.
    pub fn session_layer_with<St: SessionStore>(&self, store: St) -> SessionLayer<St> {
        SessionLayer::new(
            store,
            "kinde_session",
            !self.inner.kinde.config().is_local_http(),
        )
    }

    fn home(&self) -> &str {
        self.inner.kinde.config().post_login_redirect()
    }
}

// ---------------------------------------------------------------------------------
// Resolution: at most once per request, cached in the request's extensions.
// ---------------------------------------------------------------------------------

#[derive(Clone)]
struct Resolved(Result<Identity, KindeError>);

fn is_api(parts: &Parts) -> bool {
    let accept = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    web::is_api_request(
        parts.method.as_str(),
        accept,
        parts.headers.contains_key(header::AUTHORIZATION),
    )
}

fn rejection(parts: &Parts, auth: &KindeAuth, error: KindeError) -> AuthRejection {
    // Inside a nested router `parts.uri` lacks the nest's prefix: return to the URL the
    // browser asked for.
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |o| &o.0);
    let requested = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    // A bearer-only handle has no sessions: a login could never satisfy it (it would
    // only loop), so its rejections are always API-style.
    let bearer_only = auth.inner.source == TokenSource::Bearer;
    AuthRejection {
        is_api: bearer_only || is_api(parts),
        login_redirect: auth
            .inner
            .paths
            .login
            .as_deref()
            .filter(|_| !bearer_only)
            .map(|l| web::login_redirect(l, requested)),
        home: auth.home().to_string(),
        error,
        renderer: auth.inner.renderer.clone(),
    }
}

async fn identity(parts: &mut Parts, auth: &KindeAuth) -> Result<Identity, KindeError> {
    if let Some(Resolved(r)) = parts.extensions.get::<Resolved>() {
        return r.clone();
    }
    let result = resolve(parts, auth).await;
    parts.extensions.insert(Resolved(result.clone()));
    result
}

async fn resolve(parts: &mut Parts, auth: &KindeAuth) -> Result<Identity, KindeError> {
    let kinde = &auth.inner.kinde;
    let source = auth.inner.source;
    if source != TokenSource::Session {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .map(HeaderValue::as_bytes);
        if let Some(identity) = kinde.bearer_identity_of_header(header).await? {
            return Ok(identity);
        }
        if source == TokenSource::Bearer {
            return Ok(Identity::Anonymous);
        }
    }
    let session = Session::from_request_parts(parts, &()).await.map_err(|_| {
        KindeError::Config(
            "the kinde-axum session layer is missing: add `.layer(kinde.session_layer())`".into(),
        )
    })?;
    if let Some(hit) = cached_session(&session, auth) {
        return Ok(Identity::Session(hit));
    }
    let stored = stored_tokens(&session, kinde).await?;
    match kinde.resume_stored_session(stored.as_deref()).await? {
        SessionState::Anonymous => Ok(Identity::Anonymous),
        SessionState::Ended => {
            session
                .remove_value(&kinde.session_keys().tokens)
                .await
                .map_err(store_error)?;
            Ok(Identity::Anonymous)
        }
        SessionState::Active(s) => {
            if s.refreshed {
                store_tokens(&session, kinde, &s.tokens).await?;
            }
            Ok(Identity::Session(s))
        }
    }
}

/// A session verified before, recognised from its stored tokens read in place in
/// [`KindeAuth::session_layer`]'s store: the common request of a signed-in visitor then
/// copies nothing (tower-sessions would load a copy of the record, and reading a value
/// copies it again; the tokens are ~2.5 KB). Only while this request has not changed the
/// session, so the stored record is the session's; any other store takes the usual path.
fn cached_session(session: &Session, auth: &KindeAuth) -> Option<Arc<VerifiedSession>> {
    if session.is_modified() {
        return None;
    }
    let kinde = &auth.inner.kinde;
    auth.inner
        .memory_store
        .with_value(&session.id()?, &kinde.session_keys().tokens, |v| {
            v.as_str().and_then(|stored| kinde.cached_session(stored))
        })
        .flatten()
}

/// The tokens kept in the session, in the session format (`TokenSet::to_json`).
async fn stored_tokens(session: &Session, kinde: &Kinde) -> Result<Option<String>, KindeError> {
    Ok(
        match session
            .get_value(&kinde.session_keys().tokens)
            .await
            .map_err(store_error)?
        {
            None => None,
            Some(Value::String(stored)) => Some(stored),
            // Written as a JSON object by an earlier version: the same JSON, as text.
            Some(other) => Some(other.to_string()),
        },
    )
}

/// Keep `tokens` in the session, in the session format.
async fn store_tokens(
    session: &Session,
    kinde: &Kinde,
    tokens: &TokenSet,
) -> Result<(), KindeError> {
    session
        .insert(&kinde.session_keys().tokens, tokens.to_json())
        .await
        .map_err(store_error)
}

fn store_error(e: tower_sessions::session::Error) -> KindeError {
    tracing::error!(error = %e, "session store error");
    KindeError::Unavailable("session store".into())
}

async fn signed_in(parts: &mut Parts, auth: &KindeAuth) -> Result<Identity, AuthRejection> {
    match identity(parts, auth).await {
        Ok(Identity::Anonymous) => Err(rejection(parts, auth, KindeError::NotSignedIn)),
        Ok(id) => Ok(id),
        Err(e) => Err(rejection(parts, auth, e)),
    }
}

// ---------------------------------------------------------------------------------
// Rejections
// ---------------------------------------------------------------------------------

/// Why an extractor or guard refused a request. Renders as a login redirect (browser,
/// not signed in), 401 + `WWW-Authenticate` (API), 403, 400 or 503.
pub struct AuthRejection {
    /// The underlying error (its [`class`](KindeError::class) decides the status).
    pub error: KindeError,
    /// Whether the request wants API-style answers (see [`web::is_api_request`]).
    pub is_api: bool,
    /// The login URL with `returnTo` for this request, when a login route is mounted.
    pub login_redirect: Option<String>,
    home: String,
    renderer: Option<Renderer>,
}

impl fmt::Debug for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRejection")
            .field("error", &self.error)
            .field("is_api", &self.is_api)
            .finish_non_exhaustive()
    }
}

impl AuthRejection {
    /// The default rendering (what you get without a custom renderer).
    pub fn default_response(&self) -> Response {
        error_response(
            &self.error,
            self.is_api,
            self.login_redirect.as_deref(),
            &self.home,
        )
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match &self.renderer {
            Some(render) => render(&self),
            None => self.default_response(),
        }
    }
}

fn error_response(err: &KindeError, api: bool, login: Option<&str>, home: &str) -> Response {
    let plan = ErrorResponse::for_error(err, api, login, home);
    let status = StatusCode::from_u16(plan.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (
        status,
        [(header::CONTENT_TYPE, plan.content_type)],
        plan.body,
    )
        .into_response();
    let headers = resp.headers_mut();
    if let Some(location) = plan.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(header::LOCATION, location);
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(v) = plan
        .www_authenticate
        .and_then(|v| HeaderValue::from_str(&v).ok())
    {
        headers.insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

fn no_store(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

// ---------------------------------------------------------------------------------
// Extractors
// ---------------------------------------------------------------------------------

macro_rules! extractor {
    ($(#[$doc:meta])* $name:ident($inner:ty), |$id:ident| $body:expr) => {
        extractor!($(#[$doc])* $name($inner) deref $inner, |$id| $body);
    };
    ($(#[$doc:meta])* $name:ident($inner:ty) deref $target:ty, |$id:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub $inner);

        impl Deref for $name {
            type Target = $target;
            fn deref(&self) -> &$target {
                &self.0
            }
        }

        impl<S> FromRequestParts<S> for $name
        where
            S: Send + Sync,
            KindeAuth: FromRef<S>,
        {
            type Rejection = AuthRejection;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
                let auth = KindeAuth::from_ref(state);
                let $id = signed_in(parts, &auth).await?;
                let value: Option<$inner> = $body;
                value.map($name).ok_or_else(|| rejection(parts, &auth, KindeError::NotSignedIn))
            }
        }
    };
}

extractor!(
    /// The signed-in user. Rejects when nobody is signed in (use `Option<KindeUser>` for
    /// pages that work either way). From a session, the profile comes from the ID token;
    /// from a bearer token, only what the access token carries is filled. The user is
    /// built once per verified session or token and shared: extracting it copies nothing.
    KindeUser(Arc<kinde_core::KindeUser>) deref kinde_core::KindeUser,
    |id| id.user()
);

extractor!(
    /// The permissions of the signed-in user.
    Permissions(kinde_core::Permissions),
    |id| id.access_claims().map(Claims::permissions)
);

extractor!(
    /// The roles of the signed-in user.
    Roles(kinde_core::Roles),
    |id| id.access_claims().map(Claims::roles)
);

extractor!(
    /// The feature flags of the signed-in user.
    FeatureFlags(kinde_core::FeatureFlags),
    |id| id.access_claims().map(Claims::feature_flags)
);

extractor!(
    /// The organisation the user signed in to (`None` if the token names none).
    CurrentOrganization(Option<kinde_core::Organization>),
    |id| id.access_claims().map(Claims::organization)
);

/// The verified claims of the request: the access token's, and the ID token's for a
/// browser session. For anything the typed extractors do not cover.
#[derive(Debug, Clone)]
pub struct KindeClaims {
    /// Access-token claims.
    pub access: Claims,
    /// ID-token claims (browser sessions only).
    pub id: Option<Claims>,
}

impl<S> FromRequestParts<S> for KindeClaims
where
    S: Send + Sync,
    KindeAuth: FromRef<S>,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = KindeAuth::from_ref(state);
        match signed_in(parts, &auth).await? {
            Identity::Session(s) => Ok(KindeClaims {
                access: s.access.clone(),
                id: s.id.clone(),
            }),
            Identity::Bearer { claims, .. } => Ok(KindeClaims {
                access: claims,
                id: None,
            }),
            Identity::Anonymous => Err(rejection(parts, &auth, KindeError::NotSignedIn)),
        }
    }
}

/// The raw access token of the request, to call other APIs on the user's behalf.
/// `Debug` never prints it.
#[derive(Clone)]
pub struct AccessToken(Arc<str>);

impl AccessToken {
    /// The raw token. Treat it as a secret.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken([redacted])")
    }
}

impl<S> FromRequestParts<S> for AccessToken
where
    S: Send + Sync,
    KindeAuth: FromRef<S>,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = KindeAuth::from_ref(state);
        match signed_in(parts, &auth).await? {
            Identity::Session(s) => Ok(AccessToken(Arc::from(s.tokens.access_token()))),
            Identity::Bearer { token, .. } => Ok(AccessToken(token)),
            Identity::Anonymous => Err(rejection(parts, &auth, KindeError::NotSignedIn)),
        }
    }
}

impl<S> OptionalFromRequestParts<S> for KindeUser
where
    S: Send + Sync,
    KindeAuth: FromRef<S>,
{
    type Rejection = AuthRejection;

    /// `None` only when nobody is signed in; an invalid bearer token or an outage of
    /// Kinde is still an error.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        match <KindeUser as FromRequestParts<S>>::from_request_parts(parts, state).await {
            Ok(u) => Ok(Some(u)),
            Err(r) if matches!(r.error, KindeError::NotSignedIn) => Ok(None),
            Err(r) => Err(r),
        }
    }
}

// ---------------------------------------------------------------------------------
// Guards
// ---------------------------------------------------------------------------------

pub use kinde_core::{PermissionKey, RoleKey, permission, role};

/// Guard: the signed-in user must hold permission `P`. Use it as an extractor
/// (`_: RequirePermission<ReadTodos>`) or as a layer on a sub-router with
/// `axum::middleware::from_extractor_with_state::<RequirePermission<ReadTodos>, _>(state)`.
/// Not signed in → the usual 401/redirect; signed in without `P` → 403.
pub struct RequirePermission<P>(PhantomData<P>);

/// Guard: the signed-in user must have role `R` (see [`RequirePermission`]).
pub struct RequireRole<R>(PhantomData<R>);

impl<P> fmt::Debug for RequirePermission<P>
where
    P: PermissionKey,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequirePermission({})", P::KEY)
    }
}

impl<R> fmt::Debug for RequireRole<R>
where
    R: RoleKey,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequireRole({})", R::KEY)
    }
}

impl<S, P> FromRequestParts<S> for RequirePermission<P>
where
    S: Send + Sync,
    P: PermissionKey,
    KindeAuth: FromRef<S>,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = KindeAuth::from_ref(state);
        signed_in(parts, &auth)
            .await?
            .require_permission(P::KEY)
            .map_err(|e| rejection(parts, &auth, e))?;
        Ok(RequirePermission(PhantomData))
    }
}

impl<S, R> FromRequestParts<S> for RequireRole<R>
where
    S: Send + Sync,
    R: RoleKey,
    KindeAuth: FromRef<S>,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = KindeAuth::from_ref(state);
        signed_in(parts, &auth)
            .await?
            .require_role(R::KEY)
            .map_err(|e| rejection(parts, &auth, e))?;
        Ok(RequireRole(PhantomData))
    }
}

// ---------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------

fn page_error(auth: &KindeAuth, err: &KindeError) -> Response {
    // Route failures are shown as pages (never a login redirect, so no loop).
    if err.status() >= 500 {
        tracing::warn!(error = %err, "Kinde route failed");
    } else {
        tracing::debug!(error = %err, "Kinde route refused");
    }
    no_store(error_response(err, false, None, auth.home()))
}

async fn load_pending(session: &Session, kinde: &Kinde) -> Result<PendingLogins, KindeError> {
    // A pending-login record that no longer parses (e.g. after an upgrade) is dropped.
    Ok(session
        .get::<PendingLogins>(&kinde.session_keys().pending)
        .await
        .unwrap_or(None)
        .unwrap_or_default())
}

async fn save_pending(
    session: &Session,
    kinde: &Kinde,
    pending: &PendingLogins,
) -> Result<(), KindeError> {
    let key = &kinde.session_keys().pending;
    // No empty record left behind: a signed-in session stores only its tokens.
    if pending.is_empty() {
        session.remove_value(key).await.map_err(store_error)?;
    } else {
        session.insert(key, pending).await.map_err(store_error)?;
    }
    Ok(())
}

async fn login_route(
    kind: LoginKind,
    State(auth): State<KindeAuth>,
    session: Session,
    RawQuery(query): RawQuery,
) -> Response {
    let result: Result<Response, KindeError> = async {
        let query: LoginQuery = web::parse_query(query.as_deref())?;
        let kinde = auth.kinde();
        let login = kinde.login_url(query.into_options(kind)).await?;
        let mut pending = load_pending(&session, kinde).await?;
        pending.insert(login.pending, kinde.config().login_ttl());
        save_pending(&session, kinde, &pending).await?;
        Ok(no_store(Redirect::to(login.url.as_str()).into_response()))
    }
    .await;
    result.unwrap_or_else(|e| page_error(&auth, &e))
}

async fn callback_route(
    State(auth): State<KindeAuth>,
    session: Session,
    RawQuery(query): RawQuery,
) -> Response {
    let result: Result<Response, KindeError> = async {
        let params: CallbackParams = web::parse_query(query.as_deref())?;
        let kinde = auth.kinde();
        let mut pending = load_pending(&session, kinde).await?;
        let outcome = kinde.complete_login(&params, &mut pending).await;
        // The used (or expired) state is gone whatever happened next.
        save_pending(&session, kinde, &pending).await?;
        match outcome? {
            CallbackOutcome::SignedIn {
                session: signed_in,
                return_to,
            } => {
                // A new session id on every login (session fixation).
                session.cycle_id().await.map_err(store_error)?;
                store_tokens(&session, kinde, &signed_in.tokens).await?;
                Ok(no_store(Redirect::to(&return_to).into_response()))
            }
            CallbackOutcome::Restart(login) => {
                pending.insert(login.pending, kinde.config().login_ttl());
                save_pending(&session, kinde, &pending).await?;
                Ok(no_store(Redirect::to(login.url.as_str()).into_response()))
            }
        }
    }
    .await;
    result.unwrap_or_else(|e| page_error(&auth, &e))
}

async fn logout_route(State(auth): State<KindeAuth>, session: Session) -> Response {
    let tokens = stored_tokens(&session, auth.kinde())
        .await
        .ok()
        .flatten()
        .and_then(|stored| TokenSet::from_json(&stored).ok());
    if let Err(e) = session.flush().await {
        return page_error(&auth, &store_error(e));
    }
    let url = match auth.kinde().logout_url(tokens.as_ref()).await {
        Ok(url) => url,
        Err(e) => return page_error(&auth, &e),
    };
    no_store(Redirect::to(url.as_str()).into_response())
}

#[derive(serde::Deserialize)]
struct PortalQuery {
    subnav: Option<String>,
    #[serde(rename = "returnTo", alias = "return_to")]
    return_to: Option<String>,
}

async fn portal_route(
    State(auth): State<KindeAuth>,
    token: Result<AccessToken, AuthRejection>,
    RawQuery(query): RawQuery,
) -> Response {
    let token = match token {
        Ok(t) => t,
        Err(r) => return r.into_response(),
    };
    let result: Result<Response, KindeError> = async {
        let q: PortalQuery = web::parse_query(query.as_deref())?;
        let page = q
            .subnav
            .as_deref()
            .map(str::parse::<PortalPage>)
            .transpose()?;
        let kinde = auth.kinde();
        let return_url = kinde
            .app_url(q.return_to.as_deref().unwrap_or("/"))
            .ok_or_else(|| {
                KindeError::Config("KINDE_REDIRECT_URI: needed for the portal route".into())
            })?;
        let link = kinde
            .portal_link(token.secret(), return_url.as_str(), page)
            .await?;
        Ok(no_store(Redirect::to(link.as_str()).into_response()))
    }
    .await;
    result.unwrap_or_else(|e| page_error(&auth, &e))
}
