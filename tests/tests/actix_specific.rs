//! End-to-end tests of what only kinde-actix has, or what the shared scenario table does
//! not cover: two tenants in two scopes of one app, guards as extractors, as scope
//! middleware and as `fn_guard`s, `MaybeKindeUser` that still reports outages, custom
//! rejection rendering, every extractor, a swapped session store and custom route
//! paths. Real HTTP against small apps built here, with local Kinde servers on loopback.

mod common;

use std::time::Duration;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, guard, web};
use common::{
    ADA, ALAN, GRACE, bind, get_anonymous_json, kinde_for, kinde_with, login_as, ok_json,
    serve_actix, sign_in_at, status_body, token_for,
};
use kinde_actix::{
    AccessToken, AuthRejection, CurrentOrganization, FeatureFlags, KindeAuth, KindeClaims,
    KindeRequestExt, KindeUser, MaybeKindeUser, MemorySessionStore, Permissions, RequirePermission,
    RequireRole, Roles, RoutePaths, permission, role,
};
use kinde_core::testing::{Endpoint, TestKinde};
use kinde_e2e::{Browser, assert_redirect, header_str, location};
use reqwest::StatusCode;
use reqwest::header;
use serde_json::{Value, json};

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
// 3. Guards in three forms
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guards_as_extractors_middleware_and_fn_guards() {
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

    for guarded in ["/ext/write", "/ext/admin", "/mw/write/x", "/mw/admin/x"] {
        // No session: a browser is sent to the login, an API client gets 401.
        let r = b.get(guarded).await;
        let expected = format!(
            "/login?returnTo={}",
            url::form_urlencoded::byte_serialize(guarded.as_bytes()).collect::<String>()
        );
        assert_eq!(assert_redirect(&r), expected);
        let r = b.get_json(guarded).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{guarded}");
        assert_eq!(header_str(&r, header::WWW_AUTHENTICATE), "Bearer");
        for who in [GRACE, ALAN] {
            let r = b.get_bearer(guarded, &token_for(&tk, who)).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{guarded} as {who}");
        }
        let (status, body) = status_body(b.get_bearer(guarded, &token_for(&tk, ADA)).await).await;
        assert_eq!(status, 200, "{guarded}: {body}");
        assert!(body.ends_with(" ok"), "{body}");
    }

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
    sign_in_at(&g, &login_as("/login", GRACE, None), "/callback").await;
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
    sign_in_at(&a, &login_as("/login", ADA, None), "/callback").await;
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

// ---------------------------------------------------------------------------------
// 4. MaybeKindeUser
// ---------------------------------------------------------------------------------

async fn optional_home(user: MaybeKindeUser) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "user": user.0.map(|u| u.id.clone()) }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maybe_user_is_none_only_when_nobody_is_signed_in() {
    let tk = TestKinde::builder()
        .access_token_ttl(Duration::from_secs(1))
        .start();
    tk.set_jwks_available(false);
    let (listener, _, base) = bind();
    let kinde = KindeAuth::new(kinde_with(&tk, &base, "/callback", |c| {
        c.jwks_min_refetch_interval(Duration::from_millis(100))
    }));
    let _app = serve_actix!(listener, move || {
        App::new()
            .configure(kinde.configure())
            .route("/", web::get().to(optional_home))
            .wrap(kinde.session_middleware())
    });
    let b = Browser::new(&base);

    let v = ok_json(b.get("/").await).await;
    assert_eq!(v["user"], Value::Null);

    let token = token_for(&tk, ADA);
    let r = b.get_bearer("/", &token).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header_str(&r, header::WWW_AUTHENTICATE), "");
    let r = b.get_bearer("/", "not-a-jwt").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(header_str(&r, header::WWW_AUTHENTICATE).starts_with("Bearer"));

    tk.set_jwks_available(true);
    let mut ok = false;
    for _ in 0..100 {
        let r = b.get_bearer("/", &token).await;
        if r.status() == StatusCode::OK {
            assert_eq!(ok_json(r).await["user"], "kp_demo_admin");
            ok = true;
            break;
        }
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "bearer verification did not recover");
    let other = TestKinde::start();
    let r = b.get_bearer("/", &token_for(&other, ADA)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    sign_in_at(&b, &login_as("/login", ADA, None), "/callback").await;
    assert_eq!(ok_json(b.get("/").await).await["user"], "kp_demo_admin");
    tk.set_token_endpoint_failure(Some(503));
    let r = b.get("/").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    tk.set_token_endpoint_failure(None);
    assert_eq!(ok_json(b.get("/").await).await["user"], "kp_demo_admin");
}

// ---------------------------------------------------------------------------------
// 5. Custom rejection rendering
// ---------------------------------------------------------------------------------

