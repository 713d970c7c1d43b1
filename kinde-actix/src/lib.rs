//! # kinde-actix
//!
//! [Kinde](https://kinde.com) authentication for [actix-web]: the same surface as
//! `kinde-axum`, in actix's idioms. One `configure` call registers the login, register,
//! create-organisation, callback, logout and portal routes; `FromRequest` extractors give
//! handlers the user, permissions, roles, feature flags and organisation; guards work as
//! extractors, as middleware on a scope, and inside `guard::fn_guard`. All protocol
//! logic lives in [`kinde_core`].
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web, middleware::from_fn};
//! use kinde_actix::{KindeAuth, KindeUser, RequirePermission, permission};
//!
//! permission!(pub ReadTodos = "read:todos");
//!
//! async fn me(user: KindeUser) -> String { user.display_name() }
//! async fn todos(_: RequirePermission<ReadTodos>) -> &'static str { "[]" }
//!
//! # async fn run() -> std::io::Result<()> {
//! let kinde = KindeAuth::from_env().expect("KINDE_* variables");
//! HttpServer::new(move || {
//!     App::new()
//!         .configure(kinde.configure())   // routes + the handle as app data
//!         .route("/me", web::get().to(me))
//!         .route("/todos", web::get().to(todos))
//!         .wrap(from_fn(kinde_actix::resolve_identity)) // optional: for `fn_guard`s
//!         .wrap(kinde.session_middleware()) // one store per KindeAuth, shared by workers
//! })
//! .bind(("127.0.0.1", 3000))?
//! .run()
//! .await
//! # }
//! ```
//!
//! ## Sessions
//! [`KindeAuth::session_middleware`] is kinde-actix's own [`SessionMiddleware`]: the
//! state on the server, in a [`MemorySessionStore`] (actix-session has no in-memory
//! store), and only a random key in the cookie (`HttpOnly`, `SameSite=Lax`, `Secure`
//! unless the app runs on http loopback, 14 days). Handlers extract its [`Session`] for
//! their own data. It is leaner than actix-session's middleware (see
//! [`SessionMiddleware`] for why) and takes any of actix-session's server-side stores.
//! The store belongs to the `KindeAuth` handle, so every worker that calls
//! `session_middleware()` shares it. For several instances, pass actix-session's
//! `RedisSessionStore` to [`KindeAuth::session_middleware_with`]. The session key is
//! renewed at sign-in.
//!
//! ## Optional users
//! actix's `Option<T>` extractor turns every error into `None`, an outage included. Use
//! [`MaybeKindeUser`]: `None` only when nobody is signed in.

mod session;
mod store;

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;

use actix_session::storage::SessionStore;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::guard::GuardContext;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use futures_util::future::LocalBoxFuture;

pub use kinde_core;
pub use kinde_core::web::TokenSource;
use kinde_core::web::{self as kweb, ErrorResponse, Identity, LoginKind, LoginQuery, SessionState};
use kinde_core::{
    CallbackOutcome, CallbackParams, Claims, Kinde, KindeError, PendingLogins, PortalPage, TokenSet,
};
pub use session::{Session, SessionError, SessionFuture, SessionMiddleware, SessionService};
pub use store::MemorySessionStore;

pub use kinde_core::web::RoutePaths;

type Renderer = Arc<dyn Fn(&AuthError) -> HttpResponse + Send + Sync>;

struct Inner {
    kinde: Kinde,
    paths: RoutePaths,
    source: TokenSource,
    renderer: Option<Renderer>,
    memory_store: MemorySessionStore,
    cookie_name: String,
}

