//! Extractors of what the signed-in caller is and may do: the user, their claims,
//! permissions, roles, feature flags, organisation and access token. Each resolves the
//! request at most once (see `resolve`) and rejects with an [`AuthRejection`].

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use kinde_core::{Claims, KindeError};

use crate::auth::KindeAuth;
use crate::reject::AuthRejection;
use crate::resolve::signed_in;

/// Declares an extractor that takes one value out of the signed-in
/// [`Caller`](kinde_core::web::Caller).
macro_rules! extractor {
    ($(#[$doc:meta])* $name:ident($inner:ty), |$caller:ident| $body:expr) => {
        extractor!($(#[$doc])* $name($inner) deref $inner, |$caller| $body);
    };
    ($(#[$doc:meta])* $name:ident($inner:ty) deref $target:ty, |$caller:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub $inner);

        impl Deref for $name {
            type Target = $target;
            fn deref(&self) -> &$target {
                &self.0
            }
        }

        impl<S> FromRequestParts<S> for $name
        where
            S: Send + Sync,
            KindeAuth: FromRef<S>,
        {
            type Rejection = AuthRejection;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
                let auth = KindeAuth::from_ref(state);
                let $caller = signed_in(parts, &auth).await?;
                let value: Option<$inner> = $body;
                value.map($name).ok_or_else(|| auth.reject(parts, KindeError::NotSignedIn))
            }
        }
    };
}

extractor!(
    /// The signed-in user. Rejects when nobody is signed in (use `Option<KindeUser>` for
    /// pages that work either way). From a session, the profile comes from the ID token;
    /// from a bearer token, only what the access token carries is filled. The user is
    /// built once per verified session or token and shared: extracting it copies nothing.
    KindeUser(Arc<kinde_core::KindeUser>) deref kinde_core::KindeUser,
    |caller| caller.user()
);

extractor!(
    /// The permissions of the signed-in user.
    Permissions(kinde_core::Permissions),
    |caller| caller.access_claims().map(Claims::permissions)
);

extractor!(
    /// The roles of the signed-in user.
    Roles(kinde_core::Roles),
    |caller| caller.access_claims().map(Claims::roles)
);

extractor!(
    /// The feature flags of the signed-in user.
    FeatureFlags(kinde_core::FeatureFlags),
    |caller| caller.access_claims().map(Claims::feature_flags)
);

extractor!(
    /// The organisation the user signed in to (`None` if the token names none).
    CurrentOrganization(Option<kinde_core::Organization>),
    |caller| caller.access_claims().map(Claims::organization)
);

extractor!(
    /// The verified claims of the request: the access token's, and the ID token's for a
    /// browser session. For anything the typed extractors do not cover.
    KindeClaims(kinde_core::web::CallerClaims),
    |caller| caller.claims()
);

extractor!(
    /// The access token of the request, to call other APIs on the user's behalf
    /// (`.secret()`). `Debug` never prints it.
    AccessToken(kinde_core::AccessToken),
    |caller| caller.access_token().cloned()
);

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
