//! The session layer of [`KindeAuth::session_layer`](crate::KindeAuth::session_layer):
//! tower-sessions' [`Session`] over any tower-sessions [`SessionStore`], with its one
//! cookie read straight from the `Cookie` header.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use kinde_core::web;
use pin_project_lite::pin_project;
use tower::{Layer, Service};
use tower_sessions::cookie::time::{Duration, OffsetDateTime};
use tower_sessions::cookie::{Cookie, SameSite};
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
/// behind a mutex, and it opens a tracing span per request. That was ~10k instructions a
/// request, about as much as a whole axum request to a plain route, and it alone put a
/// session app below 0.8× the throughput of the same app without sessions
/// (BENCHMARKS.md). This layer does the same with the session itself: handlers extract
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
/// use tower_sessions::Expiry;
/// use tower_sessions::cookie::time::Duration;
///
/// let layer = kinde
///     .session_layer()
///     .with_name("my_app_session")
///     .with_expiry(Expiry::OnInactivity(Duration::hours(8)));
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

#[derive(Debug, Clone)]
struct CookieSettings {
    name: Cow<'static, str>,
    secure: bool,
    path: Cow<'static, str>,
    domain: Option<Cow<'static, str>>,
    expiry: Option<Expiry>,
}

impl<St: SessionStore> SessionLayer<St> {
    /// A layer over `store`: cookie `name`, `Secure` when `secure`, path `/`, and
    /// sessions that end after 14 days without a change.
    pub(crate) fn new(store: St, name: &'static str, secure: bool) -> Self {
        SessionLayer {
            store: Arc::new(store),
            cookie: Arc::new(CookieSettings {
                name: Cow::Borrowed(name),
                secure,
                path: Cow::Borrowed("/"),
                domain: None,
                expiry: Some(Expiry::OnInactivity(Duration::days(14))),
            }),
        }
    }

    fn settings(mut self, f: impl FnOnce(&mut CookieSettings)) -> Self {
        f(Arc::make_mut(&mut self.cookie));
        self
    }

    /// The cookie's name (default `kinde_session`); give each app sharing a host its own.
    pub fn with_name(self, name: impl Into<Cow<'static, str>>) -> Self {
        self.settings(|c| c.name = name.into())
    }

    /// Whether the cookie is `Secure` (default: yes, unless the app's redirect URI is
    /// http on loopback).
    pub fn with_secure(self, secure: bool) -> Self {
        self.settings(|c| c.secure = secure)
    }

    /// The cookie's path (default `/`).
    pub fn with_path(self, path: impl Into<Cow<'static, str>>) -> Self {
        self.settings(|c| c.path = path.into())
    }

    /// The cookie's domain (default: none, so only the host that set it).
    pub fn with_domain(self, domain: impl Into<Cow<'static, str>>) -> Self {
        self.settings(|c| c.domain = Some(domain.into()))
    }

    /// When a session ends (default: 14 days without a change,
    /// `Expiry::OnInactivity`).
    pub fn with_expiry(self, expiry: Expiry) -> Self {
        self.settings(|c| c.expiry = Some(expiry))
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
        let cookie = cookie_value(req.headers(), &settings.name);
        let had_cookie = cookie.is_some();
        let id = cookie.and_then(|value| match value.parse::<Id>() {
            Ok(id) => Some(id),
            Err(e) => {
                // Never logs the value: it may be somebody's session id.
                tracing::warn!(error = %e, "possibly suspicious activity: malformed session id");
                None
            }
        });
        let session = Session::new(id, self.layer.store.clone(), settings.expiry);
        req.extensions_mut().insert(session.clone());
        // Call the service that was polled ready, leave its clone for the next call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        ResponseFuture {
            state: State::Handler {
                future: inner.call(req),
                after: Some((session, had_cookie, settings)),
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
                StateProj::Handler { future, after } => {
                    let response = ready!(future.poll(cx))?;
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

/// The value of this layer's cookie, if the request has one.
fn cookie_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    web::cookie_value(
        headers
            .get_all(header::COOKIE)
            .iter()
            .map(HeaderValue::as_bytes),
        name,
    )
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
        let mut removal = settings.cookie(String::new(), None);
        removal.make_removal();
        removal
    } else if session.is_modified() && !empty {
        if let Err(e) = session.save().await {
            tracing::error!(error = %e, "failed to save the session");
            return unavailable();
        }
        let Some(id) = session.id() else {
            tracing::error!("a saved session has no id");
            return unavailable();
        };
        settings.cookie(id.to_string(), session.expiry())
    } else {
        return response;
    };
    match HeaderValue::try_from(cookie.encoded().to_string()) {
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

fn unavailable<B: Default>() -> Response<B> {
    let mut response = Response::default();
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response
}

impl CookieSettings {
    fn cookie(&self, value: String, expiry: Option<Expiry>) -> Cookie<'static> {
        let mut cookie = Cookie::build((self.name.clone(), value))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .path(self.path.clone());
        if let Some(domain) = &self.domain {
            cookie = cookie.domain(domain.clone());
        }
        match expiry {
            Some(Expiry::OnInactivity(age)) => cookie = cookie.max_age(age),
            Some(Expiry::AtDateTime(at)) => cookie = cookie.max_age(at - OffsetDateTime::now_utc()),
            Some(Expiry::OnSessionEnd) | None => {}
        }
        cookie.build()
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
            path: "/".into(),
            domain: None,
            expiry: None,
        };
        let set = settings
            .cookie("id".into(), Some(Expiry::OnInactivity(Duration::days(14))))
            .encoded()
            .to_string();
        for part in [
            "kinde_session=id",
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
