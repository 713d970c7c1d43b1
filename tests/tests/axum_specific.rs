//! End-to-end tests of what only kinde-axum has, or where its HTTP behaviour differs
//! from kinde-actix's (everything the adapters share is in the scenario table, run by
//! `tests/axum.rs`): sessions whose tokens an earlier version stored as a JSON object
//! in tower-sessions, and a session cookie one tenant's layer does not know being
//! removed. Real HTTP against small routers built here, with local Kinde servers on
//! loopback.

mod common;

use axum::Router;
use axum::extract::State;
use axum::response::Json;
use axum::routing::get;
use common::{bind, kinde_for, serve_axum};
use kinde_axum::{KindeAuth, KindeUser};
use kinde_core::testing::TestKinde;
use kinde_e2e::scenarios::ADA;
use kinde_e2e::starters::axum_start;
use kinde_e2e::{Browser, Ctx, TenantSessions, location, session_cookie, status_body};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

async fn me(user: KindeUser) -> Json<Value> {
    Json(json!({ "id": user.id }))
}

/// What the session holds under kinde's key: `"string"` (the session format) or
/// `"object"` (how earlier versions stored the token set).
async fn stored_shape(
    State(auth): State<KindeAuth>,
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
    State(auth): State<KindeAuth>,
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

/// kinde-axum keeps the tokens in tower-sessions as one JSON string (the session
/// format); a session an earlier version stored as a JSON object keeps working.
/// (kinde-actix keeps every value as its JSON text: there is no other shape to read.)
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
    b.sign_in(Some("/me"), ADA).await;
    let shape = |r: (u16, String)| {
        assert_eq!(r.0, 200, "{}", r.1);
        serde_json::from_str::<Value>(&r.1).expect("JSON")["shape"].clone()
    };
    assert_eq!(
        shape(status_body(b.get_json("/shape").await).await),
        "string"
    );

    assert_eq!(b.get("/downgrade").await.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        shape(status_body(b.get_json("/shape").await).await),
        "object"
    );
    let (status, body) = status_body(b.get_json("/me").await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("JSON")["id"],
        "kp_demo_admin"
    );

    // Logout still finds the ID token for `id_token_hint`.
    let r = b.get("/logout").await;
    let url = url::Url::parse(&location(&r)).expect("logout URL");
    assert!(
        url.query_pairs().any(|(k, _)| k == "id_token_hint"),
        "{url}"
    );
    assert_eq!(b.get_json("/me").await.status(), StatusCode::UNAUTHORIZED);
}

/// Two tenants whose session layers use one cookie name: a request to B that reads
/// B's session (a session B's store does not know) answers with a removal of the
/// cookie, as tower-sessions does, so merely visiting B signs the visitor out of A.
/// (kinde-actix's middleware leaves such a cookie alone: see `actix_specific.rs`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_cookie_name_visiting_the_other_tenant_removes_the_cookie() {
    let tk_b = TestKinde::start();
    let ctx = Ctx::two_tenants(
        axum_start,
        TestKinde::start(),
        &tk_b,
        TenantSessions::OneCookieName,
    );
    let b = ctx.browser();
    b.sign_in_to_tenant("a", ADA).await;
    assert_eq!(b.get_json("/a/me").await.status(), StatusCode::OK);

    let r = b.get_json("/b/me").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let removal = session_cookie(&r).expect("the unknown cookie is removed");
    assert!(
        removal.value.is_empty() && removal.max_age == Some(Duration::ZERO),
        "a removal cookie: {}",
        removal.raw
    );
    assert_eq!(b.get_json("/a/me").await.status(), StatusCode::UNAUTHORIZED);
}
