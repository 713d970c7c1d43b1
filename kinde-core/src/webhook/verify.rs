//! What makes a webhook a webhook: a compact JWS signed RS256 by a key of the issuer's
//! JWKS, whose claims carry an event (`type`, `event_id`). Nothing real webhooks do not
//! carry is required: no `aud`, no `exp` (checked when present, like `nbf` and `iss`),
//! and no age limit unless the app sets one (a retry may come 36 hours late).

use std::time::Duration;

use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};

use super::WebhookEvent;
use crate::client::Kinde;
use crate::error::{KindeError, Result, TokenRejection};
use crate::jws_header::header_kid;
use crate::verify::map_jwt_error;

/// How webhook bodies are checked. Set with
/// [`Kinde::with_webhook_options`](crate::Kinde::with_webhook_options).
///
/// ```
/// use std::time::Duration;
/// use kinde_core::webhook::WebhookOptions;
/// let strict = WebhookOptions::default().max_age(Duration::from_secs(48 * 3600));
/// assert_eq!(strict.max_body_bytes(), 256 * 1024);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookOptions {
    max_body_bytes: usize,
    max_age: Option<Duration>,
}

impl Default for WebhookOptions {
    /// Bodies up to 256 KiB (a user with many organisations is a few KiB), no age limit.
    fn default() -> Self {
        WebhookOptions {
            max_body_bytes: 256 * 1024,
            max_age: None,
        }
    }
}

impl WebhookOptions {
    /// The largest body accepted; a larger one is a `400` before anything is parsed.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Refuse events sent longer than `age` ago (by the webhook's `timestamp`, else its
    /// `iat`). Off by default: Kinde retries for up to 36 hours, so a limit under that
    /// drops real retries.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// The largest body accepted.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }
}

/// The compact JWS of a webhook body: Kinde sends the token itself (`application/jwt`);
/// endpoints from before that change saw it as a JSON string (`application/json`).
fn token_of(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?.trim();
    let token = if text.starts_with('"') {
        serde_json::from_str::<String>(text).ok()?
    } else {
        text.to_string()
    };
    let compact = token.split('.').count() == 3
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    compact.then_some(token)
}

/// Seconds since the epoch of an RFC 3339 time.
fn unix_time(text: &str) -> Option<i64> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

impl Kinde {
    /// Verify a webhook `body` (as received: the JWT, or the JWT as a JSON string) and
    /// return its event. A forged, foreign, tampered or malformed token is
    /// [`KindeError::InvalidToken`] (401); a body that is not a JWT at all, too large,
    /// or a token of this issuer that is not a webhook event (an access token, say) is
    /// [`KindeError::BadRequest`] (400); an unreachable JWKS is `503` (a JWKS that
    /// answers with an error, `502`).
    ///
    /// ```no_run
    /// # async fn run(kinde: kinde_core::Kinde, body: &[u8]) -> kinde_core::Result<()> {
    /// use kinde_core::webhook::Event;
    /// let webhook = kinde.verify_webhook(body).await?;
    /// if let Event::UserCreated(user) = &webhook.event {
    ///     println!("welcome, {:?}", user.email);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn verify_webhook(&self, body: &[u8]) -> Result<WebhookEvent> {
        let options = &self.inner.webhook_options;
        if body.len() > options.max_body_bytes {
            return Err(KindeError::BadRequest(format!(
                "the webhook body is larger than {} bytes",
                options.max_body_bytes
            )));
        }
        let token = token_of(body)
            .ok_or_else(|| KindeError::BadRequest("the webhook body is not a JWT".into()))?;
        // The header rules of every token (RS256, a `kid`, no `crit`).
        let kid = header_kid(&token)?;
        let keys = self.keys_with(&kid).await?;
        let key = keys.key(&kid).ok_or(TokenRejection::UnknownKey)?;

        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = self.inner.config.leeway.as_secs();
        validation.validate_nbf = true;
        validation.validate_aud = false;
        // Checked when present: real webhooks need not carry them.
        validation.required_spec_claims.clear();
        validation.set_issuer(&[self.inner.config.issuer.as_str()]);
        let claims = jsonwebtoken::decode::<Map<String, Value>>(&token, key, &validation)
            .map_err(|e| map_jwt_error(&e))?
            .claims;

        if let Some(max_age) = options.max_age {
            let sent = claims
                .get("timestamp")
                .and_then(Value::as_str)
                .and_then(unix_time)
                .or_else(|| claims.get("iat").and_then(Value::as_i64));
            let now = i64::try_from(crate::tokens::now_secs()).unwrap_or(i64::MAX);
            let oldest = now.saturating_sub(i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX));
            if sent.is_none_or(|t| t < oldest) {
                return Err(TokenRejection::Expired.into());
            }
        }
        WebhookEvent::from_claims(claims).ok_or_else(|| {
            KindeError::BadRequest("the token is not a webhook event (no type or event_id)".into())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_the_token_or_the_token_as_a_json_string() {
        assert_eq!(token_of(b"aa.bb.cc\n").as_deref(), Some("aa.bb.cc"));
        assert_eq!(token_of(br#""aa.bb.cc""#).as_deref(), Some("aa.bb.cc"));
        assert_eq!(token_of(br#"{"type":"user.created"}"#), None);
        assert_eq!(token_of(b"aa.bb"), None);
        assert_eq!(token_of(b"aa.b b.cc"), None);
        assert_eq!(token_of(&[0xff, 0xfe]), None);
    }

    #[test]
    fn rfc3339_times() {
        assert_eq!(unix_time("1970-01-01T00:01:00Z"), Some(60));
        assert_eq!(unix_time("2026-02-03T12:00:00.000Z"), Some(1_770_120_000));
        assert_eq!(unix_time("yesterday"), None);
    }
}
