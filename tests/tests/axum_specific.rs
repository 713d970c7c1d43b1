//! End-to-end tests of what only kinde-axum has, or what the shared scenario table does
//! not cover: two tenants in one app, guards as layers on nested routers, optional
//! users that still report outages, custom rejection rendering, every extractor, a
//! swapped session store and custom route paths. Real HTTP against small routers built
//! here, with local Kinde servers on loopback.

mod common;

use std::time::Duration;

use axum::Router;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use common::{
    ADA, ALAN, GRACE, bind, get_anonymous_json, kinde_for, kinde_with, login_as, ok_json,
    serve_axum, sign_in_at, status_body, token_for,
};
use kinde_axum::{
    AccessToken, AuthRejection, CurrentOrganization, FeatureFlags, KindeAuth, KindeClaims,
    KindeUser, Permissions, RequirePermission, RequireRole, Roles, RoutePaths, permission, role,
};
use kinde_core::testing::{Endpoint, TestKinde};
use kinde_e2e::{Browser, assert_redirect, header_str, location};
use reqwest::StatusCode;
use reqwest::header;
use serde_json::{Value, json};

permission!(WriteTodos = "write:todos");
role!(Admin = "admin");

async fn me(user: KindeUser, claims: KindeClaims) -> Json<Value> {
    Json(json!({ "id": user.id, "iss": claims.access.issuer() }))
}

async fn page(user: KindeUser) -> String {
    format!("hello {}", user.display_name())
}

// ---------------------------------------------------------------------------------
// 1. Two tenants side by side
// ---------------------------------------------------------------------------------

/// One tenant's part of the app: its pages nested under `/a` or `/b` and its built-in
/// routes (browser paths, so merged, not nested), with its own state and its own
/// session cookie: a session holds one tenant's tokens.
fn tenant(auth: KindeAuth, prefix: &str, cookie: &'static str) -> Router {
    let pages = Router::new()
        .route("/me", get(me))
        .route("/page", get(page));
    Router::new()
        .nest(prefix, pages)
        .merge(auth.routes())
        .layer(auth.session_layer().with_cookie_name(cookie))
        .with_state(auth)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tenants_side_by_side() {
    let (tk_a, tk_b) = (TestKinde::start(), TestKinde::start());
    let (listener, _, base) = bind();
    let auth_a = KindeAuth::new(kinde_for(&tk_a, &base, "/a/auth/callback"))
        .with_paths(RoutePaths::default().with_prefix("/a/auth"));
    let auth_b = KindeAuth::new(kinde_for(&tk_b, &base, "/b/auth/callback"))
        .with_paths(RoutePaths::default().with_prefix("/b/auth"));
    let app =
        tenant(auth_a, "/a", "kinde_session_a").merge(tenant(auth_b, "/b", "kinde_session_b"));
    let _app = serve_axum(listener, app);
    let b = Browser::new(&base);

    // Bearer tokens: each tenant's accepted under its own part only.
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

    // A browser signs in to tenant A through A's routes.
    let landed = sign_in_at(
        &b,
        &login_as("/a/auth/login", ADA, Some("/a/me")),
        "/a/auth/callback",
    )
    .await;
    assert_eq!(landed, "/a/me");
    assert_eq!(tk_a.token_requests("authorization_code"), 1);
    assert_eq!(tk_b.requests(Endpoint::Authorize), 0);
    assert_eq!(tk_b.requests(Endpoint::Token), 0);
    let v = ok_json(b.get_json("/a/me").await).await;
    assert_eq!(v["id"], "kp_demo_admin");
    assert_eq!(v["iss"], tk_a.issuer());

    // …which does not sign the visitor in to B: B sends them to B's login (back to
    // the full path of the nested page).
    let r = b.get_json("/b/me").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = b.get("/b/page").await;
    assert_eq!(assert_redirect(&r), "/b/auth/login?returnTo=%2Fb%2Fpage");
    let r = b.get("/a/page").await;
    assert_eq!(r.status(), StatusCode::OK);

    // Visiting B did not sign the visitor out of A.
    let v = ok_json(b.get_json("/a/me").await).await;
    assert_eq!(v["id"], "kp_demo_admin");
    assert_eq!(tk_b.requests(Endpoint::Token), 0);

    // Signed in to both at once, as different users.
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
    let v = ok_json(b.get_json("/a/me").await).await;
    assert_eq!(
        (v["id"].as_str(), v["iss"].as_str()),
        (Some("kp_demo_admin"), Some(tk_a.issuer().as_str()))
    );
    assert_eq!(tk_a.token_requests("authorization_code"), 1);
    assert_eq!(tk_b.token_requests("authorization_code"), 1);
}

/// Two tenants under ONE session layer: each client keeps its data under its own
/// session keys, so signing in to B leaves the session with A intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tenants_share_one_session() {
    let (tk_a, tk_b) = (TestKinde::start(), TestKinde::start());
    let (listener, _, base) = bind();
    let auth_a = KindeAuth::new(kinde_for(&tk_a, &base, "/a/auth/callback"))
        .with_paths(RoutePaths::default().with_prefix("/a/auth"));
    let auth_b = KindeAuth::new(kinde_for(&tk_b, &base, "/b/auth/callback"))
        .with_paths(RoutePaths::default().with_prefix("/b/auth"));
    let part = |auth: KindeAuth, prefix: &str| {
        Router::new()
            .nest(prefix, Router::new().route("/me", get(me)))
            .merge(auth.routes())
            .with_state(auth)
    };
    let session = auth_a.session_layer();
    let app = part(auth_a, "/a").merge(part(auth_b, "/b")).layer(session);
    let _app = serve_axum(listener, app);
    let b = Browser::new(&base);

    sign_in_at(
        &b,
        &login_as("/a/auth/login", ADA, Some("/a/me")),
        "/a/auth/callback",
    )
    .await;
    sign_in_at(
        &b,
        &login_as("/b/auth/login", GRACE, Some("/b/me")),
        "/b/auth/callback",
    )
    .await;
    let v = ok_json(b.get_json("/a/me").await).await;
    assert_eq!(
        (v["id"].as_str(), v["iss"].as_str()),
        (Some("kp_demo_admin"), Some(tk_a.issuer().as_str()))
    );
    let v = ok_json(b.get_json("/b/me").await).await;
    assert_eq!(
        (v["id"].as_str(), v["iss"].as_str()),
        (Some("kp_demo_reader"), Some(tk_b.issuer().as_str()))
    );
}

