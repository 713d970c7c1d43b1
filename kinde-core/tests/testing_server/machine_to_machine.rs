//! The client-credentials grant: an M2M token's claims, and that it is not a user token.

use kinde_core::testing::TestKinde;
use serde_json::{Value, json};

use crate::support::{get_bearer, http, token_request, verify_with_served_jwks};

#[tokio::test]
async fn client_credentials_m2m_token() {
    let kinde = TestKinde::start();
    let c = http();
    let api = format!("{}/api", kinde.issuer());
    let resp = token_request(
        &kinde,
        &c,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "kinde-test-client"),
            ("client_secret", "kinde-test-secret"),
            ("audience", api.as_str()),
            ("scope", "read:users write:users"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert!(body.get("refresh_token").is_none());
    assert!(body.get("id_token").is_none());
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    let claims = verify_with_served_jwks(&kinde, &c, body["access_token"].as_str().unwrap()).await;
    let mut keys: Vec<&str> = claims.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "aud", "azp", "exp", "gty", "iat", "iss", "jti", "scope", "scp", "v"
        ]
    );
    assert_eq!(claims["aud"], json!([api]));
    assert_eq!(claims["azp"], "kinde-test-client");
    assert_eq!(claims["gty"], json!(["client_credentials"]));
    assert_eq!(claims["scope"], "read:users write:users");
    assert_eq!(claims["scp"], json!(["read:users", "write:users"]));
    assert_eq!(kinde.token_requests("client_credentials"), 1);

    // An M2M token is not a user token for the Account API.
    let resp = get_bearer(
        &c,
        &kinde.url("/account_api/v1/permissions"),
        body["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(resp.status(), 403);
}
