//! The guards of what the signed-in caller may do: [`RequirePermission`] and
//! [`RequireRole`], declared once in kinde-core, taken as extractors
//! (`_: RequirePermission<ReadTodos>`), or as middleware on a whole scope
//! ([`require_permission`], [`require_role`]); for synchronous `fn_guard`s, see
//! [`KindeRequestExt`](crate::KindeRequestExt).

use actix_web::FromRequest;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use kinde_core::{PermissionKey, RoleKey};

use crate::extract::from_signed_in;

kinde_core::__declare_guards!(from_signed_in);

/// Middleware function guarding a whole scope with permission `P`:
/// `web::scope("/todos").wrap(from_fn(kinde_actix::require_permission::<ReadTodos>))`.
pub async fn require_permission<P: PermissionKey>(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    RequirePermission::<P>::extract(req.request()).await?;
    next.call(req).await
}

/// Middleware function guarding a whole scope with role `R` (see [`require_permission`]).
pub async fn require_role<R: RoleKey>(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    RequireRole::<R>::extract(req.request()).await?;
    next.call(req).await
}
