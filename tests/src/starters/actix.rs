//! The kinde-actix starters: the example app `actix-app` and its bearer-only API twin,
//! and the test apps built here from kinde-actix's API; under kinde-actix's session
//! middleware ([`start`]) or actix-session's own ([`start_over_actix_session`]).

use std::net::TcpListener;

use actix_session::config::PersistentSession;
use actix_web::cookie::time::Duration;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use kinde_actix::{
    AccessToken, AuthRejection, CurrentOrganization, FeatureFlags, KindeAuth, KindeClaims,
    KindeUser, MaybeKindeUser, MemorySessionStore, Permissions, RequirePermission, RequireRole,
    Roles, RoutePaths, SessionMiddleware, permission, role,
};
use kinde_core::Kinde;
use kinde_examples::actix_app;
use kinde_examples::todos::Todos;
use serde_json::json;

use super::{CUSTOM_REJECTION_HEADER, custom_rejection_body};
use crate::{AppKind, RunningApp, SESSION_COOKIE, TenantSessions, TestApp};

permission!(WriteTodos = "write:todos");
role!(Admin = "admin");

/// Serve the app of `kind` with the client `kinde` on `listener`, in an actix `System`
/// on its own thread, with kinde-actix's session middleware.
pub fn start(kind: AppKind, kinde: Kinde, listener: TcpListener) -> RunningApp {
    start_with(Sessions::Kinde, kind, kinde, listener)
}

/// The same apps with actix-session's own `SessionMiddleware` (over kinde-actix's
/// memory store, a server-side actix-session store) instead of kinde-actix's, and
/// [`KindeAuth::with_actix_session`]: how an app that already uses actix-session (or
/// actix-identity) runs kinde.
pub fn start_over_actix_session(kind: AppKind, kinde: Kinde, listener: TcpListener) -> RunningApp {
    start_with(Sessions::ActixSession, kind, kinde, listener)
}

/// Which session middleware the apps run under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sessions {
    /// kinde-actix's `SessionMiddleware`.
    Kinde,
    /// actix-session's `SessionMiddleware`, with `KindeAuth::with_actix_session`.
    ActixSession,
}

impl Sessions {
    fn handle(self, kinde: Kinde) -> KindeAuth {
        match self {
            Sessions::Kinde => KindeAuth::new(kinde),
            Sessions::ActixSession => KindeAuth::new(kinde).with_actix_session(),
        }
    }
}

fn start_with(
    sessions: Sessions,
    kind: AppKind,
    kinde: Kinde,
    listener: TcpListener,
) -> RunningApp {
    let auth = sessions.handle(kinde);
    // One key for every worker: actix-session's cookie is encrypted with it.
    let key = Key::generate();
    run(listener, move |listener| match (kind, sessions) {
        (AppKind::Browser, Sessions::Kinde) => actix_app::serve(auth, listener),
        (AppKind::Browser, Sessions::ActixSession) => {
            let app = actix_app::configure(&auth, Todos::default());
            Ok(HttpServer::new(move || {
                let (kinde_mw, actix_mw) = session(
                    sessions,
                    &key,
                    &auth,
                    SESSION_COOKIE,
                    auth.memory_store().clone(),
                );
                App::new()
                    .configure(app.clone())
                    .wrap(from_fn(kinde_actix::signed_in_pages_not_stored))
                    .wrap(kinde_mw)
                    .wrap(actix_mw)
            })
            .workers(2)
            .listen(listener)?
            .run())
        }
        (AppKind::Api, _) => actix_app::serve_api(auth, listener),
        (AppKind::Test(app), _) => serve_test_app(sessions, key, auth, app, listener),
        (AppKind::TwoTenants(two), _) => serve_two_tenants(
            sessions,
            key,
            auth,
            sessions.handle(two.b),
            two.sessions,
            listener,
        ),
    })
}

/// Run the server that `serve` starts on `listener` in an actix `System` on a thread of
/// its own; dropping the guard stops the server and joins the thread.
///
/// # Panics
/// If the thread cannot be started or `serve` fails.
pub fn run(
    listener: TcpListener,
    serve: impl FnOnce(TcpListener) -> std::io::Result<Server> + Send + 'static,
) -> RunningApp {
    run_async(listener, move |listener| async move { serve(listener) })
}

/// [`run`], with a server that `serve` makes asynchronously inside the actix `System`
/// (after connecting to Redis, say).
///
/// # Panics
/// If the thread cannot be started or `serve` fails.
pub fn run_async<F, Fut>(listener: TcpListener, serve: F) -> RunningApp
where
    F: FnOnce(TcpListener) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = std::io::Result<Server>> + 'static,
{
    let (handle_tx, handle_rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("e2e-actix".into())
        .spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = serve(listener).await.expect("actix server");
                handle_tx
                    .send(server.handle())
                    .expect("hand over the server handle");
                server.await.expect("actix server ran");
            })
        })
        .expect("actix thread");
    let handle = handle_rx.recv().expect("actix server started");
    RunningApp::new(move || {
        // Stop from a plain thread: the guard may be dropped inside the test's runtime.
        std::thread::spawn(move || futures::executor::block_on(handle.stop(false)))
            .join()
            .ok();
        thread.join().ok();
    })
}

