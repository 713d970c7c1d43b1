//! The HTTP vocabulary of the web adapters, framework-neutral, one concept a file, so
//! that `kinde-axum` and `kinde-actix` only translate their framework's types: the
//! built-in [routes](Route) and their [paths](RoutePaths), the [`Caller`] of a request,
//! `Authorization: Bearer` parsing, the session cookie, content-negotiated
//! [rejections](Rejection) and the [replies](Reply) they render to. The route flows
//! that use them are in [`crate::flow`].

mod bearer;
mod caller;
mod cookie;
mod declare;
mod query;
mod rejection;
mod reply;
mod routes;

pub use bearer::bearer_token;
pub use caller::{Caller, CallerClaims, TokenSource};
pub use cookie::{SameSite, SessionCookie, cookie_value};
pub use query::parse_query;
pub(crate) use query::{LoginQuery, PortalQuery, SwitchOrgQuery};
pub use rejection::{Rejection, RequestView, is_api_request, login_redirect};
pub use reply::{
    RETRY_AFTER_SECS, Reply, error_html, error_json, escape_html, public_message,
    signed_in_cache_control, www_authenticate,
};
pub use routes::{Route, RoutePaths};

pub use crate::return_to::location_value;
pub use crate::session::SessionKeys;
