//! Logout.

use super::*;

/// `/logout` ends the session server-side (the old cookie is worthless), revokes the
/// refresh token (best effort) and redirects to Kinde's logout with the post-logout URL.
pub async fn logout_ends_the_session_and_redirects_to_kinde(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let tk = &ctx.kinde;
    let b = ctx.browser();
    b.sign_in(None, ADA).await;
    let old = b.cookie(SESSION_COOKIE).expect("session cookie");

    let r = b.get("/logout").await;
    assert_no_store(&r);
    let to = Url::parse(&assert_redirect(&r)).expect("absolute logout URL");
    assert!(
        to.as_str().starts_with(&tk.url("/logout")),
        "redirects to Kinde's logout: {to}"
    );
    let q = query_map(&to);
    assert_eq!(q["redirect"], ctx.url("/"));
    assert!(q.contains_key("id_token_hint"));

    // Kinde ends its session and sends the visitor back.
    let back = b.get(to.as_str()).await;
    assert!(back.status().is_redirection());
    assert_eq!(location(&back), ctx.url("/"));
    assert_eq!(tk.logouts().len(), 1);
    eventually(10, "the refresh token is revoked at Kinde", || {
        tk.requests(Endpoint::Revoke) == 1
    })
    .await;

    let home = ok_text(b.get("/").await).await;
    assert!(home.contains("You are not signed in"), "{home}");
    assert_signed_out(&ctx, &b).await;
    let r = b.get("/dashboard").await;
    assert_eq!(assert_redirect(&r), "/login?returnTo=%2Fdashboard");

    // The old session id is gone server-side.
    let replay = ctx.browser();
    replay.set_cookie(SESSION_COOKIE, &old);
    assert_signed_out(&ctx, &replay).await;

    // Logging out without a session still goes through Kinde's logout.
    let r = ctx.browser().get("/logout").await;
    let to = Url::parse(&assert_redirect(&r)).unwrap();
    assert!(to.as_str().starts_with(&tk.url("/logout")));
    let q = query_map(&to);
    assert_eq!(q["redirect"], ctx.url("/"));
    assert!(!q.contains_key("id_token_hint"));
}
