//! kinde-actix's sessions: a [`Session`] handle per request, kept server-side in any
//! actix-session [`SessionStore`] and identified by a random key in one cookie.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready as ready_poll};

use actix_session::storage::{LoadError, SessionKey, SessionStore};
use actix_web::body::MessageBody;
use actix_web::cookie::time::Duration;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{FromRequest, HttpMessage, HttpRequest, ResponseError};
use futures_util::future::LocalBoxFuture;
use pin_project_lite::pin_project;
use serde::Serialize;
use serde::de::DeserializeOwned;

type State = HashMap<String, String>;
type Loader = Rc<dyn Fn(String) -> LocalBoxFuture<'static, Result<Option<State>, LoadError>>>;

/// How long a session lives after its last change.
const TTL: Duration = Duration::days(14);

/// The length of the keys actix-session's stores generate (`generate_session_key`).
const KEY_LEN: usize = 64;

/// Whether a cookie value has the shape of a generated key: 64 ASCII letters and digits.
/// Only such values reach the store, so a visitor cannot name any other record of a
/// shared store (actix-session's Redis store keys records by the session key itself).
fn is_generated_key(value: &str) -> bool {
    value.len() == KEY_LEN && value.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A session store failed, or a value could not be (de)serialised. Renders as 503
/// without details (they are logged).
#[derive(Debug)]
pub struct SessionError(String);

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
        actix_web::HttpResponse::ServiceUnavailable().body("the session store is unavailable")
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
pub struct Session(Rc<RefCell<Inner>>);

struct Inner {
    /// The key the state lives under (`None`: a new session, or one renewed or purged).
    key: Option<String>,
    /// A record to delete after the handler (the old key of a renewed or purged session).
    retired: Option<String>,
    /// `None` until loaded.
    state: Option<State>,
    changed: bool,
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
    fn new(key: Option<String>, load: Loader) -> Self {
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
        self.loaded().await?;
        let mut inner = self.0.borrow_mut();
        inner.state.get_or_insert_default().insert(key.into(), json);
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

/// The middleware of [`KindeAuth::session_middleware`](crate::KindeAuth::session_middleware):
/// gives every request a [`Session`] over `St`.
///
/// Why not actix-session's own `SessionMiddleware`: on every request of a visitor with a
/// cookie it parses and percent-decodes every cookie, checks the cookie's HMAC signature
/// and loads a copy of the whole session state (Kinde's tokens are ~2.5 KB), whether or
/// not the route reads the session: ~35k instructions, 3.9 µs a request on the bench
/// machine, more than a whole actix request to a plain route (BENCHMARKS.md). This
/// middleware reads only its own cookie, loads the state only when a handler asks for it,
/// and lets kinde's extractors read a signed-in visitor's tokens in place in
/// [`MemorySessionStore`](crate::MemorySessionStore). The key needs no signature: it is
/// 64 random alphanumerics (~380 bits) naming a record on the server, so it cannot be
/// guessed; a cookie of any other shape is ignored, so it cannot name another record of
/// a shared store, and a forged key of the right shape names nothing. For the same
/// reason the store must keep the state server-side and generate its keys as
/// actix-session's stores do (actix-session's `CookieSessionStore`, which puts the state
/// itself in the cookie, is not supported).
///
/// What it saves, and when (after the handler): a session whose state changed is saved
/// and its cookie set (with a fresh 14-day `Max-Age`); a renewed session moves to a new
/// key (the old record is deleted once the new one is saved); a purged or emptied
/// session is deleted and its cookie removed; an unchanged session costs the store
/// nothing, and a cookie naming no record is left as it is until the session is saved
/// (another app or tenant on the host may use a cookie of the same name). Changes are
/// saved whatever the response's status, 5xx included: a token set refreshed during the
/// request must not be lost. (An `Err` returned by an inner middleware passes through
/// unsaved, as with actix-session.)
pub struct SessionMiddleware<St> {
    store: Rc<St>,
    cookie: Rc<CookieSettings>,
}

impl<St> Clone for SessionMiddleware<St> {
    fn clone(&self) -> Self {
        SessionMiddleware {
            store: self.store.clone(),
            cookie: self.cookie.clone(),
        }
    }
}

impl<St> fmt::Debug for SessionMiddleware<St> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionMiddleware")
            .field("cookie", &self.cookie.name)
            .finish_non_exhaustive()
    }
}

struct CookieSettings {
    name: String,
    secure: bool,
}

impl<St: SessionStore + 'static> SessionMiddleware<St> {
    pub(crate) fn new(store: St, name: String, secure: bool) -> Self {
        SessionMiddleware {
            store: Rc::new(store),
            cookie: Rc::new(CookieSettings { name, secure }),
        }
    }
}

impl<S, B, St> Transform<S, ServiceRequest> for SessionMiddleware<St>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
    St: SessionStore + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = SessionService<S, St>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        let store = self.store.clone();
        let load: Loader = Rc::new(move |key: String| {
            let store = store.clone();
            Box::pin(async move {
                let key = session_key(key).map_err(|e| LoadError::Other(e.into()))?;
                store.load(&key).await
            })
        });
        ready(Ok(SessionService {
            service: Rc::new(service),
            store: self.store.clone(),
            cookie: self.cookie.clone(),
            load,
        }))
    }
}

/// The service of a [`SessionMiddleware`].
pub struct SessionService<S, St> {
    service: Rc<S>,
    store: Rc<St>,
    cookie: Rc<CookieSettings>,
    load: Loader,
}

