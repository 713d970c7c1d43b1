//! Two tenants (two Kinde clients) in one app ([`TwoTenants`](crate::TwoTenants), made
//! by [`Ctx::two_tenants`]): each tenant's bearer tokens and sign-ins count under its
//! own routes only; with a cookie each, a browser is signed in to both at once; with
//! one cookie name, to one at a time; under one session layer, to both.

use super::*;

/// `/x/me` answers with `id` as the user and tenant `tk`'s issuer.
async fn assert_me(b: &Browser, tenant: &str, id: &str, tk: &TestKinde) {
    let v = ok_json(b.get_json(&format!("/{tenant}/me")).await).await;
    assert_eq!(
        (v["id"].as_str(), v["iss"].as_str()),
        (Some(id), Some(tk.issuer().as_str())),
        "/{tenant}/me"
    );
}

/// Each tenant's bearer tokens are accepted under its own part only.
async fn bearer_tokens_per_tenant(b: &Browser, tk_a: &TestKinde, tk_b: &TestKinde) {
    let (ta, tb) = (token_for(tk_a, ADA), token_for(tk_b, ADA));
    let v = ok_json(b.get_bearer("/a/me", &ta).await).await;
    assert_eq!(v["iss"], tk_a.issuer());
    let v = ok_json(b.get_bearer("/b/me", &tb).await).await;
    assert_eq!(v["iss"], tk_b.issuer());
    for (path, token) in [("/b/me", &ta), ("/a/me", &tb)] {
        let r = b.get_bearer(path, token).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(header_str(&r, header::WWW_AUTHENTICATE).starts_with("Bearer"));
    }
}

/// A browser signs in to tenant A through A's routes (a page of A sends it to A's
/// login first); that does not sign it in to B.
async fn sign_in_to_a(b: &Browser, tk_a: &TestKinde, tk_b: &TestKinde) {
    let r = b.get("/a/page").await;
    assert_eq!(assert_redirect(&r), "/a/auth/login?returnTo=%2Fa%2Fpage");

    b.sign_in_to_tenant("a", ADA).await;
    assert_eq!(tk_a.token_requests("authorization_code"), 1);
    assert_eq!(tk_b.requests(Endpoint::Authorize), 0);
    assert_eq!(tk_b.requests(Endpoint::Token), 0);
    assert_me(b, "a", "kp_demo_admin", tk_a).await;
}

/// Signed in to A only: B's pages refuse the visitor (B's page sends it to B's login,
/// back to the full path), and visiting B does not sign it out of A.
async fn visiting_b_keeps_a(b: &Browser, tk_a: &TestKinde, tk_b: &TestKinde) {
    let r = b.get_json("/b/me").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = b.get("/b/page").await;
    assert_eq!(assert_redirect(&r), "/b/auth/login?returnTo=%2Fb%2Fpage");
    let (status, body) = status_body(b.get("/a/page").await).await;
    assert_eq!((status, body.as_str()), (200, "hello Ada Lovelace"));
    assert_me(b, "a", "kp_demo_admin", tk_a).await;
    assert_eq!(tk_b.requests(Endpoint::Token), 0);
}

/// Two tenants side by side, each with its own session cookie: bearer tokens and
/// sign-ins count for their own tenant only, and a browser can be signed in to both
/// at once, as different users.
pub async fn two_tenants_side_by_side(start: StartApp) {
    let tk_b = TestKinde::start();
    let ctx = Ctx::two_tenants(start, TestKinde::start(), &tk_b, TenantSessions::OwnCookies);
    let tk_a = &ctx.kinde;
    let b = ctx.browser();

    bearer_tokens_per_tenant(&b, tk_a, &tk_b).await;
    sign_in_to_a(&b, tk_a, &tk_b).await;
    assert!(b.cookie("kinde_session_a").is_some());
    assert!(b.cookie("kinde_session_b").is_none());
    visiting_b_keeps_a(&b, tk_a, &tk_b).await;

    // Signed in to both at once, as different users.
    b.sign_in_to_tenant("b", GRACE).await;
    assert_me(&b, "b", "kp_demo_reader", &tk_b).await;
    assert_me(&b, "a", "kp_demo_admin", tk_a).await;
    assert_eq!(tk_a.token_requests("authorization_code"), 1);
    assert_eq!(tk_b.token_requests("authorization_code"), 1);
}

/// Two tenants side by side whose session layers use the same cookie name: signing in
/// to B replaces A's cookie, so a browser is signed in to one tenant at a time. (What a
/// mere visit to B does to A's session differs between the adapters: see the
/// adapter-specific suites.)
pub async fn two_tenants_with_one_cookie_name_sign_in_one_at_a_time(start: StartApp) {
    let tk_b = TestKinde::start();
    let ctx = Ctx::two_tenants(
        start,
        TestKinde::start(),
        &tk_b,
        TenantSessions::OneCookieName,
    );
    let tk_a = &ctx.kinde;
    let b = ctx.browser();

    bearer_tokens_per_tenant(&b, tk_a, &tk_b).await;
    sign_in_to_a(&b, tk_a, &tk_b).await;

    b.sign_in_to_tenant("b", GRACE).await;
    assert_me(&b, "b", "kp_demo_reader", &tk_b).await;
    assert_eq!(b.get_json("/a/me").await.status(), StatusCode::UNAUTHORIZED);
}

/// Two tenants under one session layer: each client keeps its data under its own
/// session keys, so signing in to B leaves the session with A intact.
pub async fn two_tenants_share_one_session(start: StartApp) {
    let tk_b = TestKinde::start();
    let ctx = Ctx::two_tenants(start, TestKinde::start(), &tk_b, TenantSessions::OneSession);
    let tk_a = &ctx.kinde;
    let b = ctx.browser();

    b.sign_in_to_tenant("a", ADA).await;
    b.sign_in_to_tenant("b", GRACE).await;
    assert_me(&b, "a", "kp_demo_admin", tk_a).await;
    assert_me(&b, "b", "kp_demo_reader", &tk_b).await;
}
