//! # kinde-axum
//!
//! [Kinde](https://kinde.com) authentication for [axum]: one call mounts the login,
//! register, create-organisation, callback, logout, portal and switch-organisation
//! routes; extractors give handlers the signed-in user, their permissions, roles,
//! feature flags and organisation; guards demand a permission or role. It serves server-rendered sites
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
//!     .merge(kinde.routes())              // /login … /portal /switch-org
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
//! Its `with_*` methods set the cookie's name, `Secure`, `SameSite`, path and domain,
//! and the session's lifetime.
//! For several instances or restarts, keep the sessions in Redis (feature `redis`:
//! `RedisSessionStore`, with `kinde_core::redis::RedisRefreshStore` so that the
//! instances refresh a session once; see the README's "Running several instances"),
//! or in any other tower-sessions store, with [`KindeAuth::session_layer_with`]. The
//! session holds, server-side, the tokens in kinde-core's session format
//! ([`TokenSet::to_json`](kinde_core::TokenSet::to_json), one string) and, during a
//! login, the [`PendingLogins`](kinde_core::PendingLogins).
//!
//! ## Rejections
//! A browser page without a session is redirected to the login route with `returnTo`;
//! an API request (a `Bearer` header, `Accept: application/json`, or a non-GET) gets 401
//! with `WWW-Authenticate: Bearer` and a JSON body; a signed-in visitor lacking a
//! permission or role gets 403 (never a login loop); Kinde being unreachable is 503.
//! Replace the rendering with [`KindeAuth::render_rejections_with`].
//!
//! ## Organisations, login options, forced refreshes
//! `/switch-org?org_code=…` moves a signed-in user to another of their organisations
//! (`CurrentOrganization` names it afterwards; `KindeUser::organizations` lists them).
//! The login routes take every login option Kinde documents from their query, over
//! defaults the app sets per route, and `audience`/`scope` only from the configuration
//! unless allowed: see [`LoginPolicy`](kinde_core::LoginPolicy). After changing a
//! user's roles or permissions, `auth.kinde().force_refresh(&user_id).await` makes their
//! sessions refresh on their next request
//! ([`Kinde::force_refresh`](kinde_core::Kinde::force_refresh)).
//!
//! ## How it is built
//! The protocol (which session values each route reads and writes and in which order,
//! `state`, PKCE, nonce, refresh, error mapping) is kinde-core's [`flow`](kinde_core::flow);
//! this crate translates: `auth` (the handle), `resolve` (the caller, once per request),
//! `reject` and `reply` (answers), `extract` and `guard` (what handlers take), `routes`
//! (one handler for every built-in route) and `session` (the layer, the store, and
//! tower-sessions' `Session` as kinde reads and writes it). kinde-actix has the same
//! files for the same roles.
//!
//! [tower-sessions]: https://docs.rs/tower-sessions

#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod extract;
mod guard;
mod reject;
mod reply;
mod resolve;
mod routes;
mod session;
mod webhook;

pub use kinde_core;

pub use auth::KindeAuth;
pub use extract::{
    AccessToken, CurrentOrganization, FeatureFlags, KindeClaims, KindeUser, Permissions, Roles,
};
pub use guard::{RequirePermission, RequireRole};
pub use kinde_core::web::{RoutePaths, SameSite, TokenSource};
pub use kinde_core::{PermissionKey, RoleKey, permission, role};
pub use reject::AuthRejection;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use session::RedisSessionStore;
pub use session::{MemorySessionStore, ResponseFuture, SessionLayer, SessionService};
pub use webhook::{KindeWebhook, WebhookRejection};

// The README's examples (what crates.io shows), compiled as doctests.
#[cfg(all(doctest, feature = "redis"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
