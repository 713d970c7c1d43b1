//! The request's session as kinde-core's [`SessionAccess`]: kinde-actix's own
//! [`Session`], or actix-session's `Session` for an app that wraps actix-session's
//! middleware ([`KindeAuth::with_actix_session`](crate::KindeAuth::with_actix_session)).
//! Both keep each value as JSON text, so kinde's values are kept as they are.

use std::sync::Arc;

use actix_session::SessionExt;
use actix_web::HttpRequest;
use kinde_core::{KindeError, SessionAccess, VerifiedSession};
use serde_json::value::RawValue;

use super::handle::{Session, SessionError};
use crate::auth::KindeAuth;

/// The request's session, as kinde reads and writes it.
pub(crate) enum KindeSession {
    /// kinde-actix's [`Session`] (under [`SessionMiddleware`](super::SessionMiddleware)).
    Kinde(Session),
    /// actix-session's `Session` (under actix-session's `SessionMiddleware`).
    ActixSession(actix_session::Session),
}

/// The session `auth` uses for `req`.
pub(crate) fn of(req: &HttpRequest, auth: &KindeAuth) -> Result<KindeSession, KindeError> {
    if auth.uses_actix_session() {
        return Ok(KindeSession::ActixSession(req.get_session()));
    }
    Session::of(req).map(KindeSession::Kinde).ok_or_else(|| {
        KindeError::Config(
            "the kinde-actix session middleware is missing: add `.wrap(kinde.session_middleware())`, \
             or use `KindeAuth::with_actix_session` under actix-session's SessionMiddleware"
                .into(),
        )
    })
}

impl KindeSession {
    /// The session `auth` verified before from the tokens stored in this session, read
    /// in place where they already are: in kinde-actix's memory store while this
    /// request has not touched its session, or in the state actix-session loaded. No
    /// I/O and no copy; `None` sends the request the usual way.
    pub(crate) fn cached(&self, auth: &KindeAuth) -> Option<Arc<VerifiedSession>> {
        let kinde = auth.kinde();
        let key = &kinde.session_keys().tokens;
        match self {
            KindeSession::Kinde(session) => session.with_untouched_key(|id| {
                auth.memory_store()
                    .with_value(id, key, |stored| kinde.resume_cached_session(stored))
            }),
            KindeSession::ActixSession(session) => {
                let stored = session.entries();
                kinde.resume_cached_session(stored.get(key)?)
            }
        }
    }
}

impl SessionAccess for KindeSession {
    type Error = SessionError;

    async fn read(&self, key: &str) -> Result<Option<String>, SessionError> {
        match self {
            KindeSession::Kinde(session) => {
                session.with_raw(key, |raw| raw.map(str::to_owned)).await
            }
            KindeSession::ActixSession(session) => Ok(session.entries().get(key).cloned()),
        }
    }

    async fn set(&self, key: &str, value: String) -> Result<(), SessionError> {
        match self {
            KindeSession::Kinde(session) => session.insert_json(key.to_owned(), value).await,
            KindeSession::ActixSession(session) => {
                // actix-session serialises what it is given: raw JSON text stays as it is.
                let raw = RawValue::from_string(value).map_err(|e| SessionError(e.to_string()))?;
                session
                    .insert(key, raw)
                    .map_err(|e| SessionError(e.to_string()))
            }
        }
    }

    async fn remove(&self, key: &str) -> Result<(), SessionError> {
        match self {
            KindeSession::Kinde(session) => session.remove(key).await.map(drop),
            KindeSession::ActixSession(session) => {
                session.remove(key);
                Ok(())
            }
        }
    }

    async fn cycle_id(&self) -> Result<(), SessionError> {
        match self {
            KindeSession::Kinde(session) => session.renew().await,
            KindeSession::ActixSession(session) => {
                session.renew();
                Ok(())
            }
        }
    }

    async fn clear(&self) -> Result<(), SessionError> {
        match self {
            KindeSession::Kinde(session) => session.purge(),
            KindeSession::ActixSession(session) => session.purge(),
        }
        Ok(())
    }
}
