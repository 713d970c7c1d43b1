//! [`AuthRejection`]: why an extractor or guard refused a request, rendered by
//! kinde-core's content negotiation or by the app's own renderer.

use std::fmt;
use std::ops::Deref;

use std::sync::Arc;

use axum::extract::OriginalUri;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use kinde_core::web::{Rejection, RequestView};

/// An app's own rendering of rejections.
pub(crate) type Renderer = Arc<dyn Fn(&AuthRejection) -> Response + Send + Sync>;

/// Why an extractor or guard refused a request. Renders as a login redirect (browser,
/// not signed in), 401 + `WWW-Authenticate` (API), 403, 400 or 503. Its fields (the
/// `error`, `is_api`, the `login_redirect`) are kinde-core's [`Rejection`], through
/// `Deref`.
pub struct AuthRejection {
    pub(crate) rejection: Rejection,
    pub(crate) renderer: Option<Renderer>,
}

impl fmt::Debug for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRejection")
            .field("error", &self.rejection.error)
            .field("is_api", &self.rejection.is_api)
            .finish_non_exhaustive()
    }
}

impl Deref for AuthRejection {
    type Target = Rejection;

    fn deref(&self) -> &Rejection {
        &self.rejection
    }
}

impl AuthRejection {
    /// The default rendering (what you get without a custom renderer).
    pub fn default_response(&self) -> Response {
        crate::reply::response(self.rejection.reply())
    }

    /// The rejection, for a renderer that takes it apart.
    pub fn into_rejection(self) -> Rejection {
        self.rejection
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match &self.renderer {
            Some(render) => render(&self),
            None => self.default_response(),
        }
    }
}

/// What a rejection needs to know of the request of `parts`.
pub(crate) fn request_view(parts: &Parts) -> RequestView<'_> {
    // Inside a nested router `parts.uri` lacks the nest's prefix: return to the URL the
    // browser asked for.
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |o| &o.0);
    RequestView {
        method: parts.method.as_str(),
        accept: parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok()),
        has_authorization: parts.headers.contains_key(header::AUTHORIZATION),
        path_and_query: uri.path_and_query().map_or("/", |p| p.as_str()),
    }
}
