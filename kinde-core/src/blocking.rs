//! A synchronous client with the same API as [`crate::Kinde`], in the spirit of
//! `reqwest::blocking` (feature `blocking`).
//!
//! Every method has the same name, arguments and return type as its async twin, minus
//! `async`. It works from plain threads, `fn main`, CLIs, build scripts and synchronous
//! frameworks without the caller creating a runtime: the client owns a small Tokio
//! runtime of its own (one worker thread), shut down when the last clone is dropped.
//!
//! ## Inside an async runtime
//! A thread of a runtime that is not running async code may block, and calls there just
//! work: a `tokio::task::spawn_blocking` closure (the usual way to call synchronous code
//! from async code), the inside of `tokio::task::block_in_place`, a thread that only
//! entered a runtime's handle.
//!
//! ```no_run
//! # async fn run(kinde: kinde_core::blocking::Kinde, token: String) {
//! let claims = tokio::task::spawn_blocking(move || kinde.verify_access_token(&token)).await;
//! # }
//! ```
//!
//! Blocking inside async code (a task, or a `block_on` future) stalls every task of that
//! thread, and Tokio panics when a runtime is entered from inside another. So a call
//! made from async code does not panic and does not deadlock; what happens depends on
//! [`InAsync`]:
//!
//! | policy | current-thread runtime (`#[tokio::test]`, `#[tokio::main(flavor = "current_thread")]`) | multi-thread runtime |
//! |---|---|---|
//! | [`InAsync::Refuse`] (default) | `Err(KindeError::BlockingInAsync)` | `Err(KindeError::BlockingInAsync)` |
//! | [`InAsync::BlockInPlace`] | `Err(KindeError::BlockingInAsync)` (cannot be done safely) | runs via `tokio::task::block_in_place`, with a `tracing` warning |
//!
//! The error message tells the caller to use the async client (`Kinde::blocking()`'s
//! opposite, [`Kinde::to_async`]).
//!
//! ```no_run
//! use kinde_core::blocking::Kinde;
//! fn main() -> Result<(), kinde_core::KindeError> {
//!     let kinde = Kinde::from_env()?;
//!     let claims = kinde.verify_access_token("eyJ…")?;
//!     println!("{:?}", claims.subject());
//!     Ok(())
//! }
//! ```

use std::future::Future;
use std::sync::Arc;

use tokio::runtime::{Handle, RuntimeFlavor};
use url::Url;

use crate::account::{
    AccountFeatureFlag, AccountList, AccountProperty, Entitlement, Entitlements, PortalPage,
    UserProfile,
};
use crate::blocking_context::{drive_here, polling_async_code};
use crate::claims::Claims;
use crate::config::KindeConfig;
use crate::discovery::Endpoints;
use crate::error::{KindeError, Result};
use crate::flow::{Resolution, RouteInput, RoutePlan};
use crate::login::{CallbackOutcome, CallbackParams, LoginOptions, LoginRequest, PendingLogins};
use crate::session::{SessionAccess, SessionSlot, SessionState, SessionWrite, VerifiedSession};
use crate::tokens::{AccessToken, M2mToken, TokenSet};
use crate::web::{Caller, Reply, Route, TokenSource};
use crate::webhook::{ReceivedWebhook, WebhookEvent};

/// What a blocking call does when it finds itself inside an async runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InAsync {
    /// Return [`KindeError::BlockingInAsync`] (default).
    #[default]
    Refuse,
    /// On a multi-thread runtime, run with `tokio::task::block_in_place` and log a
    /// warning; on a current-thread runtime, still refuse.
    BlockInPlace,
}

const REFUSED: &str = "a blocking kinde-core call was made inside an async runtime, where it \
would stall the runtime: use the async client (`kinde_core::Kinde`, e.g. via \
`blocking::Kinde::to_async()`) and `.await` it";

struct OwnedRuntime(Option<tokio::runtime::Runtime>);

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        // Dropping a runtime from async code panics; shutting it down in the
        // background never does.
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// The synchronous Kinde client. Cheap to clone; shares configuration and caches with
/// the async client it came from (or converts to).
#[derive(Clone)]
pub struct Kinde {
    inner: crate::Kinde,
    rt: Arc<OwnedRuntime>,
    in_async: InAsync,
}

impl std::fmt::Debug for Kinde {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("blocking::Kinde")
            .field("config", self.inner.config())
            .field("in_async", &self.in_async)
            .finish()
    }
}

impl Kinde {
    /// Create a blocking client for `config`. No network I/O happens here.
    pub fn new(config: KindeConfig) -> Result<Self> {
        Self::wrap(crate::Kinde::new(config)?)
    }

    /// Read `KINDE_*` variables and create a blocking client.
    pub fn from_env() -> Result<Self> {
        Self::new(KindeConfig::from_env()?)
    }

    /// A blocking client sharing `kinde`'s configuration and caches (discovery, keys,
    /// verified tokens, refresh coordination), with its own connection pool.
    pub fn from_async(kinde: &crate::Kinde) -> Result<Self> {
        Self::wrap(kinde.with_own_pool()?)
    }