/// The Kinde handle of an actix-web app. Cheap to clone; registered as app data by
/// [`configure`](Self::configure), where the extractors find it.
///
/// Inside a `web::scope`, the [`RoutePaths`] are relative to the scope (a rejection's
/// login redirect includes the scope's prefix). Two handles for two tenants can serve
/// two scopes of one app: app data registered in a scope shadows the app's, so give
/// each tenant a scope of its own with
/// `.configure(kinde.configure()).wrap(kinde.session_middleware())`. Each client stores
/// its tokens under its own [session keys](kinde_core::Kinde::session_keys), so tenants
/// never overwrite each other's data; give each tenant's middleware its own cookie
/// ([`with_cookie_name`](Self::with_cookie_name)) so a browser can be signed in to both
/// at once (with the same cookie name, the last sign-in's session wins).
///
/// [`resolve_identity`] uses the handle it finds in the request's app data: register it
/// inside each tenant's scope, not at the app level.
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
                cookie_name: "kinde_session".into(),
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
            cookie_name: self.inner.cookie_name.clone(),
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

    /// Name the session cookie (default `kinde_session`), e.g. one per tenant so a
    /// browser can be signed in to two tenants of one app at once.
    pub fn with_cookie_name(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.map(|i| i.cookie_name = name)
    }

    /// Render rejections yourself.
    pub fn render_rejections_with(
        self,
        render: impl Fn(&AuthError) -> HttpResponse + Send + Sync + 'static,
    ) -> Self {
        self.map(|i| i.renderer = Some(Arc::new(render)))
    }

    /// The core client.
    pub fn kinde(&self) -> &Kinde {
        &self.inner.kinde
    }

    /// The configured route paths.
    pub fn paths(&self) -> &RoutePaths {
        &self.inner.paths
    }

    /// Register the handle as app data and mount the built-in routes:
    /// `App::new().configure(kinde.configure())`, or inside a `web::scope`.
    pub fn configure(&self) -> impl Fn(&mut web::ServiceConfig) + Clone + 'static {
        let auth = self.clone();
        move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(web::Data::new(auth.clone()));
            let paths = &auth.inner.paths;
            if let (Some(cb), Some(uri)) =
                (&paths.callback, auth.inner.kinde.config().redirect_uri())
                // Inside a `web::scope` the path is relative to the scope.
                && !uri.path().ends_with(cb.as_str())
            {
                tracing::warn!(route = %cb, redirect_uri_path = uri.path(), "the callback route does not match KINDE_REDIRECT_URI");
            }
            if let Some(p) = &paths.login {
                // Named, so that rejections can ask actix where it is mounted (inside a
                // `web::scope`, under the scope's prefix).
                cfg.service(web::resource(p).name(&login_route_name(&auth)).route(
                    web::get().to(|r: HttpRequest, s: Session| login_route(LoginKind::Login, r, s)),
                ));
            }
            if let Some(p) = &paths.register {
                cfg.route(
                    p,
                    web::get()
                        .to(|r: HttpRequest, s: Session| login_route(LoginKind::Register, r, s)),
                );
            }
            if let Some(p) = &paths.create_org {
                cfg.route(
                    p,
                    web::get()
                        .to(|r: HttpRequest, s: Session| login_route(LoginKind::CreateOrg, r, s)),
                );
            }
            if let Some(p) = &paths.callback {
                cfg.route(p, web::get().to(callback_route));
            }
            if let Some(p) = &paths.logout {
                cfg.route(p, web::get().to(logout_route));
            }
            if let Some(p) = &paths.portal {
                cfg.route(p, web::get().to(portal_route));
            }
        }
    }

    /// Session middleware with safe defaults over this handle's [`MemorySessionStore`]
    /// (one store per `KindeAuth`, shared by every worker that calls this).
    pub fn session_middleware(&self) -> SessionMiddleware<MemorySessionStore> {
        self.session_middleware_with(self.inner.memory_store.clone())
    }

    /// The in-memory session store behind [`session_middleware`](Self::session_middleware).
    pub fn memory_store(&self) -> &MemorySessionStore {
        &self.inner.memory_store
    }

    /// The same middleware over any actix-session store that keeps the state
    /// server-side (e.g. `RedisSessionStore`; not `CookieSessionStore`, see
    /// [`SessionMiddleware`]).
    pub fn session_middleware_with<S: SessionStore + 'static>(
        &self,
        store: S,
    ) -> SessionMiddleware<S> {
        SessionMiddleware::new(
            store,
            self.inner.cookie_name.clone(),
            !self.inner.kinde.config().is_local_http(),
        )
    }

    fn home(&self) -> &str {
        self.inner.kinde.config().post_login_redirect()
    }

    fn from_request(req: &HttpRequest) -> Result<KindeAuth, KindeError> {
        req.app_data::<web::Data<KindeAuth>>()
            .map(|d| d.get_ref().clone())
            .ok_or_else(|| {
                KindeError::Config(
                    "KindeAuth is not registered: use `App::configure(kinde.configure())`".into(),
                )
            })
    }
}

// ---------------------------------------------------------------------------------
// Resolution: once per request, cached in the request's extensions.
// ---------------------------------------------------------------------------------

