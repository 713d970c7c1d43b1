//! Signed-in browser sessions: what an adapter stores ([`SessionKeys`], the session
//! format of [`TokenSet`](crate::TokenSet)), how a stored session is resumed on each
//! request (verified, served from the verified-session cache, or refreshed), and the
//! refresh itself, one per token set at a time, and forced when the app asks for it.

mod access;
mod flights;
mod keys;
mod refresh;
mod resume;
mod shared;
mod stale;
mod verified;

pub use access::{SessionAccess, SessionWrite};
pub(crate) use flights::RefreshFlights;
pub use keys::{SessionKeys, SessionSlot};
pub use resume::SessionState;
pub use shared::{RefreshStore, StoreFuture};
pub(crate) use stale::StaleMarks;
pub use verified::VerifiedSession;
