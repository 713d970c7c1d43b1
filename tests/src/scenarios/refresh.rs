//! Refresh and outages: one refresh for concurrent requests, a refused refresh, Kinde
//! failing or unreachable (503, never a sign-out).

use futures::future::join_all;

use super::*;

/// With a 1-second access token: after expiry, 20 concurrent requests of one session
/// cause exactly one refresh at Kinde and all succeed; the rotated tokens are written
/// back (the next request refreshes with the new refresh token).
pub async fn refresh_after_expiry_once_for_20_concurrent_requests(start: StartApp) {
    let ctx = Ctx::start_with(start, AppKind::Browser, access_ttl_1s(), |c| {
        c.refresh_margin(Duration::from_millis(500))
    });
    let tk = &ctx.kinde;
    let b = ctx.browser();
    b.sign_in(Some("/me"), ADA).await;
    assert_eq!(tk.token_requests("refresh_token"), 0);

    // Let the access token expire (its `exp` is one second after the sign-in).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Hold the refresh at Kinde so that every request reads the session before it ends.
    tk.set_token_delay(Duration::from_millis(500));
    let resps = join_all((0..20).map(|_| b.get_json("/me"))).await;
    tk.set_token_delay(Duration::ZERO);
    for r in resps {
        assert_eq!(ok_json(r).await["id"], "kp_demo_admin");
    }
    assert_eq!(
        tk.token_requests("refresh_token"),
        1,
        "exactly one refresh for 20 concurrent requests"
    );

    // The rotated refresh token was stored: the next refresh uses it.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        ok_json(b.get_json("/me").await).await["id"],
        "kp_demo_admin"
    );
    assert_eq!(tk.token_requests("refresh_token"), 2);
    let page = ok_text(b.get("/dashboard").await).await;
    assert!(page.contains("Welcome, Ada Lovelace."), "{page}");
}

/// Kinde refuses the refresh: the session ends, the visitor is treated as signed out
/// (login redirect, then no more refresh attempts), and can sign in again.
pub async fn refused_refresh_ends_the_session(start: StartApp) {
    // A 1-second token and the default 60 s margin: every request wants a refresh.
    let ctx = Ctx::start_with(start, AppKind::Browser, access_ttl_1s(), |c| c);
    let tk = &ctx.kinde;
    let b = ctx.browser();
    b.sign_in(Some("/dashboard"), ADA).await;
    tk.revoke_refresh_tokens();

    let r = b.get("/dashboard").await;
    assert_eq!(assert_redirect(&r), "/login?returnTo=%2Fdashboard");
    assert_eq!(tk.token_requests("refresh_token"), 1);
    let home = ok_text(b.get("/").await).await;
    assert!(home.contains("You are not signed in"), "{home}");
    assert_signed_out(&ctx, &b).await;
    assert_eq!(
        tk.token_requests("refresh_token"),
        1,
        "an ended session is not refreshed again"
    );

    let s = b.sign_in(Some("/dashboard"), ADA).await;
    assert_eq!(s.landed, "/dashboard");
    let page = ok_text(b.get("/dashboard").await).await;
    assert!(page.contains("Welcome, Ada Lovelace."), "{page}");
}

/// A request that refreshes the session and is then refused (a guard's 403, as an
/// extractor and on a group of routes) keeps the rotated tokens all the same: Kinde has
/// revoked the old refresh token, so the next request must not need it.
pub async fn a_refused_request_keeps_the_tokens_it_refreshed(start: StartApp) {
    let ctx = Ctx::start_with(
        start,
        AppKind::Test(TestApp::default()),
        access_ttl_1s(),
        // No grace for the old refresh token in the app: had the rotated tokens not been
        // kept, the next request would have to refresh again.
        |c| {
            c.refresh_margin(Duration::from_millis(500))
                .refresh_grace(Duration::ZERO)
        },
    );
    let tk = &ctx.kinde;
    let b = ctx.browser();
    b.sign_in(None, GRACE).await;
    for path in ["/ext/write", "/group/write/x"] {
        // Let the access token expire (its `exp` is one second after it was issued).
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let before = tk.token_requests("refresh_token");
        assert_eq!(b.get(path).await.status(), StatusCode::FORBIDDEN, "{path}");
        assert_eq!(
            tk.token_requests("refresh_token"),
            before + 1,
            "{path}: one refresh"
        );
        let (status, body) = status_body(b.get_json("/me").await).await;
        assert_eq!(status, 200, "{path}: still signed in: {body}");
        assert_eq!(
            tk.token_requests("refresh_token"),
            before + 1,
            "{path}: the rotated tokens were kept, no second refresh"
        );
    }
}

