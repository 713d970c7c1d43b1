//! `Authorization: Bearer` headers: parsed strictly, and a token verified before
//! recognised from the header's bytes.

use super::caller::Caller;
use crate::client::Kinde;
use crate::error::{KindeError, Result};
use crate::tokens::AccessToken;
use crate::verify::TokenKind;

/// Read a bearer token from an `Authorization` header value.
///
/// `Ok(None)` when there is no header; an error for a header that is present but not
/// `Bearer <token>` (that is a 401, not "nobody signed in").
///
/// ```
/// use kinde_core::web::bearer_token;
/// assert_eq!(bearer_token(Some(b"Bearer abc.def.ghi")).unwrap(), Some("abc.def.ghi"));
/// assert_eq!(bearer_token(Some(b"bearer abc")).unwrap(), Some("abc"));
/// assert_eq!(bearer_token(None).unwrap(), None);
/// assert!(bearer_token(Some(b"Basic dXNlcjpwYXNz")).is_err());
/// assert!(bearer_token(Some(b"Bearer ")).is_err());
/// assert!(bearer_token(Some(b"Bearer abc def")).is_err());
/// assert!(bearer_token(Some(b"Bearer abc\tdef")).is_err());
/// assert!(bearer_token(Some("Bearer abcé".as_bytes())).is_err());
/// ```
pub fn bearer_token(header: Option<&[u8]>) -> Result<Option<&str>> {
    header
        .map(bearer_bytes)
        .transpose()?
        .map(checked_token)
        .transpose()
}

fn malformed() -> KindeError {
    KindeError::InvalidToken(crate::TokenRejection::Malformed)
}

/// The token of a `Bearer <token>` header value, its characters not yet checked.
fn bearer_bytes(raw: &[u8]) -> Result<&[u8]> {
    let raw = raw.trim_ascii();
    let space = raw.iter().position(|&b| b == b' ').ok_or_else(malformed)?;
    let (scheme, token) = (&raw[..space], raw[space..].trim_ascii());
    if !scheme.eq_ignore_ascii_case(b"bearer") || token.is_empty() {
        return Err(malformed());
    }
    Ok(token)
}

/// A token of visible ASCII characters only, as text.
fn checked_token(token: &[u8]) -> Result<&str> {
    if !is_visible_ascii(token) {
        return Err(malformed());
    }
    std::str::from_utf8(token).map_err(|_| malformed())
}

/// Whether every byte is visible ASCII (`!`..=`~`): no space, control or non-ASCII
/// byte. Branch-free, so the compiler checks many bytes a step: a token is ~1.3 KB and
/// is checked on every request.
fn is_visible_ascii(bytes: &[u8]) -> bool {
    bytes.iter().fold(0u8, |outside, &b| {
        outside | u8::from(b.wrapping_sub(b'!') > b'~' - b'!')
    }) == 0
}

impl Kinde {
    /// The caller of a request that presented `token` as `Authorization: Bearer`:
    /// [`verify_access_token`](Self::verify_access_token), keeping the verified-token
    /// cache's copy of the token instead of copying it per request.
    pub async fn bearer_caller(&self, token: &str) -> Result<Caller> {
        let (claims, token) = self.verify_jwt_shared(token, TokenKind::Access).await?;
        Ok(Caller::Bearer {
            token: AccessToken::new(token),
            claims,
        })
    }

    /// The caller of a request's `Authorization` header value: `Ok(None)` without a
    /// header, the verified bearer token's caller, or an error for a header that is not
    /// `Bearer <token>` or a token that does not verify. A token verified before is
    /// recognised from the header's bytes (one lookup and a fixed-time comparison);
    /// others are checked and verified in full.
    pub(crate) async fn bearer_caller_of_header(
        &self,
        header: Option<&[u8]>,
    ) -> Result<Option<Caller>> {
        let Some(raw) = header else { return Ok(None) };
        let token = bearer_bytes(raw)?;
        if let Some((claims, token)) = self.cached_jwt(token, TokenKind::Access) {
            return Ok(Some(Caller::Bearer {
                token: AccessToken::new(token),
                claims,
            }));
        }
        // Boxed: the full verification is the cold path, and keeping its large future
        // out of this one keeps every warm request's future (which the framework boxes
        // and moves) small.
        Box::pin(self.bearer_caller(checked_token(token)?))
            .await
            .map(Some)
    }
}
