//! End-to-end tests of what only kinde-actix has, or where its HTTP behaviour differs
//! from kinde-axum's (everything the adapters share is in the scenario table, run by
//! `tests/actix.rs`): `fn_guard`s reading the identity that `resolve_caller`
//! resolved (`KindeRequestExt`), and a session cookie one tenant's middleware does not
//! know being left alone. Real HTTP against small apps built here, with local Kinde
//! servers on loopback.

mod common;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, guard, web};
use common::{bind, kinde_for, serve_actix};
use kinde_actix::{KindeAuth, KindeRequestExt, RequirePermission, RequireRole, permission, role};
use kinde_core::testing::{Endpoint, TestKinde};
use kinde_e2e::scenarios::{ADA, GRACE};
use kinde_e2e::starters::actix_start;
use kinde_e2e::{Browser, Ctx, TenantSessions, assert_redirect, status_body, token_for};
use reqwest::StatusCode;

permission!(WriteTodos = "write:todos");
role!(Admin = "admin");

async fn write_extractor(_: RequirePermission<WriteTodos>) -> HttpResponse {
    HttpResponse::Ok().body("write ok")
}

async fn admin_extractor(_: RequireRole<Admin>) -> HttpResponse {
    HttpResponse::Ok().body("admin ok")
}

async fn plain(body: &'static str) -> HttpResponse {
    HttpResponse::Ok().body(body)
}

/// `fn_guard`s next to the guard extractors and the scope middleware, all behind
/// `resolve_caller`: a guard that does not match rejects nothing (actix tries the
/// next route, or answers 404), an invalid token is nobody to a guard, and with a
/// session every form agrees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fn_guards_with_resolve_caller() {
    let tk = TestKinde::start();
    let (listener, _, base) = bind();
    let kinde = KindeAuth::new(kinde_for(&tk, &base, "/callback"));
    let _app = serve_actix!(listener, move || {
        App::new()
            .configure(kinde.configure())
            // Extractors.
            .route("/ext/write", web::get().to(write_extractor))
            .route("/ext/admin", web::get().to(admin_extractor))
            // Middleware on a scope.
            .service(
                web::scope("/mw/write")
                    .wrap(from_fn(kinde_actix::require_permission::<WriteTodos>))
                    .route("/x", web::get().to(|| plain("write ok"))),
            )
            .service(
                web::scope("/mw/admin")
                    .wrap(from_fn(kinde_actix::require_role::<Admin>))
                    .route("/x", web::get().to(|| plain("admin ok"))),
            )
            // `fn_guard`s: a matching guard serves its route; one that does not match
            // lets actix try the next route for the path (or answer 404).
            .service(
                web::resource("/beta")
                    .guard(guard::fn_guard(|ctx| {
                        ctx.kinde_has_permission("write:todos")
                    }))
                    .to(|| plain("beta")),
            )
            .route("/beta", web::get().to(|| plain("no beta")))
            .service(
                web::resource("/staff")
                    .guard(guard::fn_guard(|ctx| ctx.kinde_has_role("admin")))
                    .to(|| plain("staff")),
            )
            .wrap(from_fn(kinde_actix::resolve_caller))
            .wrap(kinde.session_middleware())
    });
    let b = Browser::new(&base);

    // fn_guard: no rejection of its own; actix falls through to the next route, or 404.
    let ada = token_for(&tk, ADA);
    let grace = token_for(&tk, GRACE);
    assert_eq!(
        status_body(b.get_bearer("/beta", &ada).await).await,
        (200, "beta".into())
    );
    assert_eq!(
        status_body(b.get_bearer("/beta", &grace).await).await,
        (200, "no beta".into())
    );
    assert_eq!(
        status_body(b.get("/beta").await).await,
        (200, "no beta".into())
    );
    assert_eq!(
        status_body(b.get_bearer("/staff", &ada).await).await,
        (200, "staff".into())
    );
    assert_eq!(
        b.get_bearer("/staff", &grace).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(b.get("/staff").await.status(), StatusCode::NOT_FOUND);
    // An invalid token is no identity for a guard either (and never a 401 from it).
    assert_eq!(
        b.get_bearer("/staff", "not-a-jwt").await.status(),
        StatusCode::NOT_FOUND
    );

    // With a browser session (resolved by `resolve_caller` inside the session
    // middleware): Grace gets 403 pages, Ada passes every form.
    let g = Browser::new(&base);
    g.sign_in(None, GRACE).await;
    for guarded in ["/ext/write", "/ext/admin", "/mw/write/x", "/mw/admin/x"] {
        assert_eq!(
            g.get(guarded).await.status(),
            StatusCode::FORBIDDEN,
            "{guarded}"
        );
    }
    assert_eq!(
        status_body(g.get("/beta").await).await,
        (200, "no beta".into())
    );
    let a = Browser::new(&base);
    a.sign_in(None, ADA).await;
    for guarded in ["/ext/write", "/ext/admin", "/mw/write/x", "/mw/admin/x"] {
        assert_eq!(a.get(guarded).await.status(), StatusCode::OK, "{guarded}");
    }
    assert_eq!(
        status_body(a.get("/beta").await).await,
        (200, "beta".into())
    );
    assert_eq!(
        status_body(a.get("/staff").await).await,
        (200, "staff".into())
    );
}

