//! [`SessionMiddleware`]: gives every request a [`Session`] kept server-side in any
//! actix-session [`SessionStore`] and identified by a random key in one cookie, and
//! saves what the request changed.

use std::fmt;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready as ready_poll};

use actix_session::storage::{LoadError, SessionKey, SessionStore};
use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::cookie::time::Duration;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{self, HeaderValue};
use futures_util::future::LocalBoxFuture;
use kinde_core::web::SessionCookie;
use pin_project_lite::pin_project;

use super::handle::{Loader, Session, SessionError};

/// The length of the keys actix-session's stores generate (`generate_session_key`).
const KEY_LEN: usize = 64;

/// Whether a cookie value has the shape of a generated key: 64 ASCII letters and digits.
/// Only such values reach the store, so a visitor cannot name any other record of a
/// shared store (actix-session's Redis store keys records by the session key itself).
fn is_generated_key(value: &str) -> bool {
    value.len() == KEY_LEN && value.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The middleware of [`KindeAuth::session_middleware`](crate::KindeAuth::session_middleware):
/// gives every request a [`Session`] over `St`.
///
/// Why not actix-session's own `SessionMiddleware`: on every request of a visitor with a
/// cookie it parses and percent-decodes every cookie, checks the cookie's HMAC signature
/// and loads a copy of the whole session state (Kinde's tokens are ~2.5 KB), whether or
/// not the route reads the session: more work than the rest of a request to a plain
/// route (the figures are in the repository's BENCHMARKS.md). This
/// middleware reads only its own cookie, loads the state only when a handler asks for it,
/// and lets kinde's extractors read a signed-in visitor's tokens in place in
/// [`MemorySessionStore`](crate::MemorySessionStore). The key needs no signature: it is
/// 64 random alphanumerics (~380 bits) naming a record on the server, so it cannot be
/// guessed; a cookie of any other shape is ignored, so it cannot name another record of
/// a shared store, and a forged key of the right shape names nothing. For the same
/// reason the store must keep the state server-side and generate its keys as
/// actix-session's stores do (actix-session's `CookieSessionStore`, which puts the state
/// itself in the cookie, is not supported here; an app that wants it runs kinde under
/// actix-session's own middleware, see
/// [`KindeAuth::with_actix_session`](crate::KindeAuth::with_actix_session)).
///
/// What it saves, and when (after the handler): a session whose state changed is saved
/// and its cookie set (with a fresh `Max-Age`, the session's TTL); a renewed session moves to a new
/// key (the old record is deleted once the new one is saved); a purged or emptied
/// session is deleted and its cookie removed; an unchanged session costs the store
/// nothing, and a cookie naming no record is left as it is until the session is saved
/// (another app or tenant on the host may use a cookie of the same name). Changes are
/// saved whatever the response's status, 5xx included: a token set refreshed during the
/// request must not be lost. (An `Err` returned by an inner middleware passes through
/// unsaved, as with actix-session.)
pub struct SessionMiddleware<St> {
    store: Rc<St>,
    cookie: Rc<SessionCookie>,
    timeout: std::time::Duration,
}

impl<St> Clone for SessionMiddleware<St> {
    fn clone(&self) -> Self {
        SessionMiddleware {
            store: self.store.clone(),
            cookie: self.cookie.clone(),
            timeout: self.timeout,
        }
    }
}

/// How long one store operation may take by default: a store that does not answer is a
/// 503, not a hung request.
const STORE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// `operation`, or an error once `timeout` has passed.
async fn within<T, E: fmt::Display>(
    timeout: std::time::Duration,
    operation: impl Future<Output = Result<T, E>>,
) -> Result<T, SessionError> {
    match actix_web::rt::time::timeout(timeout, operation).await {
        Ok(done) => done.map_err(|e| SessionError(e.to_string())),
        Err(_) => Err(SessionError(format!(
            "the session store did not answer within {timeout:?}"
        ))),
    }
}

impl<St> fmt::Debug for SessionMiddleware<St> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionMiddleware")
            .field("cookie", &self.cookie.name())
            .finish_non_exhaustive()
    }
}

