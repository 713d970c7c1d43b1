//! Kinde's routes at other paths: under a prefix, one switched off.

use super::*;

/// With the routes under `/auth` and `/register` switched off: the prefixed routes
/// answer, the unprefixed and the switched-off ones are 404, the login redirect of a
/// protected page names the prefixed login route, and a whole sign-in and logout go
/// through the prefixed routes.
pub async fn route_paths_with_prefix_and_a_route_switched_off(start: StartApp) {
    let paths = RoutePaths {
        register: None,
        ..RoutePaths::default()
    }
    .with_prefix("/auth");
    assert_eq!(paths.register, None);
    let app = TestApp {
        paths,
        ..TestApp::default()
    };
    let ctx = Ctx::launch(start, TestKinde::start(), |port, tk| {
        (
            AppKind::Test(app),
            client_at(tk, port, "/auth/callback", |c| c),
        )
    });
    let tk = &ctx.kinde;
    let b = ctx.browser();

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
    let s = b
        .sign_in_through(
            &login_as("/auth/login", ADA, Some("/page")),
            "/auth/callback",
        )
        .await;
    assert_eq!(s.landed, "/page");
    let (status, body) = status_body(b.get("/page").await).await;
    assert_eq!((status, body.as_str()), (200, "hello Ada Lovelace"));
    let r = b.get("/auth/logout").await;
    assert!(location(&r).starts_with(&tk.url("/logout")));
}
