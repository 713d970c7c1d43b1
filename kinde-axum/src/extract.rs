//! The extractors of what the signed-in caller is: the user, their claims, permissions,
//! roles, feature flags, organisation and access token, declared once in kinde-core.
//! This file implements axum's `FromRequestParts` for them (and for the guards): each
//! resolves the request at most once and rejects with an [`AuthRejection`].

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use kinde_core::KindeError;

use crate::auth::KindeAuth;
use crate::reject::AuthRejection;

/// Implements `FromRequestParts` for a type that kinde-core declares with
/// `from_signed_in` (its value, or its guard, on the signed-in caller).
macro_rules! from_signed_in {
    ([$($generic:tt)*] $ty:ty) => {
        impl<S, $($generic)*> ::axum::extract::FromRequestParts<S> for $ty
        where
            S: Send + Sync,
            $crate::KindeAuth: ::axum::extract::FromRef<S>,
        {
            type Rejection = $crate::AuthRejection;

            async fn from_request_parts(
                parts: &mut ::axum::http::request::Parts,
                state: &S,
            ) -> Result<Self, $crate::AuthRejection> {
                let auth = <$crate::KindeAuth as ::axum::extract::FromRef<S>>::from_ref(state);
                let caller = $crate::resolve::signed_in(parts, &auth).await?;
                <$ty>::from_signed_in(&caller).map_err(|e| auth.reject(parts, e))
            }
        }
    };
}

pub(crate) use from_signed_in;

kinde_core::__declare_extractors!(from_signed_in);

impl<S> OptionalFromRequestParts<S> for KindeUser
where
    S: Send + Sync,
    KindeAuth: FromRef<S>,
{
    type Rejection = AuthRejection;

    /// `None` only when nobody is signed in; an invalid bearer token or an outage of
    /// Kinde is still an error.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        match <KindeUser as FromRequestParts<S>>::from_request_parts(parts, state).await {
            Ok(u) => Ok(Some(u)),
            Err(r) if matches!(r.error, KindeError::NotSignedIn) => Ok(None),
            Err(r) => Err(r),
        }
    }
}
