//! [`Session`], kinde-actix's per-request handle on a visitor's server-side session:
//! string keys to JSON values, loaded from the store the first time it is used.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::future::{Ready, ready};
use std::rc::Rc;

use actix_session::storage::LoadError;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, ResponseError};
use futures_util::future::LocalBoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A session's state: keys to JSON text.
pub(super) type State = HashMap<String, String>;
/// How a session loads its state from the store, by key.
pub(super) type Loader =
    Rc<dyn Fn(String) -> LocalBoxFuture<'static, Result<Option<State>, LoadError>>>;

/// A session store failed, or a value could not be (de)serialised. Renders as 503
/// without details (they are logged).
#[derive(Debug)]
pub struct SessionError(pub(crate) String);

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "session error: {}", self.0)
    }
}

impl std::error::Error for SessionError {}

impl ResponseError for SessionError {
    fn status_code(&self) -> StatusCode {
        StatusCode::SERVICE_UNAVAILABLE
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        tracing::error!(error = %self, "session store error");
        actix_web::HttpResponse::ServiceUnavailable()
            .insert_header((
                actix_web::http::header::RETRY_AFTER,
                kinde_core::web::RETRY_AFTER_SECS,
            ))
            .body("the session store is unavailable")
    }
}

/// The visitor's session: string keys to JSON values, kept server-side. Extract it in a
/// handler behind [`KindeAuth::session_middleware`](crate::KindeAuth::session_middleware);
/// the state is loaded from the store the first time it is read or written.
///
/// ```no_run
/// use kinde_actix::Session;
///
/// async fn visits(session: Session) -> Result<String, kinde_actix::SessionError> {
///     let n = session.get::<u32>("visits").await?.unwrap_or(0) + 1;
///     session.insert("visits", n).await?;
///     Ok(format!("visit {n}"))
/// }
/// ```
#[derive(Clone)]
pub struct Session(pub(super) Rc<RefCell<Inner>>);

pub(super) struct Inner {
    /// The key the state lives under (`None`: a new session, or one renewed or purged).
    pub(super) key: Option<String>,
    /// A record to delete after the handler (the old key of a renewed or purged session).
    pub(super) retired: Option<String>,
    /// `None` until loaded.
    pub(super) state: Option<State>,
    pub(super) changed: bool,
    load: Loader,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Neither the key (it is the visitor's credential) nor the values (tokens).
        let inner = self.0.borrow();
        f.debug_struct("Session")
            .field("has_key", &inner.key.is_some())
            .field("loaded", &inner.state.is_some())
            .field("changed", &inner.changed)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(super) fn new(key: Option<String>, load: Loader) -> Self {
        Session(Rc::new(RefCell::new(Inner {
            key,
            retired: None,
            state: None,
            changed: false,
            load,
        })))
    }

    /// Load the state from the store unless it is already here.
    async fn loaded(&self) -> Result<(), SessionError> {
        let pending = {
            let inner = self.0.borrow();
            match (&inner.state, &inner.key) {
                (Some(_), _) => return Ok(()),
                (None, None) => None,
                (None, Some(key)) => Some((inner.load)(key.clone())),
            }
        };
        let state = match pending {
            Some(load) => load.await.map_err(|e| SessionError(e.to_string()))?,
            None => None,
        };
        let mut inner = self.0.borrow_mut();
        if inner.state.is_none() {
            if state.is_none() {
                // Unknown or expired key: a new session, saved under a new key. Its
                // cookie is left alone unless the session is saved: another app or
                // tenant on this host may use a cookie of the same name.
                inner.key = None;
            }
            inner.state = Some(state.unwrap_or_default());
        }
        Ok(())
    }

    /// The value under `key`, deserialised.
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SessionError> {
        self.with_raw(key, |raw| raw.map(serde_json::from_str).transpose())
            .await?
            // Not the serde message: it may quote the stored value, and this error is
            // logged when it is rendered.
            .map_err(|e| {
                SessionError(format!(
                    "`{key}` does not deserialise to the requested type ({:?} error at line {}, column {})",
                    e.classify(),
                    e.line(),
                    e.column()
                ))
            })
    }

    /// `f` of the JSON text under `key`, borrowed.
    pub(crate) async fn with_raw<R>(
        &self,
        key: &str,
        f: impl FnOnce(Option<&str>) -> R,
    ) -> Result<R, SessionError> {
        self.loaded().await?;
        let inner = self.0.borrow();
        Ok(f(inner
            .state
            .as_ref()
            .and_then(|s| s.get(key))
            .map(String::as_str)))
    }

    /// Store `value` under `key`.
    pub async fn insert(
        &self,
        key: impl Into<String>,
        value: impl Serialize,
    ) -> Result<(), SessionError> {
        let json = serde_json::to_string(&value).map_err(|e| SessionError(e.to_string()))?;
        self.insert_json(key.into(), json).await
    }

    /// Store `json`, JSON text, under `key` as it is.
    pub(crate) async fn insert_json(&self, key: String, json: String) -> Result<(), SessionError> {
        self.loaded().await?;
        let mut inner = self.0.borrow_mut();
        inner.state.get_or_insert_default().insert(key, json);
        inner.changed = true;
        Ok(())
    }

    /// Remove the value under `key`, returning its JSON text.
    pub async fn remove(&self, key: &str) -> Result<Option<String>, SessionError> {
        self.loaded().await?;
        let mut inner = self.0.borrow_mut();
        let removed = inner.state.as_mut().and_then(|s| s.remove(key));
        inner.changed |= removed.is_some();
        Ok(removed)
    }

    /// Keep the state under a new key (and a new cookie): the old key stops working.
    /// Call it when the visitor's privileges change (sign-in) against session fixation.
    pub async fn renew(&self) -> Result<(), SessionError> {
        self.loaded().await?;
        let mut inner = self.0.borrow_mut();
        if let Some(old) = inner.key.take() {
            inner.retired = Some(old);
        }
        inner.changed = true;
        Ok(())
    }

    /// End the session: its record is deleted and its cookie removed.
    pub fn purge(&self) {
        let mut inner = self.0.borrow_mut();
        if let Some(old) = inner.key.take() {
            inner.retired = Some(old);
        }
        inner.state = Some(State::new());
        inner.changed = true;
    }

    /// The key of a session this request has neither loaded nor changed: what kinde's
    /// extractors use to read the tokens in place in the memory store.
    pub(crate) fn with_untouched_key<R>(&self, f: impl FnOnce(&str) -> Option<R>) -> Option<R> {
        let inner = self.0.borrow();
        if inner.state.is_some() || inner.changed {
            return None;
        }
        f(inner.key.as_deref()?)
    }

    /// The session of this request, if the middleware runs.
    pub(crate) fn of(req: &HttpRequest) -> Option<Session> {
        req.extensions().get::<Session>().cloned()
    }
}

impl FromRequest for Session {
    type Error = actix_web::Error;
    type Future = Ready<Result<Session, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Session::of(req).ok_or_else(|| {
            tracing::error!("kinde_actix::Session without the session middleware: add `.wrap(kinde.session_middleware())`");
            actix_web::error::ErrorInternalServerError("the session middleware is missing")
        }))
    }
}
