//! Sessions in a store of the app's choice.

use super::*;

/// The session layer over a store the app passes (axum: tower-sessions' own
/// `MemoryStore`; actix: a `MemorySessionStore` of its own): the session lives there,
/// not in the handle's own store, and logout ends it there.
pub async fn sessions_in_a_store_passed_by_the_app(start: StartApp) {
    let app = TestApp {
        passed_store: true,
        ..TestApp::default()
    };
    let ctx = Ctx::start(start, AppKind::Test(app));
    let tk = &ctx.kinde;
    let b = ctx.browser();
    let s = b.sign_in(Some("/me"), GRACE).await;
    assert_eq!(s.landed, "/me");
    assert!(b.cookie(SESSION_COOKIE).is_some());
    let v = ok_json(b.get_json("/me").await).await;
    assert_eq!(v["id"], "kp_demo_reader");
    assert_eq!(
        ok_json(b.get_json("/store").await).await,
        json!({"passed": 1, "handle": 0}),
        "the session lives in the store that was passed, not in the handle's own"
    );

    // Logout ends it.
    let r = b.get("/logout").await;
    assert!(location(&r).starts_with(&tk.issuer()));
    assert_eq!(b.get_json("/me").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        ok_json(b.get_json("/store").await).await,
        json!({"passed": 0, "handle": 0})
    );
}