/// The session middleware of `sessions` over `store` with the session cookie `cookie`,
/// as a pair of which only one is switched on: kinde-actix's, or actix-session's own
/// with the same cookie attributes (`HttpOnly`, `SameSite=Lax`, `Path=/`, not `Secure`
/// on loopback, 14 days).
fn session(
    sessions: Sessions,
    key: &Key,
    auth: &KindeAuth,
    cookie: &str,
    store: MemorySessionStore,
) -> (
    Condition<SessionMiddleware<MemorySessionStore>>,
    Condition<actix_session::SessionMiddleware<MemorySessionStore>>,
) {
    let kinde = auth
        .session_middleware_with(store.clone())
        .with_cookie_name(cookie.to_owned());
    let actix = actix_session::SessionMiddleware::builder(store, key.clone())
        .cookie_name(cookie.to_owned())
        .cookie_secure(false)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_path("/".into())
        .session_lifecycle(PersistentSession::default().session_ttl(Duration::days(14)))
        .build();
    (
        Condition::new(sessions == Sessions::Kinde, kinde),
        Condition::new(sessions == Sessions::ActixSession, actix),
    )
}

// ---------------------------------------------------------------------------------
// The test app
// ---------------------------------------------------------------------------------

fn serve_test_app(
    sessions: Sessions,
    key: Key,
    auth: KindeAuth,
    app: TestApp,
    listener: TcpListener,
) -> std::io::Result<Server> {
    let mut auth = auth.with_paths(app.paths);
    if app.custom_rejections {
        auth = auth.render_rejections_with(custom_rejection);
    }
    let passed = app.passed_store.then(MemorySessionStore::default);
    Ok(HttpServer::new(move || {
        let store = passed
            .clone()
            .unwrap_or_else(|| auth.memory_store().clone());
        let (kinde_mw, actix_mw) = session(sessions, &key, &auth, SESSION_COOKIE, store);
        App::new()
            .configure(auth.configure())
            .configure(test_routes(passed.clone()))
            .wrap(kinde_mw)
            .wrap(actix_mw)
    })
    .workers(2)
    .listen(listener)?
    .run())
}

/// The routes of the test app, without the handle (`auth.configure()`) and the session
/// middleware: what another actix starter (e.g. over another session middleware) can
/// reuse. `passed` is the store passed to the session middleware, if any (for `/store`).
pub(crate) fn test_routes(
    passed: Option<MemorySessionStore>,
) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |cfg| {
        let passed = passed.clone();
        cfg.route("/me", web::get().to(me))
            .route("/page", web::get().to(page))
            .route("/optional", web::get().to(optional))
            .route("/token", web::get().to(x_token))
            .route("/claims", web::get().to(x_claims))
            .route("/permissions", web::get().to(x_permissions))
            .route("/roles", web::get().to(x_roles))
            .route("/flags", web::get().to(x_flags))
            .route("/org", web::get().to(x_org))
            .route("/five", web::get().to(x_five))
            .route(
                "/ext/write",
                web::get().to(|_: RequirePermission<WriteTodos>| text("write ok")),
            )
            .route(
                "/ext/admin",
                web::get().to(|_: RequireRole<Admin>| text("admin ok")),
            )
            // Guards as scope middleware: they guard every route of the scope.
            .service(
                web::scope("/group/write")
                    .wrap(from_fn(kinde_actix::require_permission::<WriteTodos>))
                    .route("/x", web::get().to(|| text("write ok"))),
            )
            .service(
                web::scope("/group/admin")
                    .wrap(from_fn(kinde_actix::require_role::<Admin>))
                    .route("/x", web::get().to(|| text("admin ok"))),
            )
            .route(
                "/admin",
                web::get().to(|_: RequireRole<Admin>| text("admin")),
            )
            .route("/admin-default", web::get().to(admin_default))
            .route("/me-default", web::get().to(me_default))
            .route(
                "/store",
                web::get().to(move |auth: web::Data<KindeAuth>| {
                    let passed = passed.as_ref().map(MemorySessionStore::len);
                    let handle = auth.memory_store().len();
                    async move { HttpResponse::Ok().json(json!({ "passed": passed, "handle": handle })) }
                }),
            );
    }
}

async fn text(body: &'static str) -> HttpResponse {
    HttpResponse::Ok().body(body)
}

fn custom_rejection(e: &AuthRejection) -> HttpResponse {
    let status = e.default_response().status();
    HttpResponse::build(status)
        .insert_header((CUSTOM_REJECTION_HEADER, "1"))
        .body(custom_rejection_body(status.as_u16(), e.is_api))
}

