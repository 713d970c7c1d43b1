//! Exchanging a code: PKCE mismatch, reuse (which revokes its tokens), expiry and a
//! redirect URI mismatch are refused.

use std::time::Duration;

use kinde_core::testing::TestKinde;
use serde_json::Value;

use crate::support::{
    DEFAULT_CLIENT, REDIRECT, authorize, error_of, exchange, get_bearer, http, location, login,
    pkce, query_map, refresh, token_request_basic,
};

#[tokio::test]
async fn pkce_mismatch_is_rejected() {
    let kinde = TestKinde::start();
    let c = http();
    let (code, _verifier) = login(&kinde, &c, &[]).await;
    let other = pkce();
    let resp = exchange(&kinde, &c, &code, &other.verifier, REDIRECT).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));

    // Missing verifier.
    let (code, _) = login(&kinde, &c, &[]).await;
    let resp = token_request_basic(
        &kinde,
        &c,
        DEFAULT_CLIENT,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(error_of(resp).await, (400, "invalid_request".into()));

    // Authorize without PKCE or with plain: error redirect.
    let p = pkce();
    for extra in [
        vec![("code_challenge", ""), ("code_challenge_method", "")],
        vec![("code_challenge_method", "plain")],
    ] {
        let resp = authorize(&kinde, &c, &p.challenge, &extra).await;
        assert_eq!(resp.status(), 302);
        let q = query_map(&location(&resp));
        assert_eq!(q["error"], "invalid_request");
        assert_eq!(q["state"], "state-123");
        assert!(!q.contains_key("code"));
    }
}

#[tokio::test]
async fn code_reuse_is_rejected_and_revokes_its_tokens() {
    let kinde = TestKinde::start();
    let c = http();
    let (code, verifier) = login(&kinde, &c, &[]).await;
    let first = exchange(&kinde, &c, &code, &verifier, REDIRECT).await;
    assert_eq!(first.status(), 200);
    let tokens: Value = first.json().await.unwrap();
    let second = exchange(&kinde, &c, &code, &verifier, REDIRECT).await;
    assert_eq!(error_of(second).await, (400, "invalid_grant".into()));

    // RFC 6749 §4.1.2: tokens issued from a reused code are revoked.
    let resp = refresh(&kinde, &c, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
    let resp = get_bearer(
        &c,
        &kinde.url("/oauth2/v2/user_profile"),
        tokens["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(resp.status(), 401);

    // Unknown code.
    let resp = exchange(&kinde, &c, "not-a-code", &verifier, REDIRECT).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn expired_code_is_rejected() {
    let kinde = TestKinde::builder()
        .authorization_code_ttl(Duration::from_millis(50))
        .start();
    let c = http();
    let (code, verifier) = login(&kinde, &c, &[]).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let resp = exchange(&kinde, &c, &code, &verifier, REDIRECT).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn redirect_uri_mismatch_is_rejected() {
    let kinde = TestKinde::start();
    let c = http();
    let (code, verifier) = login(&kinde, &c, &[]).await;
    let resp = exchange(&kinde, &c, &code, &verifier, "http://localhost:3000/other").await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
}
