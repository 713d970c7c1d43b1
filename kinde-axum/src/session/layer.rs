//! The session layer of [`KindeAuth::session_layer`](crate::KindeAuth::session_layer):
//! tower-sessions' [`Session`] over any tower-sessions [`SessionStore`], with its one
//! cookie read straight from the `Cookie` header.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};

use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use kinde_core::web::{RETRY_AFTER_SECS, SessionCookie, signed_in_cache_control};
use pin_project_lite::pin_project;
use tower::{Layer, Service};
use tower_sessions::cookie::time::{self, OffsetDateTime};
use tower_sessions::session::Id;
use tower_sessions::{Expiry, Session, SessionStore};

/// A tower layer that gives every request a [`Session`] (extract it in handlers as
/// `tower_sessions::Session`), stored server-side in `St` and identified by an
/// `HttpOnly`, `SameSite=Lax` cookie. Made by
/// [`KindeAuth::session_layer`](crate::KindeAuth::session_layer) and
/// [`session_layer_with`](crate::KindeAuth::session_layer_with) with kinde's defaults;
/// the `with_*` methods change them.
///
/// Why not tower-sessions' own `SessionManagerLayer`: it goes through tower-cookies,
/// which parses and percent-decodes every cookie of every request into a jar shared
/// behind a mutex, and it opens a tracing span per request: as much work as the rest of
/// a request to a plain route (the figures are in the repository's BENCHMARKS.md). This
/// layer does the same with the session itself: handlers extract
/// the same `tower_sessions::Session`, any tower-sessions store works, and a session is
/// saved and its cookie set or removed in the same cases as tower-sessions, and also
/// after a failed handler: a session emptied (flushed, or never stored) whose cookie came
/// in gets its cookie removed; a changed one is saved and its cookie (re)set, also when
/// the handler failed (5xx), so a token set refreshed during the request is not lost; a
/// store failing to save is a 503 without a body (logged, not shown). It reads only
/// its own cookie.
///
/// ```no_run
/// # fn run(kinde: kinde_axum::KindeAuth) {
/// use std::time::Duration;
/// use kinde_axum::SameSite;
///
/// let layer = kinde
///     .session_layer()
///     .with_cookie_name("my_app_session")
///     .with_same_site(SameSite::Strict)
///     .with_ttl(Duration::from_secs(8 * 3600));
/// # }
/// ```
#[derive(Debug)]
pub struct SessionLayer<St> {
    store: Arc<St>,
    cookie: Arc<CookieSettings>,
}

impl<St> Clone for SessionLayer<St> {
    fn clone(&self) -> Self {
        SessionLayer {
            store: self.store.clone(),
            cookie: self.cookie.clone(),
        }
    }
}

/// The cookie's attributes (kinde-core's, shared with kinde-actix) and when a session
/// ends: after the cookie's TTL without a change, unless set otherwise.
#[derive(Debug, Clone)]
struct CookieSettings {
    cookie: SessionCookie,
    expiry: Option<Expiry>,
}

impl CookieSettings {
    fn expiry(&self) -> Expiry {
        self.expiry
            .unwrap_or_else(|| on_inactivity(self.cookie.ttl()))
    }
}

/// tower-sessions' expiry of a session that ends `ttl` after its last change.
fn on_inactivity(ttl: std::time::Duration) -> Expiry {
    let secs = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
    Expiry::OnInactivity(time::Duration::seconds(secs))
}

impl<St: SessionStore> SessionLayer<St> {
    /// A layer over `store` with `cookie`'s attributes, sessions ending after its TTL
    /// without a change.
    pub(crate) fn new(store: St, cookie: SessionCookie) -> Self {
        SessionLayer {
            store: Arc::new(store),
            cookie: Arc::new(CookieSettings {
                cookie,
                expiry: None,
            }),
        }
    }

    fn settings(mut self, f: impl FnOnce(&mut CookieSettings)) -> Self {
        f(Arc::make_mut(&mut self.cookie));
        self
    }

    fn cookie(self, f: impl FnOnce(SessionCookie) -> SessionCookie) -> Self {
        self.settings(|s| s.cookie = f(s.cookie.clone()))
    }

    kinde_core::__session_cookie_setters!();

    /// When a session ends, in tower-sessions' terms (for an end at a fixed time or
    /// when the browser closes; [`with_ttl`](Self::with_ttl) covers the usual case).
    pub fn with_expiry(self, expiry: Expiry) -> Self {
        self.settings(|s| s.expiry = Some(expiry))
    }
}

