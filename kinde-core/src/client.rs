//! The `Kinde` client handle: configuration, one HTTP client, discovery, the key cache
//! and the refresh coordinator. Everything per-user is passed in; nothing is global.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::claims::Claims;
use crate::config::{KindeConfig, is_loopback_host};
use crate::error::{KindeError, Result};
use crate::session::{RefreshCoordinator, VerifiedSession};
use crate::token_cache::VerifiedCache;
use crate::tokens::{M2mToken, RawTokenError, RawTokenResponse, TokenSet, now_secs};
use crate::verify::{KeyCache, TokenKind};

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

struct Discovery {
    endpoints: ArcSwapOption<Endpoints>,
    lock: tokio::sync::Mutex<()>,
    /// After a failed discovery, fixed paths are used until this instant.
    retry_after: Mutex<Option<Instant>>,
}

const DISCOVERY_RETRY: Duration = Duration::from_secs(30);

type M2mSlot = Arc<tokio::sync::Mutex<Option<M2mToken>>>;

pub(crate) struct Inner {
    pub(crate) config: KindeConfig,
    pub(crate) http: reqwest::Client,
    discovery: Arc<Discovery>,
    pub(crate) keys: Arc<KeyCache>,
    pub(crate) refresh: Arc<RefreshCoordinator>,
    pub(crate) verified: Arc<VerifiedCache<Claims>>,
    /// Sessions verified from exactly their stored form (see `resume_stored_session`).
    pub(crate) sessions: Arc<VerifiedCache<Arc<VerifiedSession>>>,
    pub(crate) session_keys: crate::web::SessionKeys,
    /// One slot per audience, each with its own lock: a slow fetch for one audience
    /// does not hold up the others, and concurrent callers of one share a fetch.
    m2m: Arc<Mutex<HashMap<String, M2mSlot>>>,
}

/// A Kinde client: cheap to clone (an `Arc` inside), safe to share across tasks, and
/// one per tenant. Two clients for two tenants work side by side in one process.
///
/// Constructing it does no network I/O; discovery and keys are fetched on first use.
///
/// ```
/// use kinde_core::{Kinde, KindeConfig};
/// let kinde = Kinde::new(
///     KindeConfig::builder().domain("myapp.kinde.com").client_id("abc").build()?,
/// )?;
/// assert_eq!(kinde.config().issuer(), "https://myapp.kinde.com");
/// # Ok::<(), kinde_core::KindeError>(())
/// ```
#[derive(Clone)]
pub struct Kinde {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Kinde {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kinde")
            .field("config", &self.inner.config)
            .finish()
    }
}

impl Kinde {
    /// Create a client for `config`. No network I/O happens here.
    pub fn new(config: KindeConfig) -> Result<Self> {
        let http = default_http_client(&config)?;
        Ok(Self::with_http_client(config, http))
    }

    /// The same client (configuration, discovery, key cache, verified tokens, refresh
    /// coordination, M2M tokens) with its own HTTP connection pool. A pool belongs to
    /// the runtime that opened its connections, so a client used from another runtime
    /// (the blocking client's) needs its own.
    #[cfg(feature = "blocking")]
    pub(crate) fn with_own_pool(&self) -> Result<Self> {
        let i = &self.inner;
        Ok(Kinde {
            inner: Arc::new(Inner {
                config: i.config.clone(),
                http: default_http_client(&i.config)?,
                discovery: i.discovery.clone(),
                keys: i.keys.clone(),
                refresh: i.refresh.clone(),
                verified: i.verified.clone(),
                sessions: i.sessions.clone(),
                session_keys: i.session_keys.clone(),
                m2m: i.m2m.clone(),
            }),
        })
    }

    /// Create a client that uses your own `reqwest::Client` (proxies, custom roots).
    /// Make sure it does not follow redirects and has timeouts.
    pub fn with_http_client(config: KindeConfig, http: reqwest::Client) -> Self {
        Kinde {
            inner: Arc::new(Inner {
                refresh: Arc::new(RefreshCoordinator::new(config.refresh_grace)),
                keys: Arc::new(KeyCache::new(&config)),
                verified: Arc::new(VerifiedCache::new(config.verified_token_cache)),
                sessions: Arc::new(VerifiedCache::new(config.verified_session_cache)),
                session_keys: crate::web::SessionKeys::for_client(
                    &config.issuer,
                    &config.client_id,
                ),
                config,
                http,
                discovery: Arc::new(Discovery {
                    endpoints: ArcSwapOption::empty(),
                    lock: tokio::sync::Mutex::new(()),
                    retry_after: Mutex::new(None),
                }),
                m2m: Arc::new(Mutex::new(HashMap::new())),
            }),
        }
    }

    /// Read `KINDE_*` variables ([`KindeConfig::from_env`]) and create a client.
    pub fn from_env() -> Result<Self> {
        Self::new(KindeConfig::from_env()?)
    }

    /// The configuration.
    pub fn config(&self) -> &KindeConfig {
        &self.inner.config
    }

    /// Kinde's endpoints: discovered once from `/.well-known/openid-configuration` and
    /// cached; Kinde's fixed paths while discovery is unavailable (retried after 30 s).
    ///
    /// Never fails today (the fixed paths are the fall-back); it returns a `Result` so
    /// that it has the same shape as its blocking twin.
    pub async fn endpoints(&self) -> Result<Arc<Endpoints>> {
        Ok(self.resolved_endpoints().await)
    }

