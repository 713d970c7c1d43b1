//! The scenario table: each scenario is an `async fn(StartApp)` that starts its own
//! local Kinde server and app, so scenarios are independent and can run in parallel.
//!
//! Users are the [demo users](kinde_core::testing::TestUser::demo_users): Ada (admin,
//! `read:todos` + `write:todos`), Grace (member, `read:todos`), Alan (no permissions).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::future::join_all;
use kinde_core::testing::{Endpoint, MintOptions, TestKinde};
use reqwest::StatusCode;
use reqwest::header;
use serde_json::{Value, json};
use url::Url;

use crate::{
    AppKind, Browser, Ctx, SESSION_COOKIE, Scenario, StartApp, assert_clean_error, assert_no_store,
    assert_redirect, eventually, header_str, location, query_map, set_cookies,
};

/// Ada Lovelace: admin, `read:todos`, `write:todos`.
pub const ADA: &str = "ada.lovelace@example.com";
/// Grace Hopper: member, `read:todos`.
pub const GRACE: &str = "grace.hopper@example.com";
/// Alan Turing: no permissions, no roles.
pub const ALAN: &str = "alan.turing@example.com";

/// The single list of scenario names: `e2e_suite!` and [`scenarios()`] both expand it.
#[doc(hidden)]
#[macro_export]
macro_rules! __with_scenario_names {
    (@go [tests $start:path] $($name:ident),* $(,)?) => {
        $crate::__e2e_tests!($start; $($name),*);
    };
    (@go [table] $($name:ident),* $(,)?) => {
        $crate::__scenario_table!($($name),*)
    };
    ($($mode:tt)*) => {
        $crate::__with_scenario_names! {@go [$($mode)*]
            session_cookie_is_safe_and_cycled_at_login,
            sign_in_with_return_to,
            open_redirect_attempts_land_on_post_login_url,
            browser_page_without_session_redirects_to_login,
            api_request_without_session_gets_401,
            two_tabs_sign_in_at_once,
            register_and_create_org_parameters_reach_kinde,
            me_contents,
            missing_permission_or_role_is_403,
            bearer_tokens_on_the_api,
            bearer_token_on_the_browser_app_never_touches_the_session,
            refresh_after_expiry_once_for_20_concurrent_requests,
            refused_refresh_ends_the_session,
            kinde_unreachable_is_503_and_keeps_the_session,
            bearer_with_kinde_unreachable_is_503,
            logout_ends_the_session_and_redirects_to_kinde,
            callback_missing_state,
            callback_unknown_or_replayed_state,
            callback_access_denied,
            callback_code_rejected_by_kinde,
            callback_token_fails_verification,
            callback_kinde_unreachable,
            callback_login_link_expired_restarts_the_login,
        }
    };
}

/// Every scenario, in order.
pub fn scenarios() -> Vec<Scenario> {
    __with_scenario_names!(table)
}

// ---------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------

async fn body_json(resp: reqwest::Response) -> Value {
    let path = resp.url().path().to_string();
    let ct = header_str(&resp, header::CONTENT_TYPE);
    assert!(
        ct.starts_with("application/json"),
        "{path}: expected JSON, got {ct:?}"
    );
    resp.json()
        .await
        .unwrap_or_else(|e| panic!("{path}: bad JSON: {e}"))
}

async fn ok_json(resp: reqwest::Response) -> Value {
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.url().path());
    body_json(resp).await
}

async fn ok_text(resp: reqwest::Response) -> String {
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.url().path());
    resp.text().await.expect("body")
}

fn callback_prefix(ctx: &Ctx) -> String {
    ctx.url("/callback")
}

/// `url` with query parameter `key` replaced by `value` (other parameters kept in order).
fn with_param(url: &Url, key: &str, value: &str) -> Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == key {
                value.to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    let mut out = url.clone();
    out.query_pairs_mut().clear().extend_pairs(pairs);
    out
}

fn login_path(params: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        q.append_pair(k, v);
    }
    format!("/login?{}", q.finish())
}

/// Start a login and stop at the callback URL Kinde sends back (not yet visited).
async fn callback_url_for(ctx: &Ctx, b: &Browser, path_and_query: &str) -> Url {
    let (auth, _) = b.start_login(path_and_query).await;
    b.follow_until(&auth, &callback_prefix(ctx)).await
}

