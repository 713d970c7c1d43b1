//! Extractors of what the signed-in caller is and may do: the user, their claims,
//! permissions, roles, feature flags, organisation and access token, and
//! [`MaybeKindeUser`] for pages that work signed in or not. Each resolves the request at
//! most once and rejects with an [`AuthRejection`].

use std::ops::Deref;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use kinde_core::{Claims, KindeError};

use crate::reject::AuthRejection;
use crate::resolve::{caller, reject, signed_in};

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

        impl FromRequest for $name {
            type Error = AuthRejection;
            type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move {
                    let $caller = signed_in(&req).await?;
                    let value: Option<$inner> = $body;
                    value
                        .map($name)
                        .ok_or_else(|| reject(&req, KindeError::NotSignedIn))
                })
            }
        }
    };
}

extractor!(
    /// The signed-in user. Rejects when nobody is signed in (see [`MaybeKindeUser`]).
    /// The user is built once per verified session or token and shared: extracting it
    /// copies nothing.
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

/// The signed-in user, or `None` when nobody is signed in. Unlike `Option<KindeUser>`
/// (which actix fills with `None` on any error), an invalid bearer token or an outage
/// of Kinde is still an error.
#[derive(Debug, Clone)]
pub struct MaybeKindeUser(pub Option<Arc<kinde_core::KindeUser>>);

impl FromRequest for MaybeKindeUser {
    type Error = AuthRejection;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            caller(&req)
                .await
                .map(|caller| MaybeKindeUser(caller.user()))
                .map_err(|e| reject(&req, e))
        })
    }
}