/// Without `resolve_caller`, a guard sees nobody signed in (as documented).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fn_guards_without_resolve_caller_see_nobody() {
    let tk = TestKinde::start();
    let (listener, _, base) = bind();
    let kinde = KindeAuth::new(kinde_for(&tk, &base, "/callback"));
    let _app = serve_actix!(listener, move || {
        App::new()
            .configure(kinde.configure())
            .service(
                web::resource("/staff")
                    .guard(guard::fn_guard(|ctx| ctx.kinde_has_role("admin")))
                    .to(|| plain("staff")),
            )
            .wrap(kinde.session_middleware())
    });
    let b = Browser::new(&base);
    let r = b.get_bearer("/staff", &token_for(&tk, ADA)).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// Two tenants whose session middlewares use one cookie name: a request to B that
/// reads B's session (a session B's store does not know) leaves the cookie alone, so
/// visiting B does not sign the visitor out of A. (kinde-axum's session layer removes
/// such a cookie instead: see `axum_specific.rs`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_cookie_name_visiting_the_other_tenant_keeps_the_session() {
    let tk_b = TestKinde::start();
    let ctx = Ctx::two_tenants(
        actix_start,
        TestKinde::start(),
        &tk_b,
        TenantSessions::OneCookieName,
    );
    let b = ctx.browser();
    b.sign_in_to_tenant("a", ADA).await;

    let r = b.get_json("/b/me").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        kinde_e2e::session_cookie(&r).is_none(),
        "the cookie is left alone"
    );
    let r = b.get("/b/page").await;
    assert_eq!(assert_redirect(&r), "/b/auth/login?returnTo=%2Fb%2Fpage");
    assert!(
        kinde_e2e::session_cookie(&r).is_none(),
        "the cookie is left alone"
    );
    assert_eq!(tk_b.requests(Endpoint::Token), 0);
    // Visiting B did not sign the visitor out of A.
    let (status, body) = status_body(b.get_json("/a/me").await).await;
    assert_eq!(status, 200, "{body}");
    let me: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(me["id"], "kp_demo_admin");
}