// ---------------------------------------------------------------------------------
// 2. Guards as layers on nested routers
// ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guards_as_layers_on_nested_routers() {
    let tk = TestKinde::start();
    let (listener, _, base) = bind();
    let auth = KindeAuth::new(kinde_for(&tk, &base, "/callback"));
    let write: Router<KindeAuth> = Router::new()
        .route("/x", get(|| async { "write ok" }))
        .route_layer(axum::middleware::from_extractor_with_state::<
            RequirePermission<WriteTodos>,
            _,
        >(auth.clone()));
    let admin: Router<KindeAuth> = Router::new()
        .route("/x", get(|| async { "admin ok" }))
        .route_layer(axum::middleware::from_extractor_with_state::<
            RequireRole<Admin>,
            _,
        >(auth.clone()));
    let app = Router::new()
        .nest("/write", write)
        .nest("/admin", admin)
        .merge(auth.routes())
        .layer(auth.session_layer())
        .with_state(auth);
    let _app = serve_axum(listener, app);
    let b = Browser::new(&base);

    for guarded in ["/write/x", "/admin/x"] {
        // No session: a browser is sent to the login (back to the full path), an API
        // client gets 401.
        let r = b.get(guarded).await;
        let expected = format!(
            "/login?returnTo={}",
            url::form_urlencoded::byte_serialize(guarded.as_bytes()).collect::<String>()
        );
        assert_eq!(assert_redirect(&r), expected);
        let r = b.get_json(guarded).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{guarded}");
        assert_eq!(header_str(&r, header::WWW_AUTHENTICATE), "Bearer");
        // Signed in without the permission/role: 403; with it: 200.
        for who in [GRACE, ALAN] {
            let r = b.get_bearer(guarded, &token_for(&tk, who)).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{guarded} as {who}");
        }
        let (status, body) = status_body(b.get_bearer(guarded, &token_for(&tk, ADA)).await).await;
        assert_eq!(status, 200, "{guarded}: {body}");
        assert!(body.ends_with(" ok"), "{body}");
    }

    // With a browser session: 403 page for Grace (no login loop), 200 for Ada.
    let grace = Browser::new(&base);
    sign_in_at(&grace, &login_as("/login", GRACE, None), "/callback").await;
    assert_eq!(grace.get("/write/x").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(grace.get("/admin/x").await.status(), StatusCode::FORBIDDEN);
    let ada = Browser::new(&base);
    sign_in_at(&ada, &login_as("/login", ADA, None), "/callback").await;
    let (status, body) = status_body(ada.get("/write/x").await).await;
    assert_eq!((status, body.as_str()), (200, "write ok"));
    let (status, body) = status_body(ada.get("/admin/x").await).await;
    assert_eq!((status, body.as_str()), (200, "admin ok"));
}

