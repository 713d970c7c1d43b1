//! Token sets as stored in a session, and defensive parsing of token responses.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use oauth2::RefreshToken;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An access token (a JWT), to call APIs on the user's behalf. `Debug` never prints it,
/// and cloning it copies no bytes (a request, the verified-token cache and the session
/// share one allocation).
///
/// ```
/// use kinde_core::AccessToken;
/// let token = AccessToken::new("header.payload.sig");
/// assert_eq!(token.secret(), "header.payload.sig");
/// assert_eq!(format!("{token:?}"), "AccessToken([redacted])");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(Arc<str>);

impl AccessToken {
    /// Wrap a raw access token.
    pub fn new(raw: impl Into<Arc<str>>) -> Self {
        AccessToken(raw.into())
    }

    /// The raw JWT. Treat it as a secret: do not log it.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken([redacted])")
    }
}

impl Serialize for AccessToken {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for AccessToken {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(AccessToken::new)
    }
}

/// An OpenID Connect ID token (a JWT). `Debug` never prints it.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct IdToken(String);

impl IdToken {
    /// Wrap a raw ID token.
    pub fn new(raw: String) -> Self {
        IdToken(raw)
    }

    /// The raw JWT. Treat it as a secret: do not log it.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for IdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdToken([redacted])")
    }
}

/// The tokens of one signed-in session: what an adapter stores server-side.
///
/// Serializable (that is the session format) and never printed: `Debug` shows only the
/// expiry and which tokens are present.
///
/// ```
/// use kinde_core::TokenSet;
/// let t = TokenSet::new("header.payload.sig".into(), None, Some("rt".into()), 4_102_444_800);
/// assert_eq!(t.access_token().secret(), "header.payload.sig");
/// assert!(!format!("{t:?}").contains("payload"));
/// ```
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenSet {
    // Serialized in this order, so the access token (its signature) ends the stored
    // form: the verified-session cache indexes a stored session by its last bytes.
    /// Unix seconds, from the verified `exp` of the access token.
    #[serde(rename = "exp")]
    expires_at: u64,
    /// Unix milliseconds, when this process received the set from Kinde (0: written by
    /// a version that did not record it): how a forced refresh tells sets obtained
    /// before it from the ones after.
    #[serde(rename = "ot", default)]
    obtained_at_ms: u64,
    #[serde(rename = "rt", default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<RefreshToken>,
    #[serde(rename = "it", default, skip_serializing_if = "Option::is_none")]
    id_token: Option<IdToken>,
    #[serde(rename = "at")]
    access_token: AccessToken,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"[redacted]")
            .field("id_token", &self.id_token.as_ref().map(|_| "[redacted]"))
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl PartialEq for TokenSet {
    fn eq(&self, other: &Self) -> bool {
        self.access_token == other.access_token
            && self.id_token == other.id_token
            && self.refresh_token.as_ref().map(|r| r.secret())
                == other.refresh_token.as_ref().map(|r| r.secret())
            && self.expires_at == other.expires_at
    }
}

impl TokenSet {
    /// Assemble a token set. `expires_at` is the access token's `exp` in Unix seconds.
    pub fn new(
        access_token: String,
        id_token: Option<String>,
        refresh_token: Option<String>,
        expires_at: u64,
    ) -> Self {
        TokenSet {
            access_token: AccessToken::new(access_token),
            id_token: id_token.map(IdToken),
            refresh_token: refresh_token.map(RefreshToken::new),
            expires_at,
            obtained_at_ms: now_millis(),
        }
    }

    /// When the set was received from Kinde, in Unix milliseconds (0 when unknown).
    pub fn obtained_at_ms(&self) -> u64 {
        self.obtained_at_ms
    }

    /// The access token, to call APIs with.
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    /// The raw ID token, if Kinde issued one.
    pub fn id_token(&self) -> Option<&str> {
        self.id_token.as_ref().map(IdToken::secret)
    }

    /// The refresh token, if any (requires the `offline` scope).
    pub fn refresh_token(&self) -> Option<&str> {
        self.refresh_token.as_ref().map(|r| r.secret().as_str())
    }

    /// When the access token expires (Unix seconds).
    pub fn expires_at(&self) -> u64 {
        self.expires_at
    }

    /// Whether the access token has expired.
    pub fn is_expired(&self) -> bool {
        now_secs() >= self.expires_at
    }

    /// Whether the access token expires within `margin`.
    pub fn expires_within(&self, margin: std::time::Duration) -> bool {
        now_secs().saturating_add(margin.as_secs()) >= self.expires_at
    }

    /// The session format: this set as one compact JSON string, what the adapters keep
    /// in a session store and hand back to
    /// [`Kinde::resume_session`](crate::Kinde::resume_session).
    ///
    /// One string rather than a JSON tree, so a store copies one allocation per request
    /// instead of a tree, and a session verified before is recognised by comparing
    /// bytes. It is the JSON text of an object, so a store that keeps JSON text (as
    /// actix-session's do) can keep it as it is. Treat it as a secret: it contains the
    /// tokens.
    ///
    /// ```
    /// use kinde_core::TokenSet;
    /// let t = TokenSet::new("h.p.s".into(), None, Some("rt".into()), 4_102_444_800);
    /// assert_eq!(TokenSet::from_json(&t.to_json()).unwrap(), t);
    /// ```
    pub fn to_json(&self) -> String {
        // A struct of strings and an integer always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Read the session format written by [`to_json`](Self::to_json).
    pub fn from_json(stored: &str) -> Result<TokenSet, serde_json::Error> {
        serde_json::from_str(stored)
    }
}

pub(crate) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// A token endpoint success response, parsed without trusting any field to be present.
#[derive(Deserialize, Default)]
pub(crate) struct RawTokenResponse {
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub id_token: Option<String>,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<serde_json::Value>,
}

impl fmt::Debug for RawTokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawTokenResponse").finish_non_exhaustive()
    }
}

/// A token endpoint error response (RFC 6749 §5.2).
#[derive(Deserialize, Default, Debug)]
pub(crate) struct RawTokenError {
    #[serde(default)]
    pub error: Option<String>,
}

/// A machine-to-machine access token from the `client_credentials` grant.
#[derive(Clone)]
pub struct M2mToken {
    token: AccessToken,
    expires_at: u64,
}

impl fmt::Debug for M2mToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("M2mToken")
            .field("token", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl M2mToken {
    pub(crate) fn new(token: String, expires_at: u64) -> Self {
        M2mToken {
            token: AccessToken::new(token),
            expires_at,
        }
    }

    /// The raw bearer token. Treat it as a secret.
    pub fn secret(&self) -> &str {
        self.token.secret()
    }

    /// The token, for the calls that take an [`AccessToken`].
    pub fn access_token(&self) -> &AccessToken {
        &self.token
    }

    /// When it expires (Unix seconds).
    pub fn expires_at(&self) -> u64 {
        self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_set_roundtrips_and_redacts() {
        let t = TokenSet::new(
            "aaa.bbb.ccc".into(),
            Some("iii.jjj.kkk".into()),
            Some("rrr".into()),
            42,
        );
        let json = serde_json::to_string(&t).unwrap();
        let back: TokenSet = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        let dbg = format!("{t:?}");
        for secret in ["aaa", "iii", "rrr"] {
            assert!(!dbg.contains(secret), "{dbg}");
        }
        assert!(t.is_expired());
    }

    #[test]
    fn missing_fields_parse() {
        let r: RawTokenResponse = serde_json::from_str("{}").unwrap();
        assert!(r.access_token.is_none() && r.id_token.is_none() && r.expires_in.is_none());
    }
}
