//! Redis for an app that runs several instances (feature `redis`): a connection with
//! timeouts (and, if asked, a [`ClientSideCache`]), and [`RedisRefreshStore`], which
//! coordinates refreshes across instances, and [`RedisWebhookIds`], the webhook ids received.
//! The session stores over Redis are the adapters' (`kinde_axum::RedisSessionStore`,
//! `kinde_actix::RedisSessionStore`); all of them take any connection of the [`redis`]
//! crate, re-exported here.
//!
//! ```no_run
//! # async fn run() -> kinde_core::Result<()> {
//! use kinde_core::Kinde;
//! use kinde_core::redis::{RedisRefreshStore, connect};
//!
//! // `redis://host:6379/0`, `redis://:password@host/2`, or `rediss://` for TLS.
//! let redis = connect("redis://127.0.0.1:6379").await?;
//! let kinde = Kinde::from_env()?.with_refresh_store(RedisRefreshStore::new(redis.clone()));
//! # let _ = kinde; Ok(()) }
//! ```
//!
//! ## Cluster and Sentinel
//! The stores take any `redis::aio::ConnectionLike` connection that can be cloned. For
//! Redis Cluster, enable the redis crate's `cluster-async` feature in your app and pass
//! `redis::cluster::ClusterClient::new(nodes)?.get_async_connection().await?`; each
//! store's commands touch one key each, so any slot layout works. For Sentinel, enable
//! `sentinel` and pass the connection of
//! `redis::sentinel::SentinelClient::get_async_connection()` (or build a
//! `ConnectionManager` over the master it names).

use std::time::Duration;

pub use ::redis;
use ::redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use ::redis::caching::CacheConfig;
use ::redis::{Client, IntoConnectionInfo, ProtocolVersion, Script};

use crate::client::Kinde;
use crate::error::{KindeError, Result};
use crate::session::{RefreshStore, StoreFuture};
use crate::webhook::{Receipt, WebhookIds};

/// The timeouts and reconnection of a connection made by [`connect_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedisOptions {
    /// How long one connection attempt may take (default 2 s).
    pub connect_timeout: Duration,
    /// How long one command may wait for its answer (default 1 s): a stalled Redis is
    /// then a 503 for the visitor, not a hung request.
    pub response_timeout: Duration,
    /// How often a lost connection is retried before a command fails (default 2).
    pub retries: usize,
    /// Keep values read from Redis in this process's memory until Redis says they
    /// changed (default `None`: every read asks Redis). See [`ClientSideCache`].
    pub client_side_cache: Option<ClientSideCache>,
}

/// Redis's server-assisted client-side caching (`CLIENT TRACKING` over RESP3, the redis
/// crate's `cache-aio`, which it calls experimental), for [`RedisOptions`]: a warm
/// session request is then answered from memory with no round trip to Redis. Redis
/// tracks the keys this connection read and pushes an invalidation the moment another
/// instance changes or deletes one (a sign-out, a refresh), so every instance sees it
/// within the push's delivery; a reconnection drops every cached value.
///
/// What it costs: while this instance's connection is down, values it cached are still
/// served (a signed-in visitor keeps working through a Redis outage; nothing can be
/// signed out meanwhile, since that writes to Redis), and if Redis loses its data or
/// the network between this instance and Redis breaks silently, a value may be served
/// for up to [`max_age`](Self::max_age) after it changed. Leave it off if a sign-out
/// must be seen everywhere even then.
///
/// ```
/// use std::time::Duration;
/// use kinde_core::redis::{ClientSideCache, RedisOptions};
///
/// let options = RedisOptions {
///     client_side_cache: Some(ClientSideCache {
///         max_age: Duration::from_secs(10),
///         ..ClientSideCache::default()
///     }),
///     ..RedisOptions::default()
/// };
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientSideCache {
    /// How many keys at most (least recently used dropped first; default 10,000).
    pub max_keys: std::num::NonZeroUsize,
    /// How long a value is kept at most, whatever Redis says (default 30 s; never
    /// longer than the key's own time to live in Redis).
    pub max_age: Duration,
}

impl Default for ClientSideCache {
    fn default() -> Self {
        ClientSideCache {
            max_keys: std::num::NonZeroUsize::new(10_000).unwrap_or(std::num::NonZeroUsize::MIN),
            max_age: Duration::from_secs(30),
        }
    }
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions {
            connect_timeout: Duration::from_secs(2),
            response_timeout: Duration::from_secs(1),
            retries: 2,
            client_side_cache: None,
        }
    }
}

/// One multiplexed connection to the Redis at `url` (redis's `ConnectionManager`: cheap
/// to clone, shared by every request, reconnecting by itself) with the default
/// [`RedisOptions`]. The URL forms are the redis crate's: `redis://host:port/db`,
/// `redis://user:password@host/db`, `rediss://` for TLS (rustls, with the webpki
/// roots), `redis+unix:///path`.
///
/// An unreachable Redis at start-up is an error here; once connected, a lost connection
/// is retried on the next command.
pub async fn connect(url: &str) -> Result<ConnectionManager> {
    connect_with(url, RedisOptions::default()).await
}

