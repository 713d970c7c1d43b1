//! Token introspection and revocation.

use kinde_core::testing::{Endpoint, TestKinde};
use serde_json::{Value, json};

use crate::support::{
    DEFAULT_CLIENT, error_of, get_bearer, http, login_tokens, post_form, post_form_basic, refresh,
};

#[tokio::test]
async fn introspection_and_revocation() {
    let kinde = TestKinde::start();
    let c = http();
    let tokens = login_tokens(&kinde, &c, &[("audience", "todo-api")]).await;
    let at = tokens["access_token"].as_str().unwrap();
    let rt = tokens["refresh_token"].as_str().unwrap();

    let body = introspect(&kinde, &c, at).await;
    assert_eq!(body["active"], true);
    assert_eq!(body["aud"], json!(["todo-api"]));
    assert_eq!(body["client_id"], "kinde-test-client");
    assert!(body["exp"].is_i64() && body["iat"].is_i64());
    let body = introspect(&kinde, &c, rt).await;
    assert_eq!(body["active"], true);
    let body = introspect(&kinde, &c, "junk").await;
    assert_eq!(body, json!({"active": false}));

    // Revoke the access token and the refresh token.
    for token in [at, rt] {
        let resp = post_form(
            &c,
            &kinde.url("/oauth2/revoke"),
            &[
                ("token", token),
                ("client_id", "kinde-test-client"),
                ("client_secret", "kinde-test-secret"),
            ],
        )
        .await;
        assert_eq!(resp.status(), 200);
    }
    let body = introspect(&kinde, &c, at).await;
    assert_eq!(body["active"], false);
    let body = introspect(&kinde, &c, rt).await;
    assert_eq!(body["active"], false);
    let resp = refresh(&kinde, &c, rt).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
    let resp = get_bearer(&c, &kinde.url("/oauth2/v2/user_profile"), at).await;
    assert_eq!(resp.status(), 401);

    // Unknown tokens revoke fine; bad credentials do not.
    let resp = post_form(
        &c,
        &kinde.url("/oauth2/revoke"),
        &[
            ("token", "whatever"),
            ("client_id", "kinde-test-client"),
            ("client_secret", "kinde-test-secret"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 200);
    let resp = post_form(
        &c,
        &kinde.url("/oauth2/revoke"),
        &[
            ("token", "whatever"),
            ("client_id", "kinde-test-client"),
            ("client_secret", "nope"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 401);
    assert_eq!(kinde.requests(Endpoint::Revoke), 4);
    assert_eq!(kinde.requests(Endpoint::Introspect), 5);
}

/// The introspection answer for `token`, asked as the default client.
async fn introspect(kinde: &TestKinde, c: &reqwest::Client, token: &str) -> Value {
    post_form_basic(
        c,
        &kinde.url("/oauth2/introspect"),
        DEFAULT_CLIENT,
        &[("token", token)],
    )
    .await
    .json()
    .await
    .unwrap()
}