#[derive(Clone)]
struct Resolved(Result<Identity, KindeError>);

fn is_api(req: &HttpRequest) -> bool {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    kweb::is_api_request(
        req.method().as_str(),
        accept,
        req.headers().contains_key(header::AUTHORIZATION),
    )
}

/// The actix resource name of a handle's login route (unique per handle).
fn login_route_name(auth: &KindeAuth) -> String {
    format!("kinde-login-{:p}", Arc::as_ptr(&auth.inner))
}

fn auth_error(req: &HttpRequest, auth: Option<&KindeAuth>, error: KindeError) -> AuthError {
    let requested = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    // A bearer-only handle has no sessions: a login could never satisfy it (it would
    // only loop), so its rejections are always API-style.
    let bearer_only = auth.is_some_and(|a| a.inner.source == TokenSource::Bearer);
    AuthError {
        is_api: bearer_only || is_api(req),
        login_redirect: auth.filter(|_| !bearer_only).and_then(|a| {
            let login = a.inner.paths.login.as_deref()?;
            // The path the browser sees, scope prefix included.
            let mounted = req.url_for_static(&login_route_name(a)).ok();
            let path = mounted.as_ref().map_or(login, |u| u.path());
            Some(kweb::login_redirect(path, requested))
        }),
        home: auth
            .map(|a| a.home().to_string())
            .unwrap_or_else(|| "/".into()),
        renderer: auth.and_then(|a| a.inner.renderer.clone()),
        error,
    }
}

async fn identity(req: &HttpRequest) -> Result<Identity, KindeError> {
    let cached = req.extensions().get::<Resolved>().cloned();
    if let Some(Resolved(r)) = cached {
        return r;
    }
    let result = resolve(req).await;
    req.extensions_mut().insert(Resolved(result.clone()));
    result
}

async fn resolve(req: &HttpRequest) -> Result<Identity, KindeError> {
    let auth = KindeAuth::from_request(req)?;
    let kinde = &auth.inner.kinde;
    let source = auth.inner.source;
    if source != TokenSource::Session {
        let header = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes());
        if let Some(identity) = kinde.bearer_identity_of_header(header).await? {
            return Ok(identity);
        }
        if source == TokenSource::Bearer {
            return Ok(Identity::Anonymous);
        }
    }
    let Some(session) = Session::of(req) else {
        return Err(KindeError::Config(
            "the kinde-actix session middleware is missing: add `.wrap(kinde.session_middleware())`"
                .into(),
        ));
    };
    // A session verified before is recognised from its tokens read in place in the
    // handle's memory store, without loading a copy of the state.
    if let Some(hit) = session.with_untouched_key(|key| {
        auth.inner
            .memory_store
            .with_value(key, &kinde.session_keys().tokens, |stored| {
                kinde.cached_session(stored)
            })
    }) {
        return Ok(Identity::Session(hit));
    }
    // Each value is kept as its JSON text, which for the token set is the session
    // format (`TokenSet::to_json`).
    // (A session that was loaded or changed earlier in this request, or kept in
    // another store, is looked up here, still without a copy on a hit.)
    let looked_up = session
        .with_raw(&kinde.session_keys().tokens, |raw| {
            raw.map(|stored| {
                kinde
                    .cached_session(stored)
                    .ok_or_else(|| stored.to_owned())
            })
        })
        .await
        .map_err(session_error)?;
    let stored = match looked_up {
        Some(Ok(hit)) => return Ok(Identity::Session(hit)),
        Some(Err(stored)) => Some(stored),
        None => None,
    };
    match kinde.resume_stored_session(stored.as_deref()).await? {
        SessionState::Anonymous => Ok(Identity::Anonymous),
        SessionState::Ended => {
            session
                .remove(&kinde.session_keys().tokens)
                .await
                .map_err(session_error)?;
            Ok(Identity::Anonymous)
        }
        SessionState::Active(s) => {
            if s.refreshed {
                session
                    .insert(&kinde.session_keys().tokens, &s.tokens)
                    .await
                    .map_err(session_error)?;
            }
            Ok(Identity::Session(s))
        }
    }
}

fn session_error(e: SessionError) -> KindeError {
    tracing::error!(error = %e, "session store error");
    KindeError::Unavailable("session store".into())
}