    pub(crate) async fn resolved_endpoints(&self) -> Arc<Endpoints> {
        let d = &self.inner.discovery;
        if let Some(e) = d.endpoints.load_full() {
            return e;
        }
        let fixed = || Arc::new(Endpoints::fixed(&self.inner.config));
        if self.discovery_backing_off() {
            return fixed();
        }
        let _guard = d.lock.lock().await;
        if let Some(e) = d.endpoints.load_full() {
            return e;
        }
        if self.discovery_backing_off() {
            return fixed();
        }
        match self.discover().await {
            Ok(e) => {
                let e = Arc::new(e);
                d.endpoints.store(Some(e.clone()));
                e
            }
            Err(err) => {
                tracing::warn!(error = %err, "OIDC discovery failed; using Kinde's default endpoints");
                *d.retry_after.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(Instant::now() + DISCOVERY_RETRY);
                fixed()
            }
        }
    }

    fn discovery_backing_off(&self) -> bool {
        let retry = self
            .inner
            .discovery
            .retry_after
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        retry.is_some_and(|t| Instant::now() < t)
    }

    async fn discover(&self) -> Result<Endpoints> {
        let config = &self.inner.config;
        let url = config.url("/.well-known/openid-configuration");
        let doc: DiscoveryDoc = self.get_json("discovery", url, None).await?;
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

    /// GET a JSON document, optionally with a bearer token.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        what: &str,
        url: Url,
        bearer: Option<&str>,
    ) -> Result<T> {
        self.get_json_opt(what, url, bearer)
            .await?
            .ok_or_else(|| KindeError::BadRequest(format!("{what}: not found")))
    }

    /// Like [`get_json`](Self::get_json), with 404 as `Ok(None)`.
    pub(crate) async fn get_json_opt<T: DeserializeOwned>(
        &self,
        what: &str,
        url: Url,
        bearer: Option<&str>,
    ) -> Result<Option<T>> {
        let mut req = self
            .inner
            .http
            .get(url)
            .header("accept", "application/json");
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| KindeError::transport(what, &e))?;
        let status = resp.status();
        match status.as_u16() {
            200..=299 => resp
                .json()
                .await
                .map(Some)
                .map_err(|e| KindeError::transport(what, &e)),
            404 => Ok(None),
            401 => Err(KindeError::NotSignedIn),
            403 => Err(KindeError::Forbidden(format!(
                "{what}: Kinde refused access"
            ))),
            400 => Err(KindeError::BadRequest(format!(
                "{what}: Kinde rejected the request"
            ))),
            429 | 500..=599 => Err(KindeError::Unavailable(format!(
                "{what}: Kinde answered {status}"
            ))),
            _ => Err(KindeError::Provider(format!(
                "{what}: Kinde answered {status}"
            ))),
        }
    }

    /// POST to the token endpoint with client authentication; map errors by class.
    pub(crate) async fn token_request(&self, form: &[(&str, &str)]) -> Result<RawTokenResponse> {
        let config = &self.inner.config;
        let endpoints = self.resolved_endpoints().await;
        let mut body: Vec<(&str, &str)> = form.to_vec();
        body.push(("client_id", config.client_id.as_str()));
        if let Some(secret) = &config.client_secret {
            body.push(("client_secret", secret.secret().as_str()));
        }
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

    /// The URL that ends the session at Kinde, then sends the visitor to the configured
    /// post-logout URL (Kinde's `redirect` parameter). Pass the session's tokens to add
    /// `id_token_hint` and to revoke the refresh token in the background (best effort:
    /// it never delays or fails the logout).
    pub async fn logout_url(&self, tokens: Option<&TokenSet>) -> Result<Url> {
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
        if let Some(t) = tokens
            && t.refresh_token().is_some()
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            let kinde = self.clone();
            let t = t.clone();
            handle.spawn(async move {
                if let Err(e) = kinde.revoke_refresh_token(&t).await {
                    tracing::debug!(error = %e, "refresh token revocation failed (ignored)");
                }
            });
        }
        Ok(url)
    }

    /// Revoke the refresh token of `tokens` at Kinde (`/oauth2/revoke`).
    pub async fn revoke_refresh_token(&self, tokens: &TokenSet) -> Result<()> {
        let Some(rt) = tokens.refresh_token() else {
            return Ok(());
        };
        let config = &self.inner.config;
        let endpoints = self.resolved_endpoints().await;
        let mut body = vec![
            ("token", rt),
            ("token_type_hint", "refresh_token"),
            ("client_id", config.client_id.as_str()),
        ];
        if let Some(secret) = &config.client_secret {
            body.push(("client_secret", secret.secret().as_str()));
        }
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
}

fn default_http_client(config: &KindeConfig) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.http_timeout)
        .connect_timeout(config.connect_timeout)
        .user_agent(concat!("kinde-rs/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| KindeError::Config(format!("HTTP client: {e}")))
}

/// Reduce an untrusted OAuth error code to `[a-z0-9_]`, at most 64 characters.
pub(crate) fn safe_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect::<String>()
        .to_ascii_lowercase()
}