async fn me(user: KindeUser, claims: KindeClaims) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "id": user.id, "iss": claims.access.issuer() }))
}

async fn page(user: KindeUser) -> HttpResponse {
    HttpResponse::Ok().body(format!("hello {}", user.display_name()))
}

async fn optional(user: MaybeKindeUser) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "user": user.0.map(|u| u.id.clone()) }))
}

async fn x_token(token: AccessToken) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "token": token.secret(), "debug": format!("{token:?}") }))
}

async fn x_claims(claims: KindeClaims) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "org_code": claims.access.get("org_code"),
        "sub": claims.access.subject(),
        "has_id": claims.id.is_some(),
    }))
}

async fn x_permissions(p: Permissions) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "keys": p.keys(), "write": p.is_granted("write:todos") }))
}

async fn x_roles(r: Roles) -> HttpResponse {
    HttpResponse::Ok()
        .json(json!({ "keys": r.keys().collect::<Vec<_>>(), "admin": r.has("admin") }))
}

async fn x_flags(f: FeatureFlags) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "theme": f.string("theme").ok(),
        "dark_mode": f.bool("dark_mode").ok(),
        "todo_limit": f.integer("todo_limit").ok(),
        "missing": f.bool_or("missing_flag", true).ok(),
        "wrong_type": f.integer("theme").is_err(),
    }))
}

async fn x_org(org: CurrentOrganization, user: KindeUser) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "code": org.as_ref().map(|o| o.code.clone()),
        "name": org.as_ref().and_then(|o| o.name.clone()),
        "all": user.organizations.iter().map(|o| o.code.clone()).collect::<Vec<_>>(),
    }))
}

async fn x_five(
    user: KindeUser,
    p: Permissions,
    r: Roles,
    f: FeatureFlags,
    org: CurrentOrganization,
) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "id": user.id,
        "write": p.is_granted("write:todos"),
        "admin": r.has("admin"),
        "theme": f.string("theme").ok(),
        "org": org.as_ref().map(|o| o.code.clone()),
    }))
}

async fn me_default(user: Result<KindeUser, AuthRejection>) -> HttpResponse {
    match user {
        Ok(u) => HttpResponse::Ok().json(json!({ "id": u.id })),
        Err(e) => e.default_response(),
    }
}

async fn admin_default(guard: Result<RequireRole<Admin>, AuthRejection>) -> HttpResponse {
    match guard {
        Ok(_) => HttpResponse::Ok().body("admin"),
        Err(e) => e.default_response(),
    }
}

// ---------------------------------------------------------------------------------
// Two tenants
// ---------------------------------------------------------------------------------

/// Tenant `name`'s scope: its handle as the scope's app data (shadowing any other),
/// its built-in routes (relative to the scope: `/auth/…`) and its pages; without a
/// session middleware (reusable by another actix starter).
pub(crate) fn tenant(auth: &KindeAuth, name: &str) -> actix_web::Scope {
    web::scope(&format!("/{name}"))
        .configure(auth.configure())
        .route("/me", web::get().to(me))
        .route("/page", web::get().to(page))
}

fn serve_two_tenants(
    mode: Sessions,
    key: Key,
    a: KindeAuth,
    b: KindeAuth,
    sessions: TenantSessions,
    listener: TcpListener,
) -> std::io::Result<Server> {
    // Inside a scope, the built-in routes are mounted relative to the scope.
    let a = a.with_paths(RoutePaths::default().with_prefix("/auth"));
    let b = b.with_paths(RoutePaths::default().with_prefix("/auth"));
    let server = match sessions {
        TenantSessions::OwnCookies | TenantSessions::OneCookieName => {
            let (cookie_a, cookie_b) = match sessions {
                TenantSessions::OwnCookies => ("kinde_session_a", "kinde_session_b"),
                _ => (SESSION_COOKIE, SESSION_COOKIE),
            };
            HttpServer::new(move || {
                let (kinde_a, actix_a) =
                    session(mode, &key, &a, cookie_a, a.memory_store().clone());
                let (kinde_b, actix_b) =
                    session(mode, &key, &b, cookie_b, b.memory_store().clone());
                App::new()
                    .service(tenant(&a, "a").wrap(kinde_a).wrap(actix_a))
                    .service(tenant(&b, "b").wrap(kinde_b).wrap(actix_b))
            })
            .workers(2)
            .listen(listener)?
            .run()
        }
        TenantSessions::OneSession => HttpServer::new(move || {
            let (kinde_mw, actix_mw) =
                session(mode, &key, &a, SESSION_COOKIE, a.memory_store().clone());
            App::new()
                .service(tenant(&a, "a"))
                .service(tenant(&b, "b"))
                .wrap(kinde_mw)
                .wrap(actix_mw)
        })
        .workers(2)
        .listen(listener)?
        .run(),
    };
    Ok(server)
}