    fn wrap(inner: crate::Kinde) -> Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("kinde-blocking")
            .enable_all()
            .build()
            .map_err(|e| {
                KindeError::Config(format!(
                    "could not start the blocking client's runtime: {e}"
                ))
            })?;
        Ok(Kinde {
            inner,
            rt: Arc::new(OwnedRuntime(Some(rt))),
            in_async: InAsync::default(),
        })
    }

    /// The async client, sharing this one's configuration and caches.
    pub fn to_async(&self) -> Result<crate::Kinde> {
        self.inner.with_own_pool()
    }

    /// Choose what a call from inside an async runtime does (see the module docs).
    pub fn in_async(mut self, policy: InAsync) -> Self {
        self.in_async = policy;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &KindeConfig {
        self.inner.config()
    }

    /// The absolute URL of a local path on this app (see [`crate::Kinde::app_url`]).
    pub fn app_url(&self, path: &str) -> Option<Url> {
        self.inner.app_url(path)
    }

    /// The async client this one drives on its own runtime. Futures built from it must
    /// run through [`block_on`](Self::block_on): its connection pool belongs to that
    /// runtime. For blocking twins of other clients built on kinde-core (the Management
    /// API's).
    pub fn runtime_client(&self) -> &crate::Kinde {
        &self.inner
    }

    /// Run `fut` to completion on this client's runtime, under its [`InAsync`] policy
    /// (inside an async runtime: [`KindeError::BlockingInAsync`] unless the policy
    /// allows blocking in place).
    pub fn block_on<T>(&self, fut: impl Future<Output = T>) -> Result<T> {
        self.run(async { Ok(fut.await) })
    }

    fn run<T>(&self, fut: impl Future<Output = Result<T>>) -> Result<T> {
        let Some(rt) = self.rt.0.as_ref() else {
            return Err(KindeError::Config(
                "the blocking client's runtime is gone".into(),
            ));
        };
        let Ok(current) = Handle::try_current() else {
            return rt.block_on(fut);
        };
        if !polling_async_code() {
            // A runtime is current but this thread is not driving it: a
            // `spawn_blocking` closure, the inside of `block_in_place`, or a thread that
            // entered a handle. Blocking here stalls nothing.
            return drive_here(rt.handle(), fut);
        }
        match (self.in_async, current.runtime_flavor()) {
            (InAsync::BlockInPlace, RuntimeFlavor::MultiThread) => {
                tracing::warn!(
                    "blocking kinde-core call inside an async runtime; prefer the async client"
                );
                tokio::task::block_in_place(|| rt.block_on(fut))
            }
            _ => Err(KindeError::BlockingInAsync(REFUSED)),
        }
    }
}

