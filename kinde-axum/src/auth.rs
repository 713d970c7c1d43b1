//! [`KindeAuth`], the Kinde handle of an axum app: the core client, the route paths,
//! where credentials come from, how rejections are rendered (declared in kinde-core,
//! like kinde-actix's), and its session layer.

use axum::http::request::Parts;
use axum::response::Response;
use kinde_core::KindeError;
use kinde_core::web::SessionCookie;
use tower_sessions::SessionStore;

use crate::reject::{AuthRejection, Renderer, request_view};
use crate::session::{MemorySessionStore, SessionLayer};

kinde_core::__declare_handle! {
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
    ///         .layer(auth.session_layer().with_cookie_name(cookie))
    ///         .with_state(auth)
    /// }
    /// # fn run(a: KindeAuth, b: KindeAuth) {
    /// let app = tenant(a, "/a", "kinde_session_a").merge(tenant(b, "/b", "kinde_session_b"));
    /// # }
    /// ```
    response: Response;
    extras {
        /// The store of [`KindeAuth::session_layer`]: shared by every layer made from
        /// this handle, and read in place by the extractors.
        memory_store: MemorySessionStore,
    }
}

impl KindeAuth {
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
        SessionLayer::new(store, SessionCookie::for_config(self.kinde().config()))
    }

    /// Refuse the request of `parts` with `error`, as this handle renders refusals.
    pub(crate) fn reject(&self, parts: &Parts, error: KindeError) -> AuthRejection {
        self.reject_with(error, &request_view(parts), self.paths().login.as_deref())
    }
}
