//! End-to-end tests of what only kinde-actix has, or what the shared scenario table does
//! not cover yet: two tenants in two scopes of one app, and `fn_guard`s with
//! `resolve_identity`. Real HTTP against small apps built here, with local Kinde
//! servers on loopback. (Every extractor, `MaybeKindeUser`, the guards as extractors
//! and as scope middleware, custom rejection rendering, a swapped session store and
//! custom route paths are in the table.)

mod common;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, guard, web};
use common::{
    ADA, GRACE, bind, kinde_for, login_as, ok_json, serve_actix, sign_in_at, status_body, token_for,
};
use kinde_actix::{
    KindeAuth, KindeClaims, KindeRequestExt, KindeUser, RequirePermission, RequireRole, RoutePaths,
    permission, role,
};
use kinde_core::testing::{Endpoint, TestKinde};
use kinde_e2e::{Browser, assert_redirect, header_str};
use reqwest::StatusCode;
use reqwest::header;
use serde_json::json;

permission!(WriteTodos = "write:todos");
role!(Admin = "admin");

async fn me(user: KindeUser, claims: KindeClaims) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "id": user.id, "iss": claims.access.issuer() }))
}

async fn page(user: KindeUser) -> HttpResponse {
    HttpResponse::Ok().body(format!("hello {}", user.display_name()))
}

// ---------------------------------------------------------------------------------
// 1. Two tenants side by side
// ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tenants_in_two_scopes() {
    let (tk_a, tk_b) = (TestKinde::start(), TestKinde::start());
    let (listener, _, base) = bind();
    // Inside a scope, the built-in routes are mounted relative to the scope.
    let kinde_a = KindeAuth::new(kinde_for(&tk_a, &base, "/a/auth/callback"))
        .with_paths(RoutePaths::default().with_prefix("/auth"));
    let kinde_b = KindeAuth::new(kinde_for(&tk_b, &base, "/b/auth/callback"))
        .with_paths(RoutePaths::default().with_prefix("/auth"));
    let _app = serve_actix!(listener, move || {
        App::new()
            .service(
                web::scope("/a")
                    .configure(kinde_a.configure())
                    .route("/me", web::get().to(me))
                    .route("/page", web::get().to(page))
                    .wrap(kinde_a.session_middleware()),
            )
            .service(
                web::scope("/b")
                    .configure(kinde_b.configure())
                    .route("/me", web::get().to(me))
                    .route("/page", web::get().to(page))
                    .wrap(kinde_b.session_middleware()),
            )
    });
    let b = Browser::new(&base);

    // App data registered by `configure()` in a scope shadows per scope: each tenant's
    // bearer tokens are accepted under its own scope only.
    let (ta, tb) = (token_for(&tk_a, ADA), token_for(&tk_b, ADA));
    let v = ok_json(b.get_bearer("/a/me", &ta).await).await;
    assert_eq!(v["iss"], tk_a.issuer());
    let v = ok_json(b.get_bearer("/b/me", &tb).await).await;
    assert_eq!(v["iss"], tk_b.issuer());
    for (path, token) in [("/b/me", &ta), ("/a/me", &tb)] {
        let r = b.get_bearer(path, token).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(header_str(&r, header::WWW_AUTHENTICATE).starts_with("Bearer"));
    }

    // A page of a scope sends an anonymous browser to that scope's login route.
    let r = b.get("/a/page").await;
    assert_eq!(assert_redirect(&r), "/a/auth/login?returnTo=%2Fa%2Fpage");

    // A browser signs in to tenant A through A's routes…
    let landed = sign_in_at(
        &b,
        &login_as("/a/auth/login", ADA, Some("/a/me")),
        "/a/auth/callback",
    )
    .await;
    assert_eq!(landed, "/a/me");
    assert_eq!(tk_a.token_requests("authorization_code"), 1);
    assert_eq!(tk_b.requests(Endpoint::Authorize), 0);
    let v = ok_json(b.get_json("/a/me").await).await;
    assert_eq!(
        (v["id"].as_str(), v["iss"].as_str()),
        (Some("kp_demo_admin"), Some(tk_a.issuer().as_str()))
    );

    // …which does not sign the visitor in to B.
    let r = b.get_json("/b/me").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = b.get("/b/page").await;
    assert_eq!(assert_redirect(&r), "/b/auth/login?returnTo=%2Fb%2Fpage");
    assert_eq!(tk_b.requests(Endpoint::Token), 0);
    // Visiting B did not sign the visitor out of A.
    let v = ok_json(b.get_json("/a/me").await).await;
    assert_eq!(v["id"], "kp_demo_admin");

    // Both scopes' middlewares use the `kinde_session` cookie (as documented): signing
    // in to B replaces A's cookie, so a browser is signed in to one tenant at a time.
    let landed = sign_in_at(
        &b,
        &login_as("/b/auth/login", GRACE, Some("/b/me")),
        "/b/auth/callback",
    )
    .await;
    assert_eq!(landed, "/b/me");
    let v = ok_json(b.get_json("/b/me").await).await;
    assert_eq!(
        (v["id"].as_str(), v["iss"].as_str()),
        (Some("kp_demo_reader"), Some(tk_b.issuer().as_str()))
    );
    assert_eq!(b.get_json("/a/me").await.status(), StatusCode::UNAUTHORIZED);
}

// ---------------------------------------------------------------------------------
// 2. fn_guards
// ---------------------------------------------------------------------------------

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
/// `resolve_identity`: a guard that does not match rejects nothing (actix tries the
/// next route, or answers 404), an invalid token is nobody to a guard, and with a
/// session every form agrees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fn_guards_with_resolve_identity() {
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
            .wrap(from_fn(kinde_actix::resolve_identity))
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

    // With a browser session (resolved by `resolve_identity` inside the session
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

/// Without `resolve_identity`, a guard sees nobody signed in (as documented).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fn_guards_without_resolve_identity_see_nobody() {
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