impl<St: SessionStore + 'static> SessionMiddleware<St> {
    /// The middleware over `store`, with `cookie`'s attributes and lifetime.
    pub(crate) fn new(store: St, cookie: SessionCookie) -> Self {
        SessionMiddleware {
            store: Rc::new(store),
            cookie: Rc::new(cookie),
            timeout: STORE_TIMEOUT,
        }
    }

    /// How long one operation of the store may take (default 2 s): past it, the request
    /// is a 503 with `Retry-After`, not a hung request, whatever the store's own
    /// timeouts.
    pub fn with_store_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn cookie(mut self, f: impl FnOnce(SessionCookie) -> SessionCookie) -> Self {
        self.cookie = Rc::new(f((*self.cookie).clone()));
        self
    }

    kinde_core::__session_cookie_setters!();
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
        let timeout = self.timeout;
        let load: Loader = Rc::new(move |key: String| {
            let store = store.clone();
            Box::pin(async move {
                let key = session_key(key).map_err(|e| LoadError::Other(e.into()))?;
                match actix_web::rt::time::timeout(timeout, store.load(&key)).await {
                    // A state that does not parse (written by another version, or
                    // corrupted) is no session: the visitor signs in again.
                    Ok(Err(LoadError::Deserialization(_))) => {
                        tracing::warn!(
                            "a session state in the store does not parse; treating it as no session"
                        );
                        Ok(None)
                    }
                    Ok(loaded) => loaded,
                    Err(_) => Err(LoadError::Other(anyhow::anyhow!(
                        "the session store did not answer within {timeout:?}"
                    ))),
                }
            })
        });
        ready(Ok(SessionService {
            service: Rc::new(service),
            store: self.store.clone(),
            cookie: self.cookie.clone(),
            timeout: self.timeout,
            load,
        }))
    }
}

/// The service of a [`SessionMiddleware`].
pub struct SessionService<S, St> {
    service: Rc<S>,
    store: Rc<St>,
    cookie: Rc<SessionCookie>,
    timeout: std::time::Duration,
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
        let cookie = self
            .cookie
            .value_in(req.headers().get_all(header::COOKIE).map(|v| v.as_bytes()));
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
                    timeout: self.timeout,
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
    cookie: Rc<SessionCookie>,
    timeout: std::time::Duration,
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
                    crate::resolve::keep_signed_in_page_private(&mut response);
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
                                timeout,
                            } = after;
                            finish(
                                &mut response,
                                &session,
                                had_cookie,
                                (&*store, timeout),
                                &cookie,
                            )
                            .await?;
                            Ok(response)
                        }),
                    });
                }
                PhaseProj::Finishing { future } => return future.as_mut().poll(cx),
            }
        }
    }
}

/// Persist what the request changed (see [`SessionMiddleware`]: what it saves, and when).
async fn finish<B, St: SessionStore>(
    response: &mut ServiceResponse<B>,
    session: &Session,
    had_cookie: bool,
    (store, timeout): (&St, std::time::Duration),
    cookie: &SessionCookie,
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
    if state.is_empty() {
        // Ended (purged, or every value removed): no record may survive (a sign-out that
        // could not delete its record is an error, not a success).
        for key in [key, retired].into_iter().flatten() {
            within(timeout, store.delete(&session_key(key)?)).await?;
        }
        if had_cookie {
            set_cookie(response, cookie.removal())?;
        }
        return Ok(());
    }
    let secs = i64::try_from(cookie.ttl().as_secs()).unwrap_or(i64::MAX);
    let ttl = Duration::seconds(secs);
    let key = match key {
        Some(key) => within(timeout, store.update(session_key(key)?, state, &ttl)).await?,
        None => within(timeout, store.save(state, &ttl)).await?,
    };
    set_cookie(
        response,
        cookie.set_cookie(key.as_ref(), Some(cookie.ttl())),
    )?;
    // Only after the state is safe under its new key: a failure here leaves the
    // pre-renewal state under a key the visitor no longer has, instead of losing both.
    if let Some(old) = retired
        && let Err(e) = within(timeout, store.delete(&session_key(old)?)).await
    {
        tracing::warn!(error = %e, "could not delete the old record of a renewed session");
    }
    Ok(())
}

/// The store's key type (a cookie's key is [`KEY_LEN`] bytes, which it accepts).
fn session_key(key: String) -> Result<SessionKey, SessionError> {
    SessionKey::try_from(key).map_err(|e| SessionError(e.to_string()))
}

/// Add a `Set-Cookie` header with `value` (kinde-core's rendering of the cookie).
fn set_cookie<B>(response: &mut ServiceResponse<B>, value: String) -> Result<(), actix_web::Error> {
    let value = HeaderValue::try_from(value)
        .map_err(|e| SessionError(format!("the session cookie is not a valid header: {e}")))?;
    response
        .response_mut()
        .headers_mut()
        .append(header::SET_COOKIE, value);
    Ok(())
}
