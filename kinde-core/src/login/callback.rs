//! Finishing a login: the callback's `state` matched against the pending logins (once
//! only), the code exchanged with that login's PKCE verifier, both tokens verified; and
//! Kinde's `login_link_expired`, which restarts the login with its original options.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde::Deserialize;

use super::authorize::LoginRequest;
use super::options::LoginOptions;
use super::pending::{PendingLogin, PendingLogins};
use super::policy::LoginKind;
use crate::client::Kinde;
use crate::error::{CallbackError, KindeError, Result, safe_code};
use crate::session::VerifiedSession;

/// The query of a callback request. `Debug` hides the code.
#[derive(Clone, Default, Deserialize)]
pub struct CallbackParams {
    /// `code`.
    #[serde(default)]
    pub code: Option<String>,
    /// `state`.
    #[serde(default)]
    pub state: Option<String>,
    /// `error`.
    #[serde(default)]
    pub error: Option<String>,
    /// `error_description`.
    #[serde(default)]
    pub error_description: Option<String>,
    /// `reauth_state` (with `error=login_link_expired`).
    #[serde(default)]
    pub reauth_state: Option<String>,
}

impl fmt::Debug for CallbackParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackParams")
            .field("code", &self.code.as_ref().map(|_| "[redacted]"))
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// The result of a callback.
#[derive(Debug)]
pub enum CallbackOutcome {
    /// Signed in: store `session.tokens` (after cycling the session id) and redirect to
    /// `return_to` (already validated) or the configured post-login URL.
    SignedIn {
        /// The verified session.
        session: Box<VerifiedSession>,
        /// Where to go next.
        return_to: String,
    },
    /// Kinde asked to start over (`login_link_expired`): store the new pending login and
    /// redirect to its URL.
    Restart(Box<LoginRequest>),
}

impl Kinde {
    /// Complete a login callback.
    ///
    /// The `state` must match one of `pending` (it is removed, so a replay fails); the
    /// code is exchanged with that login's PKCE verifier; both tokens are verified
    /// (signature, issuer, audience, expiry, nonce). `error=…` becomes
    /// [`CallbackError::Denied`], except `login_link_expired` with `reauth_state`, which
    /// yields [`CallbackOutcome::Restart`] with the original parameters merged back in
    /// (a `reauth_state`'s `audience` and `scope` only where the app allows them from a
    /// visitor, see [`LoginPolicy`](crate::LoginPolicy)).
    pub async fn complete_login(
        &self,
        params: &CallbackParams,
        pending: &mut PendingLogins,
    ) -> Result<CallbackOutcome> {
        let ttl = self.inner.config.login_ttl;
        if let Some(error) = params.error.as_deref() {
            let original = params.state.as_deref().and_then(|s| pending.take(s, ttl));
            if error == "login_link_expired"
                && let Some(reauth) = params.reauth_state.as_deref()
            {
                let options = self.restart_options(original, decode_reauth_state(reauth)?);
                return Ok(CallbackOutcome::Restart(Box::new(
                    self.login_url(options).await?,
                )));
            }
            let description = params
                .error_description
                .as_deref()
                .map(|d| d.chars().filter(|c| !c.is_control()).take(200).collect());
            return Err(CallbackError::Denied {
                error: safe_code(error),
                description,
            }
            .into());
        }
        let state = params
            .state
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or(CallbackError::MissingState)?;
        let login = pending
            .take(state, ttl)
            .ok_or(CallbackError::UnknownState)?;
        let code = params
            .code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or(CallbackError::MissingCode)?;

        let exchanged = self
            .token_request(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &login.redirect_uri),
                ("code_verifier", login.verifier.0.as_str()),
            ])
            .await
            .map_err(|e| match e {
                KindeError::SessionEnded => CallbackError::CodeRejected.into(),
                other => other,
            });
        let raw = match exchanged {
            Ok(raw) => raw,
            // Kinde could not be reached, so the code was not used: keep the pending
            // login, and reloading the callback once Kinde is back completes it.
            Err(e @ KindeError::Unavailable(_)) => {
                pending.insert(login, ttl);
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let session = self
            .verified_token_set(raw, Some(&login.nonce), None)
            .await
            .map_err(|e| match e {
                KindeError::InvalidToken(r) => CallbackError::TokenRejected(r).into(),
                other => other,
            })?;
        if session.id.is_none() {
            return Err(KindeError::Provider(
                "the token response has no ID token".into(),
            ));
        }
        let return_to = login
            .return_to
            .unwrap_or_else(|| self.inner.config.post_login_redirect.clone());
        Ok(CallbackOutcome::SignedIn {
            session: Box::new(session),
            return_to,
        })
    }
}

impl Kinde {
    /// The options of a login restarted after `login_link_expired`: the original
    /// login's parameters when this browser started it (the app's, trusted), else the
    /// defaults of `/login`; then the `reauth_state`'s, which anyone can put in a link
    /// and so count as a visitor's: its `audience` and `scope` only where the app allows
    /// them from a visitor ([`LoginPolicy`](crate::LoginPolicy)), like a route's query.
    fn restart_options(
        &self,
        original: Option<PendingLogin>,
        mut reauth: BTreeMap<String, String>,
    ) -> LoginOptions {
        let policy = &self.inner.config.login_policy;
        let mut base = match &original {
            Some(p) => LoginOptions::new().merge_params(&p.params),
            None => policy.defaults(LoginKind::Login),
        };
        if let Some(p) = original {
            base.return_to = p.return_to;
        }
        let words = |v: String| v.split_whitespace().map(str::to_string).collect();
        let audience = reauth.remove("audience").map(words);
        let scope = reauth.remove("scope").map(words);
        policy.visitor_guarded(base.merge_params(&reauth), audience, scope)
    }
}

fn decode_reauth_state(raw: &str) -> Result<BTreeMap<String, String>> {
    let bad = || {
        KindeError::from(CallbackError::Denied {
            error: "login_link_expired".into(),
            description: Some("the sign-in link expired and could not be restarted".into()),
        })
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(raw.trim_end_matches('='))
        .or_else(|_| URL_SAFE.decode(raw))
        .or_else(|_| base64::engine::general_purpose::STANDARD.decode(raw))
        .map_err(|_| bad())?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let obj = value.as_object().ok_or_else(bad)?;
    Ok(obj
        .iter()
        .filter_map(|(k, v)| {
            let s = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                _ => return None,
            };
            Some((k.clone(), s))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reauth_state_decodes_and_merges_without_protocol_params() {
        let raw = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&serde_json::json!({
                "org_code": "org_9", "login_hint": "x@y.z", "state": "evil", "redirect_uri": "https://evil",
                "is_create_org": true
            }))
            .unwrap(),
        );
        let params = decode_reauth_state(&raw).unwrap();
        let opts = LoginOptions::new().lang("de").merge_params(&params);
        assert_eq!(opts.org_code.as_deref(), Some("org_9"));
        assert_eq!(opts.login_hint.as_deref(), Some("x@y.z"));
        assert_eq!(opts.lang.as_deref(), Some("de"));
        assert!(opts.is_create_org);
        let encoded: BTreeMap<String, String> = opts.params().into_iter().collect();
        assert!(!encoded.contains_key("state") && !encoded.contains_key("redirect_uri"));
        assert!(decode_reauth_state("%%%").is_err());
    }
}
