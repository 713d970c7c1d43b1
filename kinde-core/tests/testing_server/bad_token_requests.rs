//! Token requests the endpoint refuses: unsupported grants, non-form bodies, bytes that
//! are not a form, malformed Basic credentials.

use kinde_core::testing::{Endpoint, TestKinde};

use crate::support::{DEFAULT_CLIENT, error_of, http, post_body, token_request_basic};

#[tokio::test]
async fn unsupported_and_malformed_token_requests() {
    let kinde = TestKinde::start();
    let c = http();
    let resp = token_request_basic(&kinde, &c, DEFAULT_CLIENT, &[("grant_type", "password")]).await;
    assert_eq!(error_of(resp).await, (400, "unsupported_grant_type".into()));

    let resp = post_body(
        &c,
        &kinde.url("/oauth2/token"),
        "application/json",
        r#"{"grant_type":"client_credentials"}"#,
    )
    .await;
    assert_eq!(error_of(resp).await, (400, "invalid_request".into()));

    let resp = post_body(
        &c,
        &kinde.url("/oauth2/token"),
        "application/x-www-form-urlencoded",
        vec![0xff, 0xfe, b'&', b'=', b'%'],
    )
    .await;
    assert!(resp.status().is_client_error());

    let resp = c
        .post(kinde.url("/oauth2/token"))
        .header("authorization", "Basic !!!not-base64")
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await, (401, "invalid_client".into()));
    assert_eq!(kinde.requests(Endpoint::Token), 4);
    assert_eq!(kinde.token_requests("password"), 1);
}
