//! # kinde-core
//!
//! Framework-neutral [Kinde](https://kinde.com) authentication for Rust: configuration,
//! OIDC discovery, login/register/create-org URLs with PKCE, the callback code exchange,
//! JWT verification against a cached JWKS, typed claims (user, permissions, roles,
//! organisations, feature flags), refresh with rotation, logout, and the Account API.
//!
//! Web frameworks plug in through thin adapters (`kinde-axum`, `kinde-actix`) that only
//! translate requests, sessions and responses; all protocol logic lives here: the route
//! flows and request resolution in [`flow`], their HTTP vocabulary in [`web`].
//!
//! ```no_run
//! use kinde_core::{Kinde, LoginOptions};
//! # async fn run() -> kinde_core::Result<()> {
//! let kinde = Kinde::from_env()?; // KINDE_DOMAIN, KINDE_CLIENT_ID, …
//!
//! // A bearer API: verify the token, then read typed claims.
//! let claims = kinde.verify_access_token("eyJ…").await?;
//! let can_read = claims.permissions().is_granted("read:todos");
//!
//! // A browser login: redirect to `login.url`, keep `login.pending` until the callback.
//! let login = kinde.login_url(LoginOptions::new().return_to("/dashboard")).await?;
//! # let _ = (can_read, login); Ok(()) }
//! ```
//!
//! ## Where things are
//! One concept a module, and no module imports back into one that imports it: the
//! handle [`Kinde`] (`client`) and its configuration (`config`); `discovery`; the
//! signing keys (`jwks`) and token checks (`verify`, with the verified-token cache in
//! `token_cache`); `claims` and `tokens`; the login (`login/`: options, authorization
//! URL, pending logins, callback); sessions (`session/`: keys, resuming, refresh, the
//! writes and [`SessionAccess`]); the token endpoint's grants (`token_endpoint`,
//! `client_credentials`); `logout`; the Account API (`account`); safe return paths
//! (`return_to`) and the one error type (`error`). Public modules: [`flow`] and [`web`]
//! for web adapters, `blocking` and `testing` behind their features.
//!
//! ## Features
//! - `testing`: [`testing::TestKinde`], a Kinde-compatible server on loopback for your
//!   own tests and for local development without a Kinde account.
//! - `blocking`: `blocking::Kinde`, the same API for synchronous code.
//! - `redis`: `redis`, Redis for an app that runs several instances (refresh
//!   coordination across instances; the session stores are the adapters').

#![cfg_attr(docsrs, feature(doc_cfg))]

mod account;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
#[cfg(feature = "blocking")]
mod blocking_context;
mod claims;
mod client;
mod client_credentials;
mod config;
mod discovery;
mod error;
pub mod flow;
mod http;
mod jwks;
mod jws_header;
mod login;
mod logout;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;
mod return_to;
mod session;
mod token_cache;
mod token_endpoint;
mod tokens;
mod trace;
mod verify;
pub mod web;
pub mod webhook;

#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

pub use account::{
    AccountFeatureFlag, AccountItem, AccountList, AccountProperty, Entitlement, Entitlements, Plan,
    PortalPage, UserProfile,
};
pub use claims::{
    Claims, FeatureFlag, FeatureFlags, FlagError, FlagKind, KindeUser, Organization, PermissionKey,
    Permissions, Role, RoleKey, Roles,
};
pub use client::Kinde;
pub use config::{AudiencePolicy, DEFAULT_SCOPES, KindeConfig, KindeConfigBuilder};
pub use discovery::Endpoints;
pub use error::{CallbackError, ErrorClass, KindeError, Result, TokenRejection};
pub use login::{
    CallbackOutcome, CallbackParams, GuardedOption, LoginKind, LoginOptions, LoginPolicy,
    LoginRequest, PendingLogin, PendingLogins, Prompt,
};
pub use return_to::safe_return_to;
pub use session::{
    RefreshStore, SessionAccess, SessionKeys, SessionSlot, SessionState, SessionWrite, StoreFuture,
    VerifiedSession,
};
pub use tokens::{AccessToken, IdToken, M2mToken, TokenSet};

// The README's examples (what crates.io shows), compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
