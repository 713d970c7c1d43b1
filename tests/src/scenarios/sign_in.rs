//! Signing in: the session cookie, `returnTo`, login redirects and 401s of signed-out
//! requests, parallel logins, the options `/login`, `/register` and `/create-org` forward.

use super::*;

/// The session cookie is `HttpOnly`, `SameSite=Lax`, `Path=/`, not `Secure` on http
/// loopback, expires, and its value changes at the callback; the pre-login id is dead.
pub async fn session_cookie_is_safe_and_cycled_at_login(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let b = ctx.browser();
    let s = b.sign_in(Some("/dashboard"), ADA).await;
    let login = s.login_cookie.expect("/login sets the session cookie");
    let callback = s
        .callback_cookie
        .expect("the callback sets the session cookie");
    for c in [&login, &callback] {
        assert!(c.http_only, "HttpOnly: {}", c.raw);
        assert!(c.same_site_lax, "SameSite=Lax: {}", c.raw);
        assert!(!c.secure, "not Secure on http loopback: {}", c.raw);
        assert_eq!(c.path.as_deref(), Some("/"), "{}", c.raw);
        let raw = c.raw.to_ascii_lowercase();
        assert!(
            raw.contains("max-age=") || raw.contains("expires="),
            "the session cookie expires: {}",
            c.raw
        );
    }
    assert_ne!(
        login.value, callback.value,
        "the session id must change at login"
    );
    assert_eq!(
        b.cookie(SESSION_COOKIE).as_deref(),
        Some(callback.value.as_str())
    );
    assert_eq!(
        ok_json(b.get_json("/me").await).await["id"],
        "kp_demo_admin"
    );

    // Session fixation: someone holding the pre-login id gets nothing.
    let attacker = ctx.browser();
    attacker.set_cookie(SESSION_COOKIE, &login.value);
    assert_signed_out(&ctx, &attacker).await;
    let home = ok_text(attacker.get("/").await).await;
    assert!(home.contains("You are not signed in"), "{home}");
}

/// `/login?returnTo=…` lands on that page signed in; `Option<KindeUser>` on `/` shows
/// signed-out, then signed-in; the authorize request carries the OAuth parameters.
pub async fn sign_in_with_return_to(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let b = ctx.browser();
    let home = ok_text(b.get("/").await).await;
    assert!(home.contains("You are not signed in"), "{home}");
    assert!(!home.contains("Signed in as"), "{home}");

    let s = b.sign_in(Some("/dashboard?tab=2"), ADA).await;
    assert_eq!(s.landed, "/dashboard?tab=2");

    let q = query_map(&s.authorize_url);
    assert!(
        s.authorize_url
            .as_str()
            .starts_with(&ctx.kinde.url("/oauth2/auth")),
        "{}",
        s.authorize_url
    );
    assert_eq!(q["client_id"], ctx.kinde.client_id());
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["redirect_uri"], ctx.url("/callback"));
    let scopes: Vec<&str> = q["scope"].split(' ').collect();
    for want in ["openid", "profile", "email", "offline"] {
        assert!(scopes.contains(&want), "scope {want} in {scopes:?}");
    }
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert!(q["state"].len() >= 16 && q["nonce"].len() >= 16);
    assert_eq!(q["login_hint"], ADA);
    assert!(
        !s.authorize_url.as_str().contains("dashboard"),
        "returnTo stays in the session, not in the URL sent to Kinde"
    );
    assert_eq!(query_map(&s.callback_url)["state"], q["state"]);
    assert_eq!(ctx.kinde.authorize_requests().len(), 1);
    assert_eq!(ctx.kinde.token_requests("authorization_code"), 1);

    let page = ok_text(b.get(&s.landed).await).await;
    assert!(page.contains("Welcome, Ada Lovelace."), "{page}");
    assert!(page.contains(ADA), "{page}");
    let home = ok_text(b.get("/").await).await;
    assert!(
        home.contains("Signed in as <strong>Ada Lovelace</strong>"),
        "{home}"
    );
    assert!(!home.contains("You are not signed in"), "{home}");
}

