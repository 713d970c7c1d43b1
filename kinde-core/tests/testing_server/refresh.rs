//! Refresh tokens: rotation with and without a grace period, reuse revoking the family,
//! the revocation knob, expiry, and user changes showing in refreshed tokens.

use std::time::Duration;

use kinde_core::testing::TestKinde;
use serde_json::{Value, json};

use crate::support::{
    DEFAULT_CLIENT, decode_unverified, error_of, http, login_tokens, refresh, token_request_basic,
    verify_with_served_jwks,
};

#[tokio::test]
async fn refresh_rotation_with_grace_then_reuse_revokes_family() {
    let grace = Duration::from_millis(1000);
    let kinde = TestKinde::builder().refresh_grace(grace).start();
    let c = http();
    let tokens = login_tokens(&kinde, &c, &[]).await;
    let rt0 = tokens["refresh_token"].as_str().unwrap().to_string();

    let resp = refresh(&kinde, &c, &rt0).await;
    assert_eq!(resp.status(), 200);
    let t1: Value = resp.json().await.unwrap();
    let rt1 = t1["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rt0, rt1, "refresh tokens rotate");
    assert_ne!(t1["access_token"], tokens["access_token"]);
    let id1 = verify_with_served_jwks(&kinde, &c, t1["id_token"].as_str().unwrap()).await;
    assert!(
        !id1.contains_key("nonce"),
        "a refreshed ID token carries no nonce"
    );
    assert_eq!(id1["sub"], "kp_demo_admin");

    // Within the grace the old token still works (e.g. a concurrent request).
    let resp = refresh(&kinde, &c, &rt0).await;
    assert_eq!(resp.status(), 200);

    // After the grace it is reuse: rejected, and the whole family dies.
    tokio::time::sleep(grace + Duration::from_millis(100)).await;
    let resp = refresh(&kinde, &c, &rt0).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
    let resp = refresh(&kinde, &c, &rt1).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));

    // Other logins are unaffected.
    let other = login_tokens(&kinde, &c, &[]).await;
    let resp = refresh(&kinde, &c, other["refresh_token"].as_str().unwrap()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(kinde.token_requests("refresh_token"), 5);
    assert_eq!(kinde.token_requests("authorization_code"), 2);
}

#[tokio::test]
async fn refresh_without_grace_and_revocation_knob() {
    let kinde = TestKinde::start();
    let c = http();
    let tokens = login_tokens(&kinde, &c, &[]).await;
    let rt0 = tokens["refresh_token"].as_str().unwrap();
    let t1: Value = refresh(&kinde, &c, rt0).await.json().await.unwrap();
    let rt1 = t1["refresh_token"].as_str().unwrap();
    // Default grace is zero: immediate reuse is detected.
    let resp = refresh(&kinde, &c, rt0).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
    let resp = refresh(&kinde, &c, rt1).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));

    // revoke_refresh_tokens kills every outstanding token.
    let a = login_tokens(&kinde, &c, &[]).await;
    let b = login_tokens(&kinde, &c, &[]).await;
    kinde.revoke_refresh_tokens();
    for t in [&a, &b] {
        let resp = refresh(&kinde, &c, t["refresh_token"].as_str().unwrap()).await;
        assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
    }

    // Unknown token, missing token.
    let resp = refresh(&kinde, &c, "garbage").await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
    let resp = token_request_basic(
        &kinde,
        &c,
        DEFAULT_CLIENT,
        &[("grant_type", "refresh_token")],
    )
    .await;
    assert_eq!(error_of(resp).await, (400, "invalid_request".into()));
}

#[tokio::test]
async fn refresh_token_expiry_and_user_updates() {
    let kinde = TestKinde::builder()
        .refresh_token_ttl(Duration::from_millis(1000))
        .start();
    let c = http();
    let tokens = login_tokens(&kinde, &c, &[]).await;

    // Changing the user shows up in refreshed tokens.
    let admin = kinde.user("kp_demo_admin").unwrap();
    kinde.add_user(admin.permission("delete:todos"));
    let t1: Value = refresh(&kinde, &c, tokens["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    let at = decode_unverified(t1["access_token"].as_str().unwrap());
    assert_eq!(
        at["permissions"],
        json!(["read:todos", "write:todos", "delete:todos"])
    );
    assert_eq!(kinde.users().len(), 3, "add_user replaced by id");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let resp = refresh(&kinde, &c, t1["refresh_token"].as_str().unwrap()).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
}
