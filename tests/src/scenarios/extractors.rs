//! Every extractor of the adapter, with a bearer token and with a session, on the
//! starter's [`TestApp`]: the identity is resolved once per request, and the optional
//! user is `None` only when nobody is signed in.

use super::*;

/// Each extractor gives what the token says; five extractors on one route verify the
/// token once (one fetch of the keys); every extractor refuses an anonymous API request.
pub async fn extractors_with_a_bearer_token(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Test(TestApp::default()));
    let tk = &ctx.kinde;
    let b = ctx.browser();
    let token = token_for(tk, ADA);

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
    let v = ok_json(b.get_bearer("/permissions", &token_for(tk, GRACE)).await).await;
    assert_eq!(v, json!({"keys": ["read:todos"], "write": false}));

    let v = ok_json(b.get_bearer("/roles", &token).await).await;
    assert_eq!(v, json!({"keys": ["admin"], "admin": true}));

    let v = ok_json(b.get_bearer("/flags", &token).await).await;
    assert_eq!(
        v,
        json!({"theme": "ocean", "dark_mode": true, "todo_limit": 100, "missing": true, "wrong_type": true})
    );
    let v = ok_json(b.get_bearer("/flags", &token_for(tk, GRACE)).await).await;
    assert_eq!(v["dark_mode"], false);
    assert_eq!(v["todo_limit"], 10);
    assert_eq!(v["theme"], Value::Null);

    let v = ok_json(b.get_bearer("/org", &token).await).await;
    // A bearer token's user has no ID token, so no list of organisations.
    assert_eq!(
        v,
        json!({"code": "org_demo", "name": "Demo Org", "all": []})
    );

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
/// than once per request would refresh more than once. `AccessToken` gives the
/// session's access token, and `KindeClaims` the ID token's claims too.
pub async fn session_identity_is_resolved_once_per_request(start: StartApp) {
    let ctx = Ctx::start_with(
        start,
        AppKind::Test(TestApp::default()),
        access_ttl_1s(),
        |c| c,
    );
    let tk = &ctx.kinde;
    let b = ctx.browser();
    b.sign_in(None, ADA).await;
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

/// The optional user (axum `Option<KindeUser>`, actix `MaybeKindeUser`) is `None` only
/// when nobody is signed in: a bearer token that cannot be checked is a 503 and a bad
/// one a 401, and a session whose refresh fails is a 503 that the session survives.
pub async fn optional_user_is_none_only_when_nobody_is_signed_in(start: StartApp) {
    // A 1-second access token (with the default 60 s margin every session request
    // refreshes), and JWKS down before the app has ever cached a key.
    let tk = access_ttl_1s();
    tk.set_jwks_available(false);
    let ctx = Ctx::start_with(start, AppKind::Test(TestApp::default()), tk, |c| {
        c.jwks_min_refetch_interval(Duration::from_millis(100))
    });
    let tk = &ctx.kinde;
    let b = ctx.browser();

    // Nobody signed in: a 200 answer with no user.
    let v = ok_json(b.get("/optional").await).await;
    assert_eq!(v["user"], Value::Null);

    // A bearer token that cannot be checked (keys unavailable): 503, not "signed out".
    let token = token_for(tk, ADA);
    let r = b.get_bearer("/optional", &token).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header_str(&r, header::WWW_AUTHENTICATE), "");
    // A malformed bearer token: 401, not "signed out".
    let r = b.get_bearer("/optional", "not-a-jwt").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(header_str(&r, header::WWW_AUTHENTICATE).starts_with("Bearer"));

    // Keys back: the token is accepted (the client may hold back a refetch briefly).
    tk.set_jwks_available(true);
    let mut ok = false;
    for _ in 0..100 {
        let r = b.get_bearer("/optional", &token).await;
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
    let r = b.get_bearer("/optional", &token_for(&other, ADA)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // A session that needs a refresh while the token endpoint fails: 503, and the
    // session survives it.
    b.sign_in(None, ADA).await;
    assert_eq!(
        ok_json(b.get("/optional").await).await["user"],
        "kp_demo_admin"
    );
    tk.set_token_endpoint_failure(Some(503));
    let r = b.get("/optional").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    tk.set_token_endpoint_failure(None);
    assert_eq!(
        ok_json(b.get("/optional").await).await["user"],
        "kp_demo_admin"
    );
}
