//! Refreshes in flight and just completed, keyed by a SHA-256 of the refresh token.
//!
//! Refreshes of one token set are collapsed into a single request at Kinde (single
//! flight), and every waiter gets the new set. Kinde rotates refresh tokens on every use,
//! so a request that read the session just before another request rotated it would
//! present a dead token; a short grace map from the old refresh token to its replacement
//! answers such late requests instead.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::verified::VerifiedSession;
use crate::error::{KindeError, Result};

type Key = [u8; 32];
/// One refresh in progress; its result is published once, when the refresh task ends.
type Flight = tokio::sync::watch::Receiver<Option<Result<VerifiedSession>>>;

/// The refreshes of one client.
pub(crate) struct RefreshFlights {
    grace: Duration,
    inflight: Mutex<HashMap<Key, Flight>>,
    recent: Mutex<HashMap<Key, (VerifiedSession, Instant)>>,
}

impl RefreshFlights {
    pub(crate) fn new(grace: Duration) -> Self {
        RefreshFlights {
            grace,
            inflight: Mutex::new(HashMap::new()),
            recent: Mutex::new(HashMap::new()),
        }
    }

    fn recent(&self, key: &Key) -> Option<VerifiedSession> {
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent
            .get(key)
            .filter(|(_, at)| at.elapsed() < self.grace)
            .map(|(s, _)| s.clone())
    }

    fn remember(&self, key: Key, session: &VerifiedSession) {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.retain(|_, (_, at)| at.elapsed() < self.grace);
        recent.insert(key, (session.clone(), Instant::now()));
    }

    /// The refresh of `refresh_token`: the result of one rotated in the last `grace`,
    /// else the one in flight, else a new one that `start` begins. The refresh runs on a
    /// task of its own, owned by no caller: if the request that started it is dropped,
    /// the rotation at Kinde still completes, is recorded and reaches every waiter, and
    /// no waiter starts a second refresh with the same token.
    pub(crate) async fn run<F>(
        self: &Arc<Self>,
        refresh_token: &str,
        start: impl FnOnce() -> F,
    ) -> Result<VerifiedSession>
    where
        F: Future<Output = Result<VerifiedSession>> + Send + 'static,
    {
        let key: Key = Sha256::digest(refresh_token.as_bytes()).into();
        if let Some(s) = self.recent(&key) {
            return Ok(s);
        }
        let mut flight: Flight = {
            let mut inflight = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
            // Check again under the lock: a flight is remembered before it leaves
            // `inflight`, so one that finished since the check above is found here
            // instead of starting a second refresh with the rotated-out token.
            if let Some(s) = self.recent(&key) {
                return Ok(s);
            }
            match inflight.get(&key) {
                Some(f) => f.clone(),
                None => {
                    let (tx, rx) = tokio::sync::watch::channel(None);
                    inflight.insert(key, rx.clone());
                    let flights = self.clone();
                    let refresh = start();
                    tokio::spawn(async move {
                        let result = refresh.await;
                        if let Ok(s) = &result {
                            flights.remember(key, s);
                        }
                        flights
                            .inflight
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .remove(&key);
                        tx.send_replace(Some(result));
                    });
                    rx
                }
            }
        };
        match flight.wait_for(Option::is_some).await.map(|r| r.clone()) {
            Ok(Some(result)) => result,
            _ => {
                // The task ended without a result (it panicked): forget the flight.
                let mut inflight = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
                if inflight.get(&key).is_some_and(|f| f.same_channel(&flight)) {
                    inflight.remove(&key);
                }
                Err(KindeError::Provider("refresh task failed".into()))
            }
        }
    }
}