/// Kinde failing or unreachable while a session needs a refresh → 503 (page or JSON,
/// with `Retry-After`), also on the public home page; it is not a sign-out: the session
/// works again once Kinde is back.
pub async fn kinde_unreachable_is_503_and_keeps_the_session(start: StartApp) {
    let ctx = Ctx::start_with(start, AppKind::Browser, access_ttl_1s(), |c| c);
    let tk = &ctx.kinde;
    let internals = ctx.internals();
    let b = ctx.browser();
    b.sign_in(None, ADA).await;

    tk.set_token_endpoint_failure(Some(503));
    let r = b.get("/dashboard").await;
    assert!(header_str(&r, header::CONTENT_TYPE).starts_with("text/html"));
    assert_eq!(
        header_str(&r, header::RETRY_AFTER),
        "5",
        "a 503 says when to retry"
    );
    assert_clean_error(r, 503, &internals).await;
    let r = b.get_json("/me").await;
    let msg = assert_clean_error(r, 503, &internals).await;
    assert!(!msg.is_empty());
    let r = b.get_json("/todos").await;
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(body["error"], "unavailable");
    assert_clean_error(b.get("/").await, 503, &internals).await;

    tk.set_token_endpoint_failure(None);
    assert_eq!(
        ok_json(b.get_json("/me").await).await["id"],
        "kp_demo_admin"
    );

    tk.shutdown();
    assert_clean_error(b.get_json("/me").await, 503, &internals).await;
    assert_clean_error(b.get("/dashboard").await, 503, &internals).await;
}

/// A bearer token that cannot be checked because Kinde's keys are unavailable → 503,
/// not 401; fine again once the keys are back.
pub async fn bearer_with_kinde_unreachable_is_503(start: StartApp) {
    let tk = TestKinde::start();
    tk.set_jwks_available(false);
    // The client holds back JWKS refetches for `jwks_min_refetch_interval` (10 s by
    // default) after a fetch, failed ones included; keep that short here.
    let ctx = Ctx::start_with(start, AppKind::Api, tk, |c| {
        c.jwks_min_refetch_interval(Duration::from_millis(200))
    });
    let b = ctx.browser();
    let token = ctx
        .kinde
        .mint_access_token(&ctx.kinde.users()[0], MintOptions::default());
    let internals = ctx.internals();
    for path in ["/api/me", "/api/todos", "/api/admin"] {
        let r = b.get_bearer(path, &token).await;
        assert_eq!(
            header_str(&r, header::WWW_AUTHENTICATE),
            "",
            "an outage is not a credentials problem"
        );
        let msg = assert_clean_error(r, 503, &internals).await;
        assert!(!msg.contains(&token), "{msg}");
    }
    let r = b
        .post_json("/api/todos", &json!({"title": "x"}), Some(&token))
        .await;
    assert_clean_error(r, 503, &internals).await;

    ctx.kinde.set_jwks_available(true);
    // The client may hold back a refetch of the keys for a while after a failure;
    // poll until it verifies again.
    let b2 = b.clone();
    let mut ok = false;
    for _ in 0..200 {
        let r = b2.get_bearer("/api/me", &token).await;
        if r.status() == StatusCode::OK {
            assert_eq!(body_json(r).await["id"], "kp_demo_admin");
            ok = true;
            break;
        }
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        ok,
        "bearer verification did not recover after the JWKS came back"
    );
}
