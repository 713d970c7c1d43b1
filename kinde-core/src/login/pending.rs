//! The logins a browser has started and not yet finished: what the adapter keeps in the
//! session between the redirect to Kinde and the callback (state, nonce, PKCE verifier).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::tokens::now_secs;

/// A PKCE code verifier, kept until the callback. Never printed.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct CodeVerifier(pub(crate) String);

/// One login waiting for its callback: what the adapter stores (in the server-side
/// session) between the redirect to Kinde and the callback. `Debug` hides the secrets.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub(crate) state: String,
    pub(crate) nonce: String,
    pub(crate) verifier: CodeVerifier,
    pub(crate) redirect_uri: String,
    pub(crate) return_to: Option<String>,
    pub(crate) created_at: u64,
    /// The Kinde parameters sent, to restart this login after `login_link_expired`.
    pub(crate) params: BTreeMap<String, String>,
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLogin")
            .field("return_to", &self.return_to)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

impl PendingLogin {
    /// The `state` value this login is keyed by.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The validated post-login path, if one was requested.
    pub fn return_to(&self) -> Option<&str> {
        self.return_to.as_deref()
    }
}

/// The logins of one browser that are waiting for their callbacks, keyed by `state`.
/// Several can be pending at once (tabs); each expires after the configured login TTL;
/// at most [`PendingLogins::MAX`] are kept (the oldest is dropped).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PendingLogins(Vec<PendingLogin>);

impl PendingLogins {
    /// How many pending logins one session keeps.
    pub const MAX: usize = 8;

    /// Add a pending login, dropping expired and excess ones.
    pub fn insert(&mut self, login: PendingLogin, ttl: std::time::Duration) {
        self.prune(ttl);
        self.0.push(login);
        if self.0.len() > Self::MAX {
            let excess = self.0.len() - Self::MAX;
            self.0.drain(..excess);
        }
    }

    /// Remove and return the pending login for `state` (constant-time comparison), if
    /// it exists and has not expired. A state can be taken once: replays find nothing.
    pub fn take(&mut self, state: &str, ttl: std::time::Duration) -> Option<PendingLogin> {
        self.prune(ttl);
        let mut found = None;
        for (i, p) in self.0.iter().enumerate() {
            if bool::from(p.state.as_bytes().ct_eq(state.as_bytes())) {
                found = Some(i);
            }
        }
        found.map(|i| self.0.remove(i))
    }

    /// The session format of these logins: JSON text, what the adapters keep in the
    /// session (see [`SessionSlot::PendingLogins`](crate::SessionSlot::PendingLogins)).
    pub fn to_json(&self) -> String {
        // Strings, numbers and a map of strings always serialize.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The logins stored in the session format, if any. A value that does not parse
    /// (written by another version) counts as nothing pending: the visitor signs in
    /// again.
    ///
    /// ```
    /// use kinde_core::PendingLogins;
    /// assert!(PendingLogins::from_stored(None).is_empty());
    /// assert!(PendingLogins::from_stored(Some("{not json")).is_empty());
    /// let none = PendingLogins::default();
    /// assert!(PendingLogins::from_stored(Some(&none.to_json())).is_empty());
    /// ```
    pub fn from_stored(stored: Option<&str>) -> Self {
        stored
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many logins are pending.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    fn prune(&mut self, ttl: std::time::Duration) {
        let now = now_secs();
        self.0
            .retain(|p| now.saturating_sub(p.created_at) < ttl.as_secs());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn pending(state: &str, age: u64) -> PendingLogin {
        PendingLogin {
            state: state.into(),
            nonce: "n".into(),
            verifier: CodeVerifier("v".repeat(43)),
            redirect_uri: "http://127.0.0.1/cb".into(),
            return_to: None,
            created_at: now_secs() - age,
            params: BTreeMap::new(),
        }
    }

    #[test]
    fn pending_logins_are_single_use_and_expire() {
        let ttl = Duration::from_secs(600);
        let mut p = PendingLogins::default();
        p.insert(pending("a", 0), ttl);
        p.insert(pending("b", 0), ttl);
        p.insert(pending("old", 601), ttl);
        assert!(p.take("b", ttl).is_some());
        assert!(p.take("b", ttl).is_none(), "replay");
        assert!(p.take("old", ttl).is_none(), "expired");
        assert!(p.take("a", ttl).is_some());
        for i in 0..20 {
            p.insert(pending(&i.to_string(), 0), ttl);
        }
        assert_eq!(p.len(), PendingLogins::MAX);
        assert!(p.take("0", ttl).is_none(), "oldest dropped");
        assert!(p.take("19", ttl).is_some());
        let json = serde_json::to_string(&p).unwrap();
        let _: PendingLogins = serde_json::from_str(&json).unwrap();
        assert!(!format!("{p:?}").contains("vvvv"));
    }
}