fn custom(e: &AuthRejection) -> HttpResponse {
    let status = e.default_response().status();
    HttpResponse::build(status)
        .insert_header(("x-custom-rejection", "1"))
        .body(format!("custom {} api={}", status.as_u16(), e.is_api))
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_rejection_rendering() {
    let tk = TestKinde::start();
    tk.set_jwks_available(false);
    let (listener, _, base) = bind();
    let kinde = KindeAuth::new(kinde_with(&tk, &base, "/callback", |c| {
        c.jwks_min_refetch_interval(Duration::from_millis(100))
    }))
    .render_rejections_with(custom);
    let _app = serve_actix!(listener, move || {
        App::new()
            .configure(kinde.configure())
            .route("/me", web::get().to(me))
            .route("/me-default", web::get().to(me_default))
            .route(
                "/admin",
                web::get().to(|_: RequireRole<Admin>| plain("admin")),
            )
            .route("/admin-default", web::get().to(admin_default))
            .wrap(kinde.session_middleware())
    });
    let b = Browser::new(&base);
    let ada = token_for(&tk, ADA);

    let r = b.get_bearer("/me", &ada).await;
    assert_eq!(header_str(&r, "x-custom-rejection".parse().unwrap()), "1");
    assert_eq!(status_body(r).await, (503, "custom 503 api=true".into()));
    let r = b.get_bearer("/me-default", &ada).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header_str(&r, "x-custom-rejection".parse().unwrap()), "");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "unavailable");

    let r = b.get_json("/me").await;
    assert_eq!(header_str(&r, header::WWW_AUTHENTICATE), "");
    assert_eq!(status_body(r).await, (401, "custom 401 api=true".into()));
    let r = b.get_json("/me-default").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(header_str(&r, header::WWW_AUTHENTICATE), "Bearer");
    assert!(header_str(&r, header::CONTENT_TYPE).starts_with("application/json"));
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].is_string() && body["message"].is_string());

    tk.set_jwks_available(true);
    let grace = token_for(&tk, GRACE);
    let mut status = 0;
    for _ in 0..100 {
        let r = b.get_bearer("/admin", &grace).await;
        status = r.status().as_u16();
        if status != 503 {
            assert_eq!(status_body(r).await, (403, "custom 403 api=true".into()));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 403, "keys never came back");
    let r = b.get_bearer("/admin-default", &grace).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "forbidden");
    assert_eq!(
        status_body(b.get_bearer("/admin", &ada).await).await,
        (200, "admin".into())
    );
}

// ---------------------------------------------------------------------------------
// 6. Extractors
// ---------------------------------------------------------------------------------

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

async fn x_org(org: CurrentOrganization) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "code": org.as_ref().map(|o| o.code.clone()),
        "name": org.as_ref().and_then(|o| o.name.clone()),
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

fn extractor_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/token", web::get().to(x_token))
        .route("/claims", web::get().to(x_claims))
        .route("/permissions", web::get().to(x_permissions))
        .route("/roles", web::get().to(x_roles))
        .route("/flags", web::get().to(x_flags))
        .route("/org", web::get().to(x_org))
        .route("/five", web::get().to(x_five));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extractors_with_a_bearer_token() {
    let tk = TestKinde::start();
    let (listener, _, base) = bind();
    let kinde = KindeAuth::new(kinde_for(&tk, &base, "/callback"));
    let _app = serve_actix!(listener, move || {
        App::new()
            .configure(kinde.configure())
            .configure(extractor_routes)
            .wrap(kinde.session_middleware())
    });
    let b = Browser::new(&base);
    let token = token_for(&tk, ADA);

    assert_eq!(tk.requests(Endpoint::Jwks), 0);
    let v = ok_json(b.get_bearer("/five", &token).await).await;
    assert_eq!(
        v,
        json!({"id": "kp_demo_admin", "write": true, "admin": true, "theme": "ocean", "org": "org_demo"})
    );
    assert_eq!(tk.requests(Endpoint::Jwks), 1);

    let v = ok_json(b.get_bearer("/token", &token).await).await;
    assert_eq!(v["token"], token.as_str());
    let debug = v["debug"].as_str().unwrap();
    assert!(debug.contains("[redacted]"), "{debug}");
    assert!(!debug.contains(&token), "{debug}");

    let v = ok_json(b.get_bearer("/claims", &token).await).await;
    assert_eq!(
        v,
        json!({"org_code": "org_demo", "sub": "kp_demo_admin", "has_id": false})
    );

    let v = ok_json(b.get_bearer("/permissions", &token).await).await;
    assert_eq!(
        v,
        json!({"keys": ["read:todos", "write:todos"], "write": true})
    );
    let v = ok_json(b.get_bearer("/permissions", &token_for(&tk, GRACE)).await).await;
    assert_eq!(v, json!({"keys": ["read:todos"], "write": false}));

    let v = ok_json(b.get_bearer("/roles", &token).await).await;
    assert_eq!(v, json!({"keys": ["admin"], "admin": true}));

    let v = ok_json(b.get_bearer("/flags", &token).await).await;
    assert_eq!(
        v,
        json!({"theme": "ocean", "dark_mode": true, "todo_limit": 100, "missing": true, "wrong_type": true})
    );
    let v = ok_json(b.get_bearer("/flags", &token_for(&tk, GRACE)).await).await;
    assert_eq!(
        (
            v["dark_mode"].clone(),
            v["todo_limit"].clone(),
            v["theme"].clone()
        ),
        (json!(false), json!(10), Value::Null)
    );

    let v = ok_json(b.get_bearer("/org", &token).await).await;
    assert_eq!(v, json!({"code": "org_demo", "name": "Demo Org"}));

    for path in [
        "/token",
        "/claims",
        "/permissions",
        "/roles",
        "/flags",
        "/org",
        "/five",
    ] {
        let r = get_anonymous_json(&b.url(path)).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    assert_eq!(tk.requests(Endpoint::Jwks), 1, "the keys stay cached");
}

/// A session whose access token always needs a refresh: resolving the identity more
/// than once per request would refresh more than once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_identity_is_resolved_once_per_request() {
    let tk = TestKinde::builder()
        .access_token_ttl(Duration::from_secs(1))
        .start();
    let (listener, _, base) = bind();
    let kinde = KindeAuth::new(kinde_for(&tk, &base, "/callback"));
    let _app = serve_actix!(listener, move || {
        App::new()
            .configure(kinde.configure())
            .configure(extractor_routes)
            .wrap(kinde.session_middleware())
    });
    let b = Browser::new(&base);
    sign_in_at(&b, &login_as("/login", ADA, None), "/callback").await;
    let jwks = tk.requests(Endpoint::Jwks);
    assert_eq!(tk.token_requests("refresh_token"), 0);
    for n in 1..=3 {
        let v = ok_json(b.get_json("/five").await).await;
        assert_eq!(v["id"], "kp_demo_admin");
        assert_eq!(
            tk.token_requests("refresh_token"),
            n,
            "one refresh per request"
        );
    }
    assert_eq!(tk.requests(Endpoint::Jwks), jwks, "no refetch of the keys");

    let v = ok_json(b.get_json("/token").await).await;
    assert!(v["token"].as_str().unwrap().starts_with("eyJ"));
    assert!(v["debug"].as_str().unwrap().contains("[redacted]"));
    let v = ok_json(b.get_json("/claims").await).await;
    assert_eq!(v["has_id"], true);
    assert_eq!(v["org_code"], "org_demo");
}

