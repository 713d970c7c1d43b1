//! Kinde down or slow: unreachable server, discovery off, token endpoint failures and
//! timeouts are 503s, and a callback that met an outage can be retried.

use std::time::Duration;

use kinde_core::testing::{Endpoint, TestKinde, TestSigner};
use kinde_core::{AccessToken, CallbackParams, LoginOptions, TokenSet};
use serde_json::json;

use crate::support::{
    ADMIN, POST_LOGOUT, REDIRECT, assert_unavailable, build_client, client, client_with,
    closed_port, follow_authorize, pending_with, resume, sign_in, signed_in, without_query,
};

#[tokio::test]
async fn kinde_unreachable_gives_503_but_login_urls_still_work() {
    let port = closed_port();
    let kinde = build_client(
        kinde_core::KindeConfig::builder()
            .domain(format!("http://127.0.0.1:{port}"))
            .client_id("kinde-test-client")
            .client_secret("kinde-test-secret")
            .redirect_uri(REDIRECT)
            .post_logout_redirect_url(POST_LOGOUT)
            .connect_timeout(Duration::from_secs(5)),
    );

    // Fixed endpoints when discovery fails.
    let login = kinde
        .login_url(LoginOptions::new())
        .await
        .expect("login_url");
    assert_eq!(
        without_query(&login.url),
        format!("http://127.0.0.1:{port}/oauth2/auth")
    );
    let logout = kinde.logout_url(None).await.unwrap();
    assert_eq!(logout.path(), "/logout");

    let signer = TestSigner::generate();
    let token = signer.sign(&json!({
        "iss": format!("http://127.0.0.1:{port}"), "sub": "kp_x", "aud": [],
        "exp": 4_102_444_800u64,
    }));
    assert_unavailable(kinde.verify_access_token(&token).await);
    assert_unavailable(kinde.verify_webhook(token.as_bytes()).await);

    let mut pending = pending_with(&kinde, &login);
    let params = CallbackParams {
        code: Some("some-code".into()),
        state: Some(login.pending.state().to_string()),
        ..CallbackParams::default()
    };
    assert_unavailable(kinde.complete_login(&params, &mut pending).await);

    let tokens = TokenSet::new(token.clone(), None, Some("rt".into()), 1);
    assert_unavailable(kinde.refresh(&tokens).await);
    assert_unavailable(resume(&kinde, &tokens).await);
    assert_unavailable(kinde.client_credentials_token(Some("api")).await);
    assert_unavailable(kinde.user_profile(&AccessToken::new(token.as_str())).await);
    assert_unavailable(kinde.entitlements(&AccessToken::new(token.as_str())).await);
}

#[tokio::test]
async fn discovery_down_falls_back_to_fixed_endpoints() {
    let server = TestKinde::start();
    server.set_discovery_available(false);
    let kinde = client(&server);
    let (session, _) = sign_in(&kinde, LoginOptions::new()).await;
    assert_eq!(session.user().expect("user").id, ADMIN);
    assert_eq!(
        server.requests(Endpoint::Discovery),
        1,
        "discovery is not retried on every call"
    );
}

#[tokio::test]
async fn token_endpoint_failures_and_slowness_are_503() {
    let server = TestKinde::start();
    let kinde = client(&server);

    for status in [500, 502, 503] {
        server.set_token_endpoint_failure(Some(status));
        let login = kinde.login_url(LoginOptions::new()).await.expect("login");
        let mut pending = pending_with(&kinde, &login);
        let cb = follow_authorize(&login.url).await;
        assert_unavailable(kinde.complete_login(&cb, &mut pending).await);
    }
    server.set_token_endpoint_failure(None);

    // Slower than http_timeout.
    let impatient = client_with(&server, |b| b.http_timeout(Duration::from_secs(1)));
    server.set_token_delay(Duration::from_secs(3));
    let login = impatient
        .login_url(LoginOptions::new())
        .await
        .expect("login");
    let mut pending = pending_with(&impatient, &login);
    let cb = follow_authorize(&login.url).await;
    assert_unavailable(impatient.complete_login(&cb, &mut pending).await);
    server.set_token_delay(Duration::ZERO);

    // And the service recovers.
    let (session, _) = sign_in(&kinde, LoginOptions::new()).await;
    assert!(session.tokens.refresh_token().is_some());
    // A refresh during an outage is a 503 and leaves the session usable.
    server.set_token_endpoint_failure(Some(503));
    assert_unavailable(kinde.refresh(&session.tokens).await);
    server.set_token_endpoint_failure(None);
    let refreshed = kinde.refresh(&session.tokens).await.expect("refresh");
    assert!(refreshed.refreshed);
}

/// A callback that failed only because Kinde's token endpoint was unreachable did not
/// use the code: the pending login is kept, and the same callback completes once Kinde
/// is back (a visitor reloading the error page signs in).
#[tokio::test]
async fn a_callback_that_met_an_outage_can_be_retried() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let login = kinde
        .login_url(LoginOptions::new().return_to("/after"))
        .await
        .unwrap();
    let mut pending = pending_with(&kinde, &login);
    let callback = follow_authorize(&login.url).await;

    server.set_token_endpoint_failure(Some(503));
    let err = kinde
        .complete_login(&callback, &mut pending)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 503, "{err}");
    assert_eq!(pending.len(), 1, "the pending login survives an outage");

    server.set_token_endpoint_failure(None);
    let (session, return_to) =
        signed_in(kinde.complete_login(&callback, &mut pending).await.unwrap());
    assert_eq!(return_to, "/after");
    assert!(session.user().is_some());
    assert!(
        pending.is_empty(),
        "and is consumed by the successful exchange"
    );
    // Single use still holds.
    assert!(kinde.complete_login(&callback, &mut pending).await.is_err());
}
