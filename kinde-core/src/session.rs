//! Signed-in sessions: verification of stored tokens on each request, and refresh.
//!
//! Refreshes of one token set are collapsed into a single request at Kinde (single
//! flight, keyed by a SHA-256 of the refresh token), and every waiter gets the new set.
//! Kinde rotates refresh tokens on every use, so a request that read the session just
//! before another request rotated it would present a dead token; a short grace map from
//! the old refresh token to its replacement answers such late requests instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::Kinde;
use crate::claims::{Claims, FeatureFlags, KindeUser, Organization, Permissions, Roles};
use crate::error::{KindeError, Result, TokenRejection};
use crate::tokens::TokenSet;
use crate::verify::TokenKind;

/// A session whose tokens were verified (and refreshed if they were about to expire).
///
/// If [`refreshed`](Self::refreshed) is true, the adapter must write
/// [`tokens`](Self::tokens) back to the session store: Kinde rotated the refresh token.
#[derive(Debug, Clone)]
pub struct VerifiedSession {
    /// The current tokens.
    pub tokens: TokenSet,
    /// Verified access-token claims.
    pub access: Claims,
    /// Verified ID-token claims (absent if Kinde issued no ID token).
    pub id: Option<Claims>,
    /// Whether the tokens were refreshed while verifying.
    pub refreshed: bool,
    /// The user, built on first use: a cached session serves many requests.
    user: OnceLock<Option<Arc<KindeUser>>>,
}

impl VerifiedSession {
    pub(crate) fn new(tokens: TokenSet, access: Claims, id: Option<Claims>) -> Self {
        VerifiedSession {
            tokens,
            access,
            id,
            refreshed: false,
            user: OnceLock::new(),
        }
    }

    /// The signed-in user, built once per verified session and shared (a cached session
    /// serves many requests; handing out a clone of the `Arc` copies nothing).
    pub fn user(&self) -> Option<Arc<KindeUser>> {
        self.user
            .get_or_init(|| KindeUser::from_claims(&self.access, self.id.as_ref()).map(Arc::new))
            .clone()
    }

    /// Permissions from the access token.
    pub fn permissions(&self) -> Permissions {
        self.access.permissions()
    }

    /// Roles from the access token.
    pub fn roles(&self) -> Roles {
        self.access.roles()
    }

    /// The current organisation.
    pub fn organization(&self) -> Option<Organization> {
        self.access.organization()
    }

    /// Feature flags from the access token.
    pub fn feature_flags(&self) -> FeatureFlags {
        self.access.feature_flags()
    }
}

type Key = [u8; 32];
/// One refresh in progress; its result is published once, when the refresh task ends.
type Flight = tokio::sync::watch::Receiver<Option<Result<VerifiedSession>>>;

pub(crate) struct RefreshCoordinator {
    grace: Duration,
    inflight: Mutex<HashMap<Key, Flight>>,
    recent: Mutex<HashMap<Key, (VerifiedSession, Instant)>>,
}

