//! [`AuthRejection`]: why an extractor or guard refused a request, rendered by
//! kinde-core's content negotiation or by the app's own renderer.

use axum::extract::OriginalUri;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use kinde_core::web::RequestView;

kinde_core::__declare_rejection!(Response);

impl AuthRejection {
    /// The default rendering (what you get without a custom renderer).
    pub fn default_response(&self) -> Response {
        crate::reply::response(self.reply())
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self.renderer() {
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
