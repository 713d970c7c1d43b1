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