impl RefreshCoordinator {
    pub(crate) fn new(grace: Duration) -> Self {
        RefreshCoordinator {
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
}

fn key_of(refresh_token: &str) -> Key {
    Sha256::digest(refresh_token.as_bytes()).into()
}

impl Kinde {
    /// Verify the tokens stored in a session, refreshing them first when the access
    /// token expires within the configured margin.
    ///
    /// Errors: [`KindeError::SessionEnded`] when the session cannot continue (expired
    /// without a refresh token, or Kinde refused the refresh); [`KindeError::InvalidToken`]
    /// when stored tokens fail verification; [`KindeError::Unavailable`] when Kinde cannot
    /// be reached to refresh or to fetch keys (the session is then still intact).
    pub async fn authenticate_session(&self, tokens: &TokenSet) -> Result<VerifiedSession> {
        self.authenticate_owned_session(tokens.clone()).await
    }

    /// [`authenticate_session`](Self::authenticate_session) for tokens the caller no
    /// longer needs (a session just loaded from the store): no copy of the tokens.
    pub(crate) async fn authenticate_owned_session(
        &self,
        tokens: TokenSet,
    ) -> Result<VerifiedSession> {
        let margin = self.inner.config.refresh_margin;
        if tokens.expires_within(margin) {
            if tokens.refresh_token().is_some() {
                return self.refresh(&tokens).await;
            }
            if tokens.is_expired() {
                return Err(KindeError::SessionEnded);
            }
        }
        let access = match self.verify_access_token(tokens.access_token()).await {
            Err(KindeError::InvalidToken(TokenRejection::Expired))
                if tokens.refresh_token().is_some() =>
            {
                return self.refresh(&tokens).await;
            }
            other => other?,
        };
        let id = match tokens.id_token() {
            Some(t) => Some(self.verify_stored_id_token(t).await?),
            None => None,
        };
        Ok(VerifiedSession::new(tokens, access, id))
    }

    /// Verify the ID token kept in a session: it was checked at login (nonce included);
    /// now it only has to be ours and intact. Its own (short) expiry is not the session's.
    pub(crate) async fn verify_stored_id_token(&self, token: &str) -> Result<Claims> {
        self.verify_jwt(
            token,
            TokenKind::Id {
                nonce: None,
                check_exp: false,
            },
        )
        .await
    }

    /// Refresh `tokens` now. Concurrent calls for the same refresh token share one
    /// request at Kinde; a call with a refresh token rotated in the last
    /// `refresh_grace` gets the set that replaced it. `invalid_grant` becomes
    /// [`KindeError::SessionEnded`].
    pub async fn refresh(&self, tokens: &TokenSet) -> Result<VerifiedSession> {
        let rt = tokens.refresh_token().ok_or(KindeError::SessionEnded)?;
        let key = key_of(rt);
        let coord = &self.inner.refresh;
        if let Some(s) = coord.recent(&key) {
            return Ok(s);
        }
        let mut flight: Flight = {
            let mut inflight = coord.inflight.lock().unwrap_or_else(|p| p.into_inner());
            // Check again under the lock: a flight is remembered before it leaves
            // `inflight`, so one that finished since the check above is found here
            // instead of starting a second refresh with the rotated-out token.
            if let Some(s) = coord.recent(&key) {
                return Ok(s);
            }
            match inflight.get(&key) {
                Some(f) => f.clone(),
                None => {
                    // The refresh runs on its own task, owned by no caller: if the
                    // request that started it is dropped, the rotation at Kinde still
                    // completes, is recorded and reaches every waiter, and no waiter
                    // starts a second refresh with the same token.
                    let (tx, rx) = tokio::sync::watch::channel(None);
                    inflight.insert(key, rx.clone());
                    let kinde = self.clone();
                    let tokens = tokens.clone();
                    tokio::spawn(async move {
                        let result = kinde.refresh_once(&tokens).await;
                        let coord = &kinde.inner.refresh;
                        if let Ok(s) = &result {
                            coord.remember(key, s);
                        }
                        coord
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
                let mut inflight = coord.inflight.lock().unwrap_or_else(|p| p.into_inner());
                if inflight.get(&key).is_some_and(|f| f.same_channel(&flight)) {
                    inflight.remove(&key);
                }
                Err(KindeError::Provider("refresh task failed".into()))
            }
        }
    }

    async fn refresh_once(&self, tokens: &TokenSet) -> Result<VerifiedSession> {
        let rt = tokens.refresh_token().ok_or(KindeError::SessionEnded)?;
        let raw = self
            .token_request(&[("grant_type", "refresh_token"), ("refresh_token", rt)])
            .await?;
        let mut session = self.verified_token_set(raw, None, Some(tokens)).await?;
        session.refreshed = true;
        tracing::debug!("refreshed a Kinde session");
        Ok(session)
    }
}
