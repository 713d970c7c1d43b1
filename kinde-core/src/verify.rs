//! JWT verification against a cached JWKS.
//!
//! The key cache is read lock-free on the hot path (an `ArcSwap` snapshot indexed by
//! `kid`). An unknown `kid` triggers at most one refetch at a time, and no more than one
//! per `jwks_min_refetch_interval`, so a flood of forged tokens cannot hammer Kinde. When
//! Kinde is unreachable the last good keys keep serving (stale-if-error).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use arc_swap::ArcSwap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use crate::Kinde;
use crate::claims::Claims;
use crate::config::{AudiencePolicy, KindeConfig};
use crate::error::{KindeError, Result, TokenRejection};
use crate::token_cache::{CacheKey, Entry as CacheEntry, Published};

/// The published signing keys, by `kid`.
#[derive(Default)]
pub(crate) struct KeySet {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
    /// Which fetch this is (0: none yet): lets the verified-token cache trust a `kid`
    /// it already found in this snapshot without looking it up again.
    generation: u64,
}

impl Published for KeySet {
    fn generation(&self) -> u64 {
        self.generation
    }
    fn has(&self, kid: &str) -> bool {
        self.keys.contains_key(kid)
    }
}

pub(crate) struct KeyCache {
    snapshot: ArcSwap<KeySet>,
    /// How many snapshots were fetched (each one's `generation`).
    fetches: AtomicU64,
    /// Single flight: only the holder fetches; the others re-read the snapshot after it.
    fetch_lock: tokio::sync::Mutex<()>,
    /// When the last fetch was attempted (success or not), for the rate limit.
    last_attempt: Mutex<Option<Instant>>,
    /// Built once: RS256 only, exact `iss`, `exp`/`nbf` with leeway; `aud` is checked
    /// separately by policy.
    validation: Validation,
    /// The same without `exp`, for the stored ID token of a live session.
    validation_no_exp: Validation,
}

impl KeyCache {
    pub(crate) fn new(config: &KindeConfig) -> Self {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = config.leeway.as_secs();
        validation.validate_nbf = true;
        validation.validate_aud = false;
        validation.set_issuer(&[config.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss"]);
        let mut validation_no_exp = validation.clone();
        validation_no_exp.validate_exp = false;
        KeyCache {
            validation,
            validation_no_exp,
            snapshot: ArcSwap::from_pointee(KeySet::default()),
            fetches: AtomicU64::new(0),
            fetch_lock: tokio::sync::Mutex::new(()),
            last_attempt: Mutex::new(None),
        }
    }
}

/// Which token is being verified: the checks differ.
#[derive(Clone, Copy)]
pub(crate) enum TokenKind<'a> {
    /// An access token: audience by the configured policy.
    Access,
    /// An ID token: `aud` must contain our client id; `nonce` checked when given.
    Id {
        nonce: Option<&'a str>,
        check_exp: bool,
    },
    /// A token whose audience is not ours to check (webhooks).
    Unscoped,
}

/// Parse a JWKS document into RS256 verification keys. Keys of other types or uses are
/// skipped rather than failing the whole set.
pub(crate) fn parse_jwks(doc: &Value) -> HashMap<String, DecodingKey> {
    let mut out = HashMap::new();
    let Some(keys) = doc.get("keys").and_then(Value::as_array) else {
        return out;
    };
    for k in keys {
        let field = |name: &str| k.get(name).and_then(Value::as_str);
        if field("kty") != Some("RSA") {
            continue;
        }
        if !matches!(field("use"), None | Some("sig"))
            || !matches!(field("alg"), None | Some("RS256"))
        {
            continue;
        }
        let (Some(kid), Some(n), Some(e)) = (field("kid"), field("n"), field("e")) else {
            continue;
        };
        if let Ok(key) = DecodingKey::from_rsa_components(n, e) {
            out.insert(kid.to_string(), key);
        }
    }
    out
}

fn map_jwt_error(err: &jsonwebtoken::errors::Error) -> TokenRejection {
    match err.kind() {
        ErrorKind::InvalidSignature => TokenRejection::BadSignature,
        ErrorKind::ExpiredSignature => TokenRejection::Expired,
        ErrorKind::ImmatureSignature => TokenRejection::NotYetValid,
        ErrorKind::InvalidIssuer => TokenRejection::WrongIssuer,
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            TokenRejection::UnsupportedAlgorithm
        }
        ErrorKind::MissingRequiredClaim(c) => TokenRejection::MissingClaim(match c.as_str() {
            "exp" => "exp",
            "iss" => "iss",
            _ => "required claim",
        }),
        _ => TokenRejection::Malformed,
    }
}

