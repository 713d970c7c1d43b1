//! [`KindeAuth`], the Kinde handle of an actix-web app: the core client, the route
//! paths, where credentials come from, how rejections are rendered (declared in
//! kinde-core, like kinde-axum's), which session it uses, and its session middleware.

use std::sync::Arc;

use actix_session::storage::SessionStore;
use actix_web::{HttpRequest, HttpResponse, web};
use kinde_core::KindeError;
use kinde_core::web::SessionCookie;

use crate::reject::{AuthRejection, Renderer, request_view};
use crate::session::{MemorySessionStore, SessionMiddleware};

kinde_core::__declare_handle! {
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
    /// ([`SessionMiddleware::with_cookie_name`]) so a browser can be signed in to both at
    /// once (with the same cookie name, the last sign-in's session wins).
    ///
    /// [`resolve_caller`](crate::resolve_caller) uses the handle it finds in the request's
    /// app data: register it inside each tenant's scope, not at the app level.
    response: HttpResponse;
    extras {
        /// The store of [`KindeAuth::session_middleware`], shared by every worker.
        memory_store: MemorySessionStore,
        /// Whether kinde's values live in actix-session's own `Session`.
        actix_session: bool,
    }
}

impl KindeAuth {
    /// Keep kinde's values in actix-session's own `Session`, for an app that wraps
    /// actix-session's `SessionMiddleware` (with any of its stores, `CookieSessionStore`
    /// included) because it already uses it, or actix-identity, or `SessionExt`. Kinde's
    /// routes, extractors and guards then work on top of it, instead of
    /// [`session_middleware`](Self::session_middleware).
    ///
    /// ```no_run
    /// use actix_session::{SessionMiddleware, storage::CookieSessionStore};
    /// use actix_web::{App, cookie::Key, middleware::from_fn};
    /// # fn run(kinde: kinde_actix::KindeAuth, key: Key) {
    /// let kinde = kinde.with_actix_session();
    /// let app = App::new()
    ///     .configure(kinde.configure())
    ///     // Signed-in pages get `Cache-Control: no-store`, as under kinde's middleware.
    ///     .wrap(from_fn(kinde_actix::signed_in_pages_not_stored))
    ///     .wrap(SessionMiddleware::new(CookieSessionStore::default(), key));
    /// # }
    /// ```
    ///
    /// actix-session's middleware must wrap the routes: without it actix-session hands
    /// out a detached `Session` that is never saved, and every sign-in fails at the
    /// callback (kinde logs a warning naming the likely cause).
    ///
    /// With `CookieSessionStore` the tokens travel in the cookie: keep actix-session's
    /// default `CookieContentSecurity::Private` (encrypted; `Signed` leaves them readable),
    /// mind that a browser keeps at most about 4 KB per cookie (Kinde's tokens with large
    /// custom claims can exceed it), and that logout cannot take back a copy of an old
    /// cookie (it revokes the refresh token at Kinde, so such a copy lives only until its
    /// access token expires). A server-side store (actix-session's Redis store) has none
    /// of these limits. Store failures are actix-session's to answer: its middleware
    /// answers a store that cannot load with 500, where kinde-actix's answers 503 with
    /// `Retry-After`.
    pub fn with_actix_session(self) -> Self {
        self.map(|s| s.actix_session = true)
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
        SessionMiddleware::new(store, SessionCookie::for_config(self.kinde().config()))
    }

    /// Whether kinde's values live in actix-session's own `Session`.
    pub(crate) fn uses_actix_session(&self) -> bool {
        self.inner.actix_session
    }

    /// The handle registered in the request's app data.
    pub(crate) fn of(req: &HttpRequest) -> Result<KindeAuth, KindeError> {
        req.app_data::<web::Data<KindeAuth>>()
            .map(|d| d.get_ref().clone())
            .ok_or_else(|| {
                KindeError::Config(
                    "KindeAuth is not registered: use `App::configure(kinde.configure())`".into(),
                )
            })
    }

    /// Refuse `req` with `error`, as this handle renders refusals.
    pub(crate) fn reject(&self, req: &HttpRequest, error: KindeError) -> AuthRejection {
        let settings = &self.inner;
        // The login path as the browser sees it: inside a `web::scope`, actix knows the
        // scope's prefix by the route's name.
        let mounted = settings
            .paths
            .login
            .as_ref()
            .and_then(|_| req.url_for_static(&self.login_route_name()).ok());
        let login_path = mounted
            .as_ref()
            .map(|url| url.path())
            .or(settings.paths.login.as_deref());
        self.reject_with(error, &request_view(req), login_path)
    }

    /// The actix resource name of this handle's login route (unique per handle).
    pub(crate) fn login_route_name(&self) -> String {
        format!("kinde-login-{:p}", Arc::as_ptr(&self.inner))
    }
}