/// Nobody is signed in in this browser (checked without needing Kinde).
async fn assert_signed_out(ctx: &Ctx, b: &Browser) {
    let r = b.get_json("/me").await;
    assert_eq!(
        header_str(&r, header::WWW_AUTHENTICATE),
        "Bearer",
        "a signed-out API request gets a plain Bearer challenge"
    );
    assert_clean_error(r, 401, &ctx.internals()).await;
}

fn access_ttl_1s() -> TestKinde {
    TestKinde::builder()
        .access_token_ttl(Duration::from_secs(1))
        .start()
}

// ---------------------------------------------------------------------------------
// Sessions and sign-in
// ---------------------------------------------------------------------------------

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

/// `/me` JSON for users with and without permissions, roles and flags.
pub async fn me_contents(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let b = ctx.browser();
    b.sign_in(None, ADA).await;
    let me = ok_json(b.get_json("/me").await).await;
    assert_eq!(
        me,
        json!({
            "id": "kp_demo_admin",
            "email": ADA,
            "given_name": "Ada",
            "family_name": "Lovelace",
            "org_code": "org_demo",
            "permissions": ["read:todos", "write:todos"],
            "roles": ["admin"],
            "feature_flags": {
                "dark_mode": true,
                "theme": "ocean",
                "todo_limit": 100,
                "onboarding": {"steps": ["welcome", "import"], "skippable": true}
            }
        })
    );

    let b = ctx.browser();
    b.sign_in(None, GRACE).await;
    let me = ok_json(b.get_json("/me").await).await;
    assert_eq!(me["id"], "kp_demo_reader");
    assert_eq!(me["permissions"], json!(["read:todos"]));
    assert_eq!(me["roles"], json!(["member"]));
    assert_eq!(
        me["feature_flags"],
        json!({"dark_mode": false, "todo_limit": 10})
    );

    let b = ctx.browser();
    b.sign_in(None, ALAN).await;
    let me = ok_json(b.get_json("/me").await).await;
    assert_eq!(me["id"], "kp_demo_basic");
    assert_eq!(me["given_name"], "Alan");
    assert_eq!(me["family_name"], "Turing");
    assert_eq!(me["permissions"], json!([]));
    assert_eq!(me["roles"], json!([]));
    assert_eq!(me["feature_flags"], json!({}));
}

/// Signed in without the permission or role → 403 (page or JSON), never a login
/// redirect; with it → 200/201.
pub async fn missing_permission_or_role_is_403(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let internals = ctx.internals();

    let grace = ctx.browser();
    grace.sign_in(None, GRACE).await;
    assert_eq!(
        ok_json(grace.get("/todos").await).await,
        json!({"todos": []})
    );
    let r = grace
        .post_json("/todos", &json!({"title": "nope"}), None)
        .await;
    assert_clean_error(r, 403, &internals).await;
    let r = grace.get("/admin").await;
    assert!(
        header_str(&r, header::CONTENT_TYPE).starts_with("text/html"),
        "a page request gets a page"
    );
    assert_clean_error(r, 403, &internals).await;
    let r = grace.get_json("/admin").await;
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(body["error"], "forbidden");

    let alan = ctx.browser();
    alan.sign_in(None, ALAN).await;
    assert_clean_error(alan.get("/todos").await, 403, &internals).await;
    assert_clean_error(alan.get("/admin").await, 403, &internals).await;

    let ada = ctx.browser();
    ada.sign_in(None, ADA).await;
    let r = ada
        .post_json("/todos", &json!({"title": "Write the e2e suite"}), None)
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        body_json(r).await,
        json!({"todos": ["Write the e2e suite"]})
    );
    assert_eq!(
        ok_json(ada.get("/todos").await).await,
        json!({"todos": ["Write the e2e suite"]})
    );
    let r = ada.post_json("/todos", &json!({}), None).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let admin = ok_text(ada.get("/admin").await).await;
    assert!(admin.contains("Hello admin Ada Lovelace."), "{admin}");
    // To-dos are per user.
    assert_eq!(
        ok_json(grace.get("/todos").await).await,
        json!({"todos": []})
    );
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The token with its payload edited (signature kept, so it no longer matches).
fn tamper_payload(token: &str, edit: impl FnOnce(&mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("base64url payload"))
            .expect("JWT payload");
    edit(&mut claims);
    let payload = b64(&serde_json::to_vec(&claims).unwrap());
    format!("{}.{payload}.{}", parts[0], parts[2])
}

