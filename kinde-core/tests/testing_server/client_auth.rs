//! Client authentication at the token endpoint: Basic and post credentials, public
//! clients without a secret.

use kinde_core::testing::{TestClient, TestKinde};

use crate::support::{
    DEFAULT_CLIENT, REDIRECT, client_credentials, error_of, http, login, token_request,
    token_request_basic,
};

#[tokio::test]
async fn client_authentication() {
    let kinde = TestKinde::start();
    let c = http();

    // Wrong secret via client_secret_post.
    let (code, verifier) = login(&kinde, &c, &[]).await;
    let resp = token_request(
        &kinde,
        &c,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", verifier.as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", "kinde-test-client"),
            ("client_secret", "wrong"),
        ],
    )
    .await;
    assert!(
        resp.headers()
            .contains_key(reqwest::header::WWW_AUTHENTICATE)
    );
    assert_eq!(error_of(resp).await, (401, "invalid_client".into()));

    // Wrong secret via client_secret_basic.
    let resp = token_request_basic(
        &kinde,
        &c,
        ("kinde-test-client", Some("wrong")),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(error_of(resp).await, (401, "invalid_client".into()));

    // No secret at all for a confidential client; unknown client.
    for form in [
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", "kinde-test-client"),
        ],
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", "nobody"),
            ("client_secret", "x"),
        ],
    ] {
        let resp = token_request(&kinde, &c, &form).await;
        assert_eq!(error_of(resp).await, (401, "invalid_client".into()));
    }

    // Correct Basic credentials work for the code grant.
    let (code, verifier) = login(&kinde, &c, &[]).await;
    let resp = token_request_basic(
        &kinde,
        &c,
        DEFAULT_CLIENT,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", verifier.as_str()),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn public_client_uses_pkce_without_secret() {
    let kinde = TestKinde::builder()
        .client(TestClient::public("spa-client"))
        .client(TestClient::confidential("backend", "s3cret"))
        .start();
    assert_eq!(kinde.client_id(), "spa-client");
    assert_eq!(kinde.client_secret(), None);
    assert_eq!(kinde.clients().len(), 2);
    let c = http();
    let (code, verifier) = login(&kinde, &c, &[]).await;
    let resp = token_request(
        &kinde,
        &c,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", verifier.as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", "spa-client"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 200);

    // A public client sending a secret is refused.
    let resp = token_request(
        &kinde,
        &c,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "spa-client"),
            ("client_secret", "anything"),
        ],
    )
    .await;
    assert_eq!(error_of(resp).await, (401, "invalid_client".into()));

    // No client_credentials for a public client; the default client was replaced.
    let resp = token_request(
        &kinde,
        &c,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "spa-client"),
        ],
    )
    .await;
    assert_eq!(error_of(resp).await, (400, "unauthorized_client".into()));
    let resp = client_credentials(&kinde, &c).await;
    assert_eq!(error_of(resp).await, (401, "invalid_client".into()));
}
