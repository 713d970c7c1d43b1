//! Refreshing a session's tokens at Kinde's token endpoint, through the client's
//! [`RefreshFlights`](super::RefreshFlights).

use super::verified::VerifiedSession;
use crate::client::Kinde;
use crate::error::{KindeError, Result};
use crate::tokens::TokenSet;

impl Kinde {
    /// Refresh `tokens` now. Concurrent calls for the same refresh token share one
    /// request at Kinde; a call with a refresh token rotated in the last
    /// `refresh_grace` gets the set that replaced it. `invalid_grant` becomes
    /// [`KindeError::SessionEnded`].
    pub async fn refresh(&self, tokens: &TokenSet) -> Result<VerifiedSession> {
        let rt = tokens.refresh_token().ok_or(KindeError::SessionEnded)?;
        self.inner
            .refresh
            .run(rt, || {
                let kinde = self.clone();
                let tokens = tokens.clone();
                async move { kinde.refresh_once(&tokens).await }
            })
            .await
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
