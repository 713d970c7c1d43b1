//! End-to-end tests of what only kinde-axum has, or what the shared scenario table does
//! not cover yet: two tenants in one app, and sessions an earlier version stored. Real
//! HTTP against small routers built here, with local Kinde servers on loopback. (Every
//! extractor, the optional user, the guards as extractors and as layers on nested
//! routers, custom rejection rendering, a swapped session store and custom route paths
//! are in the table.)

mod common;

use axum::Router;
use axum::response::Json;
use axum::routing::get;
use common::{ADA, GRACE, bind, kinde_for, login_as, ok_json, serve_axum, sign_in_at, token_for};
use kinde_axum::{KindeAuth, KindeClaims, KindeUser, RoutePaths};
use kinde_core::testing::{Endpoint, TestKinde};
use kinde_e2e::{Browser, assert_redirect, header_str, location};
use reqwest::StatusCode;
use reqwest::header;
use serde_json::{Value, json};

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
        .layer(auth.session_layer().with_name(cookie))
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
// 2. Sessions stored by an earlier version
// ---------------------------------------------------------------------------------

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
