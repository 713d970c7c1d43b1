//! Signing out: the URL that ends the session at Kinde, and revocation of the refresh
//! token.

use url::Url;

use crate::client::Kinde;
use crate::error::{KindeError, Result};
use crate::tokens::TokenSet;

impl Kinde {
    /// The URL that ends the session at Kinde, then sends the visitor to the configured
    /// post-logout URL (Kinde's `redirect` parameter). Pass the session's tokens to add
    /// `id_token_hint` and to revoke the refresh token in the background (best effort:
    /// it never delays or fails the logout).
    pub async fn logout_url(&self, tokens: Option<&TokenSet>) -> Result<Url> {
        let url = self.end_session_url(tokens).await;
        if let Some(tokens) = tokens {
            self.revoke_in_background(tokens);
        }
        Ok(url)
    }

    /// Kinde's logout URL for `tokens` (the post-logout redirect, the ID token hint).
    pub(crate) async fn end_session_url(&self, tokens: Option<&TokenSet>) -> Url {
        let mut url = self.resolved_endpoints().await.end_session.clone();
        {
            let mut q = url.query_pairs_mut();
            if let Some(redirect) = &self.inner.config.post_logout_redirect {
                q.append_pair("redirect", redirect.as_str());
            }
            if let Some(id) = tokens.and_then(TokenSet::id_token) {
                q.append_pair("id_token_hint", id);
            }
        }
        url
    }

    /// Revoke the refresh token of `tokens` on a task of its own (best effort: it never
    /// delays or fails a logout; without a runtime, nothing happens).
    pub(crate) fn revoke_in_background(&self, tokens: &TokenSet) {
        if tokens.refresh_token().is_none() {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let kinde = self.clone();
        let tokens = tokens.clone();
        handle.spawn(async move {
            if let Err(e) = kinde.revoke_refresh_token(&tokens).await {
                tracing::debug!(error = %e, "refresh token revocation failed (ignored)");
            }
        });
    }

    /// Revoke the refresh token of `tokens` at Kinde (`/oauth2/revoke`).
    pub async fn revoke_refresh_token(&self, tokens: &TokenSet) -> Result<()> {
        let Some(rt) = tokens.refresh_token() else {
            return Ok(());
        };
        let endpoints = self.resolved_endpoints().await;
        let body = self
            .inner
            .config
            .with_client_auth(&[("token", rt), ("token_type_hint", "refresh_token")]);
        let resp = self
            .inner
            .http
            .post(endpoints.revocation.clone())
            .form(&body)
            .send()
            .await
            .map_err(|e| KindeError::transport("revocation", &e))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(KindeError::Provider(format!(
                "revocation answered {}",
                resp.status()
            )))
        }
    }
}
