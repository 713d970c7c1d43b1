//! Sessions: kinde-actix's lean [`SessionMiddleware`] and its per-request [`Session`],
//! the in-memory [`MemorySessionStore`] it uses by default, and the request's session
//! (kinde-actix's, or actix-session's own) as kinde-core reads and writes it.

mod access;
mod handle;
mod layer;
#[cfg(feature = "redis")]
mod redis;
mod store;

#[cfg(feature = "redis")]
pub use self::redis::RedisSessionStore;
pub(crate) use access::of;
pub use handle::{Session, SessionError};
pub use layer::{SessionFuture, SessionMiddleware, SessionService};
pub use store::MemorySessionStore;
