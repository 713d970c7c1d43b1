//! Machine-to-machine: client-credentials tokens verify, are cached per audience, and
//! fail cleanly for public clients and wrong secrets.

use kinde_core::testing::{Endpoint, TestKinde};
use kinde_core::{AudiencePolicy, KindeError, TokenRejection};
use serde_json::json;

use crate::support::{assert_rejected, build_client, client, client_with};

#[tokio::test]
async fn client_credentials_token_verifies_and_is_cached() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let aud = format!("{}/api", server.issuer());

    let m2m = kinde
        .client_credentials_token(Some(&aud))
        .await
        .expect("m2m token");
    assert_eq!(server.token_requests("client_credentials"), 1);
    assert!(m2m.expires_at() > 0);

    // Signed by the tenant, but not a webhook: no event in it.
    let err = kinde
        .verify_webhook(m2m.secret().as_bytes())
        .await
        .expect_err("an M2M token is not a webhook");
    assert_eq!(err.status(), 400, "{err}");
    let claims = client_with(&server, |b| b.audience_policy(AudiencePolicy::Unchecked))
        .verify_access_token(m2m.secret())
        .await
        .expect("verifies without an audience check");
    assert_eq!(claims.audience(), [aud.as_str()]);
    assert_eq!(claims.get("gty"), Some(&json!(["client_credentials"])));
    let api = client_with(&server, |b| {
        b.audience_policy(AudiencePolicy::OneOf(vec![aud.clone()]))
    });
    api.verify_access_token(m2m.secret())
        .await
        .expect("verifies for its audience");
    // A client that requested no API refuses a token minted for one.
    assert_rejected(
        kinde.verify_access_token(m2m.secret()).await,
        TokenRejection::WrongAudience,
    );

    let tokens = server.requests(Endpoint::Token);
    let again = kinde
        .client_credentials_token(Some(&aud))
        .await
        .expect("cached");
    assert_eq!(again.secret(), m2m.secret());
    assert_eq!(
        server.requests(Endpoint::Token),
        tokens,
        "served from cache"
    );
    assert_eq!(server.token_requests("client_credentials"), 1);

    // Another audience is another token.
    let other = kinde
        .client_credentials_token(Some("other-api"))
        .await
        .expect("other audience");
    assert_ne!(other.secret(), m2m.secret());
    assert_eq!(server.token_requests("client_credentials"), 2);

    // A public client cannot use the grant.
    let public = build_client(
        kinde_core::KindeConfig::builder()
            .domain(server.issuer())
            .client_id(server.client_id()),
    );
    match public.client_credentials_token(Some(&aud)).await {
        Err(e @ KindeError::Config(_)) => assert_eq!(e.status(), 500),
        other => panic!("expected a configuration error, got {other:?}"),
    }
    // A wrong secret is a configuration error, named as such.
    let wrong = build_client(server.config_builder().client_secret("wrong-secret"));
    match wrong.client_credentials_token(Some(&aud)).await {
        Err(e @ KindeError::Config(_)) => {
            assert!(!e.to_string().contains("wrong-secret"), "{e}");
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
}