/// Bearer access to the API with a good token, and 401 `invalid_token` for forged,
/// expired, wrong-audience, wrong-issuer, not-yet-valid and malformed ones.
pub async fn bearer_tokens_on_the_api(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Api);
    let b = ctx.browser();
    let tk = &ctx.kinde;
    let internals = ctx.internals();
    let users = tk.users();
    let (ada, grace) = (&users[0], &users[1]);
    let good = tk.mint_access_token(ada, MintOptions::default());

    let r = b.get_bearer("/api/me", &good).await;
    assert!(
        set_cookies(&r).is_empty(),
        "a bearer API never sets cookies"
    );
    let me = ok_json(r).await;
    assert_eq!(me["id"], "kp_demo_admin");
    assert_eq!(me["email"], ADA);
    assert_eq!(me["org_code"], "org_demo");
    assert_eq!(me["permissions"], json!(["read:todos", "write:todos"]));
    assert_eq!(me["roles"], json!(["admin"]));
    assert_eq!(me["feature_flags"]["theme"], "ocean");
    assert_eq!(
        ok_json(b.get_bearer("/api/admin", &good).await).await,
        json!({"admin": true, "id": "kp_demo_admin"})
    );
    let r = b
        .post_json("/api/todos", &json!({"title": "ship"}), Some(&good))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(body_json(r).await, json!({"todos": ["ship"]}));
    assert_eq!(
        ok_json(b.get_bearer("/api/todos", &good).await).await,
        json!({"todos": ["ship"]})
    );

    // Signed in (by token) but not allowed → 403.
    let reader = tk.mint_access_token(grace, MintOptions::default());
    assert_eq!(
        ok_json(b.get_bearer("/api/todos", &reader).await).await,
        json!({"todos": []})
    );
    let r = b
        .post_json("/api/todos", &json!({"title": "x"}), Some(&reader))
        .await;
    assert_clean_error(r, 403, &internals).await;
    assert_clean_error(b.get_bearer("/api/admin", &reader).await, 403, &internals).await;

    // No token at all → 401 with a plain challenge, even for a page-like request.
    let r = b.get_json("/api/me").await;
    assert_eq!(header_str(&r, header::WWW_AUTHENTICATE), "Bearer");
    assert_clean_error(r, 401, &internals).await;
    let r = b.get("/api/me").await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "a bearer-only API never redirects to a login page"
    );
    assert_eq!(header_str(&r, header::WWW_AUTHENTICATE), "Bearer");

    // Bad tokens.
    let other = TestKinde::start();
    let claims = tk.access_claims(ada, &[]);
    let none_alg = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(&serde_json::to_vec(&claims).unwrap())
    );
    let bad: Vec<(&str, String)> = vec![
        (
            "expired",
            tk.mint_access_token(
                ada,
                MintOptions {
                    expired: true,
                    ..MintOptions::default()
                },
            ),
        ),
        (
            "wrong audience",
            tk.mint_access_token(
                ada,
                MintOptions {
                    audience: vec!["https://other.example/api".into()],
                    ..MintOptions::default()
                },
            ),
        ),
        (
            "not yet valid",
            tk.mint_access_token(
                ada,
                MintOptions {
                    not_before: Some(3600),
                    ..MintOptions::default()
                },
            ),
        ),
        (
            "forged: payload edited",
            tamper_payload(&tk.mint_access_token(grace, MintOptions::default()), |c| {
                c["permissions"] = json!(["read:todos", "write:todos"]);
            }),
        ),
        (
            "forged: signed by another key with our kid",
            other.sign_claims_with_kid(&claims, &tk.signing_key_kid()),
        ),
        ("forged: signed by another key", other.sign_claims(&claims)),
        (
            "wrong issuer",
            other.mint_access_token(ada, MintOptions::default()),
        ),
        ("alg none", none_alg),
        ("malformed", "not.a.jwt".to_string()),
    ];
    for (what, token) in &bad {
        for path in ["/api/me", "/api/todos"] {
            let r = b.get_bearer(path, token).await;
            assert_eq!(
                r.status(),
                StatusCode::UNAUTHORIZED,
                "{what} on {path} must be refused"
            );
            assert_eq!(
                header_str(&r, header::WWW_AUTHENTICATE),
                r#"Bearer error="invalid_token""#,
                "{what}"
            );
            let body = r.text().await.unwrap();
            assert!(!body.contains(token.as_str()), "{what}: token echoed");
            let v: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["error"], "invalid_token", "{what}");
            for leak in &internals {
                assert!(!body.contains(leak.as_str()), "{what}: leaks {leak}");
            }
        }
    }
    // A forged POST does not write anything.
    let forged = tamper_payload(&reader, |c| c["permissions"] = json!(["write:todos"]));
    let r = b
        .post_json("/api/todos", &json!({"title": "forged"}), Some(&forged))
        .await;
    assert_clean_error(r, 401, &internals).await;
    assert_eq!(
        ok_json(b.get_bearer("/api/todos", &reader).await).await,
        json!({"todos": []})
    );
    // Unknown `kid`s do not hammer Kinde's JWKS endpoint.
    assert!(
        tk.requests(Endpoint::Jwks) <= 2,
        "JWKS fetched {} times",
        tk.requests(Endpoint::Jwks)
    );
    // And the good token still works.
    assert_eq!(
        ok_json(b.get_bearer("/api/me", &good).await).await["id"],
        "kp_demo_admin"
    );
}

