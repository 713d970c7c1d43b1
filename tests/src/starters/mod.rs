//! The adapter starters: each serves every [`AppKind`](crate::AppKind) of its adapter
//! on a listener, on a thread of its own, for the scenario table.
//!
//! A starter is one module with one [`StartApp`](crate::StartApp) function: the example
//! apps come from `kinde-examples`, the test apps ([`TestApp`](crate::TestApp),
//! [`TwoTenants`](crate::TwoTenants)) are built in the module from the adapter's API.
//! Everything adapter-specific about building an app (handler signatures, how a guard
//! wraps a group of routes, how a session layer and its cookie are set up, how a server
//! runs) stays in the starter; the scenarios only see HTTP. To add a starter, add a
//! module here and a suite: `kinde_e2e::e2e_suite!(kinde_e2e::starters::NEW::start);`.

pub mod actix;
pub mod axum;

pub use self::actix::start as actix_start;
pub use self::actix::start_over_actix_session as actix_session_start;
pub use self::axum::start as axum_start;

/// The renderer of [`TestApp::custom_rejections`](crate::TestApp::custom_rejections):
/// its header.
pub const CUSTOM_REJECTION_HEADER: &str = "x-custom-rejection";

/// The body of a custom-rendered rejection.
pub fn custom_rejection_body(status: u16, is_api: bool) -> String {
    format!("custom {status} api={is_api}")
}
