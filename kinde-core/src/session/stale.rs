//! Forced refreshes: users whose sessions must refresh their tokens on their next
//! request, because the app changed what the user may do (roles, permissions,
//! organisations, flags) and the claims in their tokens are out of date.
//!
//! A mark names a user (`sub`) and the moment it was set; a session whose token set
//! was obtained before that moment refreshes once, on its next request (the rotated set
//! is obtained after the mark, so it is not refreshed again). Marks live in the
//! client, shared by its clones (every handle and adapter built on it), for one day:
//! by then every access token obtained before the mark has expired and refreshes anyway.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::verified::VerifiedSession;
use crate::client::Kinde;
use crate::error::{KindeError, Result};
use crate::tokens::now_millis;

/// How long a mark is kept: Kinde's access tokens live at most a day.
const MARK_TTL_MS: u64 = 24 * 60 * 60 * 1000;

/// The users whose sessions must refresh, with when each was marked (Unix ms).
#[derive(Debug, Default)]
pub(crate) struct StaleMarks {
    marks: RwLock<HashMap<String, u64>>,
    /// Whether any mark was ever set: the common case (none) costs one atomic load.
    any: AtomicBool,
    /// How many marks were left by the last sweep of expired ones.
    swept_at: AtomicUsize,
}

impl StaleMarks {
    /// Mark `sub` as of `at` (Unix ms). A mark from the future (another instance's
    /// clock ahead of ours) counts as now, or sessions refreshed here would stay older
    /// than it and refresh on every request; a mark older than one already there
    /// (announcements can arrive out of order) changes nothing.
    fn mark(&self, sub: &str, at: u64) {
        let now = now_millis();
        let at = at.min(now);
        let mut marks = self.marks.write().unwrap_or_else(|p| p.into_inner());
        // Expired marks go when the map has doubled since the last sweep, not on every
        // mark: marking many users at once stays linear.
        if marks.len() >= self.swept_at.load(Ordering::Relaxed).max(64) * 2 {
            marks.retain(|_, at| now.saturating_sub(*at) < MARK_TTL_MS);
            self.swept_at.store(marks.len(), Ordering::Relaxed);
        }
        let latest = marks.entry(sub.to_string()).or_insert(at);
        *latest = (*latest).max(at);
        self.any.store(true, Ordering::Release);
    }

    /// Whether the session of `sub` whose tokens were obtained at `obtained_at_ms` was
    /// obtained before a mark on `sub`.
    fn is_stale(&self, sub: &str, obtained_at_ms: u64) -> bool {
        if !self.any.load(Ordering::Acquire) {
            return false;
        }
        let marks = self.marks.read().unwrap_or_else(|p| p.into_inner());
        marks
            .get(sub)
            .is_some_and(|&at| obtained_at_ms < at && now_millis().saturating_sub(at) < MARK_TTL_MS)
    }
}

impl Kinde {
    /// Make every browser session of the user `user_id` (their `sub`, e.g.
    /// [`KindeUser::id`](crate::KindeUser::id)) refresh its tokens on its next request,
    /// so that a change the app just made to the user (roles, permissions,
    /// organisations, feature flags, through the Management API say) shows at once,
    /// without waiting for the access token to expire and without signing anybody out.
    ///
    /// Each session refreshes once (its new tokens are obtained after the mark), and
    /// writes the rotated tokens back as any refresh does. Sessions without a refresh
    /// token (no `offline` scope) cannot refresh and keep their claims until they expire.
    /// Bearer tokens are the caller's: they carry their claims until they expire.
    ///
    /// The mark is kept in this client, so it reaches every request this process
    /// serves with it (all its clones, every adapter handle built on it). With a
    /// [`RefreshStore`](crate::RefreshStore) it is also announced to the app's other
    /// instances: with Redis, each instance that runs
    /// `kinde_core::redis::listen_for_forced_refreshes` marks the user too, and the
    /// sessions in the shared store refresh once across the instances, as usual. (An
    /// instance that was not listening when the mark was announced does not see it.)
    ///
    /// ```no_run
    /// # async fn run(kinde: kinde_core::Kinde) -> kinde_core::Result<()> {
    /// // After giving the user a role through the Management API:
    /// kinde.force_refresh("kp_0123456789abcdef").await?;
    /// // Their next request refreshes, and sees the role's permissions.
    /// # Ok(()) }
    /// ```
    ///
    /// An empty `user_id` is an error ([`KindeError::BadRequest`]); so is a store that
    /// cannot announce the mark (this instance's mark is set all the same).
    pub async fn force_refresh(&self, user_id: &str) -> Result<()> {
        if user_id.is_empty() {
            return Err(KindeError::BadRequest("an empty user id".into()));
        }
        let at = now_millis();
        self.mark_stale(user_id, at);
        if let Some(store) = &self.inner.refresh_store {
            store
                .announce_stale(&self.stale_channel(), user_id, at)
                .await?;
        }
        Ok(())
    }

    /// Mark the sessions of `sub` obtained before `at_ms` for a refresh (here, or as
    /// another instance announced).
    pub(crate) fn mark_stale(&self, sub: &str, at_ms: u64) {
        self.inner.stale.mark(sub, at_ms);
        tracing::debug!("marked a user's sessions for a refresh");
    }

    /// Where this client's instances announce forced refreshes to each other.
    pub(crate) fn stale_channel(&self) -> String {
        let config = &self.inner.config;
        format!("kinde:stale:{}@{}", config.client_id, config.issuer)
    }

    /// Whether `session` must refresh because of [`force_refresh`](Self::force_refresh).
    pub(crate) fn is_stale(&self, session: &VerifiedSession) -> bool {
        session.access.subject().is_some_and(|sub| {
            self.inner
                .stale
                .is_stale(sub, session.tokens.obtained_at_ms())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_covers_what_was_obtained_before_it() {
        let marks = StaleMarks::default();
        assert!(!marks.is_stale("kp_1", 0));
        let now = now_millis();
        marks.mark("kp_1", now);
        assert!(marks.is_stale("kp_1", now - 1));
        assert!(marks.is_stale("kp_1", 0), "a set of unknown age");
        assert!(
            !marks.is_stale("kp_1", now),
            "obtained at or after the mark"
        );
        assert!(!marks.is_stale("kp_2", 0), "another user");
        // A mark from the future counts as now; an older one does not move it back.
        let ahead = StaleMarks::default();
        ahead.mark("kp_1", u64::MAX);
        assert!(!ahead.is_stale("kp_1", now_millis() + 1));
        ahead.mark("kp_1", 5);
        assert!(ahead.is_stale("kp_1", now - 10), "still the newer mark");
        // An old mark is forgotten.
        let old = StaleMarks::default();
        old.mark("kp_1", now - MARK_TTL_MS - 1);
        assert!(!old.is_stale("kp_1", 0));
    }
}