/// On the browser app (token source "both") a bearer token authenticates the request
/// without creating or changing a session; a bad bearer token never falls back to the
/// session.
pub async fn bearer_token_on_the_browser_app_never_touches_the_session(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let tk = &ctx.kinde;
    let users = tk.users();
    let grace_token = tk.mint_access_token(&users[1], MintOptions::default());

    let b = ctx.browser();
    let r = b.get_bearer("/me", &grace_token).await;
    assert!(
        set_cookies(&r).is_empty(),
        "no session for a bearer request"
    );
    assert_eq!(ok_json(r).await["id"], "kp_demo_reader");
    assert!(b.cookie(SESSION_COOKIE).is_none());
    assert_signed_out(&ctx, &b).await;

    // Signed in as Ada; a bearer token for Grace wins for that request only.
    let b = ctx.browser();
    b.sign_in(None, ADA).await;
    let before = b.cookie(SESSION_COOKIE);
    let r = b.get_bearer("/me", &grace_token).await;
    assert!(set_cookies(&r).is_empty());
    assert_eq!(ok_json(r).await["id"], "kp_demo_reader");
    assert_eq!(b.cookie(SESSION_COOKIE), before);
    assert_eq!(
        ok_json(b.get_json("/me").await).await["id"],
        "kp_demo_admin"
    );

    // A bad bearer token is a 401 even with a valid session.
    let expired = tk.mint_access_token(
        &users[0],
        MintOptions {
            expired: true,
            ..MintOptions::default()
        },
    );
    let r = b.get_bearer("/me", &expired).await;
    assert_eq!(
        header_str(&r, header::WWW_AUTHENTICATE),
        r#"Bearer error="invalid_token""#
    );
    assert_clean_error(r, 401, &ctx.internals()).await;
    assert_eq!(
        ok_json(b.get_json("/me").await).await["id"],
        "kp_demo_admin"
    );
}

// ---------------------------------------------------------------------------------
// Refresh and outages
// ---------------------------------------------------------------------------------

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

