//! `/portal`: a signed-in user's link into Kinde's self-serve portal.

use super::*;

/// Signed in, `/portal` redirects to the one-time portal link the local Kinde server's
/// Account API gives, with `subnav` passed through and `returnTo` as an absolute URL of
/// the app (`/` without one, or for one that could leave the site); an unknown
/// `subnav` is a 400. Nobody signed in: a browser is sent to sign in (back to the
/// portal), an API request gets 401.
pub async fn portal_route(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let tk = &ctx.kinde;
    let b = ctx.browser();
    let internals = ctx.internals();

    let r = b.get("/portal?subnav=profile").await;
    assert_eq!(
        assert_redirect(&r),
        "/login?returnTo=%2Fportal%3Fsubnav%3Dprofile"
    );
    let r = b.get_json("/portal").await;
    assert_eq!(header_str(&r, header::WWW_AUTHENTICATE), "Bearer");
    assert_clean_error(r, 401, &internals).await;
    assert_eq!(tk.requests(Endpoint::AccountApi), 0);

    b.sign_in(None, ADA).await;
    let r = b
        .get("/portal?subnav=organization_members&returnTo=%2Fdashboard%3Ftab%3D2")
        .await;
    let link = Url::parse(&assert_redirect(&r)).expect("absolute portal link");
    assert!(link.as_str().starts_with(&tk.url("/portal")), "{link}");
    let q = query_map(&link);
    assert_eq!(q["subnav"], "organization_members");
    assert_eq!(q["return_url"], ctx.url("/dashboard?tab=2"));
    assert_eq!(tk.requests(Endpoint::AccountApi), 1);
    let (status, page) = status_body(b.get(link.as_str()).await).await;
    assert_eq!(status, 200, "{page}");

    for (query, want) in [("", "/"), ("?returnTo=%2F%2Fevil.example", "/")] {
        let r = b.get(&format!("/portal{query}")).await;
        let q = query_map(&Url::parse(&assert_redirect(&r)).unwrap());
        assert_eq!(q.get("subnav"), None, "{query}");
        assert_eq!(q["return_url"], ctx.url(want), "{query}");
    }
    assert_clean_error(b.get("/portal?subnav=nowhere").await, 400, &internals).await;
}
