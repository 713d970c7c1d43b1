//! The example apps of kinde-rs, as a library so the end-to-end suites in `tests/`
//! can start exactly the routers the binaries serve.
//!
//! - `axum-app`: a server-rendered site with browser sessions ([`axum_app`]).
//! - `axum-api`: a JSON API protected by bearer tokens ([`axum_api`]).
//! - `actix-app`: the same site as `axum-app` on actix-web ([`actix_app`]).
//! - `bench-app`: what `scripts/bench-http.sh` load-tests ([`bench`](mod@bench)); not an example.
//!
//! With no `KINDE_DOMAIN` set, each binary starts the embedded local Kinde server
//! ([`demo::setup`]) so it works end to end with no account and no configuration.

pub mod actix_app;
pub mod axum_api;
pub mod axum_app;
pub mod bench;
pub mod demo;
pub mod pages;
pub mod todos;
pub mod webhooks;

/// The README's code blocks, compiled (and, unless marked `no_run`, run) as doctests so
/// they cannot drift from the code.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