async fn signed_in(req: &HttpRequest) -> Result<Identity, AuthError> {
    let auth = KindeAuth::from_request(req).ok();
    match identity(req).await {
        Ok(Identity::Anonymous) => Err(auth_error(req, auth.as_ref(), KindeError::NotSignedIn)),
        Ok(id) => Ok(id),
        Err(e) => Err(auth_error(req, auth.as_ref(), e)),
    }
}

/// Middleware function that resolves the request's identity up front (verifying and,
/// when needed, refreshing the session), so that synchronous guards can read it through
/// [`KindeRequestExt`]. It never rejects by itself. Register it inside the session
/// middleware: `.wrap(from_fn(kinde_actix::resolve_identity)).wrap(session)`.
pub async fn resolve_identity(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let _ = identity(req.request()).await;
    next.call(req).await
}

// ---------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------

/// Why an extractor or guard refused a request; renders (through [`ResponseError`]) as
/// a login redirect, 401 with `WWW-Authenticate`, 403, 400 or 503.
pub struct AuthError {
    /// The underlying error.
    pub error: KindeError,
    /// Whether the request wants API-style answers.
    pub is_api: bool,
    /// The login URL with `returnTo`, when a login route is mounted.
    pub login_redirect: Option<String>,
    home: String,
    renderer: Option<Renderer>,
}

impl fmt::Debug for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthError")
            .field("error", &self.error)
            .field("is_api", &self.is_api)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl AuthError {
    /// The default rendering.
    pub fn default_response(&self) -> HttpResponse {
        respond(ErrorResponse::for_error(
            &self.error,
            self.is_api,
            self.login_redirect.as_deref(),
            &self.home,
        ))
    }
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        match &self.renderer {
            Some(render) => render(self),
            None => self.default_response(),
        }
    }
}

fn respond(plan: ErrorResponse) -> HttpResponse {
    let status = StatusCode::from_u16(plan.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = HttpResponse::build(status);
    if let Some(location) = plan.location {
        resp.insert_header((header::LOCATION, location));
        resp.insert_header((header::CACHE_CONTROL, "no-store"));
    }
    if let Some(auth) = plan.www_authenticate {
        resp.insert_header((header::WWW_AUTHENTICATE, auth));
    }
    resp.content_type(plan.content_type).body(plan.body)
}

fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
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

        impl FromRequest for $name {
            type Error = AuthError;
            type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move {
                    let $id = signed_in(&req).await?;
                    let value: Option<$inner> = $body;
                    value.map($name).ok_or_else(|| {
                        let auth = KindeAuth::from_request(&req).ok();
                        auth_error(&req, auth.as_ref(), KindeError::NotSignedIn)
                    })
                })
            }
        }
    };
}

extractor!(
    /// The signed-in user. Rejects when nobody is signed in (see [`MaybeKindeUser`]).
    /// The user is built once per verified session or token and shared: extracting it
    /// copies nothing.
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

extractor!(
    /// The verified claims: access token, and ID token for browser sessions.
    KindeClaims(KindeClaimsInner),
    |id| id.access_claims().map(|a| KindeClaimsInner { access: a.clone(), id: id.id_claims().cloned() })
);

/// The contents of [`KindeClaims`].
#[derive(Debug, Clone)]
pub struct KindeClaimsInner {
    /// Access-token claims.
    pub access: Claims,
    /// ID-token claims (browser sessions only).
    pub id: Option<Claims>,
}

/// The raw access token of the request. `Debug` never prints it.
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

impl FromRequest for AccessToken {
    type Error = AuthError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let id = signed_in(&req).await?;
            let token = id.access_token().map(Arc::from);
            token.map(AccessToken).ok_or_else(|| {
                let auth = KindeAuth::from_request(&req).ok();
                auth_error(&req, auth.as_ref(), KindeError::NotSignedIn)
            })
        })
    }
}

/// The signed-in user, or `None` when nobody is signed in. Unlike `Option<KindeUser>`
/// (which actix fills with `None` on any error), an invalid bearer token or an outage
/// of Kinde is still an error.
#[derive(Debug, Clone)]
pub struct MaybeKindeUser(pub Option<Arc<kinde_core::KindeUser>>);

impl FromRequest for MaybeKindeUser {
    type Error = AuthError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match identity(&req).await {
                Ok(id) => Ok(MaybeKindeUser(id.user())),
                Err(e) => {
                    let auth = KindeAuth::from_request(&req).ok();
                    Err(auth_error(&req, auth.as_ref(), e))
                }
            }
        })
    }
}

