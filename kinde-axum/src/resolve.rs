//! Who made a request: resolved at most once per request (a bearer token, else the
//! session, through kinde-core's flows) and kept in the request's extensions.

use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use kinde_core::KindeError;
use kinde_core::flow::Resolution;
use kinde_core::web::Caller;

use crate::auth::KindeAuth;
use crate::reject::AuthRejection;
use crate::session;

/// The outcome of this request's resolution, cached in its extensions.
#[derive(Clone)]
struct Resolved(Result<Caller, KindeError>);

/// The request's caller, resolved on first use: an identity that needs a refresh is
/// refreshed once per request, however many extractors ask.
pub(crate) async fn caller(parts: &mut Parts, auth: &KindeAuth) -> Result<Caller, KindeError> {
    if let Some(Resolved(result)) = parts.extensions.get::<Resolved>() {
        return result.clone();
    }
    let result = resolve(parts, auth).await;
    if let (Ok(Caller::Session(_)), Some(mark)) = (
        &result,
        parts.extensions.get::<session::SignedInBySession>(),
    ) {
        mark.mark();
    }
    parts.extensions.insert(Resolved(result.clone()));
    result
}

/// The signed-in caller, or the rejection for this request.
pub(crate) async fn signed_in(
    parts: &mut Parts,
    auth: &KindeAuth,
) -> Result<Caller, AuthRejection> {
    caller(parts, auth)
        .await
        .and_then(Caller::signed_in)
        .map_err(|e| auth.reject(parts, e))
}

async fn resolve(parts: &Parts, auth: &KindeAuth) -> Result<Caller, KindeError> {
    let kinde = auth.kinde();
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes);
    if let Resolution::Resolved(caller) = kinde
        .resolve_request(auth.token_source(), authorization)
        .await?
    {
        return Ok(caller);
    }
    let session = session::of(&parts.extensions)?;
    if let Some(hit) = auth.memory_store().cached_session(&session, kinde) {
        return Ok(Caller::Session(hit));
    }
    // Boxed: a session not verified before is the cold path (a full verification, or a
    // refresh); its large future stays out of every warm request's.
    Box::pin(kinde.caller_from_session(&session)).await
}
