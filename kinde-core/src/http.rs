//! JSON over HTTP to Kinde, with Kinde's answers mapped to [`KindeError`] classes: one
//! place for the status mapping that discovery, the JWKS fetch and the Account API share.

use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{KindeError, Result};

/// GET a JSON document, optionally with a bearer token; 404 is `Ok(None)`.
pub(crate) async fn get_json_opt<T: DeserializeOwned>(
    http: &reqwest::Client,
    what: &str,
    url: Url,
    bearer: Option<&str>,
) -> Result<Option<T>> {
    // The URL's host and path only: an Account API path names no secret, and the query
    // (a page cursor) is left out.
    let span = tracing::debug_span!(
        "kinde.get",
        what,
        host = url.host_str().unwrap_or(""),
        path = url.path(),
        outcome = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    );
    crate::trace::traced(span, send_get(http, what, url, bearer)).await
}

async fn send_get<T: DeserializeOwned>(
    http: &reqwest::Client,
    what: &str,
    url: Url,
    bearer: Option<&str>,
) -> Result<Option<T>> {
    let mut req = http.get(url).header("accept", "application/json");
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| KindeError::transport(what, &e))?;
    let status = resp.status();
    match status.as_u16() {
        200..=299 => resp
            .json()
            .await
            .map(Some)
            .map_err(|e| KindeError::transport(what, &e)),
        404 => Ok(None),
        401 => Err(KindeError::NotSignedIn),
        403 => Err(KindeError::Forbidden(format!(
            "{what}: Kinde refused access"
        ))),
        400 => Err(KindeError::BadRequest(format!(
            "{what}: Kinde rejected the request"
        ))),
        429 | 500..=599 => Err(KindeError::Unavailable(format!(
            "{what}: Kinde answered {status}"
        ))),
        _ => Err(KindeError::Provider(format!(
            "{what}: Kinde answered {status}"
        ))),
    }
}

/// Like [`get_json_opt`], with 404 as an error.
pub(crate) async fn get_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    what: &str,
    url: Url,
    bearer: Option<&str>,
) -> Result<T> {
    get_json_opt(http, what, url, bearer)
        .await?
        .ok_or_else(|| KindeError::BadRequest(format!("{what}: not found")))
}