// ---------------------------------------------------------------------------------
// Guards
// ---------------------------------------------------------------------------------

pub use kinde_core::{PermissionKey, RoleKey, permission, role};

async fn check(
    req: &HttpRequest,
    require: impl Fn(&Identity) -> Result<(), KindeError>,
) -> Result<(), AuthError> {
    require(&signed_in(req).await?).map_err(|e| {
        let auth = KindeAuth::from_request(req).ok();
        auth_error(req, auth.as_ref(), e)
    })
}

/// Guard extractor: the signed-in user must hold permission `P` (403 otherwise).
pub struct RequirePermission<P>(PhantomData<P>);

/// Guard extractor: the signed-in user must have role `R` (403 otherwise).
pub struct RequireRole<R>(PhantomData<R>);

impl<P: PermissionKey> fmt::Debug for RequirePermission<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequirePermission({})", P::KEY)
    }
}

impl<R: RoleKey> fmt::Debug for RequireRole<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequireRole({})", R::KEY)
    }
}

impl<P: PermissionKey> FromRequest for RequirePermission<P> {
    type Error = AuthError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            check(&req, |id| id.require_permission(P::KEY)).await?;
            Ok(RequirePermission(PhantomData))
        })
    }
}

impl<R: RoleKey> FromRequest for RequireRole<R> {
    type Error = AuthError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            check(&req, |id| id.require_role(R::KEY)).await?;
            Ok(RequireRole(PhantomData))
        })
    }
}

/// Middleware function guarding a whole scope with permission `P`:
/// `web::scope("/todos").wrap(from_fn(kinde_actix::require_permission::<ReadTodos>))`.
pub async fn require_permission<P: PermissionKey>(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    check(req.request(), |id| id.require_permission(P::KEY)).await?;
    next.call(req).await
}

/// Middleware function guarding a whole scope with role `R` (see [`require_permission`]).
pub async fn require_role<R: RoleKey>(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    check(req.request(), |id| id.require_role(R::KEY)).await?;
    next.call(req).await
}

/// Read the identity that [`resolve_identity`] (or an earlier extractor) resolved, from
/// handlers, middleware and synchronous guards — in the spirit of actix-identity:
///
/// ```no_run
/// use actix_web::{guard, web, App};
/// use kinde_actix::KindeRequestExt;
/// let app = App::new().service(
///     web::resource("/beta")
///         .guard(guard::fn_guard(|ctx| ctx.kinde_has_permission("beta:access")))
///         .to(|| async { "beta" }),
/// );
/// ```
///
/// Without [`resolve_identity`] registered, guards see nobody signed in. A guard that
/// does not match rejects nothing: actix tries the next route for the path and answers
/// 404 when none matches. For 401/403 answers use the extractors
/// ([`RequirePermission`], [`RequireRole`]) or [`require_permission`] on a scope.
pub trait KindeRequestExt {
    /// The resolved identity, if resolution ran and succeeded.
    fn kinde_identity(&self) -> Option<Identity>;

    /// The signed-in user.
    fn kinde_user(&self) -> Option<Arc<kinde_core::KindeUser>> {
        self.kinde_identity().and_then(|id| id.user())
    }

    /// Whether the signed-in user holds `permission`.
    fn kinde_has_permission(&self, permission: &str) -> bool {
        self.kinde_identity()
            .is_some_and(|id| id.has_permission(permission))
    }

    /// Whether the signed-in user has `role`.
    fn kinde_has_role(&self, role: &str) -> bool {
        self.kinde_identity().is_some_and(|id| id.has_role(role))
    }
}

fn cached(ext: &actix_web::dev::Extensions) -> Option<Identity> {
    match ext.get::<Resolved>() {
        Some(Resolved(Ok(id))) => Some(id.clone()),
        _ => None,
    }
}

impl KindeRequestExt for HttpRequest {
    fn kinde_identity(&self) -> Option<Identity> {
        cached(&self.extensions())
    }
}

impl KindeRequestExt for ServiceRequest {
    fn kinde_identity(&self) -> Option<Identity> {
        cached(&self.extensions())
    }
}

impl KindeRequestExt for GuardContext<'_> {
    fn kinde_identity(&self) -> Option<Identity> {
        cached(&self.req_data())
    }
}

// ---------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------

