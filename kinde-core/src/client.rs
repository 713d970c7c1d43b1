//! The `Kinde` client handle: configuration, one HTTP client, discovery, the key cache,
//! the verified-token and verified-session caches, refreshes in flight and M2M tokens.
//! Everything per-user is passed in; nothing is global.
//!
//! Only the handle and its parts are defined here; what it does is in the module of
//! each concept (`verify`, `login`, `session`, `logout`, `account`, …), each an
//! `impl Kinde` block. The parts are types of modules that know nothing of `Kinde`, so
//! no module imports back into this one.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::claims::Claims;
use crate::config::KindeConfig;
use crate::discovery::{Discovery, Endpoints};
use crate::error::{KindeError, Result};
use crate::jwks::KeyCache;
use crate::session::{RefreshFlights, RefreshStore, SessionKeys, StaleMarks, VerifiedSession};
use crate::token_cache::VerifiedCache;
use crate::tokens::M2mToken;
use crate::webhook::{MemoryWebhookIds, WebhookIds, WebhookOptions};

/// The cached M2M token of one audience, behind its own lock.
pub(crate) type M2mSlot = Arc<tokio::sync::Mutex<Option<M2mToken>>>;

#[derive(Clone)]
pub(crate) struct Inner {
    pub(crate) config: KindeConfig,
    pub(crate) http: reqwest::Client,
    discovery: Arc<Discovery>,
    pub(crate) keys: Arc<KeyCache>,
    pub(crate) refresh: Arc<RefreshFlights>,
    /// Where refreshes are coordinated with other instances, if anywhere.
    pub(crate) refresh_store: Option<Arc<dyn RefreshStore>>,
    pub(crate) verified: Arc<VerifiedCache<Claims>>,
    /// Sessions verified from exactly their stored form (see `resume_session`).
    pub(crate) sessions: Arc<VerifiedCache<Arc<VerifiedSession>>>,
    pub(crate) session_keys: SessionKeys,
    /// The users whose sessions must refresh on their next request.
    pub(crate) stale: Arc<StaleMarks>,
    /// One slot per audience, each with its own lock: a slow fetch for one audience
    /// does not hold up the others, and concurrent callers of one share a fetch.
    pub(crate) m2m: Arc<Mutex<HashMap<String, M2mSlot>>>,
    /// The `webhook-id`s received, so a retried webhook is not handled twice.
    pub(crate) webhook_ids: Arc<dyn WebhookIds>,
    pub(crate) webhook_options: WebhookOptions,
}

/// A Kinde client: cheap to clone (an `Arc` inside), safe to share across tasks, and
/// one per tenant. Two clients for two tenants work side by side in one process.
///
/// Constructing it does no network I/O; discovery and keys are fetched on first use.
///
/// ```
/// use kinde_core::{Kinde, KindeConfig};
/// let kinde = Kinde::new(
///     KindeConfig::builder().domain("myapp.kinde.com").client_id("abc").build()?,
/// )?;
/// assert_eq!(kinde.config().issuer(), "https://myapp.kinde.com");
/// # Ok::<(), kinde_core::KindeError>(())
/// ```
#[derive(Clone)]
pub struct Kinde {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Kinde {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kinde")
            .field("config", &self.inner.config)
            .finish()
    }
}

impl Kinde {
    /// Create a client for `config`. No network I/O happens here.
    pub fn new(config: KindeConfig) -> Result<Self> {
        let http = default_http_client(&config)?;
        Ok(Self::with_http_client(config, http))
    }

    /// The same client (configuration, discovery, key cache, verified tokens, refresh
    /// coordination, M2M tokens) with its own HTTP connection pool. A pool belongs to
    /// the runtime that opened its connections, so a client used from another runtime
    /// (the blocking client's) needs its own.
    #[cfg(feature = "blocking")]
    pub(crate) fn with_own_pool(&self) -> Result<Self> {
        let mut inner = (*self.inner).clone();
        inner.http = default_http_client(&inner.config)?;
        Ok(Kinde {
            inner: Arc::new(inner),
        })
    }