/// Generates the blocking twins: the same name, arguments and return type.
macro_rules! twins {
    ($( $(#[$doc:meta])* fn $name:ident(&self $(, $arg:ident : $ty:ty)*) -> $ret:ty; )*) => {
        impl Kinde {
            $(
                $(#[$doc])*
                #[doc = ""]
                #[doc = concat!("Blocking twin of [`crate::Kinde::", stringify!($name), "`].")]
                pub fn $name(&self $(, $arg: $ty)*) -> $ret {
                    self.run(self.inner.$name($($arg),*))
                }
            )*
        }
    };
}

twins! {
    /// Kinde's endpoints (discovered once, cached).
    fn endpoints(&self) -> Result<Arc<Endpoints>>;
    /// Verify an access token.
    fn verify_access_token(&self, token: &str) -> Result<Claims>;
    /// Verify an ID token (and its nonce, when given).
    fn verify_id_token(&self, token: &str, nonce: Option<&str>) -> Result<Claims>;
    /// Make a user's sessions refresh on their next request.
    fn force_refresh(&self, user_id: &str) -> Result<()>;
    /// Verify a webhook body and return its event.
    fn verify_webhook(&self, body: &[u8]) -> Result<WebhookEvent>;
    /// Start a login.
    fn login_url(&self, options: LoginOptions) -> Result<LoginRequest>;
    /// Start a registration.
    fn register_url(&self, options: LoginOptions) -> Result<LoginRequest>;
    /// Start a registration that creates an organisation.
    fn create_org_url(&self, org_name: Option<&str>, options: LoginOptions) -> Result<LoginRequest>;
    /// Switch organisation silently.
    fn switch_org_url(&self, org_code: &str, options: LoginOptions) -> Result<LoginRequest>;
    /// Complete a login callback.
    fn complete_login(&self, params: &CallbackParams, pending: &mut PendingLogins) -> Result<CallbackOutcome>;
    /// Refresh a token set now.
    fn refresh(&self, tokens: &TokenSet) -> Result<VerifiedSession>;
    /// Resume a browser session from its stored form (`TokenSet::to_json`).
    fn resume_session(&self, stored: Option<&str>) -> Result<SessionState>;
    /// Read a kinde value from a session.
    fn read_session(&self, slot: SessionSlot, session: &impl SessionAccess) -> Result<Option<String>>;
    /// Resolve the caller from a session (after `resolve_request`).
    fn caller_from_session(&self, session: &impl SessionAccess) -> Result<Caller>;
    /// Apply session writes in order.
    fn write_session(&self, writes: impl IntoIterator<Item = SessionWrite>, session: &impl SessionAccess) -> Result<()>;
    /// The caller of a request with this bearer token.
    fn bearer_caller(&self, token: &str) -> Result<Caller>;
    /// The first step of resolving a request, from its `Authorization` header.
    fn resolve_request(&self, source: TokenSource, authorization: Option<&[u8]>) -> Result<Resolution>;
    /// The logout URL (and background revocation of the refresh token).
    fn logout_url(&self, tokens: Option<&TokenSet>) -> Result<Url>;
    /// Revoke a refresh token.
    fn revoke_refresh_token(&self, tokens: &TokenSet) -> Result<()>;
    /// A machine-to-machine token (cached).
    fn client_credentials_token(&self, audience: Option<&str>) -> Result<M2mToken>;
    /// The user's profile.
    fn user_profile(&self, access_token: &AccessToken) -> Result<UserProfile>;
    /// All entitlements.
    fn entitlements(&self, access_token: &AccessToken) -> Result<Entitlements>;
    /// One entitlement.
    fn entitlement(&self, access_token: &AccessToken, feature_key: &str) -> Result<Option<Entitlement>>;
    /// Permissions from the Account API.
    fn account_permissions(&self, access_token: &AccessToken) -> Result<AccountList>;
    /// Roles from the Account API.
    fn account_roles(&self, access_token: &AccessToken) -> Result<AccountList>;
    /// Feature flags from the Account API.
    fn account_feature_flags(&self, access_token: &AccessToken) -> Result<Vec<AccountFeatureFlag>>;
    /// Properties from the Account API.
    fn account_properties(&self, access_token: &AccessToken) -> Result<Vec<AccountProperty>>;
    /// A self-serve portal link.
    fn portal_link(&self, access_token: &AccessToken, return_url: &str, page: Option<PortalPage>) -> Result<Url>;
    /// Drop a cached M2M token that an API rejected.
    fn forget_client_credentials_token(&self, audience: Option<&str>, rejected: &str) -> Result<()>;
}

/// Generates the blocking twins of the async operations that cannot fail (the route
/// flows answer every failure with a plan): the same name and arguments; the result
/// comes in a `Result`, because a blocking call can be refused inside an async runtime.
macro_rules! infallible_twins {
    ($( $(#[$doc:meta])* fn $name:ident(&self $(, $arg:ident : $ty:ty)*) -> $ret:ty; )*) => {
        impl Kinde {
            $(
                $(#[$doc])*
                #[doc = ""]
                #[doc = concat!("Blocking twin of [`crate::Kinde::", stringify!($name), "`].")]
                pub fn $name(&self $(, $arg: $ty)*) -> Result<$ret> {
                    self.run(async { Ok(self.inner.$name($($arg),*).await) })
                }
            )*
        }
    };
}

infallible_twins! {
    /// Start the login of a route.
    fn begin_login(&self, route: Route, query: Option<&str>, stored_pending: Option<&str>) -> RoutePlan;
    /// Finish a login from Kinde's callback.
    fn finish_callback(&self, query: Option<&str>, stored_pending: Option<&str>) -> RoutePlan;
    /// Sign out.
    fn logout(&self, stored_tokens: Option<&str>) -> RoutePlan;
    /// Send a signed-in caller to their Kinde portal.
    fn portal(&self, query: Option<&str>, caller: &Caller) -> RoutePlan;
    /// Receive a webhook (verify it, record its `webhook-id`).
    fn receive_webhook(&self, webhook_id: Option<&str>, body: Option<&[u8]>) -> Result<ReceivedWebhook, Reply>;
    /// Move a signed-in caller to another organisation.
    fn switch_org(&self, query: Option<&str>, caller: &Caller, stored_pending: Option<&str>) -> RoutePlan;
    /// The plan of a built-in route.
    fn run_route(&self, route: Route, input: RouteInput<'_>) -> RoutePlan;
    /// Apply a route plan to a session.
    fn apply_plan(&self, plan: RoutePlan, session: &impl SessionAccess) -> Reply;
    /// Serve a built-in route end to end.
    fn serve_route(&self, route: Route, query: Option<&str>, caller: Option<&Caller>, session: Result<&impl SessionAccess>) -> Reply;
}

impl crate::Kinde {
    /// A blocking client sharing this client's configuration and caches.
    pub fn blocking(&self) -> Result<Kinde> {
        Kinde::from_async(self)
    }
}

impl KindeConfig {
    /// Build the async client ([`crate::Kinde`]) from this configuration.
    pub fn into_client(self) -> Result<crate::Kinde> {
        crate::Kinde::new(self)
    }

    /// Build the blocking client from this configuration.
    pub fn into_blocking_client(self) -> Result<Kinde> {
        Kinde::new(self)
    }
}
