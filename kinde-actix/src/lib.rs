//! # kinde-actix
//!
//! [Kinde](https://kinde.com) authentication for [actix-web]: the same surface as
//! `kinde-axum`, in actix's idioms. One `configure` call registers the login, register,
//! create-organisation, callback, logout, portal and switch-organisation routes;
//! `FromRequest` extractors give handlers the user, permissions, roles, feature flags
//! and organisation; guards work as extractors, as middleware on a scope, and inside
//! `guard::fn_guard`. All protocol logic lives in [`kinde_core`].
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
//!         .wrap(from_fn(kinde_actix::resolve_caller)) // optional: for `fn_guard`s
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
//! `session_middleware()` shares it. For several instances, keep the sessions in Redis
//! (feature `redis`: `RedisSessionStore`, with `kinde_core::redis::RedisRefreshStore`
//! so that the instances refresh a session once) through
//! [`KindeAuth::session_middleware_with`]. The session key is
//! renewed at sign-in. Its `with_*` methods set the cookie's name, `Secure`,
//! `SameSite`, path and domain, and the session's lifetime.
//!
//! ## With actix-session's own middleware
//! An app that already wraps actix-session's `SessionMiddleware` (for actix-identity,
//! `SessionExt`, or its `CookieSessionStore`) keeps it: with
//! [`KindeAuth::with_actix_session`], kinde's routes, extractors and guards keep their
//! values in actix-session's `Session` instead, and no kinde middleware is needed.
//!
//! ## Optional users
//! actix's `Option<T>` extractor turns every error into `None`, an outage included. Use
//! [`MaybeKindeUser`]: `None` only when nobody is signed in.
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
//! (one handler for every built-in route) and `session` (the middleware, the store, and
//! the request's session as kinde reads and writes it). kinde-axum has the same files
//! for the same roles.

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
    AccessToken, CurrentOrganization, FeatureFlags, KindeClaims, KindeUser, MaybeKindeUser,
    Permissions, Roles,
};
pub use guard::{RequirePermission, RequireRole, require_permission, require_role};
pub use kinde_core::web::{RoutePaths, SameSite, TokenSource};
pub use kinde_core::{PermissionKey, RoleKey, permission, role};
pub use reject::AuthRejection;
pub use resolve::{KindeRequestExt, resolve_caller, signed_in_pages_not_stored};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use session::RedisSessionStore;
pub use session::{
    MemorySessionStore, Session, SessionError, SessionFuture, SessionMiddleware, SessionService,
};
pub use webhook::{KindeWebhook, WebhookRejection};

// The README's examples (what crates.io shows), compiled as doctests.
#[cfg(all(doctest, feature = "redis"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
