//! [`RedisSessionStore`]: tower-sessions' records in Redis, so that several instances
//! of an app share their sessions and a restart signs nobody out (feature `redis`).
//!
//! Written here because no published Redis store matches the tower-sessions version in
//! use (`tower-sessions-redis-store` 0.16 implements tower-sessions-core 0.14; kinde-axum
//! is on 0.15). It is small: one key a session, its JSON record as the value, and
//! Redis's own expiry (`EXAT`) at the record's expiry.

use async_trait::async_trait;
use kinde_core::redis::RedisKeyspace;
use kinde_core::redis::redis::aio::{ConnectionLike, ConnectionManager};
use kinde_core::redis::redis::{self, FromRedisValue};
use tower_sessions::session::{Id, Record};
use tower_sessions::{SessionStore, session_store};

/// tower-sessions' session records in Redis: `kinde:session:<id>` holds the record as
/// JSON and expires with it. A warm request costs one `GET`; a changed session one
/// `SET`. Over any clonable async connection of the redis crate (a `ConnectionManager`
/// from [`kinde_core::redis::connect`], or a cluster connection).
///
/// A value that does not parse (written by another version, or corrupted) is no
/// session: the visitor signs in again. Redis unreachable, paused or slow beyond the
/// connection's timeout is an error, which the session layer answers with 503 and
/// `Retry-After`, never as signed out.
///
/// ```no_run
/// # async fn run(kinde: kinde_axum::KindeAuth) -> kinde_core::Result<()> {
/// use kinde_axum::RedisSessionStore;
/// let redis = kinde_core::redis::connect("redis://127.0.0.1:6379").await?;
/// let layer = kinde.session_layer_with(RedisSessionStore::new(redis));
/// # let _ = layer; Ok(()) }
/// ```
#[derive(Clone)]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub struct RedisSessionStore<C = ConnectionManager>(RedisKeyspace<C>);

impl<C> std::fmt::Debug for RedisSessionStore<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RedisSessionStore").field(&self.0).finish()
    }
}

impl<C> RedisSessionStore<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    /// The store over `connection`, with keys `kinde:session:<id>`.
    pub fn new(connection: C) -> Self {
        RedisSessionStore(RedisKeyspace::new(connection, "kinde:session:"))
    }

    /// Keys of another prefix (e.g. one per app sharing a Redis).
    pub fn with_prefix(self, prefix: impl Into<String>) -> Self {
        RedisSessionStore(self.0.with_prefix(prefix))
    }

    fn key(&self, id: &Id) -> String {
        self.0.key(&id.to_string())
    }

    async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> session_store::Result<T> {
        self.0
            .query(cmd)
            .await
            .map_err(|e| session_store::Error::Backend(e.to_string()))
    }

    /// `SET` the record until its expiry, `NX` (only if new) when `only_new`: `false`
    /// when it was not set.
    async fn set(&self, record: &Record, only_new: bool) -> session_store::Result<bool> {
        let value = serde_json::to_string(record)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(&record.id)).arg(value);
        if only_new {
            cmd.arg("NX");
        }
        // Never a past time: Redis refuses one, and the record is due for removal anyway.
        let at = record.expiry_date.unix_timestamp().max(1);
        cmd.arg("EXAT").arg(at);
        let set: Option<String> = self.query(&cmd).await?;
        Ok(set.is_some())
    }
}

#[async_trait]
impl<C> SessionStore for RedisSessionStore<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are random 128-bit values; one already taken is not reused regardless.
        while !self.set(record, true).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.set(record, false).await.map(drop)
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let value: Option<String> = self
            .query(redis::cmd("GET").arg(self.key(session_id)))
            .await?;
        Ok(value.and_then(|json| match serde_json::from_str(&json) {
            Ok(record) => Some(record),
            Err(e) => {
                // The class of the error, not its message (which can quote the value).
                tracing::warn!(error = ?e.classify(), "a session record in Redis does not parse; treating it as no session");
                None
            }
        }))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.query::<()>(redis::cmd("DEL").arg(self.key(session_id)))
            .await
    }
}
