//! kinde-core's [`Reply`] as an axum [`Response`].

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use kinde_core::web::Reply;

/// The response of `reply`: its status, headers and body. A header that is not valid
/// (core never makes one) is left out rather than failing the response.
pub(crate) fn response(reply: Reply) -> Response {
    let mut response = Response::new(reply.body.into());
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in reply.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.append(name, value);
        }
    }
    response
}