fn page_error(auth: Option<&KindeAuth>, err: &KindeError) -> HttpResponse {
    if err.status() >= 500 {
        tracing::warn!(error = %err, "Kinde route failed");
    } else {
        tracing::debug!(error = %err, "Kinde route refused");
    }
    let home = auth.map(KindeAuth::home).unwrap_or("/");
    let mut resp = respond(ErrorResponse::for_error(err, false, None, home));
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    resp
}

async fn load_pending(session: &Session, kinde: &Kinde) -> Result<PendingLogins, KindeError> {
    // A pending-login record that no longer parses is dropped.
    session
        .with_raw(&kinde.session_keys().pending, |raw| {
            raw.and_then(|json| serde_json::from_str(json).ok())
                .unwrap_or_default()
        })
        .await
        .map_err(session_error)
}

async fn save_pending(
    session: &Session,
    kinde: &Kinde,
    pending: &PendingLogins,
) -> Result<(), KindeError> {
    let key = &kinde.session_keys().pending;
    // No empty record left behind: a signed-in session stores only its tokens.
    if pending.is_empty() {
        session.remove(key).await.map_err(session_error)?;
    } else {
        session.insert(key, pending).await.map_err(session_error)?;
    }
    Ok(())
}

async fn login_route(kind: LoginKind, req: HttpRequest, session: Session) -> HttpResponse {
    let auth = KindeAuth::from_request(&req);
    let result: Result<HttpResponse, KindeError> = async {
        let auth = auth.as_ref().map_err(Clone::clone)?;
        let query: LoginQuery = kweb::parse_query(Some(req.query_string()))?;
        let kinde = auth.kinde();
        let login = kinde.login_url(query.into_options(kind)).await?;
        let mut pending = load_pending(&session, kinde).await?;
        pending.insert(login.pending, kinde.config().login_ttl());
        save_pending(&session, kinde, &pending).await?;
        Ok(redirect(login.url.as_str()))
    }
    .await;
    result.unwrap_or_else(|e| page_error(auth.as_ref().ok(), &e))
}

async fn callback_route(req: HttpRequest, session: Session) -> HttpResponse {
    let auth = KindeAuth::from_request(&req);
    let result: Result<HttpResponse, KindeError> = async {
        let auth = auth.as_ref().map_err(Clone::clone)?;
        let params: CallbackParams = kweb::parse_query(Some(req.query_string()))?;
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
                session.renew().await.map_err(session_error)?;
                session
                    .insert(&kinde.session_keys().tokens, &signed_in.tokens)
                    .await
                    .map_err(session_error)?;
                Ok(redirect(&return_to))
            }
            CallbackOutcome::Restart(login) => {
                pending.insert(login.pending, kinde.config().login_ttl());
                save_pending(&session, kinde, &pending).await?;
                Ok(redirect(login.url.as_str()))
            }
        }
    }
    .await;
    result.unwrap_or_else(|e| page_error(auth.as_ref().ok(), &e))
}

async fn logout_route(req: HttpRequest, session: Session) -> HttpResponse {
    let auth = match KindeAuth::from_request(&req) {
        Ok(a) => a,
        Err(e) => return page_error(None, &e),
    };
    // Tokens that no longer parse are still signed out of, without a hint.
    let tokens: Option<TokenSet> = session
        .get(&auth.kinde().session_keys().tokens)
        .await
        .unwrap_or(None);
    session.purge();
    let url = match auth.kinde().logout_url(tokens.as_ref()).await {
        Ok(url) => url,
        Err(e) => return page_error(Some(&auth), &e),
    };
    redirect(url.as_str())
}

#[derive(serde::Deserialize)]
struct PortalQuery {
    subnav: Option<String>,
    #[serde(rename = "returnTo", alias = "return_to")]
    return_to: Option<String>,
}

async fn portal_route(req: HttpRequest, token: Result<AccessToken, AuthError>) -> HttpResponse {
    let token = match token {
        Ok(t) => t,
        Err(e) => return e.error_response(),
    };
    let auth = KindeAuth::from_request(&req);
    let result: Result<HttpResponse, KindeError> = async {
        let auth = auth.as_ref().map_err(Clone::clone)?;
        let q: PortalQuery = kweb::parse_query(Some(req.query_string()))?;
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
        Ok(redirect(link.as_str()))
    }
    .await;
    result.unwrap_or_else(|e| page_error(auth.as_ref().ok(), &e))
}