impl<S, St> Layer<S> for SessionLayer<St> {
    type Service = SessionService<S, St>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of a [`SessionLayer`].
#[derive(Debug)]
pub struct SessionService<S, St> {
    inner: S,
    layer: SessionLayer<St>,
}

impl<S: Clone, St> Clone for SessionService<S, St> {
    fn clone(&self) -> Self {
        SessionService {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

impl<ReqBody, ResBody, S, St> Service<Request<ReqBody>> for SessionService<S, St>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
    St: SessionStore,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let settings = self.layer.cookie.clone();
        let cookie = settings.cookie.value_in(
            req.headers()
                .get_all(header::COOKIE)
                .iter()
                .map(HeaderValue::as_bytes),
        );
        let had_cookie = cookie.is_some();
        let id = cookie.and_then(|value| match value.parse::<Id>() {
            Ok(id) => Some(id),
            Err(e) => {
                // Never logs the value: it may be somebody's session id.
                tracing::warn!(error = %e, "possibly suspicious activity: malformed session id");
                None
            }
        });
        let session = Session::new(id, self.layer.store.clone(), Some(settings.expiry()));
        req.extensions_mut().insert(session.clone());
        // Only a request with a session id can be signed in through its session: the
        // others (every anonymous visit) skip the flag's allocation.
        let signed_in = id.is_some().then(SignedInBySession::default);
        if let Some(flag) = &signed_in {
            req.extensions_mut().insert(flag.clone());
        }
        // Call the service that was polled ready, leave its clone for the next call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        ResponseFuture {
            state: State::Handler {
                future: inner.call(req),
                after: Some((session, had_cookie, settings)),
                signed_in,
            },
        }
    }
}

pin_project! {
    /// The response future of a [`SessionService`]: the handler's, then (only when the
    /// session has something to save or remove) the store's work, boxed.
    pub struct ResponseFuture<F, B> {
        #[pin]
        state: State<F, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B> {
        Handler {
            #[pin]
            future: F,
            after: Option<(Session, bool, Arc<CookieSettings>)>,
            signed_in: Option<SignedInBySession>,
        },
        Finishing {
            future: Pin<Box<dyn Future<Output = Response<B>> + Send>>,
        },
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Default + Send + 'static,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Handler {
                    future,
                    after,
                    signed_in,
                } => {
                    let mut response = ready!(future.poll(cx))?;
                    if signed_in
                        .as_ref()
                        .is_some_and(|flag| flag.0.load(Ordering::Relaxed))
                    {
                        let headers = response.headers_mut();
                        let set = headers.contains_key(header::CACHE_CONTROL);
                        if let Some(value) = signed_in_cache_control(set) {
                            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
                        }
                    }
                    let Some((session, had_cookie, settings)) = after.take() else {
                        return Poll::Ready(Ok(response));
                    };
                    // The common request: a session it neither changed nor found missing
                    // in the store (or no session at all). Nothing to save or remove.
                    if !session.is_modified() && (session.id().is_some() || !had_cookie) {
                        return Poll::Ready(Ok(response));
                    }
                    let finishing = finish(response, session, had_cookie, settings);
                    this.state.set(State::Finishing {
                        future: Box::pin(finishing),
                    });
                }
                StateProj::Finishing { future } => return future.as_mut().poll(cx).map(Ok),
            }
        }
    }
}

/// After the handler, as tower-sessions does it: a session emptied (flushed, or never
/// stored) whose cookie came in gets the cookie removed; a changed session is saved and
/// its cookie (re)set. Unlike tower-sessions, also when the handler failed (5xx): a
/// token set refreshed during the request must not be lost, nor its rotated refresh
/// token. A store failing to save is a 503 without a body (the error is logged, not
/// shown).
async fn finish<B: Default>(
    mut response: Response<B>,
    session: Session,
    had_cookie: bool,
    settings: Arc<CookieSettings>,
) -> Response<B> {
    let empty = session.is_empty().await;
    let cookie = if had_cookie && empty {
        settings.cookie.removal()
    } else if session.is_modified() && !empty {
        if let Err(e) = session.save().await {
            tracing::error!(error = %e, "failed to save the session");
            return unavailable();
        }
        let Some(id) = session.id() else {
            tracing::error!("a saved session has no id");
            return unavailable();
        };
        settings
            .cookie
            .set_cookie(&id.to_string(), max_age(session.expiry()))
    } else {
        return response;
    };
    match HeaderValue::try_from(cookie) {
        Ok(value) => {
            response.headers_mut().append(header::SET_COOKIE, value);
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "the session cookie is not a valid header value");
            unavailable()
        }
    }
}

/// Set by the request's resolution when its caller is signed in through this session,
/// read by the layer once the handler answered: such a response gets kinde-core's
/// [`signed_in_cache_control`]. Shared, because the layer moves the request, extensions
/// included, into the inner service and cannot see them afterwards.
#[derive(Clone, Default)]
pub(crate) struct SignedInBySession(Arc<AtomicBool>);

impl SignedInBySession {
    /// Mark the response as rendered for a caller signed in through the session.
    pub(crate) fn mark(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A bodiless 503 that says when to retry.
fn unavailable<B: Default>() -> Response<B> {
    let mut response = Response::default();
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    response
}

/// The cookie's `Max-Age` for a session that ends at `expiry`.
fn max_age(expiry: Option<Expiry>) -> Option<std::time::Duration> {
    match expiry? {
        Expiry::OnInactivity(age) => age.try_into().ok(),
        Expiry::AtDateTime(at) => Some(
            (at - OffsetDateTime::now_utc())
                .try_into()
                .unwrap_or_default(),
        ),
        Expiry::OnSessionEnd => None,
    }
}
