//! Guards: the signed-in user must hold a permission or have a role, as extractors or
//! as layers on a sub-router.

use std::fmt;
use std::marker::PhantomData;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use kinde_core::{PermissionKey, RoleKey};

use crate::auth::KindeAuth;
use crate::reject::AuthRejection;
use crate::resolve::signed_in;

/// Guard: the signed-in user must hold permission `P`. Use it as an extractor
/// (`_: RequirePermission<ReadTodos>`) or as a layer on a sub-router with
/// `axum::middleware::from_extractor_with_state::<RequirePermission<ReadTodos>, _>(state)`.
/// Not signed in → the usual 401/redirect; signed in without `P` → 403.
pub struct RequirePermission<P>(PhantomData<P>);

/// Guard: the signed-in user must have role `R` (see [`RequirePermission`]).
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

impl<S, P> FromRequestParts<S> for RequirePermission<P>
where
    S: Send + Sync,
    P: PermissionKey,
    KindeAuth: FromRef<S>,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = KindeAuth::from_ref(state);
        signed_in(parts, &auth)
            .await?
            .require_permission(P::KEY)
            .map_err(|e| auth.reject(parts, e))?;
        Ok(RequirePermission(PhantomData))
    }
}

impl<S, R> FromRequestParts<S> for RequireRole<R>
where
    S: Send + Sync,
    R: RoleKey,
    KindeAuth: FromRef<S>,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = KindeAuth::from_ref(state);
        signed_in(parts, &auth)
            .await?
            .require_role(R::KEY)
            .map_err(|e| auth.reject(parts, e))?;
        Ok(RequireRole(PhantomData))
    }
}
