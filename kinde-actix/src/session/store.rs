//! An in-memory actix-session store.
//!
//! actix-session ships no in-memory store, and its cookie store cannot hold Kinde's
//! tokens (a browser keeps at most about 4 KB per cookie), so this is the out-of-the-box
//! default of [`SessionMiddleware`](crate::SessionMiddleware): session state on the
//! server, only a random key in the cookie.
//! It lives in one process: use a Redis store (feature `redis`: `RedisSessionStore`) for
//! several instances.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use actix_session::storage::{
    LoadError, SaveError, SessionKey, SessionStore, UpdateError, generate_session_key,
};
use actix_web::cookie::time::Duration;

type State = HashMap<String, String>;

/// Server-side session state in this process's memory, with per-session expiry.
///
/// ```
/// use kinde_actix::MemorySessionStore;
/// let store = MemorySessionStore::default();
/// assert_eq!(store.len(), 0);
/// ```
#[derive(Clone, Default)]
pub struct MemorySessionStore {
    // Loads (every request of a visitor with a session) only read: they never queue
    // behind each other.
    sessions: Arc<RwLock<HashMap<String, (State, Instant)>>>,
}

impl std::fmt::Debug for MemorySessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemorySessionStore")
            .field("sessions", &self.len())
            .finish()
    }
}

impl MemorySessionStore {
    /// How many live sessions are stored.
    pub fn len(&self) -> usize {
        let now = Instant::now();
        self.read()
            .values()
            .filter(|(_, deadline)| *deadline > now)
            .count()
    }

    /// Whether no live session is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, (State, Instant)>> {
        self.sessions.read().unwrap_or_else(|p| p.into_inner())
    }

    /// `f` of the JSON text under `name` in the live session `key`, read in place under
    /// the read lock (no copy of the state): how the extractors recognise a session they
    /// verified before.
    pub(crate) fn with_value<R>(
        &self,
        key: &str,
        name: &str,
        f: impl FnOnce(&str) -> Option<R>,
    ) -> Option<R> {
        f(live(&self.read(), key)?.get(name)?)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, (State, Instant)>> {
        self.sessions.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// A failed save, as the update that fell back to it failed: for a store whose
/// `update` saves a state under a new key when the old one has expired.
pub(super) fn as_update_error(e: SaveError) -> UpdateError {
    match e {
        SaveError::Serialization(e) => UpdateError::Serialization(e),
        SaveError::Other(e) => UpdateError::Other(e),
    }
}

/// The state of the session `key`, unless it has expired.
fn live<'a>(sessions: &'a HashMap<String, (State, Instant)>, key: &str) -> Option<&'a State> {
    sessions
        .get(key)
        .filter(|(_, deadline)| *deadline > Instant::now())
        .map(|(state, _)| state)
}

fn deadline(ttl: &Duration) -> Instant {
    let secs = ttl.whole_seconds().max(0) as u64;
    Instant::now() + std::time::Duration::from_secs(secs)
}

impl SessionStore for MemorySessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        Ok(live(&self.read(), session_key.as_ref()).cloned())
    }

    async fn save(&self, session_state: State, ttl: &Duration) -> Result<SessionKey, SaveError> {
        let key = generate_session_key();
        let mut sessions = self.write();
        let now = Instant::now();
        sessions.retain(|_, (_, d)| *d > now);
        sessions.insert(key.as_ref().to_string(), (session_state, deadline(ttl)));
        Ok(key)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: State,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let updated = match self.write().get_mut(session_key.as_ref()) {
            Some(entry) => {
                *entry = (session_state.clone(), deadline(ttl));
                true
            }
            None => false,
        };
        if updated {
            return Ok(session_key);
        }
        // The session expired meanwhile: store it under a new key.
        self.save(session_state, ttl).await.map_err(as_update_error)
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        ttl: &Duration,
    ) -> Result<(), anyhow::Error> {
        if let Some(entry) = self.write().get_mut(session_key.as_ref()) {
            entry.1 = deadline(ttl);
        }
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        self.write().remove(session_key.as_ref());
        Ok(())
    }
}
