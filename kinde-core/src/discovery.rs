//! Kinde's endpoints: discovered once from `/.well-known/openid-configuration` and
//! cached, with Kinde's fixed paths while discovery is unavailable.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use serde::Deserialize;
use url::Url;

use crate::config::{KindeConfig, is_loopback_host};
use crate::error::{KindeError, Result};

/// The Kinde endpoints used by the SDK: from discovery, or Kinde's fixed paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// `authorization_endpoint` (Kinde: `/oauth2/auth`).
    pub authorization: Url,
    /// `token_endpoint` (Kinde: `/oauth2/token`).
    pub token: Url,
    /// `jwks_uri` (Kinde: `/.well-known/jwks`).
    pub jwks_uri: Url,
    /// `end_session_endpoint` (Kinde: `/logout`).
    pub end_session: Url,
    /// `userinfo_endpoint` (Kinde: `/oauth2/v2/user_profile`).
    pub user_profile: Url,
    /// `revocation_endpoint` (Kinde: `/oauth2/revoke`).
    pub revocation: Url,
    /// `introspection_endpoint` (Kinde: `/oauth2/introspect`).
    pub introspection: Url,
}

impl Endpoints {
    fn fixed(config: &KindeConfig) -> Self {
        Endpoints {
            authorization: config.url("/oauth2/auth"),
            token: config.url("/oauth2/token"),
            jwks_uri: config.url("/.well-known/jwks"),
            end_session: config.url("/logout"),
            user_profile: config.url("/oauth2/v2/user_profile"),
            revocation: config.url("/oauth2/revoke"),
            introspection: config.url("/oauth2/introspect"),
        }
    }
}

#[derive(Deserialize)]
struct DiscoveryDoc {
    issuer: String,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    jwks_uri: Option<String>,
    end_session_endpoint: Option<String>,
    userinfo_endpoint: Option<String>,
    revocation_endpoint: Option<String>,
    introspection_endpoint: Option<String>,
}

/// After a failed discovery, fixed paths are used for this long before trying again.
const DISCOVERY_RETRY: Duration = Duration::from_secs(30);

/// The discovered endpoints of one client, fetched once (single flight).
pub(crate) struct Discovery {
    endpoints: ArcSwapOption<Endpoints>,
    lock: tokio::sync::Mutex<()>,
    /// After a failed discovery, fixed paths are used until this instant.
    retry_after: Mutex<Option<Instant>>,
}

impl Discovery {
    pub(crate) fn new() -> Self {
        Discovery {
            endpoints: ArcSwapOption::empty(),
            lock: tokio::sync::Mutex::new(()),
            retry_after: Mutex::new(None),
        }
    }

    /// The endpoints: discovered once and cached; Kinde's fixed paths while discovery is
    /// unavailable (retried after 30 s).
    pub(crate) async fn endpoints(
        &self,
        http: &reqwest::Client,
        config: &KindeConfig,
    ) -> Arc<Endpoints> {
        if let Some(e) = self.endpoints.load_full() {
            return e;
        }
        let fixed = || Arc::new(Endpoints::fixed(config));
        if self.backing_off() {
            return fixed();
        }
        let _guard = self.lock.lock().await;
        if let Some(e) = self.endpoints.load_full() {
            return e;
        }
        if self.backing_off() {
            return fixed();
        }
        match discover(http, config).await {
            Ok(e) => {
                let e = Arc::new(e);
                self.endpoints.store(Some(e.clone()));
                e
            }
            Err(err) => {
                tracing::warn!(error = %err, "OIDC discovery failed; using Kinde's default endpoints");
                *self.retry_after.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(Instant::now() + DISCOVERY_RETRY);
                fixed()
            }
        }
    }

    fn backing_off(&self) -> bool {
        let retry = self.retry_after.lock().unwrap_or_else(|p| p.into_inner());
        retry.is_some_and(|t| Instant::now() < t)
    }
}

async fn discover(http: &reqwest::Client, config: &KindeConfig) -> Result<Endpoints> {
    let url = config.url("/.well-known/openid-configuration");
    let doc: DiscoveryDoc = crate::http::get_json(http, "discovery", url, None).await?;
    if doc.issuer.trim_end_matches('/') != config.issuer {
        return Err(KindeError::Provider(
            "discovery names another issuer".into(),
        ));
    }
    let fixed = Endpoints::fixed(config);
    // Only accept endpoints on https (or loopback http); fall back per endpoint.
    let pick = |raw: Option<String>, default: Url| -> Url {
        raw.and_then(|r| Url::parse(&r).ok())
            .filter(|u| u.scheme() == "https" || (u.scheme() == "http" && is_loopback_host(u)))
            .unwrap_or(default)
    };
    Ok(Endpoints {
        authorization: pick(doc.authorization_endpoint, fixed.authorization),
        token: pick(doc.token_endpoint, fixed.token),
        jwks_uri: pick(doc.jwks_uri, fixed.jwks_uri),
        end_session: pick(doc.end_session_endpoint, fixed.end_session),
        user_profile: pick(doc.userinfo_endpoint, fixed.user_profile),
        revocation: pick(doc.revocation_endpoint, fixed.revocation),
        introspection: pick(doc.introspection_endpoint, fixed.introspection),
    })
}