/// Every `returnTo` that could leave the site lands on the configured post-login URL.
pub async fn open_redirect_attempts_land_on_post_login_url(start: StartApp) {
    let ctx = Ctx::start_with(start, AppKind::Browser, TestKinde::start(), |c| {
        c.post_login_redirect_url("/dashboard")
    });
    let attempts = [
        "//evil.example",
        "//evil.example/dashboard",
        "/\\evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
        "https://evil.example/",
        "http://evil.example",
        "HTTPS://evil.example",
        "javascript:alert(document.cookie)",
        "JaVaScRiPt:alert(1)",
        "/%0d%0aSet-Cookie:%20pwned=1",
        "/\r\nSet-Cookie: pwned=1",
        "/%0aLocation:%20https://evil.example",
        "/%2F%2Fevil.example",
        "/%2f/evil.example",
        "/%5Cevil.example",
        "/%252F%252Fevil.example",
        "/\tevil",
        "evil.example",
        "",
    ];
    for bad in attempts {
        let b = ctx.browser();
        let s = b.sign_in(Some(bad), ADA).await;
        assert_eq!(s.landed, "/dashboard", "returnTo {bad:?}");
        assert!(!s.authorize_url.as_str().contains("evil"), "{bad:?}");
        assert!(
            !s.authorize_url.as_str().contains("pwned"),
            "{bad:?} reached Kinde"
        );
        let resp = b.get(s.callback_url.as_str()).await;
        assert!(
            set_cookies(&resp).iter().all(|c| c.name != "pwned"),
            "{bad:?}: header injection"
        );
    }
    // No returnTo at all: the post-login URL too; a safe one is honoured.
    assert_eq!(ctx.browser().sign_in(None, ADA).await.landed, "/dashboard");
    assert_eq!(
        ctx.browser()
            .sign_in(Some("/todos?x=1&y=%2F"), ADA)
            .await
            .landed,
        "/todos?x=1&y=%2F"
    );
}

/// A browser page without a session → 303 to `/login?returnTo=<the page>`, and signing
/// in from there lands back on that page.
pub async fn browser_page_without_session_redirects_to_login(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let b = ctx.browser();
    for (page, want) in [
        ("/dashboard", "/login?returnTo=%2Fdashboard"),
        ("/dashboard?tab=2", "/login?returnTo=%2Fdashboard%3Ftab%3D2"),
        ("/me", "/login?returnTo=%2Fme"),
        ("/todos", "/login?returnTo=%2Ftodos"),
        ("/admin", "/login?returnTo=%2Fadmin"),
    ] {
        let r = b.get(page).await;
        assert_eq!(assert_redirect(&r), want, "{page}");
        assert_no_store(&r);
    }
    let login = location(&b.get("/dashboard?tab=2").await);
    let s = b
        .sign_in_via(&format!("{login}&login_hint=ada.lovelace%40example.com"))
        .await;
    assert_eq!(s.landed, "/dashboard?tab=2");
    let page = ok_text(b.get(&s.landed).await).await;
    assert!(page.contains("Welcome, Ada Lovelace."), "{page}");
}

/// An API request (`Accept: application/json`, a non-GET, an `Authorization` header)
/// without a session → 401 with `WWW-Authenticate: Bearer` and a JSON body.
pub async fn api_request_without_session_gets_401(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let b = ctx.browser();
    let internals = ctx.internals();

    let r = b.get_json("/me").await;
    assert_eq!(header_str(&r, header::WWW_AUTHENTICATE), "Bearer");
    assert_clean_error(r, 401, &internals).await;

    let r = b.get_json("/todos").await;
    assert_eq!(header_str(&r, header::WWW_AUTHENTICATE), "Bearer");
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(body["error"], "unauthenticated");

    // A non-GET gets 401 even when it accepts HTML (a form post).
    let r = b
        .client
        .post(b.url("/todos"))
        .form(&[("title", "x")])
        .send()
        .await
        .unwrap();
    assert!(header_str(&r, header::WWW_AUTHENTICATE).starts_with("Bearer"));
    assert_clean_error(r, 401, &internals).await;

    let r = b.post_json("/todos", &json!({"title": "x"}), None).await;
    assert_clean_error(r, 401, &internals).await;

    // An Authorization header makes it an API request, whatever `Accept` says.
    for auth in ["Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer "] {
        let r = b
            .client
            .get(b.url("/dashboard"))
            .header(header::AUTHORIZATION, auth)
            .send()
            .await
            .unwrap();
        assert!(
            header_str(&r, header::WWW_AUTHENTICATE).starts_with("Bearer"),
            "{auth}"
        );
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{auth}");
        assert_clean_error(r, 401, &internals).await;
    }
}

/// Two logins started in one browser (two tabs) both complete, each landing on its
/// own `returnTo`, whichever finishes first.
pub async fn two_tabs_sign_in_at_once(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let b = ctx.browser();
    let tab1 = callback_url_for(
        &ctx,
        &b,
        &login_path(&[("login_hint", ADA), ("returnTo", "/todos")]),
    )
    .await;
    let tab2 = callback_url_for(
        &ctx,
        &b,
        &login_path(&[("login_hint", ADA), ("returnTo", "/dashboard")]),
    )
    .await;
    assert_ne!(query_map(&tab1)["state"], query_map(&tab2)["state"]);

    // Tab 2 finishes first, then tab 1.
    let r = b.get(tab2.as_str()).await;
    assert_eq!(assert_redirect(&r), "/dashboard");
    let r = b.get(tab1.as_str()).await;
    assert_eq!(assert_redirect(&r), "/todos");
    assert_eq!(ctx.kinde.token_requests("authorization_code"), 2);
    assert_eq!(ok_json(b.get("/todos").await).await, json!({"todos": []}));
    let page = ok_text(b.get("/dashboard").await).await;
    assert!(page.contains("Welcome, Ada Lovelace."), "{page}");
}