    /// Create a client that uses your own `reqwest::Client` (proxies, custom roots).
    /// Make sure it does not follow redirects and has timeouts.
    pub fn with_http_client(config: KindeConfig, http: reqwest::Client) -> Self {
        Kinde {
            inner: Arc::new(Inner {
                refresh: Arc::new(RefreshFlights::new(config.refresh_grace)),
                refresh_store: None,
                keys: Arc::new(KeyCache::new(&config)),
                verified: Arc::new(VerifiedCache::new(config.verified_token_cache)),
                sessions: Arc::new(VerifiedCache::new(config.verified_session_cache)),
                session_keys: SessionKeys::for_client(&config.issuer, &config.client_id),
                stale: Arc::new(StaleMarks::default()),
                config,
                http,
                discovery: Arc::new(Discovery::new()),
                m2m: Arc::new(Mutex::new(HashMap::new())),
                webhook_ids: Arc::new(MemoryWebhookIds::default()),
                webhook_options: WebhookOptions::default(),
            }),
        }
    }

    /// The same client (configuration, caches, refreshes in flight) coordinating its
    /// refreshes with the other instances of the app through `store`: when several
    /// instances see the same expired session, one refresh reaches Kinde and the others
    /// use its result. See [`RefreshStore`]; Redis: `kinde_core::redis::RedisRefreshStore`
    /// (feature `redis`).
    pub fn with_refresh_store(&self, store: impl RefreshStore) -> Self {
        let mut inner = (*self.inner).clone();
        inner.refresh_store = Some(Arc::new(store));
        Kinde {
            inner: Arc::new(inner),
        }
    }

    /// The same client keeping the `webhook-id`s of the webhooks it received in `ids`
    /// (default: [`MemoryWebhookIds`], this process's memory). An app that runs several
    /// instances shares one store, so a retried webhook is handled once whichever
    /// instance it reaches: `kinde_core::redis::RedisWebhookIds` (feature `redis`).
    pub fn with_webhook_ids(&self, ids: impl WebhookIds) -> Self {
        let mut inner = (*self.inner).clone();
        inner.webhook_ids = Arc::new(ids);
        Kinde {
            inner: Arc::new(inner),
        }
    }

    /// The same client checking webhook bodies by `options` (the largest body, an
    /// optional age limit).
    pub fn with_webhook_options(&self, options: WebhookOptions) -> Self {
        let mut inner = (*self.inner).clone();
        inner.webhook_options = options;
        Kinde {
            inner: Arc::new(inner),
        }
    }

    /// How webhook bodies are checked.
    pub fn webhook_options(&self) -> &WebhookOptions {
        &self.inner.webhook_options
    }

    /// Read `KINDE_*` variables ([`KindeConfig::from_env`]) and create a client.
    pub fn from_env() -> Result<Self> {
        Self::new(KindeConfig::from_env()?)
    }

    /// The configuration.
    pub fn config(&self) -> &KindeConfig {
        &self.inner.config
    }

    /// The HTTP client this client talks to Kinde with (its connection pool, timeouts,
    /// rustls, no redirects): for other clients of Kinde's APIs, such as
    /// `kinde-management`'s, so that they share its connections.
    pub fn http_client(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// Kinde's endpoints: discovered once from `/.well-known/openid-configuration` and
    /// cached; Kinde's fixed paths while discovery is unavailable (retried after 30 s).
    ///
    /// Never fails today (the fixed paths are the fall-back); it returns a `Result` so
    /// that it has the same shape as its blocking twin.
    pub async fn endpoints(&self) -> Result<Arc<Endpoints>> {
        Ok(self.resolved_endpoints().await)
    }

    pub(crate) async fn resolved_endpoints(&self) -> Arc<Endpoints> {
        self.inner
            .discovery
            .endpoints(&self.inner.http, &self.inner.config)
            .await
    }

    /// The absolute URL of a local path on this app (see [`KindeConfig::app_url`]).
    pub fn app_url(&self, path: &str) -> Option<url::Url> {
        self.inner.config.app_url(path)
    }

    /// The session keys of this client (see [`SessionKeys`]).
    pub fn session_keys(&self) -> &SessionKeys {
        &self.inner.session_keys
    }
}

fn default_http_client(config: &KindeConfig) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.http_timeout)
        .connect_timeout(config.connect_timeout)
        .user_agent(concat!("kinde-rs/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| KindeError::Config(format!("HTTP client: {e}")))
}