/// Read the header's `alg` and `kid` without trusting anything else in it.
pub(crate) fn header_kid(token: &str) -> std::result::Result<String, TokenRejection> {
    match jsonwebtoken::decode_header(token) {
        Ok(h) if h.alg != Algorithm::RS256 => Err(TokenRejection::UnsupportedAlgorithm),
        Ok(h) => h.kid.ok_or(TokenRejection::UnknownKey),
        Err(_) => {
            // `alg: none` and unknown algorithms fail header parsing; say so precisely.
            let alg = token
                .split('.')
                .next()
                .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                .and_then(|v| v.get("alg").and_then(Value::as_str).map(str::to_string));
            match alg {
                Some(a) if a != "RS256" => Err(TokenRejection::UnsupportedAlgorithm),
                _ => Err(TokenRejection::Malformed),
            }
        }
    }
}

impl Kinde {
    /// Verify an access token: RS256 signature by a key of the issuer's JWKS, `iss`,
    /// `exp`/`nbf` (with the configured leeway) and `aud` by the configured
    /// [`AudiencePolicy`]. For non-HTTP use (queues, gRPC, CLIs) as well as adapters.
    ///
    /// ```no_run
    /// # async fn run(kinde: kinde_core::Kinde, token: &str) -> kinde_core::Result<()> {
    /// let claims = kinde.verify_access_token(token).await?;
    /// if claims.permissions().is_granted("read:todos") { /* … */ }
    /// # Ok(()) }
    /// ```
    pub async fn verify_access_token(&self, token: &str) -> Result<Claims> {
        self.verify_jwt(token, TokenKind::Access).await
    }

    /// Verify an ID token: like an access token, but `aud` must contain this client id
    /// and, when `nonce` is given, the `nonce` claim must equal it.
    pub async fn verify_id_token(&self, token: &str, nonce: Option<&str>) -> Result<Claims> {
        self.verify_jwt(
            token,
            TokenKind::Id {
                nonce,
                check_exp: true,
            },
        )
        .await
    }

    /// Verify a token signed by this issuer without any audience check (for example a
    /// Kinde webhook body). Signature, `iss` and `exp` are still checked.
    pub async fn verify_webhook_token(&self, token: &str) -> Result<Claims> {
        self.verify_jwt(token, TokenKind::Unscoped).await
    }

    /// The current JWKS snapshot (a cached verification counts only while the keys that
    /// signed it are in it).
    pub(crate) fn published_keys(&self) -> arc_swap::Guard<Arc<KeySet>> {
        self.inner.keys.snapshot.load()
    }

    pub(crate) async fn verify_jwt(&self, token: &str, kind: TokenKind<'_>) -> Result<Claims> {
        self.verify_jwt_shared(token, kind)
            .await
            .map(|(claims, _)| claims)
    }

    /// [`verify_jwt`](Self::verify_jwt), also returning the token as a shared string:
    /// the verified-token cache's own copy when it has one (no copy per request).
    pub(crate) async fn verify_jwt_shared(
        &self,
        token: &str,
        kind: TokenKind<'_>,
    ) -> Result<(Claims, Arc<str>)> {
        if let Some(hit) = self.cached_jwt(token.as_bytes(), kind) {
            return Ok(hit);
        }
        let (claims, kid) = self.verify_jwt_uncached(token, kind).await?;
        let shared: Arc<str> = Arc::from(token);
        let cache = &self.inner.verified;
        if let Some(key) = cache_kind(kind)
            .filter(|_| cache.enabled())
            .map(|k| CacheKey::of(k, token.as_bytes()))
        {
            let until = match kind {
                TokenKind::Access => claims.expires_at().unwrap_or(0),
                // An ID token checked without expiry: re-verify it every 5 minutes.
                _ => crate::tokens::now_secs() + 300,
            };
            cache.insert(
                key,
                shared.clone(),
                CacheEntry {
                    value: claims.clone(),
                    until,
                    kids: Box::new([kid.into()]),
                },
            );
        }
        Ok((claims, shared))
    }

