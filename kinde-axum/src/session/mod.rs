//! Sessions: kinde-axum's lean [`SessionLayer`] (tower-sessions' `Session` over any
//! tower-sessions store, its one cookie read straight from the `Cookie` header), the
//! in-memory [`MemorySessionStore`] it uses by default, and tower-sessions' `Session`
//! as kinde-core reads and writes it.

mod access;
mod layer;
#[cfg(feature = "redis")]
mod redis;
mod store;

#[cfg(feature = "redis")]
pub use self::redis::RedisSessionStore;
pub(crate) use access::of;
pub(crate) use layer::SignedInBySession;
pub use layer::{ResponseFuture, SessionLayer, SessionService};
pub use store::MemorySessionStore;