impl<S, B, St> Service<ServiceRequest> for SessionService<S, St>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
    St: SessionStore + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = SessionFuture<S::Future, B, St>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let cookie = cookie_value(req.headers(), &self.cookie.name);
        let had_cookie = cookie.is_some();
        let key = cookie.filter(|v| is_generated_key(v)).map(str::to_owned);
        let session = Session::new(key, self.load.clone());
        req.extensions_mut().insert(session.clone());
        SessionFuture {
            state: Phase::Handler {
                future: self.service.call(req),
                after: Some(After {
                    session,
                    had_cookie,
                    store: self.store.clone(),
                    cookie: self.cookie.clone(),
                }),
            },
        }
    }
}

/// What a request's session needs after the handler.
struct After<St> {
    session: Session,
    had_cookie: bool,
    store: Rc<St>,
    cookie: Rc<CookieSettings>,
}

pin_project! {
    /// The response future of a [`SessionService`]: the handler's, then (only when the
    /// session changed) the store's work, boxed.
    pub struct SessionFuture<F, B, St> {
        #[pin]
        state: Phase<F, B, St>,
    }
}

pin_project! {
    #[project = PhaseProj]
    enum Phase<F, B, St> {
        Handler {
            #[pin]
            future: F,
            after: Option<After<St>>,
        },
        Finishing {
            future: LocalBoxFuture<'static, Result<ServiceResponse<B>, actix_web::Error>>,
        },
    }
}

impl<F, B, St> Future for SessionFuture<F, B, St>
where
    F: Future<Output = Result<ServiceResponse<B>, actix_web::Error>>,
    B: 'static,
    St: SessionStore + 'static,
{
    type Output = Result<ServiceResponse<B>, actix_web::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                PhaseProj::Handler { future, after } => {
                    let mut response = ready_poll!(future.poll(cx))?;
                    // The common request leaves its session unchanged: nothing to do.
                    let Some(after) = after.take().filter(|a| a.session.0.borrow().changed) else {
                        return Poll::Ready(Ok(response));
                    };
                    this.state.set(Phase::Finishing {
                        future: Box::pin(async move {
                            let After {
                                session,
                                had_cookie,
                                store,
                                cookie,
                            } = after;
                            finish(&mut response, &session, had_cookie, &*store, &cookie).await?;
                            Ok(response)
                        }),
                    });
                }
                PhaseProj::Finishing { future } => return future.as_mut().poll(cx),
            }
        }
    }
}

/// The value of this middleware's cookie, if the request has one.
fn cookie_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    kinde_core::web::cookie_value(headers.get_all(header::COOKIE).map(|v| v.as_bytes()), name)
}

/// Persist what the request changed (see [`SessionMiddleware`]: what it saves, and when).
async fn finish<B, St: SessionStore>(
    response: &mut ServiceResponse<B>,
    session: &Session,
    had_cookie: bool,
    store: &St,
    cookie: &CookieSettings,
) -> Result<(), actix_web::Error> {
    let (key, retired, state) = {
        let mut inner = session.0.borrow_mut();
        if !inner.changed {
            return Ok(());
        }
        (
            inner.key.take(),
            inner.retired.take(),
            inner.state.take().unwrap_or_default(),
        )
    };
    let failed = |e: &dyn fmt::Display| SessionError(e.to_string());
    if state.is_empty() {
        // Ended (purged, or every value removed): no record may survive (a sign-out that
        // could not delete its record is an error, not a success).
        for key in [key, retired].into_iter().flatten() {
            store
                .delete(&session_key(key)?)
                .await
                .map_err(|e| failed(&e))?;
        }
        if had_cookie {
            remove_cookie(response, cookie)?;
        }
        return Ok(());
    }
    let key = match key {
        Some(key) => store
            .update(session_key(key)?, state, &TTL)
            .await
            .map_err(|e| failed(&e))?,
        None => store.save(state, &TTL).await.map_err(|e| failed(&e))?,
    };
    add_cookie(response, &cookie.build(key.into()))?;
    // Only after the state is safe under its new key: a failure here leaves the
    // pre-renewal state under a key the visitor no longer has, instead of losing both.
    if let Some(old) = retired
        && let Err(e) = store.delete(&session_key(old)?).await
    {
        tracing::warn!(error = %e, "could not delete the old record of a renewed session");
    }
    Ok(())
}

fn remove_cookie<B>(
    response: &mut ServiceResponse<B>,
    cookie: &CookieSettings,
) -> Result<(), actix_web::Error> {
    let mut removal = cookie.build(String::new());
    removal.make_removal();
    add_cookie(response, &removal)
}

/// The store's key type (a cookie's key is [`KEY_LEN`] bytes, which it accepts).
fn session_key(key: String) -> Result<SessionKey, SessionError> {
    SessionKey::try_from(key).map_err(|e| SessionError(e.to_string()))
}

fn add_cookie<B>(
    response: &mut ServiceResponse<B>,
    cookie: &Cookie<'_>,
) -> Result<(), actix_web::Error> {
    response
        .response_mut()
        .add_cookie(cookie)
        .map_err(|e| SessionError(format!("the session cookie is not a valid header: {e}")).into())
}

impl CookieSettings {
    fn build(&self, value: String) -> Cookie<'static> {
        Cookie::build(self.name.clone(), value)
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .path("/")
            .max_age(TTL)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_carry_the_safe_attributes() {
        let settings = CookieSettings {
            name: "kinde_session".into(),
            secure: true,
        };
        let set = settings.build("k".into()).to_string();
        for part in [
            "kinde_session=k",
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/",
            "Max-Age=1209600",
        ] {
            assert!(set.contains(part), "{set} lacks {part}");
        }
    }
}
