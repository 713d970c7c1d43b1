//! Who made a request: a bearer token, else the browser session.

use crate::client::Kinde;
use crate::error::Result;
use crate::web::{Caller, TokenSource};

/// What [`Kinde::resolve_request`](crate::Kinde::resolve_request) found in the request's headers.
#[derive(Debug)]
pub enum Resolution {
    /// The request is resolved: this is its caller (a verified bearer token, or nobody
    /// for a bearer-only source without a token).
    Resolved(Caller),
    /// The session decides: read the stored tokens
    /// ([`SessionSlot::Tokens`](crate::SessionSlot::Tokens)), try
    /// [`Kinde::resume_cached_session`](crate::Kinde::resume_cached_session) on them where they can be read in place, else
    /// call [`Kinde::resume_session`](crate::Kinde::resume_session) and apply [`SessionState::write`](crate::SessionState::write).
    NeedsSession,
}

impl Kinde {
    /// The first step of resolving a request, from its `Authorization` header: with
    /// `source` other than [`TokenSource::Session`], a bearer token decides (verified,
    /// or recognised from the verified-token cache by its bytes); a header that is not
    /// `Bearer <token>`, or a token that does not verify, is an error (401), never a
    /// fall-back to the session. Without a header, a bearer-only source is anonymous and
    /// the others go on to the session.
    ///
    /// ```
    /// # async fn run(kinde: kinde_core::Kinde) {
    /// use kinde_core::flow::Resolution;
    /// use kinde_core::web::TokenSource;
    /// assert!(matches!(kinde.resolve_request(TokenSource::Both, None).await, Ok(Resolution::NeedsSession)));
    /// assert!(kinde.resolve_request(TokenSource::Both, Some(b"Basic eDp5")).await.is_err());
    /// # }
    /// ```
    pub async fn resolve_request(
        &self,
        source: TokenSource,
        authorization: Option<&[u8]>,
    ) -> Result<Resolution> {
        if source != TokenSource::Session {
            if let Some(caller) = self.bearer_caller_of_header(authorization).await? {
                return Ok(Resolution::Resolved(caller));
            }
            if source == TokenSource::Bearer {
                return Ok(Resolution::Resolved(Caller::Anonymous));
            }
        }
        Ok(Resolution::NeedsSession)
    }
}