    /// The verified claims of a token seen before as `kind`, from the verified-token
    /// cache: exactly these bytes, not yet expired, its key still published. Takes raw
    /// bytes (a header's): a hit needs no check of its characters, the cached token
    /// passed them when it was verified.
    pub(crate) fn cached_jwt(
        &self,
        token: &[u8],
        kind: TokenKind<'_>,
    ) -> Option<(Claims, Arc<str>)> {
        let key = CacheKey::of(cache_kind(kind)?, token);
        self.inner
            .verified
            .get_shared(&key, token, &**self.published_keys())
    }

    async fn verify_jwt_uncached(
        &self,
        token: &str,
        kind: TokenKind<'_>,
    ) -> Result<(Claims, String)> {
        let kid = header_kid(token)?;
        let keys = self.key_set_with(&kid).await?;
        let key = keys.keys.get(&kid).ok_or(TokenRejection::UnknownKey)?;
        let config = &self.inner.config;

        let validation = match kind {
            TokenKind::Id {
                check_exp: false, ..
            } => &self.inner.keys.validation_no_exp,
            _ => &self.inner.keys.validation,
        };
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, key, validation)
            .map_err(|e| map_jwt_error(&e))?;
        let claims = Claims::from_map(data.claims);

        match kind {
            TokenKind::Access => check_audience(&claims, &config.audience_policy)?,
            TokenKind::Id { nonce, .. } => {
                let aud = claims.audience();
                if !aud.contains(&config.client_id.as_str()) {
                    return Err(TokenRejection::WrongAudience.into());
                }
                if aud.len() > 1
                    && claims.get("azp").and_then(Value::as_str) != Some(config.client_id.as_str())
                {
                    return Err(TokenRejection::WrongAudience.into());
                }
                if let Some(expected) = nonce {
                    let got = claims.get("nonce").and_then(Value::as_str).unwrap_or("");
                    if !bool::from(got.as_bytes().ct_eq(expected.as_bytes())) {
                        return Err(TokenRejection::WrongNonce.into());
                    }
                }
            }
            TokenKind::Unscoped => {}
        }
        Ok((claims, kid))
    }

    /// The key set, refreshed when it lacks `kid` (rate limited) or is older than
    /// `jwks_max_age` (keeping the old keys if Kinde is unreachable).
    async fn key_set_with(&self, kid: &str) -> Result<Arc<KeySet>> {
        let cache = &self.inner.keys;
        let config = &self.inner.config;
        let usable = |s: &KeySet| {
            s.keys.contains_key(kid)
                && s.fetched_at
                    .is_some_and(|t| t.elapsed() < config.jwks_max_age)
        };
        let snapshot = cache.snapshot.load_full();
        if usable(&snapshot) {
            return Ok(snapshot);
        }

        let _guard = cache.fetch_lock.lock().await;
        // Another request may have fetched while we waited.
        let snapshot = cache.snapshot.load_full();
        if usable(&snapshot) {
            return Ok(snapshot);
        }
        let known_but_stale = snapshot.keys.contains_key(kid);
        {
            let mut last = cache.last_attempt.lock().unwrap_or_else(|p| p.into_inner());
            // With no keys at all, retry a failed fetch sooner: every request is failing.
            let interval = if snapshot.fetched_at.is_none() {
                config
                    .jwks_min_refetch_interval
                    .min(std::time::Duration::from_secs(1))
            } else {
                config.jwks_min_refetch_interval
            };
            if let Some(t) = *last
                && t.elapsed() < interval
            {
                // Rate limited: serve what we have (a stale key still verifies).
                return if known_but_stale {
                    Ok(snapshot)
                } else if snapshot.fetched_at.is_none() {
                    Err(KindeError::Unavailable(
                        "signing keys could not be fetched".into(),
                    ))
                } else {
                    Err(TokenRejection::UnknownKey.into())
                };
            }
            *last = Some(Instant::now());
        }

        match self.fetch_jwks().await {
            Ok(keys) => {
                tracing::debug!(keys = keys.len(), "fetched Kinde signing keys");
                let set = Arc::new(KeySet {
                    keys,
                    fetched_at: Some(Instant::now()),
                    generation: cache.fetches.fetch_add(1, Ordering::Relaxed) + 1,
                });
                cache.snapshot.store(set.clone());
                Ok(set)
            }
            Err(err) if known_but_stale => {
                tracing::warn!(error = %err, "JWKS refresh failed; keeping the cached keys");
                Ok(snapshot)
            }
            Err(err) => {
                tracing::warn!(error = %err, "JWKS fetch failed");
                if snapshot.fetched_at.is_some() && !matches!(err, KindeError::Unavailable(_)) {
                    Err(err)
                } else {
                    Err(KindeError::Unavailable(
                        "signing keys could not be fetched".into(),
                    ))
                }
            }
        }
    }

    async fn fetch_jwks(&self) -> Result<HashMap<String, DecodingKey>> {
        let endpoints = self.resolved_endpoints().await;
        let resp = self
            .inner
            .http
            .get(endpoints.jwks_uri.clone())
            .send()
            .await
            .map_err(|e| KindeError::transport("JWKS", &e))?;
        let status = resp.status();
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(KindeError::Unavailable(format!("JWKS answered {status}")));
        }
        if !status.is_success() {
            return Err(KindeError::Provider(format!("JWKS answered {status}")));
        }
        let doc: Value = resp
            .json()
            .await
            .map_err(|e| KindeError::transport("JWKS", &e))?;
        Ok(parse_jwks(&doc))
    }
}

