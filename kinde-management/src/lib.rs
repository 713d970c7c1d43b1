//! A typed client for [Kinde's Management API]: every operation of Kinde's published
//! OpenAPI spec (183), generated from a pinned copy of it, async with a blocking twin
//! (feature `blocking`).
//!
//! - **Authentication**: the M2M token of the `client_credentials` grant of a
//!   `kinde_core::Kinde` client (an M2M application's id and secret), with audience
//!   `https://<your>.kinde.com/api`; cached until a minute before it expires, fetched
//!   once for any number of concurrent calls, fetched again once when the API answers
//!   401. See [`auth`].
//! - **Throttling**: a 429 is retried after its `Retry-After`, a bounded number of times
//!   ([`RetryPolicy`]).
//! - **Errors**: every method returns `progenitor_client::Error<types::ErrorResponse>`,
//!   which converts into [`ManagementError`] (with `?`): the status, Kinde's error body
//!   parsed, `is_not_found()`, `is_conflict()`…
//! - **Pagination**: the list operations that page by `next_token` walk every page as a
//!   stream ([`Paginated::into_stream`]); blocking builders iterate.
//!
//! ```no_run
//! use kinde_management::{Client, ManagementError, types};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let kinde = kinde_core::Kinde::from_env()?;
//! let client = Client::from_kinde(&kinde)?;
//!
//! let created = client
//!     .create_user()
//!     .body_map(|b| b.profile(Some(types::CreateUserBodyProfile {
//!         given_name: Some("Ada".into()),
//!         family_name: Some("Lovelace".into()),
//!         picture: None,
//!     })))
//!     .send()
//!     .await?;
//! println!("created {:?}", created.id);
//!
//! match client.get_user_data().id("kp_missing").send().await.map_err(ManagementError::from) {
//!     Err(e) if e.is_not_found() => println!("no such user"),
//!     other => { other?; }
//! }
//! # Ok(()) }
//! ```
//!
//! The generated code is in `src/generated/`, made by `cargo run -p
//! kinde-management-codegen` from `spec/kinde-management-api.yaml` (where it came from,
//! and the normalisation steps, are in `spec/README.md`). The three operations the
//! generator cannot express are written by hand: [`Client::add_logo`],
//! [`Client::add_organization_logo`] (multipart uploads) and [`Client::search_users`]
//! (a `deepObject` query).
//!
//! [Kinde's Management API]: https://docs.kinde.com/kinde-apis/management/

// Every method returns progenitor's `Error`, as the generated ones do (the twins keep
// one shape); it is large, and boxing it in the hand-written methods alone would make
// them differ from the generated ones.
#![allow(clippy::result_large_err)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
mod client;
mod config;
mod error;
mod handwritten;
pub mod pages;
mod request;

#[allow(missing_docs, unused_imports, clippy::all, rustdoc::all)]
mod generated {
    pub mod api;
    #[cfg(feature = "blocking")]
    pub mod blocking;
    mod pages;
}

pub use auth::RetryPolicy;
pub use client::ClientBuilder;
pub use config::{config_from_env, config_from_lookup};
pub use error::{ApiError, ManagementError};
pub use generated::api::{ByteStream, Client, ClientInfo, Error, ResponseValue, builder, types};
pub use handwritten::logos::{Logo, LogoType};
pub use handwritten::search_users::SearchUsers;
pub use pages::Paginated;

// The README's examples (what crates.io shows), compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
