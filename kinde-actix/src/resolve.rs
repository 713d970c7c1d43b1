//! Who made a request: resolved at most once per request (a bearer token, else the
//! session, through kinde-core's flows) and kept in the request's extensions; readable
//! from handlers, middleware and synchronous guards through [`KindeRequestExt`].

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::guard::GuardContext;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};
use kinde_core::KindeError;
use kinde_core::flow::Resolution;
use kinde_core::web::{Caller, signed_in_cache_control};

use crate::auth::KindeAuth;
use crate::reject::{AuthRejection, unregistered};
use crate::session;

/// The outcome of this request's resolution, cached in its extensions.
#[derive(Clone)]
struct Resolved(Result<Caller, KindeError>);

/// Set when a handler's extractor or guard (or [`KindeRequestExt`] on its
/// `HttpRequest`) took a caller signed in through the session: the response shows that
/// user's data, so it gets kinde-core's [`signed_in_cache_control`]. Resolving alone
/// ([`resolve_caller`], for every request of an app, static files included) sets nothing.
#[derive(Clone, Copy)]
struct RenderedForSession;

/// The request's caller for a handler's extractor or guard, resolved on first use: an
/// identity that needs a refresh is refreshed once per request, however many ask.
pub(crate) async fn caller(req: &HttpRequest) -> Result<Caller, KindeError> {
    let result = resolved_caller(req).await;
    mark_if_session(req, &result);
    result
}

/// The request's caller, resolved on first use, without marking the response.
async fn resolved_caller(req: &HttpRequest) -> Result<Caller, KindeError> {
    let cached = req.extensions().get::<Resolved>().cloned();
    if let Some(Resolved(result)) = cached {
        return result;
    }
    let result = resolve(req).await;
    req.extensions_mut().insert(Resolved(result.clone()));
    result
}

fn mark_if_session(req: &HttpRequest, caller: &Result<Caller, KindeError>) {
    if let Ok(Caller::Session(_)) = caller {
        req.extensions_mut().insert(RenderedForSession);
    }
}

/// Give `response` kinde-core's [`signed_in_cache_control`] when its request's caller
/// was resolved as signed in through the session (a page of one user's data is not
/// stored, so the back button after signing out cannot show it).
pub(crate) fn keep_signed_in_page_private<B>(response: &mut ServiceResponse<B>) {
    let signed_in = response
        .request()
        .extensions()
        .contains::<RenderedForSession>();
    if !signed_in {
        return;
    }
    let headers = response.headers_mut();
    if let Some(value) = signed_in_cache_control(headers.contains_key(header::CACHE_CONTROL)) {
        headers.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static(value),
        );
    }
}

/// Middleware function for apps that run kinde-actix under actix-session's own
/// `SessionMiddleware` ([`KindeAuth::with_actix_session`]), which cannot do what
/// kinde-actix's session middleware does after every handler: a response rendered for a
/// caller signed in through the session gets `Cache-Control: no-store` unless the
/// handler set its own. Register it inside the session middleware:
/// `.wrap(from_fn(kinde_actix::signed_in_pages_not_stored)).wrap(session)`.
pub async fn signed_in_pages_not_stored(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    keep_signed_in_page_private(&mut response);
    Ok(response)
}

/// The signed-in caller, or the rejection for this request.
pub(crate) async fn signed_in(req: &HttpRequest) -> Result<Caller, AuthRejection> {
    caller(req)
        .await
        .and_then(Caller::signed_in)
        .map_err(|e| reject(req, e))
}

/// Refuse `req` with `error`, as its handle renders refusals (or plainly, without one).
pub(crate) fn reject(req: &HttpRequest, error: KindeError) -> AuthRejection {
    match KindeAuth::of(req) {
        Ok(auth) => auth.reject(req, error),
        Err(_) => unregistered(req, error),
    }
}

async fn resolve(req: &HttpRequest) -> Result<Caller, KindeError> {
    let auth = KindeAuth::of(req)?;
    let kinde = auth.kinde();
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    if let Resolution::Resolved(caller) = kinde
        .resolve_request(auth.token_source(), authorization)
        .await?
    {
        return Ok(caller);
    }
    let session = session::of(req, &auth)?;
    if let Some(hit) = session.cached(&auth) {
        return Ok(Caller::Session(hit));
    }
    // Boxed: a session not verified before is the cold path (a full verification, or a
    // refresh); its large future stays out of every warm request's.
    Box::pin(kinde.caller_from_session(&session)).await
}

/// Middleware function that resolves the request's caller up front (verifying and,
/// when needed, refreshing the session), so that synchronous guards can read it through
/// [`KindeRequestExt`]. It never rejects by itself. Register it inside the session
/// middleware: `.wrap(from_fn(kinde_actix::resolve_caller)).wrap(session)`.
pub async fn resolve_caller(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let _ = resolved_caller(req.request()).await;
    next.call(req).await
}

/// Read the caller that [`resolve_caller`] (or an earlier extractor) resolved, from
/// handlers, middleware and synchronous guards — in the spirit of actix-identity:
///
/// ```no_run
/// use actix_web::{guard, web, App};
/// use kinde_actix::KindeRequestExt;
/// let app = App::new().service(
///     web::resource("/beta")
///         .guard(guard::fn_guard(|ctx| ctx.kinde_has_permission("beta:access")))
///         .to(|| async { "beta" }),
/// );
/// ```
///
/// Without [`resolve_caller`] registered, guards see nobody signed in. A guard that
/// does not match rejects nothing: actix tries the next route for the path and answers
/// 404 when none matches. For 401/403 answers use the extractors
/// ([`RequirePermission`](crate::RequirePermission), [`RequireRole`](crate::RequireRole))
/// or [`require_permission`](crate::require_permission) on a scope.
pub trait KindeRequestExt {
    /// The resolved caller, if resolution ran and succeeded.
    fn kinde_caller(&self) -> Option<Caller>;

    /// The signed-in user.
    fn kinde_user(&self) -> Option<Arc<kinde_core::KindeUser>> {
        self.kinde_caller().and_then(|c| c.user())
    }

    /// Whether the signed-in user holds `permission`.
    fn kinde_has_permission(&self, permission: &str) -> bool {
        self.kinde_caller()
            .is_some_and(|c| c.has_permission(permission))
    }

    /// Whether the signed-in user has `role`.
    fn kinde_has_role(&self, role: &str) -> bool {
        self.kinde_caller().is_some_and(|c| c.has_role(role))
    }
}

fn resolved(ext: &actix_web::dev::Extensions) -> Option<Caller> {
    match ext.get::<Resolved>() {
        Some(Resolved(Ok(caller))) => Some(caller.clone()),
        _ => None,
    }
}

impl KindeRequestExt for HttpRequest {
    /// A handler reading the caller renders for it: a session caller marks the
    /// response as a signed-in page (`Cache-Control: no-store`).
    fn kinde_caller(&self) -> Option<Caller> {
        let caller = resolved(&self.extensions());
        if matches!(caller, Some(Caller::Session(_))) {
            self.extensions_mut().insert(RenderedForSession);
        }
        caller
    }
}

impl KindeRequestExt for ServiceRequest {
    fn kinde_caller(&self) -> Option<Caller> {
        resolved(&self.extensions())
    }
}

impl KindeRequestExt for GuardContext<'_> {
    fn kinde_caller(&self) -> Option<Caller> {
        resolved(&self.req_data())
    }
}
