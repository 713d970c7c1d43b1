//! An in-memory tower-sessions store that forgets expired sessions, and whose tokens the
//! extractors read in place.
//!
//! tower-sessions' own `MemoryStore` is meant for tests: it never removes an expired
//! record (every visitor that starts a login leaves one behind for good) and every load
//! waits for one async mutex while another copies a record. This store is the default of
//! [`KindeAuth::session_layer`](crate::KindeAuth::session_layer): records expire, are
//! swept out as new ones arrive, and loads share a read lock. It lives
//! in one process: use a shared store (Redis, a database) for several instances.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use kinde_core::{Kinde, VerifiedSession};
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::{SessionStore, session_store};

use super::access::KindeSession;

/// Expired records are swept out at most this often, when a session is saved.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Server-side session records in this process's memory, each until its expiry.
///
/// ```
/// use kinde_axum::MemorySessionStore;
/// let store = MemorySessionStore::default();
/// assert!(store.is_empty());
/// ```
#[derive(Clone, Default)]
pub struct MemorySessionStore {
    // Loads (every request of a signed-in visitor) only read: they never queue behind
    // each other.
    inner: Arc<RwLock<Records>>,
}

#[derive(Default)]
struct Records {
    by_id: HashMap<Id, Record>,
    last_sweep: Option<Instant>,
}

impl std::fmt::Debug for MemorySessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemorySessionStore")
            .field("sessions", &self.len())
            .finish()
    }
}

fn is_live(record: &Record, now: OffsetDateTime) -> bool {
    record.expiry_date > now
}

impl MemorySessionStore {
    /// How many live sessions are stored.
    pub fn len(&self) -> usize {
        let now = OffsetDateTime::now_utc();
        self.read()
            .by_id
            .values()
            .filter(|r| is_live(r, now))
            .count()
    }

    /// Whether no live session is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> RwLockReadGuard<'_, Records> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The session `kinde` verified before from the tokens stored in `session`'s record,
    /// read in place under the read lock: the common request of a signed-in visitor
    /// then copies nothing (tower-sessions would load a copy of the record, and reading
    /// a value copies it again; the tokens are ~2.5 KB). Only while this request has
    /// not changed the session, so the stored record is the session's; other stores
    /// take the usual path.
    pub(crate) fn cached_session(
        &self,
        session: &KindeSession,
        kinde: &Kinde,
    ) -> Option<Arc<VerifiedSession>> {
        let session = &session.0;
        if session.is_modified() {
            return None;
        }
        let records = self.read();
        let stored = records
            .live(&session.id()?)?
            .data
            .get(&kinde.session_keys().tokens)?;
        kinde.resume_cached_session(stored.as_str()?)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Records> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl Records {
    /// The record `id`, unless it has expired.
    fn live(&self, id: &Id) -> Option<&Record> {
        self.by_id
            .get(id)
            .filter(|r| is_live(r, OffsetDateTime::now_utc()))
    }

    fn sweep_if_due(&mut self) {
        let due = self.last_sweep.is_none_or(|at| at.elapsed() >= SWEEP_EVERY);
        if due {
            let now = OffsetDateTime::now_utc();
            self.by_id.retain(|_, r| is_live(r, now));
            self.last_sweep = Some(Instant::now());
        }
    }
}

#[async_trait]
impl SessionStore for MemorySessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let mut records = self.write();
        records.sweep_if_due();
        // Session ids are random 128-bit values; a collision is not reused regardless.
        while records.by_id.contains_key(&record.id) {
            record.id = Id::default();
        }
        records.by_id.insert(record.id, record.clone());
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let mut records = self.write();
        records.sweep_if_due();
        records.by_id.insert(record.id, record.clone());
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        Ok(self.read().live(session_id).cloned())
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.write().by_id.remove(session_id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_sessions::cookie::time::Duration as TimeDuration;

    fn record(expires_in: TimeDuration) -> Record {
        Record {
            id: Id::default(),
            data: HashMap::new(),
            expiry_date: OffsetDateTime::now_utc() + expires_in,
        }
    }

    #[tokio::test]
    async fn expired_records_are_not_loaded_and_are_swept() {
        let store = MemorySessionStore::default();
        let mut live = record(TimeDuration::hours(1));
        store.create(&mut live).await.unwrap();
        let expired = record(TimeDuration::seconds(-1));
        store.save(&expired).await.unwrap();
        assert!(store.load(&live.id).await.unwrap().is_some());
        assert!(store.load(&expired.id).await.unwrap().is_none());
        assert_eq!(store.len(), 1);

        // The next save after the sweep interval drops the expired record.
        store.write().last_sweep = None;
        store.save(&record(TimeDuration::hours(1))).await.unwrap();
        assert!(!store.read().by_id.contains_key(&expired.id));
        assert_eq!(store.len(), 2);

        store.delete(&live.id).await.unwrap();
        assert!(store.load(&live.id).await.unwrap().is_none());
    }
}
