//! Signed-in sessions: verification of stored tokens on each request, and refresh.
//!
//! Refreshes of one token set are collapsed into a single request at Kinde (single
//! flight, keyed by a SHA-256 of the refresh token), and every waiter gets the new set.
//! Kinde rotates refresh tokens on every use, so a request that read the session just
//! before another request rotated it would present a dead token; a short grace map from
//! the old refresh token to its replacement answers such late requests instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
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
}

impl VerifiedSession {
    /// The signed-in user.
    pub fn user(&self) -> Option<KindeUser> {
        KindeUser::from_claims(&self.access, self.id.as_ref())
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
type Flight = Arc<tokio::sync::OnceCell<Result<VerifiedSession>>>;

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
        let margin = self.inner.config.refresh_margin;
        if tokens.expires_within(margin) {
            if tokens.refresh_token().is_some() {
                return self.refresh(tokens).await;
            }
            if tokens.is_expired() {
                return Err(KindeError::SessionEnded);
            }
        }
        let access = match self.verify_access_token(tokens.access_token()).await {
            Err(KindeError::InvalidToken(TokenRejection::Expired))
                if tokens.refresh_token().is_some() =>
            {
                return self.refresh(tokens).await;
            }
            other => other?,
        };
        // The ID token was verified at login (nonce included); here it only has to be
        // ours and intact. Its own (short) expiry is not the session's.
        let id = match tokens.id_token() {
            Some(t) => Some(
                self.verify_jwt(
                    t,
                    TokenKind::Id {
                        nonce: None,
                        check_exp: false,
                    },
                )
                .await?,
            ),
            None => None,
        };
        Ok(VerifiedSession {
            tokens: tokens.clone(),
            access,
            id,
            refreshed: false,
        })
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
        let flight: Flight = {
            let mut inflight = coord.inflight.lock().unwrap_or_else(|p| p.into_inner());
            inflight.entry(key).or_default().clone()
        };
        let result = flight
            .get_or_init(|| {
                // Run the refresh on its own task: if the request that started it is
                // dropped, the rotation at Kinde still completes and is recorded.
                let kinde = self.clone();
                let tokens = tokens.clone();
                async move {
                    let task = tokio::spawn(async move {
                        let result = kinde.refresh_once(&tokens).await;
                        if let Ok(s) = &result {
                            kinde.inner.refresh.remember(key, s);
                        }
                        result
                    });
                    task.await
                        .unwrap_or_else(|_| Err(KindeError::Provider("refresh task failed".into())))
                }
            })
            .await
            .clone();
        {
            let mut inflight = coord.inflight.lock().unwrap_or_else(|p| p.into_inner());
            if inflight.get(&key).is_some_and(|f| Arc::ptr_eq(f, &flight)) {
                inflight.remove(&key);
            }
        }
        result
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
