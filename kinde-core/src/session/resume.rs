//! Resuming a stored session on a request: served from the verified-session cache when
//! the same stored bytes were verified before, else verified in full, refreshed when due.

use std::sync::Arc;

use super::access::SessionWrite;
use super::keys::SessionSlot;
use super::verified::VerifiedSession;
use crate::claims::Claims;
use crate::client::Kinde;
use crate::error::{KindeError, Result, TokenRejection};
use crate::jws_header::header_kid;
use crate::token_cache::{CacheKey, Entry};
use crate::tokens::TokenSet;
use crate::verify::TokenKind;
use crate::web::Caller;

/// The verified-session cache's tag for a stored session (the token cache uses 0 and 1).
const SESSION_CACHE_KIND: u8 = 2;

/// What [`Kinde::resume_session`] found in a stored session.
#[derive(Debug)]
pub enum SessionState {
    /// Nobody is signed in (no tokens were stored).
    Anonymous,
    /// Signed in. If `session.refreshed`, the rotated tokens must be written back (see
    /// [`write`](Self::write)).
    Active(Arc<VerifiedSession>),
    /// The stored tokens can no longer be used, for the reason given (Kinde refused the
    /// refresh: [`KindeError::SessionEnded`]; tokens that fail verification or a value
    /// that does not parse: [`KindeError::InvalidToken`]): they must be removed, and
    /// the visitor is signed out.
    Ended(KindeError),
}

impl SessionState {
    /// The change this state calls for: a refreshed session's rotated tokens are
    /// stored (Kinde has already revoked the old refresh token); an ended session's
    /// tokens are removed.
    ///
    /// ```
    /// use kinde_core::{KindeError, SessionSlot, SessionState, SessionWrite};
    /// let ended = SessionState::Ended(KindeError::SessionEnded);
    /// assert_eq!(ended.write(), Some(SessionWrite::Remove(SessionSlot::Tokens)));
    /// assert_eq!(SessionState::Anonymous.write(), None);
    /// ```
    pub fn write(&self) -> Option<SessionWrite> {
        match self {
            SessionState::Active(s) if s.refreshed => Some(SessionWrite::Set {
                slot: SessionSlot::Tokens,
                value: s.tokens.to_json(),
            }),
            SessionState::Ended(_) => Some(SessionWrite::Remove(SessionSlot::Tokens)),
            SessionState::Active(_) | SessionState::Anonymous => None,
        }
    }

    /// Who the visitor is: the session's user, or anonymous.
    pub fn into_caller(self) -> Caller {
        match self {
            SessionState::Active(s) => Caller::Session(s),
            SessionState::Anonymous | SessionState::Ended(_) => Caller::Anonymous,
        }
    }
}

impl Kinde {
    /// Resume a browser session from the value an adapter stored (the session format,
    /// [`TokenSet::to_json`]): served from the verified-session cache when these exact
    /// bytes were verified before (see
    /// [`KindeConfigBuilder::verified_session_cache`](crate::KindeConfigBuilder::verified_session_cache)),
    /// otherwise parsed and verified in full, and refreshed when the access token
    /// expires within the refresh margin.
    ///
    /// A session that cannot continue (Kinde refused the refresh, tokens that fail
    /// verification, a value that does not parse) is [`SessionState::Ended`] with the
    /// reason; Kinde being unreachable is an error (503), never "signed out".
    ///
    /// For a [`TokenSet`] kept elsewhere, pass its session format:
    /// `kinde.resume_session(Some(&tokens.to_json()))`.
    pub async fn resume_session(&self, stored: Option<&str>) -> Result<SessionState> {
        let Some(stored) = stored else {
            return Ok(SessionState::Anonymous);
        };
        if let Some(session) = self.resume_cached_session(stored) {
            return Ok(SessionState::Active(session));
        }
        let Ok(tokens) = TokenSet::from_json(stored) else {
            tracing::debug!("stored Kinde session does not parse; treating it as ended");
            return Ok(SessionState::Ended(TokenRejection::Malformed.into()));
        };
        match self.verify_or_refresh(tokens).await {
            Ok(session) => {
                let session = Arc::new(session);
                if !session.refreshed {
                    self.remember_session(stored, &session);
                }
                Ok(SessionState::Active(session))
            }
            Err(
                e @ (KindeError::SessionEnded
                | KindeError::InvalidToken(_)
                | KindeError::NotSignedIn),
            ) => {
                tracing::debug!(reason = %e, "stored Kinde session ended");
                Ok(SessionState::Ended(e))
            }
            Err(e) => Err(e),
        }
    }