/// [`connect`] with other timeouts, or with a [`ClientSideCache`].
pub async fn connect_with(url: &str, options: RedisOptions) -> Result<ConnectionManager> {
    let mut info = url.into_connection_info().map_err(not_a_url)?;
    let mut config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(options.connect_timeout))
        .set_response_timeout(Some(options.response_timeout))
        .set_number_of_retries(options.retries)
        .set_max_delay(Duration::from_millis(200));
    if let Some(cache) = options.client_side_cache {
        // Invalidations arrive as RESP3 pushes on the same connection.
        let settings = info
            .redis_settings()
            .clone()
            .set_protocol(ProtocolVersion::RESP3);
        info = info.set_redis_settings(settings);
        config = config.set_cache_config(
            CacheConfig::new()
                .set_size(cache.max_keys)
                .set_default_client_ttl(cache.max_age),
        );
    }
    let client = Client::open(info).map_err(not_a_url)?;
    ConnectionManager::new_with_config(client, config)
        .await
        .map_err(|e| KindeError::session_store(&e))
}

fn not_a_url(e: ::redis::RedisError) -> KindeError {
    KindeError::config("REDIS_URL", format!("not a Redis URL ({:?})", e.kind()))
}

/// A connection and a key prefix: the part the adapters' Redis session stores share
/// (each implements its framework's store trait over it).
#[derive(Clone)]
pub struct RedisKeyspace<C = ConnectionManager> {
    connection: C,
    prefix: String,
}

impl<C> std::fmt::Debug for RedisKeyspace<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisKeyspace")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl<C> RedisKeyspace<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    /// Keys `prefix…` over `connection`.
    pub fn new(connection: C, prefix: impl Into<String>) -> Self {
        RedisKeyspace {
            connection,
            prefix: prefix.into(),
        }
    }

    /// The same connection with keys of another prefix.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The Redis key of `name`.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// Run `cmd`.
    pub async fn query<T: ::redis::FromRedisValue>(
        &self,
        cmd: &::redis::Cmd,
    ) -> ::redis::RedisResult<T> {
        cmd.query_async(&mut self.connection.clone()).await
    }
}

/// Refreshes coordinated across instances in Redis: a lock is `SET key owner NX PX ttl`
/// (released by a script that deletes it only for its owner), a result is `SET key
/// tokens PX ttl`. Over any clonable async connection of the redis crate.
#[derive(Clone)]
pub struct RedisRefreshStore<C = ConnectionManager> {
    connection: C,
}

impl<C> std::fmt::Debug for RedisRefreshStore<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedisRefreshStore")
    }
}

impl<C> RedisRefreshStore<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    /// The store over `connection`.
    pub fn new(connection: C) -> Self {
        RedisRefreshStore { connection }
    }

    async fn query<T: ::redis::FromRedisValue>(&self, cmd: &::redis::Cmd) -> Result<T> {
        cmd.query_async(&mut self.connection.clone())
            .await
            .map_err(|e| KindeError::session_store(&e))
    }
}

/// Deletes `KEYS[1]` only if it holds `ARGV[1]`: a lock is released by its owner only.
const UNLOCK: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl<C> RefreshStore for RedisRefreshStore<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let taken: Option<String> = self
                .query(
                    ::redis::cmd("SET")
                        .arg(key)
                        .arg(owner)
                        .arg("NX")
                        .arg("PX")
                        .arg(millis(ttl)),
                )
                .await?;
            Ok(taken.is_some())
        })
    }

    fn unlock<'a>(&'a self, key: &'a str, owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let _: i64 = Script::new(UNLOCK)
                .key(key)
                .arg(owner)
                .invoke_async(&mut self.connection.clone())
                .await
                .map_err(|e| KindeError::session_store(&e))?;
            Ok(())
        })
    }

    fn publish<'a>(&'a self, key: &'a str, tokens: &'a str, ttl: Duration) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.query::<()>(
                ::redis::cmd("SET")
                    .arg(key)
                    .arg(tokens)
                    .arg("PX")
                    .arg(millis(ttl)),
            )
            .await
        })
    }

    fn published<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move { self.query(::redis::cmd("GET").arg(key)).await })
    }

    fn announce_stale<'a>(
        &'a self,
        channel: &'a str,
        sub: &'a str,
        at_ms: u64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let message = format!("{at_ms} {sub}");
            self.query::<i64>(::redis::cmd("PUBLISH").arg(channel).arg(message))
                .await
                .map(|_| ())
        })
    }
}

