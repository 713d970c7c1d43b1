//! Signing keys and minting: key rotation (graceful and hard) and the mint helpers.

use std::time::Duration;

use kinde_core::testing::{MintOptions, TestKinde, TestUser};
use serde_json::json;

use crate::support::{decode_unverified, get_bearer, http, verify_with_served_jwks};

#[tokio::test]
async fn signing_key_rotation() {
    let kinde = TestKinde::start();
    let c = http();
    let user = kinde.users()[0].clone();
    let old_kid = kinde.signing_key_kid();
    let old_token = kinde.mint_access_token(&user, MintOptions::default());

    let new_kid = kinde.rotate_signing_key(true);
    assert_ne!(new_kid, old_kid);
    assert_eq!(kinde.signing_key_kid(), new_kid);
    let new_token = kinde.mint_access_token(&user, MintOptions::default());
    assert_eq!(
        jsonwebtoken::decode_header(&new_token)
            .unwrap()
            .kid
            .as_deref(),
        Some(new_kid.as_str())
    );
    let kids: Vec<String> = kinde.jwks()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kids, [new_kid.clone(), old_kid.clone()]);
    // Both verify while the old key is still published.
    verify_with_served_jwks(&kinde, &c, &old_token).await;
    verify_with_served_jwks(&kinde, &c, &new_token).await;

    let newest = kinde.rotate_signing_key(false);
    assert_eq!(kinde.jwks()["keys"].as_array().unwrap().len(), 1);
    assert_eq!(kinde.jwks()["keys"][0]["kid"], newest.as_str());
    let resp = get_bearer(&c, &kinde.url("/oauth2/v2/user_profile"), &old_token).await;
    assert_eq!(
        resp.status(),
        401,
        "tokens of an unpublished key are rejected"
    );
}

#[tokio::test]
async fn mint_helpers() {
    let kinde = TestKinde::start();
    let c = http();
    let reader = kinde.user("kp_demo_reader").unwrap();
    let token = kinde.mint_access_token(
        &reader,
        MintOptions {
            audience: vec!["todo-api".into()],
            ttl: Some(Duration::from_secs(120)),
            extra_claims: serde_json::from_value(json!({"custom": "yes"})).unwrap(),
            ..MintOptions::default()
        },
    );
    let claims = verify_with_served_jwks(&kinde, &c, &token).await;
    assert_eq!(claims["aud"], json!(["todo-api"]));
    assert_eq!(claims["custom"], "yes");
    assert_eq!(claims["permissions"], json!(["read:todos"]));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        120
    );

    let expired = kinde.mint_id_token(
        &reader,
        MintOptions {
            expired: true,
            nonce: Some("n1".into()),
            ..MintOptions::default()
        },
    );
    let claims = decode_unverified(&expired);
    assert!(claims["exp"].as_i64().unwrap() < jsonwebtoken::get_current_timestamp() as i64 - 300);
    assert_eq!(claims["nonce"], "n1");
    assert_eq!(claims["aud"], json!(["kinde-test-client"]));

    let id_claims = kinde.id_claims(&reader, Some("abc"));
    assert_eq!(id_claims["nonce"], "abc");
    assert_eq!(id_claims["name"], "Grace Hopper");
    let token = kinde.sign_claims(&id_claims);
    assert_eq!(
        verify_with_served_jwks(&kinde, &c, &token).await,
        id_claims.as_object().unwrap().clone()
    );

    let demo = TestUser::demo_users();
    assert_eq!(demo.len(), 3);
    assert_eq!(demo[0].id, "kp_demo_admin");
    assert_eq!(demo[1].permissions, ["read:todos"]);
    assert!(demo[2].permissions.is_empty() && demo[2].roles.is_empty());
}