fn check_audience(claims: &Claims, policy: &AudiencePolicy) -> Result<()> {
    let aud = claims.audience();
    let ok = match policy {
        AudiencePolicy::Unchecked => true,
        AudiencePolicy::NoneRequested => aud.is_empty(),
        AudiencePolicy::OneOf(allowed) => aud.iter().any(|a| allowed.iter().any(|x| x == a)),
    };
    if ok {
        Ok(())
    } else {
        Err(TokenRejection::WrongAudience.into())
    }
}

/// The verified-token cache's tag for tokens of `kind`, if they are cached at all: only
/// checks that are the same every time are, so access tokens and the stored ID token of
/// a session (no nonce, no expiry check).
fn cache_kind(kind: TokenKind<'_>) -> Option<u8> {
    match kind {
        TokenKind::Access => Some(0),
        TokenKind::Id {
            nonce: None,
            check_exp: false,
        } => Some(1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn alg_none_and_hmac_are_named() {
        let enc = |v: Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(&v).unwrap());
        let none = format!("{}.{}.", enc(json!({"alg": "none"})), enc(json!({})));
        assert_eq!(header_kid(&none), Err(TokenRejection::UnsupportedAlgorithm));
        let hs = format!(
            "{}.{}.sig",
            enc(json!({"alg": "HS256", "kid": "k"})),
            enc(json!({}))
        );
        assert_eq!(header_kid(&hs), Err(TokenRejection::UnsupportedAlgorithm));
        let rs = format!(
            "{}.{}.sig",
            enc(json!({"alg": "RS256", "kid": "k"})),
            enc(json!({}))
        );
        assert_eq!(header_kid(&rs), Ok("k".to_string()));
        let nokid = format!("{}.{}.sig", enc(json!({"alg": "RS256"})), enc(json!({})));
        assert_eq!(header_kid(&nokid), Err(TokenRejection::UnknownKey));
        assert_eq!(header_kid("garbage"), Err(TokenRejection::Malformed));
    }

    #[test]
    fn audience_policies() {
        let c = |aud: Value| Claims::from_value(json!({ "aud": aud })).unwrap();
        let one = AudiencePolicy::OneOf(vec!["api".into()]);
        assert!(check_audience(&c(json!(["api", "x"])), &one).is_ok());
        assert!(check_audience(&c(json!("api")), &one).is_ok());
        assert!(check_audience(&c(json!(["other"])), &one).is_err());
        assert!(check_audience(&c(json!([])), &one).is_err());
        assert!(check_audience(&c(json!([])), &AudiencePolicy::NoneRequested).is_ok());
        assert!(check_audience(&c(json!(["api"])), &AudiencePolicy::NoneRequested).is_err());
        assert!(check_audience(&c(json!(["api"])), &AudiencePolicy::Unchecked).is_ok());
    }

    #[test]
    fn jwks_parsing_skips_foreign_keys() {
        let doc = json!({"keys": [
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "x", "y": "y"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "good", "use": "sig", "alg": "RS256", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB"}
        ]});
        let keys = parse_jwks(&doc);
        assert_eq!(keys.len(), 1);
        assert!(keys.contains_key("good"));
    }
}
