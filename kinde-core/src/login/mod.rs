//! The browser login flow, one concept a file: the options of a login (`options`), its
//! authorization URL with PKCE, `state` and `nonce` (`authorize`), the pending logins
//! kept until the callback (`pending`), the callback that completes or restarts it
//! (`callback`), and the app's rules for the logins of its routes (`policy`).

mod authorize;
mod callback;
mod options;
mod pending;
mod policy;

pub use authorize::LoginRequest;
pub use callback::{CallbackOutcome, CallbackParams};
pub use options::{LoginOptions, Prompt};
pub use pending::{PendingLogin, PendingLogins};
pub use policy::{GuardedOption, LoginKind, LoginPolicy};