/// kinde on top of actix-session's own middleware with its `CookieSessionStore` (the
/// whole state, encrypted, in the cookie): the app's own value in actix-session's
/// `Session` lives beside kinde's through the sign-in (whose new session id keeps the
/// data), a protected page sees the user, and logout ends the session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kinde_under_actix_sessions_cookie_store() {
    use actix_session::storage::CookieSessionStore;
    use actix_session::{Session, SessionMiddleware};
    use actix_web::cookie::Key;
    use kinde_actix::KindeUser;

    async fn visits(session: Session) -> HttpResponse {
        let n = session.get::<u32>("visits").ok().flatten().unwrap_or(0) + 1;
        match session.insert("visits", n) {
            Ok(()) => HttpResponse::Ok().body(n.to_string()),
            Err(_) => HttpResponse::InternalServerError().finish(),
        }
    }

    let tk = TestKinde::start();
    let (listener, _, base) = bind();
    let kinde = KindeAuth::new(kinde_for(&tk, &base, "/callback")).with_actix_session();
    let key = Key::generate();
    let _app = serve_actix!(listener, move || {
        App::new()
            .configure(kinde.configure())
            .route(
                "/me",
                web::get().to(|user: KindeUser| async move {
                    HttpResponse::Ok().json(serde_json::json!({ "id": user.id }))
                }),
            )
            .route("/visits", web::get().to(visits))
            .wrap(
                SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
                    .cookie_name(kinde_e2e::SESSION_COOKIE.into())
                    .cookie_secure(false)
                    .build(),
            )
    });
    let b = Browser::new(&base);
    let (status, body) = status_body(b.get("/visits").await).await;
    assert_eq!((status, body.as_str()), (200, "1"));

    let signed_in = b.sign_in(Some("/me"), ADA).await;
    assert_eq!(signed_in.landed, "/me");
    let cookie = b.cookie(kinde_e2e::SESSION_COOKIE).expect("session cookie");
    assert!(
        cookie.len() < 4096,
        "a browser keeps the cookie: {} bytes",
        cookie.len()
    );
    let (status, body) = status_body(b.get_json("/me").await).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("kp_demo_admin"), "{body}");
    let (status, body) = status_body(b.get("/visits").await).await;
    assert_eq!(
        (status, body.as_str()),
        (200, "2"),
        "the app's value survived the sign-in"
    );
    // The pre-login cookie was a different session: the id changed at sign-in.
    assert_ne!(
        signed_in.login_cookie.map(|c| c.value),
        Some(cookie.clone())
    );

    let out = b.get("/logout").await;
    assert!(
        assert_redirect(&out).starts_with(&tk.issuer()),
        "logout goes on to Kinde"
    );
    let (status, _) = status_body(b.get_json("/me").await).await;
    assert_eq!(status, 401, "signed out");
    let (status, body) = status_body(b.get("/visits").await).await;
    assert_eq!(
        (status, body.as_str()),
        (200, "1"),
        "logout ended the whole session"
    );
}

/// kinde under actix-session's own middleware with kinde-actix's `RedisSessionStore`:
/// sign in, a protected page, the session in Redis, logout removes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kinde_under_actix_sessions_middleware_with_redis() {
    use actix_session::SessionMiddleware;
    use actix_web::cookie::Key;
    use kinde_actix::{KindeUser, RedisSessionStore};
    use kinde_core::testing::TestRedis;

    let tk = TestKinde::start();
    let redis = TestRedis::start();
    let (listener, _, base) = bind();
    let kinde = KindeAuth::new(kinde_for(&tk, &base, "/callback")).with_actix_session();
    let key = Key::generate();
    let url = redis.url();
    let _app = kinde_e2e::starters::actix::run_async(listener, move |listener| async move {
        let connection = kinde_core::redis::connect(&url).await.expect("Redis");
        let store = RedisSessionStore::new(connection);
        Ok(actix_web::HttpServer::new(move || {
            App::new()
                .configure(kinde.configure())
                .route(
                    "/me",
                    web::get().to(|user: KindeUser| async move {
                        HttpResponse::Ok().json(serde_json::json!({ "id": user.id }))
                    }),
                )
                .wrap(
                    SessionMiddleware::builder(store.clone(), key.clone())
                        .cookie_name(kinde_e2e::SESSION_COOKIE.into())
                        .cookie_secure(false)
                        .build(),
                )
        })
        .workers(2)
        .listen(listener)?
        .run())
    });
    let b = Browser::new(&base);
    b.sign_in(Some("/me"), ADA).await;
    let (status, body) = status_body(b.get_json("/me").await).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("kp_demo_admin"), "{body}");
    let keys = redis.command(&["KEYS", "kinde:session:*"]).expect("KEYS");
    assert_eq!(keys.lines().count(), 1, "one session in Redis: {keys}");

    let out = b.get("/logout").await;
    assert!(assert_redirect(&out).starts_with(&tk.issuer()));
    assert_eq!(status_body(b.get_json("/me").await).await.0, 401);
    let keys = redis.command(&["KEYS", "kinde:session:*"]).expect("KEYS");
    assert!(keys.is_empty(), "logout removed it: {keys}");
}
