//! Kinde's token endpoint: the grants (authorization code, refresh, client
//! credentials) with client authentication, their errors mapped by class, and token
//! responses turned into verified token sets.

use crate::client::Kinde;
use crate::error::{KindeError, Result, safe_code};
use crate::session::VerifiedSession;
use crate::tokens::{RawTokenError, RawTokenResponse, TokenSet, now_secs};
use crate::trace::{span, traced};
use crate::verify::TokenKind;

impl Kinde {
    /// POST to the token endpoint with client authentication; map errors by class. In a
    /// span named after the grant (`kinde.code_exchange`, `kinde.refresh_grant`,
    /// `kinde.client_credentials`).
    pub(crate) async fn token_request(&self, form: &[(&str, &str)]) -> Result<RawTokenResponse> {
        let field = |name: &str| form.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        let span = match field("grant_type") {
            Some("authorization_code") => span!(DEBUG, "kinde.code_exchange", self),
            Some("refresh_token") => span!(DEBUG, "kinde.refresh_grant", self),
            _ => span!(
                DEBUG,
                "kinde.client_credentials",
                self,
                audience = field("audience").unwrap_or("")
            ),
        };
        traced(span, self.post_token_request(form)).await
    }

    async fn post_token_request(&self, form: &[(&str, &str)]) -> Result<RawTokenResponse> {
        let endpoints = self.resolved_endpoints().await;
        let body = self.inner.config.with_client_auth(form);
        let resp = self
            .inner
            .http
            .post(endpoints.token.clone())
            .header("accept", "application/json")
            .form(&body)
            .send()
            .await
            .map_err(|e| KindeError::transport("token endpoint", &e))?;
        let status = resp.status();
        if status.is_success() {
            return resp
                .json::<RawTokenResponse>()
                .await
                .map_err(|e| KindeError::transport("token endpoint", &e));
        }
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(KindeError::Unavailable(format!(
                "token endpoint answered {status}"
            )));
        }
        let err: RawTokenError = resp.json().await.unwrap_or_default();
        match err.error.as_deref() {
            Some("invalid_grant") => Err(KindeError::SessionEnded),
            Some("invalid_client") | Some("unauthorized_client") => Err(KindeError::Config(
                "Kinde rejected the client credentials (check KINDE_CLIENT_ID / KINDE_CLIENT_SECRET)".into(),
            )),
            Some(code) => Err(KindeError::Provider(format!(
                "token endpoint answered {status} ({})",
                safe_code(code)
            ))),
            None => Err(KindeError::Provider(format!("token endpoint answered {status}"))),
        }
    }

    /// Turn a token response into a verified [`TokenSet`] (both tokens verified).
    pub(crate) async fn verified_token_set(
        &self,
        raw: RawTokenResponse,
        nonce: Option<&str>,
        previous: Option<&TokenSet>,
    ) -> Result<VerifiedSession> {
        let access = raw
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or(KindeError::SessionEnded)?;
        let access_claims = self.verify_access_token(&access).await?;
        let expires_at = access_claims
            .expires_at()
            .or_else(|| {
                raw.expires_in
                    .as_ref()
                    .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
                    .map(|secs| now_secs() + secs)
            })
            .ok_or(KindeError::SessionEnded)?;
        // A refresh response may omit the ID token; keep the previous one then (its
        // own expiry is not the session's, so it is checked only when fresh).
        let fresh_id = raw.id_token.filter(|t| !t.is_empty());
        let id_claims = match &fresh_id {
            Some(t) => Some(
                self.verify_jwt(
                    t,
                    TokenKind::Id {
                        nonce,
                        check_exp: true,
                    },
                )
                .await?,
            ),
            None => match previous.and_then(TokenSet::id_token) {
                Some(t) => Some(self.verify_stored_id_token(t).await?),
                None => None,
            },
        };
        let id_token = fresh_id.or_else(|| previous.and_then(|p| p.id_token().map(str::to_string)));
        let refresh_token = raw
            .refresh_token
            .filter(|t| !t.is_empty())
            .or_else(|| previous.and_then(|p| p.refresh_token().map(str::to_string)));
        Ok(VerifiedSession::new(
            TokenSet::new(access, id_token, refresh_token, expires_at),
            access_claims,
            id_claims,
        ))
    }
}