    /// The session verified before from exactly `stored`, while it needs no refresh and
    /// the keys that signed it are still published; `None` otherwise (then call
    /// [`resume_session`](Self::resume_session)). Never does I/O, so an adapter can call
    /// it while it borrows the stored value in place in its store.
    /// A session its user's [forced refresh](Self::force_refresh) caught is not served
    /// from the cache either.
    pub fn resume_cached_session(&self, stored: &str) -> Option<Arc<VerifiedSession>> {
        self.inner
            .sessions
            .get(
                &CacheKey::of(SESSION_CACHE_KIND, stored.as_bytes()),
                stored.as_bytes(),
                &**self.inner.keys.published(),
            )
            .filter(|session| !self.is_stale(session))
    }

    /// Verify stored tokens, refreshing them first when the access token expires within
    /// the configured margin, or after they were verified when their user's
    /// [forced refresh](Self::force_refresh) caught them.
    ///
    /// Errors: [`KindeError::SessionEnded`] when the session cannot continue (expired
    /// without a refresh token, or Kinde refused the refresh); [`KindeError::InvalidToken`]
    /// when stored tokens fail verification; [`KindeError::Unavailable`] when Kinde cannot
    /// be reached to refresh or to fetch keys (the session is then still intact).
    async fn verify_or_refresh(&self, tokens: TokenSet) -> Result<VerifiedSession> {
        let margin = self.inner.config.refresh_margin;
        if tokens.expires_within(margin) {
            if tokens.refresh_token().is_some() {
                return self.refresh(&tokens).await;
            }
            if tokens.is_expired() {
                return Err(KindeError::SessionEnded);
            }
        }
        let access = match self
            .verify_access_token(tokens.access_token().secret())
            .await
        {
            Err(KindeError::InvalidToken(TokenRejection::Expired))
                if tokens.refresh_token().is_some() =>
            {
                return self.refresh(&tokens).await;
            }
            other => other?,
        };
        let id = match tokens.id_token() {
            Some(t) => Some(self.verify_stored_id_token(t).await?),
            None => None,
        };
        let session = VerifiedSession::new(tokens, access, id);
        if session.tokens.refresh_token().is_some() && self.is_stale(&session) {
            return self.refresh(&session.tokens).await;
        }
        Ok(session)
    }

    /// Verify the ID token kept in a session: it was checked at login (nonce included);
    /// now it only has to be ours and intact. Its own (short) expiry is not the session's.
    pub(crate) async fn verify_stored_id_token(&self, token: &str) -> Result<Claims> {
        self.verify_jwt(
            token,
            TokenKind::Id {
                nonce: None,
                check_exp: false,
            },
        )
        .await
    }

    fn remember_session(&self, stored: &str, session: &Arc<VerifiedSession>) {
        let cache = &self.inner.sessions;
        if !cache.enabled() {
            return;
        }
        let tokens = &session.tokens;
        // Served until the access token enters the refresh margin: from then on every
        // request takes the full path, which refreshes.
        let until = tokens
            .expires_at()
            .saturating_sub(self.inner.config.refresh_margin.as_secs());
        let kids: Option<Vec<Arc<str>>> = std::iter::once(tokens.access_token().secret())
            .chain(tokens.id_token())
            .map(|t| header_kid(t).ok().map(Arc::from))
            .collect();
        let Some(kids) = kids else { return };
        cache.insert(
            CacheKey::of(SESSION_CACHE_KIND, stored.as_bytes()),
            Arc::from(stored),
            Entry {
                value: session.clone(),
                until,
                kids: kids.into(),
            },
        );
    }
}
