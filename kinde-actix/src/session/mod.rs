//! Sessions: kinde-actix's lean [`SessionMiddleware`] and its per-request [`Session`],
//! the in-memory [`MemorySessionStore`] it uses by default, and the request's session
//! (kinde-actix's, or actix-session's own) as kinde-core reads and writes it.

mod access;
mod handle;
mod layer;
mod store;

pub(crate) use access::of;
pub use handle::{Session, SessionError};
pub use layer::{SessionFuture, SessionMiddleware, SessionService};
pub use store::MemorySessionStore;

/// actix-session's Redis store (feature `redis`): sessions shared by several instances
/// and kept across restarts. Under kinde-actix's middleware, each operation is bounded
/// by [`SessionMiddleware::with_store_timeout`].
#[cfg(feature = "redis")]
pub use actix_session::storage::RedisSessionStore;
