//! The guards of what the signed-in caller may do: [`RequirePermission`] and
//! [`RequireRole`], declared once in kinde-core, taken as extractors
//! (`_: RequirePermission<ReadTodos>`), or as middleware on a whole scope
//! ([`require_permission`], [`require_role`]); for synchronous `fn_guard`s, see
//! [`KindeRequestExt`](crate::KindeRequestExt).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, ResponseError};
use kinde_core::{PermissionKey, RoleKey};

use crate::extract::from_signed_in;

kinde_core::__declare_guards!(from_signed_in);

/// Middleware function guarding a whole scope with permission `P`:
/// `web::scope("/todos").wrap(from_fn(kinde_actix::require_permission::<ReadTodos>))`.
pub async fn require_permission<P: PermissionKey>(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    guarded::<RequirePermission<P>>(req, next).await
}

/// Middleware function guarding a whole scope with role `R` (see [`require_permission`]).
pub async fn require_role<R: RoleKey>(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    guarded::<RequireRole<R>>(req, next).await
}

/// The scope's response if the guard `G` lets the request through, else the rejection
/// as a response (not an `Err`, which the session middleware would pass on unsaved:
/// tokens refreshed while resolving the request must still be stored).
async fn guarded<G: FromRequest<Error = crate::AuthRejection>>(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    match G::extract(req.request()).await {
        Ok(_) => Ok(next.call(req).await?.map_into_left_body()),
        Err(rejection) => Ok(req
            .into_response(rejection.error_response())
            .map_into_right_body()),
    }
}