/// Listen, on a connection of its own to the Redis at `url`, for the forced refreshes
/// the app's other instances announce ([`Kinde::force_refresh`] with a
/// [`RedisRefreshStore`]), and mark them in `kinde` as if they were its own. Subscribed
/// when this returns; the listener reconnects by itself after a failure (marks
/// announced meanwhile are missed), finding a connection that died silently within a
/// minute (a `PING` every 30 s), and stops when the handle is aborted or the runtime
/// ends.
///
/// ```no_run
/// # async fn run(kinde: kinde_core::Kinde) -> kinde_core::Result<()> {
/// use kinde_core::redis::{RedisRefreshStore, connect, listen_for_forced_refreshes};
/// let url = "redis://127.0.0.1:6379";
/// let kinde = kinde.with_refresh_store(RedisRefreshStore::new(connect(url).await?));
/// let _listener = listen_for_forced_refreshes(&kinde, url).await?;
/// # Ok(()) }
/// ```
pub async fn listen_for_forced_refreshes(
    kinde: &Kinde,
    url: &str,
) -> Result<tokio::task::JoinHandle<()>> {
    use futures_util::StreamExt;

    let client = Client::open(url).map_err(not_a_url)?;
    let channel = kinde.stale_channel();
    let subscribe = |client: Client, channel: String| async move {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        Ok::<_, ::redis::RedisError>(pubsub)
    };
    let mut pubsub = subscribe(client.clone(), channel.clone())
        .await
        .map_err(|e| KindeError::session_store(&e))?;
    let kinde = kinde.clone();
    Ok(tokio::spawn(async move {
        loop {
            let (mut sink, mut messages) = pubsub.split();
            // A connection that died without closing (a failover behind NAT, say)
            // delivers nothing and never ends: a PING on it every half minute finds out.
            let mut health = tokio::time::interval(LISTENER_PING);
            health.tick().await;
            loop {
                tokio::select! {
                    message = messages.next() => {
                        let Some(message) = message else { break };
                        let Ok(payload) = message.get_payload::<String>() else {
                            continue;
                        };
                        if let Some((at, sub)) = payload.split_once(' ')
                            && let Ok(at) = at.parse::<u64>()
                            && !sub.is_empty()
                        {
                            kinde.mark_stale(sub, at);
                        }
                    }
                    _ = health.tick() => {
                        let pong = tokio::time::timeout(
                            LISTENER_PING / 2,
                            sink.ping::<::redis::Value>(),
                        );
                        if !matches!(pong.await, Ok(Ok(_))) {
                            break;
                        }
                    }
                }
            }
            tracing::warn!("lost the Redis subscription to forced refreshes; reconnecting");
            pubsub = loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if let Ok(p) = subscribe(client.clone(), channel.clone()).await {
                    break p;
                }
            };
        }
    }))
}

/// How often the forced-refresh listener checks that its connection is alive.
const LISTENER_PING: Duration = Duration::from_secs(30);

/// The webhooks received, in Redis, shared by the instances of an app: a delivery is
/// `SET key handling NX GET PX ttl` (of two deliveries at once, on any instances, one is
/// first; Redis 7.0 or later), a handled event `SET key handled PX ttl`.
/// Set it with [`Kinde::with_webhook_ids`](crate::Kinde::with_webhook_ids).
#[derive(Clone)]
pub struct RedisWebhookIds<C = ConnectionManager> {
    connection: C,
}

impl<C> std::fmt::Debug for RedisWebhookIds<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedisWebhookIds")
    }
}

impl<C> RedisWebhookIds<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    /// The store over `connection`.
    pub fn new(connection: C) -> Self {
        RedisWebhookIds { connection }
    }
}

impl<C> WebhookIds for RedisWebhookIds<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    fn begin<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, Receipt> {
        Box::pin(async move {
            // The value before, if the key was there (and then it is left alone):
            // one round trip, atomic across instances (Redis 7.0 or later).
            let before: Option<String> = ::redis::cmd("SET")
                .arg(key)
                .arg("handling")
                .arg("NX")
                .arg("GET")
                .arg("PX")
                .arg(millis(ttl))
                .query_async(&mut self.connection.clone())
                .await
                .map_err(|e| KindeError::session_store(&e))?;
            Ok(match before.as_deref() {
                None => Receipt::First,
                Some("handled") => Receipt::Handled,
                Some(_) => Receipt::InProgress,
            })
        })
    }

    fn finish<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            ::redis::cmd("SET")
                .arg(key)
                .arg("handled")
                .arg("PX")
                .arg(millis(ttl))
                .query_async::<()>(&mut self.connection.clone())
                .await
                .map_err(|e| KindeError::session_store(&e))
        })
    }

    fn forget<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            ::redis::cmd("DEL")
                .arg(key)
                .query_async::<i64>(&mut self.connection.clone())
                .await
                .map_err(|e| KindeError::session_store(&e))?;
            Ok(())
        })
    }
}
