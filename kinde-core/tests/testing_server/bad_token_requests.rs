//! Token requests the endpoint refuses: unsupported grants, non-form bodies, bytes that
//! are not a form, malformed Basic credentials.

use kinde_core::testing::{Endpoint, TestKinde};

use crate::support::{error_of, http};

#[tokio::test]
async fn unsupported_and_malformed_token_requests() {
    let kinde = TestKinde::start();
    let c = http();
    let resp = c
        .post(kinde.url("/oauth2/token"))
        .basic_auth("kinde-test-client", Some("kinde-test-secret"))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await, (400, "unsupported_grant_type".into()));

    let resp = c
        .post(kinde.url("/oauth2/token"))
        .header("content-type", "application/json")
        .body(r#"{"grant_type":"client_credentials"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await, (400, "invalid_request".into()));

    let resp = c
        .post(kinde.url("/oauth2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, b'&', b'=', b'%'])
        .send()
        .await
        .unwrap();
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
