//! Refreshing a session's tokens at Kinde's token endpoint: once per process through the
//! client's [`RefreshFlights`](super::RefreshFlights), and once across the app's
//! instances through its [`RefreshStore`](super::RefreshStore), when it has one.

use std::time::{Duration, Instant};

use oauth2::CsrfToken;
use sha2::{Digest, Sha256};

use super::verified::VerifiedSession;
use crate::client::Kinde;
use crate::error::{KindeError, Result};
use crate::tokens::TokenSet;
use crate::trace::{span, traced};

/// The longest pause between two looks at a refresh running on another instance.
const MAX_POLL: Duration = Duration::from_millis(200);

impl Kinde {
    /// Refresh `tokens` now. Concurrent calls for the same refresh token share one
    /// request at Kinde; a call with a refresh token rotated in the last
    /// `refresh_grace` gets the set that replaced it; with a
    /// [`RefreshStore`](crate::RefreshStore), the same holds across the app's instances.
    /// `invalid_grant` becomes [`KindeError::SessionEnded`].
    pub async fn refresh(&self, tokens: &TokenSet) -> Result<VerifiedSession> {
        let rt = tokens.refresh_token().ok_or(KindeError::SessionEnded)?;
        let flight = self.inner.refresh.run(rt, || {
            let kinde = self.clone();
            let tokens = tokens.clone();
            async move { kinde.refresh_across_instances(&tokens).await }
        });
        traced(span!(INFO, "kinde.refresh", self), flight).await
    }

    /// The refresh of `tokens`, coordinated with the other instances when the client has
    /// a refresh store: whoever takes the lock refreshes and publishes the rotated set
    /// the moment Kinde answers (Kinde has revoked the old refresh token by then, so
    /// nobody may use it again); the others wait for the result, bounded. A holder that
    /// dies leaves its lock to expire, and a waiter takes over.
    async fn refresh_across_instances(&self, tokens: &TokenSet) -> Result<VerifiedSession> {
        let Some(store) = self.inner.refresh_store.clone() else {
            return self.refresh_once(tokens).await;
        };
        let rt = tokens.refresh_token().ok_or(KindeError::SessionEnded)?;
        let key = self.shared_refresh_key(rt);
        let (lock, result) = (format!("{key}:lock"), format!("{key}:result"));
        let timeout = self.inner.config.http_timeout;
        // Long enough for the holder's token request and a key fetch; a waiter gives up
        // once a lost holder's lock has expired and a refresh of its own had its time.
        let lock_ttl = timeout * 2;
        let deadline = Instant::now() + lock_ttl + timeout;
        let owner = CsrfToken::new_random().into_secret();
        let mut pause = Duration::from_millis(20);
        loop {
            if let Some(published) = store.published(&result).await? {
                return self.adopt_published(&published).await;
            }
            if store.try_lock(&lock, &owner, lock_ttl).await? {
                // A holder that released the lock just now published first.
                if let Some(published) = store.published(&result).await? {
                    let _ = store.unlock(&lock, &owner).await;
                    return self.adopt_published(&published).await;
                }
                let refreshed = self.refresh_once(tokens).await;
                if let Ok(session) = &refreshed {
                    let grace = self.inner.config.refresh_grace;
                    if let Err(e) = store
                        .publish(&result, &session.tokens.to_json(), grace)
                        .await
                    {
                        tracing::warn!(error = %e, "could not publish a refreshed Kinde session to the other instances");
                    }
                }
                if let Err(e) = store.unlock(&lock, &owner).await {
                    tracing::debug!(error = %e, "could not release a refresh lock (it expires)");
                }
                return refreshed;
            }
            if Instant::now() >= deadline {
                return Err(KindeError::Unavailable(
                    "a refresh of this session on another instance did not finish in time".into(),
                ));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_POLL);
        }
    }

    /// The shared store's key of the refresh of `refresh_token`: namespaced by client
    /// and issuer, and a digest, never the token itself.
    fn shared_refresh_key(&self, refresh_token: &str) -> String {
        let digest = Sha256::digest(refresh_token.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let config = &self.inner.config;
        format!("kinde:refresh:{}@{}:{hex}", config.client_id, config.issuer)
    }

    /// The token set another instance's refresh published, verified here.
    async fn adopt_published(&self, published: &str) -> Result<VerifiedSession> {
        let tokens = TokenSet::from_json(published)
            .map_err(|_| KindeError::Provider("a published refresh does not parse".into()))?;
        let access = self
            .verify_access_token(tokens.access_token().secret())
            .await?;
        let id = match tokens.id_token() {
            Some(t) => Some(self.verify_stored_id_token(t).await?),
            None => None,
        };
        let mut session = VerifiedSession::new(tokens, access, id);
        session.refreshed = true;
        Ok(session)
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
