//! The extractors of what the signed-in caller is: the user, their claims, permissions,
//! roles, feature flags, organisation and access token, declared once in kinde-core;
//! and [`MaybeKindeUser`] for pages that work signed in or not. This file implements
//! actix-web's `FromRequest` for them (and for the guards): each resolves the request
//! at most once and rejects with an [`AuthRejection`].

use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use crate::reject::AuthRejection;
use crate::resolve::{caller, reject};

/// Implements `FromRequest` for a type that kinde-core declares with `from_signed_in`
/// (its value, or its guard, on the signed-in caller).
macro_rules! from_signed_in {
    ([$($generic:tt)*] $ty:ty) => {
        impl<$($generic)*> ::actix_web::FromRequest for $ty {
            type Error = $crate::AuthRejection;
            type Future = ::futures_util::future::LocalBoxFuture<'static, Result<Self, Self::Error>>;

            fn from_request(
                req: &::actix_web::HttpRequest,
                _: &mut ::actix_web::dev::Payload,
            ) -> Self::Future {
                let req = req.clone();
                Box::pin(async move {
                    let caller = $crate::resolve::signed_in(&req).await?;
                    <$ty>::from_signed_in(&caller).map_err(|e| $crate::resolve::reject(&req, e))
                })
            }
        }
    };
}

pub(crate) use from_signed_in;

kinde_core::__declare_extractors!(from_signed_in);

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
