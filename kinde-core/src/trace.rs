//! Spans around kinde's operations, for operators: each says what ran (`kinde.login`,
//! `kinde.callback`, `kinde.code_exchange`, `kinde.verify`, `kinde.jwks`,
//! `kinde.refresh` and its `kinde.refresh_grant`, `kinde.client_credentials`,
//! `kinde.get` for the Account API and discovery, `kinde.logout`, `kinde.webhook`;
//! kinde-management adds `kinde.management`),
//! for which issuer, how it ended (`outcome`: `ok`, an HTTP status for a route, or the
//! error's class) and how long it took (`duration_ms`). Fields are identifiers and
//! outcomes only: never a token, code, verifier, secret or session id.
//!
//! Only the cold paths have spans (a token verified for the first time, not a cache
//! hit), so a warm request costs nothing more.

use std::future::Future;
use std::time::Instant;

use tracing::{Instrument, Span};

use crate::error::{ErrorClass, KindeError};
use crate::flow::RoutePlan;

/// What a span records as its `outcome`.
pub(crate) trait Outcome {
    /// `ok`, a status, or an error's class.
    fn outcome(&self) -> &'static str;
}

impl<T> Outcome for Result<T, KindeError> {
    fn outcome(&self) -> &'static str {
        match self {
            Ok(_) => "ok",
            Err(e) => match e.class() {
                ErrorClass::BadRequest => "bad_request",
                ErrorClass::Unauthenticated => "unauthenticated",
                ErrorClass::Forbidden => "forbidden",
                ErrorClass::BadGateway => "bad_gateway",
                ErrorClass::Unavailable => "unavailable",
                ErrorClass::Configuration => "configuration",
            },
        }
    }
}

impl Outcome for RoutePlan {
    fn outcome(&self) -> &'static str {
        match self.reply.status {
            200..=299 => "ok",
            300..=399 => "redirect",
            400 => "bad_request",
            401 => "unauthenticated",
            403 => "forbidden",
            503 => "unavailable",
            _ => "error",
        }
    }
}

/// Run `fut` inside `span`, then record its `outcome` and `duration_ms` (both declared
/// `Empty` by the span).
pub(crate) async fn traced<T: Outcome>(span: Span, fut: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let result = fut.instrument(span.clone()).await;
    let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    span.record("duration_ms", ms);
    span.record("outcome", result.outcome());
    result
}

/// A span named `$name` at `$level` for the client `$kinde`, with the `issuer`, the
/// `outcome` and `duration_ms` that [`traced`] records, and any other fields.
macro_rules! span {
    ($level:ident, $name:literal, $kinde:expr $(, $($field:tt)*)?) => {
        ::tracing::span!(
            ::tracing::Level::$level,
            $name,
            issuer = %$kinde.inner.config.issuer,
            outcome = ::tracing::field::Empty,
            duration_ms = ::tracing::field::Empty
            $(, $($field)*)?
        )
    };
}

pub(crate) use span;
