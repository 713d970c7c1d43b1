//! Starting a login: the authorization URL at Kinde (PKCE S256, `state`, `nonce`) and
//! the pending login to keep until the callback.

use std::collections::BTreeMap;

use oauth2::{CsrfToken, PkceCodeChallenge};
use url::Url;

use super::options::{LoginOptions, Prompt};
use super::pending::{CodeVerifier, PendingLogin};
use crate::client::Kinde;
use crate::error::{KindeError, Result};
use crate::return_to::safe_return_to;
use crate::tokens::now_secs;

/// A login ready to start: send the visitor to `url`, keep `pending` for the callback.
#[derive(Debug, Clone)]
pub struct LoginRequest {
    /// The authorization URL at Kinde.
    pub url: Url,
    /// What to store until the callback.
    pub pending: PendingLogin,
}

impl Kinde {
    /// Start a login: the authorization URL (PKCE S256, `state`, `nonce`) and the
    /// pending login to store until the callback.
    ///
    /// ```no_run
    /// # async fn run(kinde: kinde_core::Kinde) -> kinde_core::Result<()> {
    /// use kinde_core::LoginOptions;
    /// let login = kinde.login_url(LoginOptions::new().return_to("/dashboard")).await?;
    /// // store `login.pending` in the visitor's session, then redirect to `login.url`
    /// # Ok(()) }
    /// ```
    pub async fn login_url(&self, options: LoginOptions) -> Result<LoginRequest> {
        let config = &self.inner.config;
        let redirect_uri = config.redirect_uri.as_ref().ok_or_else(|| {
            KindeError::config("KINDE_REDIRECT_URI", "missing: required for browser logins")
        })?;
        let endpoints = self.resolved_endpoints().await;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = CsrfToken::new_random_len(24).into_secret();
        let nonce = CsrfToken::new_random_len(24).into_secret();
        let scopes = options
            .scope
            .clone()
            .unwrap_or_else(|| config.scopes.clone());
        let audiences = options
            .audience
            .clone()
            .unwrap_or_else(|| config.audiences.clone());
        let params = options.params();

        let mut url = endpoints.authorization.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &config.client_id)
                .append_pair("response_type", "code")
                .append_pair("redirect_uri", redirect_uri.as_str())
                .append_pair("scope", &scopes.join(" "))
                .append_pair("state", &state)
                .append_pair("nonce", &nonce)
                .append_pair("code_challenge", challenge.as_str())
                .append_pair("code_challenge_method", "S256")
                .append_pair("supports_reauth", "true");
            if !audiences.is_empty() {
                q.append_pair("audience", &audiences.join(" "));
            }
            for (k, v) in &params {
                q.append_pair(k, v);
            }
        }
        let mut kept: BTreeMap<String, String> = params.into_iter().collect();
        if let Some(a) = &options.audience {
            kept.insert("audience".into(), a.join(" "));
        }
        if let Some(s) = &options.scope {
            kept.insert("scope".into(), s.join(" "));
        }
        Ok(LoginRequest {
            url,
            pending: PendingLogin {
                state,
                nonce,
                verifier: CodeVerifier(verifier.into_secret()),
                redirect_uri: redirect_uri.to_string(),
                return_to: options
                    .return_to
                    .as_deref()
                    .and_then(safe_return_to)
                    .map(str::to_string),
                created_at: now_secs(),
                params: kept,
            },
        })
    }

    /// Start a registration (`prompt=create`).
    pub async fn register_url(&self, options: LoginOptions) -> Result<LoginRequest> {
        self.login_url(options.prompt(Prompt::Create)).await
    }

    /// Start a registration that also creates an organisation named `org_name`
    /// (`is_create_org=true`, `prompt=create`).
    pub async fn create_org_url(
        &self,
        org_name: Option<&str>,
        options: LoginOptions,
    ) -> Result<LoginRequest> {
        let mut options = options.prompt(Prompt::Create).create_org(true);
        if let Some(name) = org_name {
            options = options.org_name(name);
        }
        self.login_url(options).await
    }

    /// Switch the signed-in user to another organisation without a sign-in screen
    /// (`prompt=none` + `org_code`).
    pub async fn switch_org_url(
        &self,
        org_code: &str,
        options: LoginOptions,
    ) -> Result<LoginRequest> {
        self.login_url(options.prompt(Prompt::None).org_code(org_code))
            .await
    }
}
