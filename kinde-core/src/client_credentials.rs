//! Machine-to-machine tokens from the `client_credentials` grant, cached per audience.

use subtle::ConstantTimeEq;

use crate::client::Kinde;
use crate::error::{KindeError, Result};
use crate::tokens::{M2mToken, now_secs};

impl Kinde {
    /// A machine-to-machine token from the `client_credentials` grant, for `audience`
    /// (for the Management API: `https://<your>.kinde.com/api`). Cached per audience and
    /// renewed 60 s before expiry; concurrent callers share one request.
    pub async fn client_credentials_token(&self, audience: Option<&str>) -> Result<M2mToken> {
        if self.inner.config.client_secret.is_none() {
            return Err(KindeError::Config(
                "KINDE_CLIENT_SECRET: the client_credentials grant needs a client secret".into(),
            ));
        }
        let key = audience.unwrap_or("").to_string();
        let slot = {
            let mut slots = self.inner.m2m.lock().unwrap_or_else(|p| p.into_inner());
            slots.entry(key).or_default().clone()
        };
        let mut cached = slot.lock().await;
        if let Some(t) = cached.as_ref()
            && t.expires_at() > now_secs() + 60
        {
            return Ok(t.clone());
        }
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(a) = audience {
            form.push(("audience", a));
        }
        let raw = self.token_request(&form).await.map_err(|e| match e {
            KindeError::SessionEnded => {
                KindeError::Provider("client_credentials grant refused".into())
            }
            other => other,
        })?;
        let token = raw
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| KindeError::Provider("token response without access_token".into()))?;
        let expires_at = now_secs()
            + raw
                .expires_in
                .as_ref()
                .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
                .unwrap_or(3600);
        let m2m = M2mToken::new(token, expires_at);
        *cached = Some(m2m.clone());
        Ok(m2m)
    }

    /// Drop the cached M2M token of `audience` if it is still `rejected` (the raw token an
    /// API answered with 401: revoked, or the API's keys rotated), so that the next
    /// [`client_credentials_token`](Self::client_credentials_token) fetches a new one.
    /// Many callers that saw the same 401 cause one new fetch, not one each: once one of
    /// them has replaced the token, the others find a different one and leave it.
    ///
    /// Never fails today; it returns a `Result` like every client operation (its
    /// blocking twin reports a call from inside an async runtime).
    pub async fn forget_client_credentials_token(
        &self,
        audience: Option<&str>,
        rejected: &str,
    ) -> Result<()> {
        let slot = {
            let slots = self.inner.m2m.lock().unwrap_or_else(|p| p.into_inner());
            slots.get(audience.unwrap_or("")).cloned()
        };
        if let Some(slot) = slot {
            let mut cached = slot.lock().await;
            if cached
                .as_ref()
                .is_some_and(|t| bool::from(t.secret().as_bytes().ct_eq(rejected.as_bytes())))
            {
                *cached = None;
            }
        }
        Ok(())
    }
}
