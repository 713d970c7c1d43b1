//! The protocol of the built-in routes and of request resolution, written once for
//! every web framework, sans I/O on the session: each flow takes what the adapter read
//! (the query, the `Authorization` header, the stored session value) and returns a
//! [`RoutePlan`], the session writes in the order they must happen and the [`Reply`] to
//! send. The adapter only reads its session, calls the flow, applies the plan
//! ([`Kinde::apply_plan`](crate::Kinde::apply_plan) through its [`SessionAccess`](crate::SessionAccess)) and
//! translates the reply. Talking to Kinde (code exchange, refresh, verification) is the
//! flows' own I/O.
//!
//! | route | flow | reads | writes |
//! |---|---|---|---|
//! | `/login`, `/register`, `/create-org` | [`Kinde::begin_login`](crate::Kinde::begin_login) | pending logins | pending logins |
//! | `/callback` | [`Kinde::finish_callback`](crate::Kinde::finish_callback) | pending logins | pending logins, then (signed in) cycle the id, tokens |
//! | `/logout` | [`Kinde::logout`](crate::Kinde::logout) | tokens | clear the session |
//! | `/portal` | [`Kinde::portal`](crate::Kinde::portal) | the caller | nothing |
//! | `/switch-org` | [`Kinde::switch_org`](crate::Kinde::switch_org) | the caller, pending logins | pending logins |
//! | any request | [`Kinde::resolve_request`](crate::Kinde::resolve_request), then [`Kinde::resume_session`](crate::Kinde::resume_session) | `Authorization`, then tokens | rotated tokens, or their removal |
//!
//! [`Kinde::run_route`](crate::Kinde::run_route) dispatches a [`Route`](crate::web::Route) to its flow, so an
//! adapter can mount every route with one handler. [`Kinde::serve_route`](crate::Kinde::serve_route) and
//! [`Kinde::caller_from_session`](crate::Kinde::caller_from_session) drive the flows end to end through the adapter's
//! [`SessionAccess`](crate::SessionAccess) (read, then call, then apply in order), so
//! that an adapter's own code is only translation.
//!
//! ```
//! # async fn run(kinde: kinde_core::Kinde) {
//! use kinde_core::web::Route;
//! use kinde_core::flow::RouteInput;
//! // `/login?returnTo=/dashboard`, for a visitor with no session yet:
//! let plan = kinde
//!     .run_route(Route::Login, RouteInput { query: Some("returnTo=%2Fdashboard"), stored: Ok(None), caller: None })
//!     .await;
//! assert_eq!(plan.reply.status, 303); // to Kinde's authorization endpoint
//! assert_eq!(plan.writes.len(), 1); // the pending login, kept until the callback
//! # }
//! ```

mod callback;
mod login;
mod logout;
mod plan;
mod portal;
mod resolve;
mod route;
mod serve;
mod switch_org;

pub use plan::RoutePlan;
pub use resolve::Resolution;
pub use route::RouteInput;

pub use crate::web::Reply;