// ---------------------------------------------------------------------------------
// 7. Session store swap
// ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_actix_session_store() {
    let tk = TestKinde::start();
    let (listener, _, base) = bind();
    let kinde = KindeAuth::new(kinde_for(&tk, &base, "/callback"));
    let store = MemorySessionStore::default();
    let (k, s) = (kinde.clone(), store.clone());
    let _app = serve_actix!(listener, move || {
        App::new()
            .configure(k.configure())
            .route("/me", web::get().to(me))
            .wrap(k.session_middleware_with(s.clone()))
    });
    let b = Browser::new(&base);
    let landed = sign_in_at(&b, &login_as("/login", GRACE, Some("/me")), "/callback").await;
    assert_eq!(landed, "/me");
    let v = ok_json(b.get_json("/me").await).await;
    assert_eq!(v["id"], "kp_demo_reader");
    // The session lives in the store that was passed, not in the handle's own.
    assert_eq!(store.len(), 1);
    assert!(kinde.memory_store().is_empty());

    let r = b.get("/logout").await;
    assert!(location(&r).starts_with(&tk.issuer()));
    assert_eq!(b.get_json("/me").await.status(), StatusCode::UNAUTHORIZED);
    assert!(store.is_empty());
}

// ---------------------------------------------------------------------------------
// 8. Route paths
// ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_paths_with_prefix_and_a_route_switched_off() {
    let tk = TestKinde::start();
    let (listener, _, base) = bind();
    let paths = RoutePaths {
        register: None,
        ..RoutePaths::default()
    }
    .with_prefix("/auth");
    assert_eq!(paths.register, None);
    let kinde = KindeAuth::new(kinde_for(&tk, &base, "/auth/callback")).with_paths(paths);
    let _app = serve_actix!(listener, move || {
        App::new()
            .configure(kinde.configure())
            .route("/page", web::get().to(page))
            .wrap(kinde.session_middleware())
    });
    let b = Browser::new(&base);

    let (authorize, _) = b.start_login("/auth/login").await;
    assert!(authorize.as_str().starts_with(&tk.url("/oauth2/auth")));
    let (authorize, _) = b.start_login("/auth/create-org").await;
    assert!(authorize.as_str().starts_with(&tk.url("/oauth2/auth")));
    for off in [
        "/login",
        "/register",
        "/callback",
        "/logout",
        "/auth/register",
    ] {
        assert_eq!(b.get(off).await.status(), StatusCode::NOT_FOUND, "{off}");
    }

    let r = b.get("/page").await;
    assert_eq!(assert_redirect(&r), "/auth/login?returnTo=%2Fpage");
    let landed = sign_in_at(
        &b,
        &login_as("/auth/login", ADA, Some("/page")),
        "/auth/callback",
    )
    .await;
    assert_eq!(landed, "/page");
    assert_eq!(
        status_body(b.get("/page").await).await,
        (200, "hello Ada Lovelace".into())
    );
    let r = b.get("/auth/logout").await;
    assert!(location(&r).starts_with(&tk.url("/logout")));
}
