//! [`AuthRejection`]: why an extractor or guard refused a request, rendered (through
//! [`ResponseError`]) by kinde-core's content negotiation or by the app's own renderer.

use std::fmt;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use kinde_core::KindeError;
use kinde_core::web::{Rejection, RequestView, TokenSource};

kinde_core::__declare_rejection!(HttpResponse);

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl AuthRejection {
    /// The default rendering (what you get without a custom renderer).
    pub fn default_response(&self) -> HttpResponse {
        crate::reply::response(self.reply())
    }
}

impl ResponseError for AuthRejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        match self.renderer() {
            Some(render) => render(self),
            None => self.default_response(),
        }
    }
}

/// What a rejection needs to know of `req`.
pub(crate) fn request_view(req: &HttpRequest) -> RequestView<'_> {
    let headers = req.headers();
    RequestView {
        method: req.method().as_str(),
        accept: headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()),
        has_authorization: headers.contains_key(header::AUTHORIZATION),
        path_and_query: req.uri().path_and_query().map_or("/", |p| p.as_str()),
    }
}

/// Refuse a request that no handle is registered for (a configuration error):
/// content-negotiated, without a login route, linking home.
pub(crate) fn unregistered(req: &HttpRequest, error: KindeError) -> AuthRejection {
    AuthRejection::new(
        Rejection::new(error, &request_view(req), None, TokenSource::default(), "/"),
        None,
    )
}