/// Kinde failing or unreachable while a session needs a refresh → 503 (page or JSON),
/// also on the public home page; it is not a sign-out: the session works again once
/// Kinde is back.
pub async fn kinde_unreachable_is_503_and_keeps_the_session(start: StartApp) {
    let ctx = Ctx::start_with(start, AppKind::Browser, access_ttl_1s(), |c| c);
    let tk = &ctx.kinde;
    let internals = ctx.internals();
    let b = ctx.browser();
    b.sign_in(None, ADA).await;

    tk.set_token_endpoint_failure(Some(503));
    let r = b.get("/dashboard").await;
    assert!(header_str(&r, header::CONTENT_TYPE).starts_with("text/html"));
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

// ---------------------------------------------------------------------------------
// Logout
// ---------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------
// Callback failures: each a clean 4xx/503 that never establishes a session.
// ---------------------------------------------------------------------------------

/// `/callback` without `state` → 400, nothing sent to Kinde.
pub async fn callback_missing_state(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let b = ctx.browser();
    let cb = callback_url_for(&ctx, &b, &login_path(&[("login_hint", ADA)])).await;
    let code = query_map(&cb)["code"].clone();
    for path in [
        format!("/callback?code={code}"),
        format!("/callback?code={code}&state="),
        "/callback".to_string(),
    ] {
        assert_clean_error(b.get(&path).await, 400, &ctx.internals()).await;
    }
    assert_eq!(ctx.kinde.token_requests("authorization_code"), 0);
    assert_signed_out(&ctx, &b).await;
}

/// A `state` this browser never issued (forged, or another browser's), or one already
/// used → 400; the code is never redeemed on the attacker's behalf.
pub async fn callback_unknown_or_replayed_state(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let internals = ctx.internals();
    let victim = ctx.browser();
    let cb = callback_url_for(&ctx, &victim, &login_path(&[("login_hint", ADA)])).await;

    let forged = with_param(&cb, "state", "forged-state");
    assert_clean_error(victim.get(forged.as_str()).await, 400, &internals).await;
    assert_signed_out(&ctx, &victim).await;

    // Another browser (login CSRF / a leaked callback URL).
    let attacker = ctx.browser();
    assert_clean_error(attacker.get(cb.as_str()).await, 400, &internals).await;
    assert_signed_out(&ctx, &attacker).await;
    assert_eq!(ctx.kinde.token_requests("authorization_code"), 0);

    // The real callback still works once; a replay is refused.
    let r = victim.get(cb.as_str()).await;
    assert_eq!(assert_redirect(&r), "/");
    assert_eq!(ctx.kinde.token_requests("authorization_code"), 1);
    let fresh = ctx.browser();
    let r = fresh.get(cb.as_str()).await;
    assert_clean_error(r, 400, &internals).await;
    assert_signed_out(&ctx, &fresh).await;
    assert_clean_error(victim.get(cb.as_str()).await, 400, &internals).await;
    assert_eq!(ctx.kinde.token_requests("authorization_code"), 1);
}

/// Kinde sends the visitor back with `error=access_denied` → 400 with a short message
/// (Kinde's description is not echoed); no session; a new sign-in works.
pub async fn callback_access_denied(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let b = ctx.browser();
    ctx.kinde.set_authorize_error(Some("access_denied".into()));
    let cb = callback_url_for(
        &ctx,
        &b,
        &login_path(&[("login_hint", ADA), ("returnTo", "/dashboard")]),
    )
    .await;
    assert_eq!(query_map(&cb)["error"], "access_denied");
    assert_clean_error(b.get(cb.as_str()).await, 400, &ctx.internals()).await;
    assert_eq!(ctx.kinde.token_requests("authorization_code"), 0);
    assert_signed_out(&ctx, &b).await;

    // Hostile error parameters are not reflected either.
    let r = b
        .get("/callback?error=%3Cscript%3Ealert(1)%3C/script%3E&error_description=%3Cimg%20src=x%3E&state=x")
        .await;
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(status, 400);
    assert!(
        !text.contains("<script>alert") && !text.contains("<img"),
        "{text}"
    );

    ctx.kinde.set_authorize_error(None);
    assert_eq!(
        b.sign_in(Some("/dashboard"), ADA).await.landed,
        "/dashboard"
    );
}

/// A code Kinde rejects (forged or already redeemed) → 400; no session.
pub async fn callback_code_rejected_by_kinde(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let b = ctx.browser();
    let cb = callback_url_for(&ctx, &b, &login_path(&[("login_hint", ADA)])).await;
    let forged = with_param(&cb, "code", "forged-code");
    assert_clean_error(b.get(forged.as_str()).await, 400, &ctx.internals()).await;
    assert_eq!(ctx.kinde.token_requests("authorization_code"), 1);
    assert_signed_out(&ctx, &b).await;

    // A code already redeemed by another login of this browser.
    let first = ctx.browser();
    let s = first.sign_in(None, ADA).await;
    let used_code = query_map(&s.callback_url)["code"].clone();
    let cb2 = callback_url_for(&ctx, &b, &login_path(&[("login_hint", ADA)])).await;
    let replayed = with_param(&cb2, "code", &used_code);
    assert_clean_error(b.get(replayed.as_str()).await, 400, &ctx.internals()).await;
    assert_signed_out(&ctx, &b).await;
}

/// Tokens that fail verification at the callback (an ID token for another login's
/// nonce) → a clean 4xx; no session.
pub async fn callback_token_fails_verification(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let b = ctx.browser();
    let (auth, _) = b
        .start_login(&login_path(&[
            ("login_hint", ADA),
            ("returnTo", "/dashboard"),
        ]))
        .await;
    // The authorize request is altered in flight: Kinde issues an ID token for another nonce.
    let tampered = with_param(&auth, "nonce", "attacker-nonce");
    let cb = b.follow_until(&tampered, &callback_prefix(&ctx)).await;
    let r = b.get(cb.as_str()).await;
    let status = r.status().as_u16();
    assert!(
        status == 400 || status == 401,
        "a token failing verification is a 400 or 401, got {status}"
    );
    assert_clean_error(r, status, &ctx.internals()).await;
    assert_eq!(ctx.kinde.token_requests("authorization_code"), 1);
    assert_signed_out(&ctx, &b).await;
    assert!(b.get("/dashboard").await.status().is_redirection());
}

/// Kinde failing (503 from the token endpoint) or unreachable (server gone) at the
/// callback → 503 with a short message; no session.
pub async fn callback_kinde_unreachable(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let internals = ctx.internals();
    let b = ctx.browser();
    let cb1 = callback_url_for(&ctx, &b, &login_path(&[("login_hint", ADA)])).await;
    let cb2 = callback_url_for(&ctx, &b, &login_path(&[("login_hint", ADA)])).await;

    ctx.kinde.set_token_endpoint_failure(Some(503));
    assert_clean_error(b.get(cb1.as_str()).await, 503, &internals).await;
    assert_signed_out(&ctx, &b).await;

    ctx.kinde.shutdown();
    assert_clean_error(b.get(cb2.as_str()).await, 503, &internals).await;
    assert_signed_out(&ctx, &b).await;
}

/// `error=login_link_expired` (with `reauth_state`) restarts the login with the original
/// options and a fresh state/nonce/PKCE; completing it lands on the original `returnTo`.
pub async fn callback_login_link_expired_restarts_the_login(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let tk = &ctx.kinde;
    let b = ctx.browser();
    tk.set_authorize_error(Some("login_link_expired".into()));
    let (auth, _) = b
        .start_login(&login_path(&[
            ("login_hint", ADA),
            ("org_code", "org_demo_labs"),
            ("lang", "fr"),
            ("returnTo", "/dashboard"),
        ]))
        .await;
    let cb = b.follow_until(&auth, &callback_prefix(&ctx)).await;
    let cbq = query_map(&cb);
    assert_eq!(cbq["error"], "login_link_expired");
    assert!(cbq.contains_key("reauth_state"));
    tk.set_authorize_error(None);

    let r = b.get(cb.as_str()).await;
    assert_no_store(&r);
    let restart = Url::parse(&assert_redirect(&r)).expect("absolute authorize URL");
    assert!(
        restart.as_str().starts_with(&tk.url("/oauth2/auth")),
        "{restart}"
    );
    let (old, new) = (query_map(&auth), query_map(&restart));
    for kept in [
        "org_code",
        "lang",
        "login_hint",
        "client_id",
        "redirect_uri",
    ] {
        assert_eq!(new.get(kept), old.get(kept), "{kept} kept");
    }
    for fresh in ["state", "nonce", "code_challenge"] {
        assert_ne!(new[fresh], old[fresh], "{fresh} must be fresh");
    }
    assert_signed_out(&ctx, &b).await;

    let cb = b.follow_until(&restart, &callback_prefix(&ctx)).await;
    let r = b.get(cb.as_str()).await;
    assert_eq!(assert_redirect(&r), "/dashboard");
    assert_eq!(tk.authorize_requests().len(), 2);
    let me = ok_json(b.get_json("/me").await).await;
    assert_eq!(me["id"], "kp_demo_admin");
    assert_eq!(me["org_code"], "org_demo_labs");
}
