//! `/oauth2/auth`: request validation, how the user is picked (login hint, auto-login
//! user, organisations), simulated errors, and the page login mode (pick or deny).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kinde_core::testing::{LoginMode, TestKinde};
use serde_json::Value;

use crate::support::{
    REDIRECT, authorize, decode_unverified, exchange, get, http, location, login, login_tokens,
    pkce, post_form, query_map,
};

/// The id of the pending login in the login page's hidden `pending` field.
fn pending_id(page: &str) -> String {
    page.split("name=\"pending\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("pending id")
        .to_string()
}

#[tokio::test]
async fn authorize_validation_and_user_selection() {
    let kinde = TestKinde::start();
    let c = http();
    let p = pkce();

    // Unknown client: an error page, never a redirect.
    let resp = authorize(&kinde, &c, &p.challenge, &[("client_id", "evil")]).await;
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("location").is_none());
    assert!(resp.text().await.unwrap().contains("Unknown application"));
    // Bad redirect_uri: error page.
    for bad in ["javascript:alert(1)", "/relative", ""] {
        let resp = authorize(&kinde, &c, &p.challenge, &[("redirect_uri", bad)]).await;
        assert_eq!(resp.status(), 400, "{bad}");
    }
    // Bare request.
    let resp = get(&c, &kinde.url("/oauth2/auth")).await;
    assert_eq!(resp.status(), 400);
    // Wrong response_type: error redirect.
    let resp = authorize(&kinde, &c, &p.challenge, &[("response_type", "token")]).await;
    assert_eq!(
        query_map(&location(&resp))["error"],
        "unsupported_response_type"
    );

    // login_hint by id, then auto-login user, then default.
    let user_of = |tokens: &Value| {
        decode_unverified(tokens["access_token"].as_str().unwrap())["sub"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let t = login_tokens(&kinde, &c, &[("login_hint", "kp_demo_reader")]).await;
    assert_eq!(user_of(&t), "kp_demo_reader");
    kinde.set_auto_login_user("kp_demo_basic");
    let t = login_tokens(&kinde, &c, &[]).await;
    assert_eq!(user_of(&t), "kp_demo_basic");
    let t = login_tokens(&kinde, &c, &[("login_hint", "grace.hopper@example.com")]).await;
    assert_eq!(user_of(&t), "kp_demo_reader");
    kinde.clear_auto_login_user();
    let t = login_tokens(&kinde, &c, &[]).await;
    assert_eq!(user_of(&t), "kp_demo_admin");

    // An org the user does not belong to falls back to the first org.
    let t = login_tokens(&kinde, &c, &[("org_code", "org_other")]).await;
    assert_eq!(
        decode_unverified(t["access_token"].as_str().unwrap())["org_code"],
        "org_demo"
    );

    // is_create_org creates an organisation for the user.
    let t = login_tokens(
        &kinde,
        &c,
        &[("is_create_org", "true"), ("org_name", "Brand New Co")],
    )
    .await;
    let at = decode_unverified(t["access_token"].as_str().unwrap());
    assert_eq!(at["org_name"], "Brand New Co");
    assert!(at["org_code"].as_str().unwrap().starts_with("org_"));

    // Simulated errors.
    kinde.set_authorize_error(Some("login_required".into()));
    let resp = authorize(&kinde, &c, &p.challenge, &[("prompt", "none")]).await;
    let q = query_map(&location(&resp));
    assert_eq!(q["error"], "login_required");
    assert_eq!(q["state"], "state-123");
    assert!(!q.contains_key("code"));
    kinde.set_authorize_error(Some("login_link_expired".into()));
    let resp = authorize(&kinde, &c, &p.challenge, &[("org_code", "org_demo")]).await;
    let q = query_map(&location(&resp));
    let reauth: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&q["reauth_state"]).unwrap()).unwrap();
    assert_eq!(reauth["org_code"], "org_demo");
    kinde.set_authorize_error(None);
    login(&kinde, &c, &[]).await;
}

#[tokio::test]
async fn page_login_mode_pick_and_deny() {
    let kinde = TestKinde::builder().login_mode(LoginMode::Page).start();
    let c = http();
    let p = pkce();
    let resp = authorize(&kinde, &c, &p.challenge, &[]).await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = resp.text().await.unwrap();
    for expected in [
        "Ada Lovelace",
        "grace.hopper@example.com",
        "write:todos",
        "Admin",
        "Deny",
    ] {
        assert!(page.contains(expected), "page lacks {expected}");
    }
    assert!(
        !page.contains("http://") || !page.contains("<link"),
        "no external assets"
    );
    let pending = pending_id(&page);

    let resp = post_form(
        &c,
        &kinde.url("/oauth2/auth/select"),
        &[("pending", pending.as_str()), ("user_id", "kp_demo_reader")],
    )
    .await;
    assert_eq!(resp.status(), 302);
    let q = query_map(&location(&resp));
    assert_eq!(q["state"], "state-123");
    let resp = exchange(&kinde, &c, &q["code"], &p.verifier, REDIRECT).await;
    let tokens: Value = resp.json().await.unwrap();
    assert_eq!(
        decode_unverified(tokens["access_token"].as_str().unwrap())["sub"],
        "kp_demo_reader"
    );

    // The pending request is single-use.
    let resp = post_form(
        &c,
        &kinde.url("/oauth2/auth/select"),
        &[("pending", pending.as_str()), ("user_id", "kp_demo_reader")],
    )
    .await;
    assert_eq!(resp.status(), 400);

    // Deny.
    let page = authorize(&kinde, &c, &p.challenge, &[])
        .await
        .text()
        .await
        .unwrap();
    let pending = pending_id(&page);
    let resp = post_form(
        &c,
        &kinde.url("/oauth2/auth/select"),
        &[("pending", pending.as_str()), ("action", "deny")],
    )
    .await;
    let q = query_map(&location(&resp));
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "state-123");
    assert!(q.contains_key("error_description"));

    // prompt=none stays silent even in Page mode.
    let resp = authorize(&kinde, &c, &p.challenge, &[("prompt", "none")]).await;
    assert_eq!(resp.status(), 302);
    assert!(query_map(&location(&resp)).contains_key("code"));
}
