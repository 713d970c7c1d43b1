//! Token introspection and revocation.

use kinde_core::testing::{Endpoint, TestKinde};
use serde_json::{Value, json};

use crate::support::{error_of, http, login_tokens, refresh};

#[tokio::test]
async fn introspection_and_revocation() {
    let kinde = TestKinde::start();
    let c = http();
    let tokens = login_tokens(&kinde, &c, &[("audience", "todo-api")]).await;
    let at = tokens["access_token"].as_str().unwrap();
    let rt = tokens["refresh_token"].as_str().unwrap();
    let introspect = |token: &str| {
        let form = vec![("token".to_string(), token.to_string())];
        c.post(kinde.url("/oauth2/introspect"))
            .basic_auth("kinde-test-client", Some("kinde-test-secret"))
            .form(&form)
            .send()
    };

    let body: Value = introspect(at).await.unwrap().json().await.unwrap();
    assert_eq!(body["active"], true);
    assert_eq!(body["aud"], json!(["todo-api"]));
    assert_eq!(body["client_id"], "kinde-test-client");
    assert!(body["exp"].is_i64() && body["iat"].is_i64());
    let body: Value = introspect(rt).await.unwrap().json().await.unwrap();
    assert_eq!(body["active"], true);
    let body: Value = introspect("junk").await.unwrap().json().await.unwrap();
    assert_eq!(body, json!({"active": false}));

    // Revoke the access token and the refresh token.
    for token in [at, rt] {
        let resp = c
            .post(kinde.url("/oauth2/revoke"))
            .form(&[
                ("token", token),
                ("client_id", "kinde-test-client"),
                ("client_secret", "kinde-test-secret"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    let body: Value = introspect(at).await.unwrap().json().await.unwrap();
    assert_eq!(body["active"], false);
    let body: Value = introspect(rt).await.unwrap().json().await.unwrap();
    assert_eq!(body["active"], false);
    let resp = refresh(&kinde, &c, rt).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
    let resp = c
        .get(kinde.url("/oauth2/v2/user_profile"))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    // Unknown tokens revoke fine; bad credentials do not.
    let resp = c
        .post(kinde.url("/oauth2/revoke"))
        .form(&[
            ("token", "whatever"),
            ("client_id", "kinde-test-client"),
            ("client_secret", "kinde-test-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = c
        .post(kinde.url("/oauth2/revoke"))
        .form(&[
            ("token", "whatever"),
            ("client_id", "kinde-test-client"),
            ("client_secret", "nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(kinde.requests(Endpoint::Revoke), 4);
    assert_eq!(kinde.requests(Endpoint::Introspect), 5);
}
