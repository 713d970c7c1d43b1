//! [`RedisSessionStore`]: actix-session session states in Redis, so that several
//! instances of an app share their sessions and a restart signs nobody out (feature
//! `redis`).
//!
//! Written here rather than taken from actix-session's own `RedisSessionStore`, which
//! builds its connection itself, without a response timeout or reconnection settings:
//! in kinde's tests a stopped Redis made its commands hang, and once Redis was back it
//! did not recover within 40 s (`tests/tests/instances.rs`). This one takes the
//! connection of [`kinde_core::redis::connect`] (timeouts, quick reconnection) or any
//! other, and keeps actix-session's format: the state as a JSON map under a generated
//! key, with Redis's own expiry.

use std::collections::HashMap;

use actix_session::storage::{
    LoadError, SaveError, SessionKey, SessionStore, UpdateError, generate_session_key,
};
use actix_web::cookie::time::Duration;
use kinde_core::redis::RedisKeyspace;
use kinde_core::redis::redis::aio::{ConnectionLike, ConnectionManager};
use kinde_core::redis::redis::{self, FromRedisValue};

type State = HashMap<String, String>;

/// actix-session session states in Redis: `kinde:session:<key>` holds the state as JSON
/// and expires with the session. A warm request costs one `GET`; a changed session one
/// `SET`. Works under kinde-actix's [`SessionMiddleware`](crate::SessionMiddleware) and
/// under actix-session's own.
///
/// A state that does not parse is no session (the visitor signs in again); Redis
/// unreachable, paused or slow beyond the connection's timeout is an error, which
/// kinde-actix's middleware answers with 503 and `Retry-After`.
///
/// ```no_run
/// # async fn run(kinde: kinde_actix::KindeAuth) -> Result<(), Box<dyn std::error::Error>> {
/// use kinde_actix::RedisSessionStore;
/// let redis = kinde_core::redis::connect("redis://127.0.0.1:6379").await?;
/// let middleware = kinde.session_middleware_with(RedisSessionStore::new(redis));
/// # let _ = middleware; Ok(()) }
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
    /// The store over `connection`, with keys `kinde:session:<key>`.
    pub fn new(connection: C) -> Self {
        RedisSessionStore(RedisKeyspace::new(connection, "kinde:session:"))
    }

    /// Keys of another prefix (e.g. one per app sharing a Redis).
    pub fn with_prefix(self, prefix: impl Into<String>) -> Self {
        RedisSessionStore(self.0.with_prefix(prefix))
    }

    fn key(&self, key: &SessionKey) -> String {
        self.0.key(key.as_ref())
    }

    async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> anyhow::Result<T> {
        Ok(self.0.query(cmd).await?)
    }

    /// `SET` the state for `ttl` under `key`, `condition` (`NX`: only if new; `XX`: only
    /// if there): `false` when it was not set.
    async fn set(
        &self,
        key: &SessionKey,
        state: &State,
        ttl: &Duration,
        condition: &str,
    ) -> anyhow::Result<bool> {
        let value = serde_json::to_string(state)?;
        let set: Option<String> = self
            .query(
                redis::cmd("SET")
                    .arg(self.key(key))
                    .arg(value)
                    .arg(condition)
                    .arg("EX")
                    .arg(ttl.whole_seconds().max(1)),
            )
            .await?;
        Ok(set.is_some())
    }
}

impl<C> SessionStore for RedisSessionStore<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let value: Option<String> = self
            .query(redis::cmd("GET").arg(self.key(session_key)))
            .await
            .map_err(LoadError::Other)?;
        value
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|e| LoadError::Deserialization(e.into()))
    }

    async fn save(&self, session_state: State, ttl: &Duration) -> Result<SessionKey, SaveError> {
        loop {
            let key = generate_session_key();
            // Keys are 64 random alphanumerics; one already taken is not reused regardless.
            if self
                .set(&key, &session_state, ttl, "NX")
                .await
                .map_err(SaveError::Other)?
            {
                return Ok(key);
            }
        }
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: State,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        if self
            .set(&session_key, &session_state, ttl, "XX")
            .await
            .map_err(UpdateError::Other)?
        {
            return Ok(session_key);
        }
        // The session expired meanwhile: keep it under a new key.
        self.save(session_state, ttl)
            .await
            .map_err(super::store::as_update_error)
    }

    async fn update_ttl(&self, session_key: &SessionKey, ttl: &Duration) -> anyhow::Result<()> {
        self.query::<()>(
            redis::cmd("EXPIRE")
                .arg(self.key(session_key))
                .arg(ttl.whole_seconds().max(1)),
        )
        .await
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        self.query::<()>(redis::cmd("DEL").arg(self.key(session_key)))
            .await
    }
}
