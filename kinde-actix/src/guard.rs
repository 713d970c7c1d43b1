//! Guards: the signed-in user must hold a permission or have a role, as extractors or
//! as middleware on a scope (for synchronous `fn_guard`s, see
//! [`KindeRequestExt`](crate::KindeRequestExt)).

use std::fmt;
use std::marker::PhantomData;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use kinde_core::web::Caller;
use kinde_core::{KindeError, PermissionKey, RoleKey};

use crate::reject::AuthRejection;
use crate::resolve::{reject, signed_in};

/// `Ok` when the signed-in caller of `req` passes `require`, else the rejection.
async fn check(
    req: &HttpRequest,
    require: impl Fn(&Caller) -> Result<(), KindeError>,
) -> Result<(), AuthRejection> {
    require(&signed_in(req).await?).map_err(|e| reject(req, e))
}

/// Guard extractor: the signed-in user must hold permission `P` (403 otherwise).
pub struct RequirePermission<P>(PhantomData<P>);

/// Guard extractor: the signed-in user must have role `R` (403 otherwise).
pub struct RequireRole<R>(PhantomData<R>);

impl<P: PermissionKey> fmt::Debug for RequirePermission<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequirePermission({})", P::KEY)
    }
}

impl<R: RoleKey> fmt::Debug for RequireRole<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequireRole({})", R::KEY)
    }
}

impl<P: PermissionKey> FromRequest for RequirePermission<P> {
    type Error = AuthRejection;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            check(&req, |caller| caller.require_permission(P::KEY)).await?;
            Ok(RequirePermission(PhantomData))
        })
    }
}

impl<R: RoleKey> FromRequest for RequireRole<R> {
    type Error = AuthRejection;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            check(&req, |caller| caller.require_role(R::KEY)).await?;
            Ok(RequireRole(PhantomData))
        })
    }
}

/// Middleware function guarding a whole scope with permission `P`:
/// `web::scope("/todos").wrap(from_fn(kinde_actix::require_permission::<ReadTodos>))`.
pub async fn require_permission<P: PermissionKey>(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    check(req.request(), |caller| caller.require_permission(P::KEY)).await?;
    next.call(req).await
}

/// Middleware function guarding a whole scope with role `R` (see [`require_permission`]).
pub async fn require_role<R: RoleKey>(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    check(req.request(), |caller| caller.require_role(R::KEY)).await?;
    next.call(req).await
}