/// `/register`, `/create-org` and `/login` forward the visitor's login options to
/// Kinde; protocol parameters cannot be injected through them.
pub async fn register_and_create_org_parameters_reach_kinde(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);

    // Register.
    let b = ctx.browser();
    let register = login_path(&[
        ("login_hint", GRACE),
        ("lang", "fr"),
        ("plan_interest", "pro"),
        ("pricing_table_key", "tbl_1"),
        ("returnTo", "/me"),
    ])
    .replacen("/login", "/register", 1);
    let s = b.sign_in_via(&register).await;
    let p = query_map(&s.authorize_url);
    assert_eq!(p["prompt"], "create");
    assert_eq!(p["lang"], "fr");
    assert_eq!(p["plan_interest"], "pro");
    assert_eq!(p["pricing_table_key"], "tbl_1");
    assert_eq!(p["login_hint"], GRACE);
    assert!(!p.contains_key("is_create_org"));
    assert_eq!(s.landed, "/me");
    assert_eq!(ok_json(b.get_json("/me").await).await["email"], GRACE);

    // Create an organisation.
    let b = ctx.browser();
    let s = b
        .sign_in_via("/create-org?org_name=Acme%20%26%20Co&login_hint=ada.lovelace%40example.com&returnTo=%2Fdashboard")
        .await;
    let p = query_map(&s.authorize_url);
    assert_eq!(p["prompt"], "create");
    assert_eq!(p["is_create_org"], "true");
    assert_eq!(p["org_name"], "Acme & Co");
    assert_eq!(s.landed, "/dashboard");

    // An invitation turns /login into a registration.
    let b = ctx.browser();
    let s = b
        .sign_in_via(&login_path(&[
            ("invitation_code", "inv_123"),
            ("login_hint", ALAN),
        ]))
        .await;
    let p = query_map(&s.authorize_url);
    assert_eq!(p["invitation_code"], "inv_123");
    assert_eq!(p["is_invitation"], "true");
    assert_eq!(p["prompt"], "create");

    // Organisation and connection on a plain login; the token is for that organisation.
    let b = ctx.browser();
    let s = b
        .sign_in_via(&login_path(&[
            ("org_code", "org_demo_labs"),
            ("connection_id", "conn_1"),
            ("login_hint", ADA),
        ]))
        .await;
    let p = query_map(&s.authorize_url);
    assert_eq!(p["org_code"], "org_demo_labs");
    assert_eq!(p["connection_id"], "conn_1");
    assert!(!p.contains_key("prompt"));
    assert_eq!(
        ok_json(b.get_json("/me").await).await["org_code"],
        "org_demo_labs"
    );

    // Protocol parameters in the visitor's query are ignored.
    let b = ctx.browser();
    let s = b
        .sign_in_via(&login_path(&[
            ("login_hint", ADA),
            ("state", "attacker"),
            ("nonce", "attacker"),
            ("client_id", "attacker"),
            ("redirect_uri", "https://evil.example/callback"),
            ("scope", "openid"),
            ("code_challenge", "attacker"),
        ]))
        .await;
    let url = &s.authorize_url;
    for key in [
        "state",
        "nonce",
        "client_id",
        "redirect_uri",
        "scope",
        "code_challenge",
    ] {
        let values: Vec<String> = url
            .query_pairs()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
            .collect();
        assert_eq!(values.len(), 1, "{key} once in {url}");
        assert_ne!(values[0], "attacker", "{key}");
    }
    assert!(!url.as_str().contains("evil"), "{url}");
    assert_eq!(s.landed, "/");
}

/// A page rendered for a signed-in session is `Cache-Control: no-store` (so neither the
/// browser's caches nor a shared one keep one user's page: the back button after
/// signing out asks the app again); the same page signed out, and a route that never
/// asks who is signed in, are left to the app.
pub async fn signed_in_pages_are_not_stored(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let b = ctx.browser();
    let cache_control = |r: &reqwest::Response| {
        r.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap_or_default().to_string())
    };
    let r = b.get("/").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(cache_control(&r), None, "signed out: the app's to decide");

    b.sign_in(Some("/dashboard"), GRACE).await;
    for page in ["/", "/dashboard", "/me"] {
        let r = b.get(page).await;
        assert_eq!(r.status(), StatusCode::OK, "{page}");
        assert_eq!(cache_control(&r).as_deref(), Some("no-store"), "{page}");
    }
    // Grace may not open the admin page: its 403 is her page too.
    let r = b.get("/admin").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(cache_control(&r).as_deref(), Some("no-store"), "/admin");
    let r = b.get("/health").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        cache_control(&r),
        None,
        "a route that never resolves the caller"
    );
}