// ---------------------------------------------------------------------------------
// 4. Optional users
// ---------------------------------------------------------------------------------

async fn optional_home(user: Option<KindeUser>) -> Json<Value> {
    Json(json!({ "user": user.map(|u| u.id.clone()) }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_user_is_none_only_when_nobody_is_signed_in() {
    // A 1-second access token (with the default 60 s margin every session request
    // refreshes), and JWKS down before the app has ever cached a key.
    let tk = TestKinde::builder()
        .access_token_ttl(Duration::from_secs(1))
        .start();
    tk.set_jwks_available(false);
    let (listener, _, base) = bind();
    let auth = KindeAuth::new(kinde_with(&tk, &base, "/callback", |c| {
        c.jwks_min_refetch_interval(Duration::from_millis(100))
    }));
    let app = Router::new()
        .route("/", get(optional_home))
        .merge(auth.routes())
        .layer(auth.session_layer())
        .with_state(auth);
    let _app = serve_axum(listener, app);
    let b = Browser::new(&base);

    // Nobody signed in: a 200 page with no user.
    let v = ok_json(b.get("/").await).await;
    assert_eq!(v["user"], Value::Null);

    // A bearer token that cannot be checked (keys unavailable): 503, not "signed out".
    let token = token_for(&tk, ADA);
    let r = b.get_bearer("/", &token).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header_str(&r, header::WWW_AUTHENTICATE), "");
    // A malformed bearer token: 401, not "signed out".
    let r = b.get_bearer("/", "not-a-jwt").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(header_str(&r, header::WWW_AUTHENTICATE).starts_with("Bearer"));

    // Keys back: the token is accepted (the client may hold back a refetch briefly).
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
    // A well-formed token of another tenant: 401.
    let other = TestKinde::start();
    let r = b.get_bearer("/", &token_for(&other, ADA)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // A session that needs a refresh while the token endpoint fails: 503, and the
    // session survives it.
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

fn custom(r: &AuthRejection) -> Response {
    let status = r.default_response().status();
    (
        status,
        [("x-custom-rejection", "1")],
        format!("custom {} api={}", status.as_u16(), r.is_api),
    )
        .into_response()
}

async fn me_default(user: Result<KindeUser, AuthRejection>) -> Response {
    match user {
        Ok(u) => Json(json!({ "id": u.id })).into_response(),
        Err(r) => r.default_response(),
    }
}

async fn admin_custom(_: RequireRole<Admin>) -> &'static str {
    "admin"
}

async fn admin_default(guard: Result<RequireRole<Admin>, AuthRejection>) -> Response {
    match guard {
        Ok(_) => "admin".into_response(),
        Err(r) => r.default_response(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_rejection_rendering() {
    let tk = TestKinde::start();
    tk.set_jwks_available(false);
    let (listener, _, base) = bind();
    let auth = KindeAuth::new(kinde_with(&tk, &base, "/callback", |c| {
        c.jwks_min_refetch_interval(Duration::from_millis(100))
    }))
    .render_rejections_with(custom);
    let app = Router::new()
        .route("/me", get(me))
        .route("/me-default", get(me_default))
        .route("/admin", get(admin_custom))
        .route("/admin-default", get(admin_default))
        .merge(auth.routes())
        .layer(auth.session_layer())
        .with_state(auth);
    let _app = serve_axum(listener, app);
    let b = Browser::new(&base);
    let ada = token_for(&tk, ADA);

    // 503 (keys unavailable).
    let r = b.get_bearer("/me", &ada).await;
    assert_eq!(header_str(&r, "x-custom-rejection".parse().unwrap()), "1");
    assert_eq!(status_body(r).await, (503, "custom 503 api=true".into()));
    let r = b.get_bearer("/me-default", &ada).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header_str(&r, "x-custom-rejection".parse().unwrap()), "");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "unavailable");

    // 401 (nobody signed in, API request).
    let r = b.get_json("/me").await;
    assert_eq!(header_str(&r, header::WWW_AUTHENTICATE), "");
    assert_eq!(status_body(r).await, (401, "custom 401 api=true".into()));
    let r = b.get_json("/me-default").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(header_str(&r, header::WWW_AUTHENTICATE), "Bearer");
    assert!(header_str(&r, header::CONTENT_TYPE).starts_with("application/json"));
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].is_string() && body["message"].is_string());

    // 403 (Grace is no admin), once the keys are back.
    tk.set_jwks_available(true);
    let grace = token_for(&tk, GRACE);
    let mut status = 0;
    for _ in 0..100 {
        let r = b.get_bearer("/admin", &grace).await;
        status = r.status().as_u16();
        if status != 503 {
            assert_eq!(
                status_body(r).await,
                (403, "custom 403 api=true".into()),
                "custom 403"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 403, "keys never came back");
    let r = b.get_bearer("/admin-default", &grace).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "forbidden");
    let (status, body) = status_body(b.get_bearer("/admin", &ada).await).await;
    assert_eq!((status, body.as_str()), (200, "admin"));
}

// ---------------------------------------------------------------------------------
// 6. Extractors
// ---------------------------------------------------------------------------------

async fn x_token(token: AccessToken) -> Json<Value> {
    Json(json!({ "token": token.secret(), "debug": format!("{token:?}") }))
}

async fn x_claims(claims: KindeClaims) -> Json<Value> {
    Json(json!({
        "org_code": claims.access.get("org_code"),
        "sub": claims.access.subject(),
        "has_id": claims.id.is_some(),
    }))
}

async fn x_permissions(p: Permissions) -> Json<Value> {
    Json(json!({ "keys": p.keys(), "write": p.is_granted("write:todos") }))
}

async fn x_roles(r: Roles) -> Json<Value> {
    Json(json!({ "keys": r.keys().collect::<Vec<_>>(), "admin": r.has("admin") }))
}

async fn x_flags(f: FeatureFlags) -> Json<Value> {
    Json(json!({
        "theme": f.string("theme").ok(),
        "dark_mode": f.bool("dark_mode").ok(),
        "todo_limit": f.integer("todo_limit").ok(),
        "missing": f.bool_or("missing_flag", true).ok(),
        "wrong_type": f.integer("theme").is_err(),
    }))
}

async fn x_org(org: CurrentOrganization) -> Json<Value> {
    Json(json!({
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
) -> Json<Value> {
    Json(json!({
        "id": user.id,
        "write": p.is_granted("write:todos"),
        "admin": r.has("admin"),
        "theme": f.string("theme").ok(),
        "org": org.as_ref().map(|o| o.code.clone()),
    }))
}

fn extractor_app(auth: KindeAuth) -> Router {
    Router::new()
        .route("/token", get(x_token))
        .route("/claims", get(x_claims))
        .route("/permissions", get(x_permissions))
        .route("/roles", get(x_roles))
        .route("/flags", get(x_flags))
        .route("/org", get(x_org))
        .route("/five", get(x_five))
        .merge(auth.routes())
        .layer(auth.session_layer())
        .with_state(auth)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extractors_with_a_bearer_token() {
    let tk = TestKinde::start();
    let (listener, _, base) = bind();
    let auth = KindeAuth::new(kinde_for(&tk, &base, "/callback"));
    let _app = serve_axum(listener, extractor_app(auth));
    let b = Browser::new(&base);
    let token = token_for(&tk, ADA);

    // Five extractors, one verification: the keys are fetched once.
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
    assert_eq!(v["dark_mode"], false);
    assert_eq!(v["todo_limit"], 10);
    assert_eq!(v["theme"], Value::Null);

    let v = ok_json(b.get_bearer("/org", &token).await).await;
    assert_eq!(v, json!({"code": "org_demo", "name": "Demo Org"}));

    // Every extractor refuses an anonymous API request the same way.
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
    let auth = KindeAuth::new(kinde_for(&tk, &base, "/callback"));
    let _app = serve_axum(listener, extractor_app(auth));
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

    // The session's access token is what `AccessToken` gives, and the ID token's
    // claims are there.
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
async fn any_tower_sessions_store() {
    let tk = TestKinde::start();
    let (listener, _, base) = bind();
    let auth = KindeAuth::new(kinde_for(&tk, &base, "/callback"));
    let app = Router::new()
        .route("/me", get(me))
        .merge(auth.routes())
        .layer(auth.session_layer_with(tower_sessions::MemoryStore::default()))
        .with_state(auth);
    let _app = serve_axum(listener, app);
    let b = Browser::new(&base);
    let landed = sign_in_at(&b, &login_as("/login", GRACE, Some("/me")), "/callback").await;
    assert_eq!(landed, "/me");
    assert!(b.cookie(kinde_e2e::SESSION_COOKIE).is_some());
    let v = ok_json(b.get_json("/me").await).await;
    assert_eq!(v["id"], "kp_demo_reader");

    // Logout ends it.
    let r = b.get("/logout").await;
    assert!(location(&r).starts_with(&tk.issuer()));
    assert_eq!(b.get_json("/me").await.status(), StatusCode::UNAUTHORIZED);
}

/// What the session holds under kinde's key: `"string"` (the session format) or
/// `"object"` (how earlier versions stored the token set).
async fn stored_shape(
    axum::extract::State(auth): axum::extract::State<KindeAuth>,
    session: tower_sessions::Session,
) -> Json<Value> {
    let key = &auth.kinde().session_keys().tokens;
    let shape = match session.get_value(key).await.expect("session store") {
        Some(Value::String(_)) => "string",
        Some(Value::Object(_)) => "object",
        Some(_) => "other",
        None => "none",
    };
    Json(json!({ "shape": shape }))
}

/// Rewrite the stored tokens the way an earlier version stored them: a JSON object.
async fn store_as_object(
    axum::extract::State(auth): axum::extract::State<KindeAuth>,
    session: tower_sessions::Session,
) -> StatusCode {
    let key = &auth.kinde().session_keys().tokens;
    let Some(Value::String(stored)) = session.get_value(key).await.expect("session store") else {
        return StatusCode::CONFLICT;
    };
    let object: Value = serde_json::from_str(&stored).expect("the session format is JSON");
    session.insert(key, object).await.expect("session store");
    StatusCode::NO_CONTENT
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_stored_by_an_earlier_version_keep_working() {
    let tk = TestKinde::start();
    let (listener, _, base) = bind();
    let auth = KindeAuth::new(kinde_for(&tk, &base, "/callback"));
    let app = Router::new()
        .route("/me", get(me))
        .route("/shape", get(stored_shape))
        .route("/downgrade", get(store_as_object))
        .merge(auth.routes())
        .layer(auth.session_layer())
        .with_state(auth);
    let _app = serve_axum(listener, app);
    let b = Browser::new(&base);
    sign_in_at(&b, &login_as("/login", ADA, Some("/me")), "/callback").await;
    assert_eq!(ok_json(b.get_json("/shape").await).await["shape"], "string");

    assert_eq!(b.get("/downgrade").await.status(), StatusCode::NO_CONTENT);
    assert_eq!(ok_json(b.get_json("/shape").await).await["shape"], "object");
    let v = ok_json(b.get_json("/me").await).await;
    assert_eq!(v["id"], "kp_demo_admin");

    // Logout still finds the ID token for `id_token_hint`.
    let r = b.get("/logout").await;
    let url = url::Url::parse(&location(&r)).expect("logout URL");
    assert!(
        url.query_pairs().any(|(k, _)| k == "id_token_hint"),
        "{url}"
    );
    assert_eq!(b.get_json("/me").await.status(), StatusCode::UNAUTHORIZED);
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
    let auth = KindeAuth::new(kinde_for(&tk, &base, "/auth/callback")).with_paths(paths);
    let app = Router::new()
        .route("/page", get(page))
        .merge(auth.routes())
        .layer(auth.session_layer())
        .with_state(auth);
    let _app = serve_axum(listener, app);
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

    // The login redirect of a protected page uses the prefixed route, and a whole
    // sign-in goes through the prefixed routes.
    let r = b.get("/page").await;
    assert_eq!(assert_redirect(&r), "/auth/login?returnTo=%2Fpage");
    let landed = sign_in_at(
        &b,
        &login_as("/auth/login", ADA, Some("/page")),
        "/auth/callback",
    )
    .await;
    assert_eq!(landed, "/page");
    let (status, body) = status_body(b.get("/page").await).await;
    assert_eq!((status, body.as_str()), (200, "hello Ada Lovelace"));
    let r = b.get("/auth/logout").await;
    assert!(location(&r).starts_with(&tk.url("/logout")));
}
