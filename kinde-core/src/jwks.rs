//! The issuer's signing keys (JWKS), cached: read lock-free on the hot path (an
//! `ArcSwap` snapshot indexed by `kid`). An unknown `kid` triggers at most one refetch at
//! a time, and no more than one per `jwks_min_refetch_interval`, so a flood of forged
//! tokens cannot hammer Kinde. When Kinde is unreachable the last good keys keep
//! serving (stale-if-error).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arc_swap::ArcSwap;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use crate::config::KindeConfig;
use crate::error::{KindeError, Result, TokenRejection};
use crate::token_cache::Published;

/// The published signing keys, by `kid`.
#[derive(Default)]
pub(crate) struct KeySet {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
    /// Which fetch this is (0: none yet): lets the verified-token cache trust a `kid`
    /// it already found in this snapshot without looking it up again.
    generation: u64,
}

impl KeySet {
    /// The key published as `kid`.
    pub(crate) fn key(&self, kid: &str) -> Option<&DecodingKey> {
        self.keys.get(kid)
    }
}

impl Published for KeySet {
    fn generation(&self) -> u64 {
        self.generation
    }
    fn has(&self, kid: &str) -> bool {
        self.keys.contains_key(kid)
    }
}

/// The keys of one issuer and the fixed validation rules their tokens are checked by.
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
    pub(crate) validation: Validation,
    /// The same without `exp`, for the stored ID token of a live session.
    pub(crate) validation_no_exp: Validation,
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

    /// The current snapshot (a cached verification counts only while the keys that
    /// signed it are in it).
    pub(crate) fn published(&self) -> arc_swap::Guard<Arc<KeySet>> {
        self.snapshot.load()
    }

    /// The key set, refreshed through `fetch` when it lacks `kid` (rate limited) or is
    /// older than `jwks_max_age` (keeping the old keys if Kinde is unreachable).
    pub(crate) async fn with_kid<F>(
        &self,
        kid: &str,
        config: &KindeConfig,
        fetch: impl FnOnce() -> F,
    ) -> Result<Arc<KeySet>>
    where
        F: Future<Output = Result<HashMap<String, DecodingKey>>>,
    {
        let usable = |s: &KeySet| {
            s.keys.contains_key(kid)
                && s.fetched_at
                    .is_some_and(|t| t.elapsed() < config.jwks_max_age)
        };
        let snapshot = self.snapshot.load_full();
        if usable(&snapshot) {
            return Ok(snapshot);
        }

        let _guard = self.fetch_lock.lock().await;
        // Another request may have fetched while we waited.
        let snapshot = self.snapshot.load_full();
        if usable(&snapshot) {
            return Ok(snapshot);
        }
        let known_but_stale = snapshot.keys.contains_key(kid);
        {
            let mut last = self.last_attempt.lock().unwrap_or_else(|p| p.into_inner());
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

        match fetch().await {
            Ok(keys) => {
                tracing::debug!(keys = keys.len(), "fetched Kinde signing keys");
                let set = Arc::new(KeySet {
                    keys,
                    fetched_at: Some(Instant::now()),
                    generation: self.fetches.fetch_add(1, Ordering::Relaxed) + 1,
                });
                self.snapshot.store(set.clone());
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
