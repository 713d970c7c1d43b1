//! Refreshes coordinated across the instances of an app: a short lock per refresh
//! token, and the rotated token set published under it, in a store they share (Redis:
//! `kinde_core::redis::RedisRefreshStore`).
//!
//! Kinde rotates refresh tokens on every use and revokes the whole family when a used
//! one comes back late, so two instances that see the same expired session must not
//! both spend its refresh token. Within one process [`RefreshFlights`](super::RefreshFlights)
//! collapses concurrent refreshes; across processes, the first instance to take the lock
//! refreshes and publishes the result the moment Kinde answers, and the others wait for
//! it (bounded), then use the same rotated tokens.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::error::Result;

/// A boxed future of a [`RefreshStore`] operation.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// A store that the instances of an app share to coordinate refreshes: short locks with
/// an expiry, and published results. Keys come from kinde-core (namespaced by issuer,
/// client and a SHA-256 of the refresh token); values are the session format of a token
/// set (treat them as secrets). Errors are [`KindeError::session_store`](crate::KindeError::session_store)
/// (503).
///
/// Set one on a client with [`Kinde::with_refresh_store`](crate::Kinde::with_refresh_store).
pub trait RefreshStore: Send + Sync + 'static {
    /// Take the lock `key` for `ttl` on behalf of `owner`, unless somebody holds it:
    /// `true` when taken (Redis: `SET key owner NX PX ttl`).
    fn try_lock<'a>(&'a self, key: &'a str, owner: &'a str, ttl: Duration)
    -> StoreFuture<'a, bool>;

    /// Release the lock `key` if `owner` still holds it (after its expiry, somebody else
    /// may).
    fn unlock<'a>(&'a self, key: &'a str, owner: &'a str) -> StoreFuture<'a, ()>;

    /// Publish `tokens` as the result of the refresh `key`, kept for `ttl`.
    fn publish<'a>(&'a self, key: &'a str, tokens: &'a str, ttl: Duration) -> StoreFuture<'a, ()>;

    /// The result published for `key`, if any.
    fn published<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<String>>;

    /// Tell the other instances, listening on `channel`, that the sessions of the user
    /// `sub` obtained before `at_ms` (Unix milliseconds) must refresh
    /// ([`Kinde::force_refresh`](crate::Kinde::force_refresh)). The default tells
    /// nobody (a store without a way to broadcast); Redis publishes it.
    fn announce_stale<'a>(
        &'a self,
        channel: &'a str,
        sub: &'a str,
        at_ms: u64,
    ) -> StoreFuture<'a, ()> {
        let _ = (channel, sub, at_ms);
        Box::pin(async { Ok(()) })
    }
}
