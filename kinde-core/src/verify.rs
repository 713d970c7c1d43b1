//! JWT verification against the cached JWKS ([`crate::jwks`]), after the header checks of
//! [`crate::jws_header`] (RS256 only, a `kid`, no `crit`, a JWT `typ`): `iss`,
//! `exp`/`nbf` with leeway, `aud` by policy, the ID token's nonce; and the verified-token
//! cache that lets a token seen before skip the signature check.

use std::collections::HashMap;
use std::sync::Arc;

use jsonwebtoken::DecodingKey;
use jsonwebtoken::errors::ErrorKind;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use crate::claims::Claims;
use crate::client::Kinde;
use crate::config::AudiencePolicy;
use crate::error::{KindeError, Result, TokenRejection};
use crate::jwks::{KeySet, parse_jwks};
use crate::jws_header;
use crate::token_cache::{CacheKey, Entry as CacheEntry};
use crate::trace::{span, traced};

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
}

pub(crate) fn map_jwt_error(err: &jsonwebtoken::errors::Error) -> TokenRejection {
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
            .get_shared(&key, token, &**self.inner.keys.published())
    }

    async fn verify_jwt_uncached(
        &self,
        token: &str,
        kind: TokenKind<'_>,
    ) -> Result<(Claims, String)> {
        let token_kind = match kind {
            TokenKind::Access => "access",
            TokenKind::Id { .. } => "id",
        };
        let span = span!(
            DEBUG,
            "kinde.verify",
            self,
            token = token_kind,
            kid = tracing::field::Empty
        );
        traced(span, self.check_jwt(token, kind)).await
    }

    async fn check_jwt(&self, token: &str, kind: TokenKind<'_>) -> Result<(Claims, String)> {
        let header = jws_header::parse(token)?;
        // An access or ID token must say it is a JWT, if it says anything.
        if !header.is_jwt_typed() {
            return Err(TokenRejection::WrongType.into());
        }
        let kid = header.kid;
        tracing::Span::current().record("kid", kid.as_str());
        let keys = self.keys_with(&kid).await?;
        let key = keys.key(&kid).ok_or(TokenRejection::UnknownKey)?;
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
        }
        Ok((claims, kid))
    }

    /// The issuer's published keys, fetched again (rate-limited) when `kid` is not
    /// among them.
    pub(crate) async fn keys_with(&self, kid: &str) -> Result<Arc<KeySet>> {
        self.inner
            .keys
            .with_kid(kid, &self.inner.config, || self.fetch_jwks())
            .await
    }

    async fn fetch_jwks(&self) -> Result<HashMap<String, DecodingKey>> {
        let span = span!(DEBUG, "kinde.jwks", self, keys = tracing::field::Empty);
        traced(span, self.get_jwks()).await
    }

    async fn get_jwks(&self) -> Result<HashMap<String, DecodingKey>> {
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
        let keys = parse_jwks(&doc);
        tracing::Span::current().record("keys", keys.len());
        Ok(keys)
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
}
