//! Logout: the logout URL, background revocation of the refresh token, and the redirect
//! back to the application.

use std::time::{Duration, Instant};

use kinde_core::LoginOptions;
use kinde_core::testing::{Endpoint, TestKinde};

use crate::support::{
    POST_LOGOUT, REDIRECT, assert_session_ended, browser_get, build_client, client, location,
    query, sign_in, without_query,
};

#[tokio::test]
async fn logout_url_and_background_revocation() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let (session, _) = sign_in(&kinde, LoginOptions::new()).await;
    let tokens = session.tokens.clone();

    let url = kinde.logout_url(Some(&tokens)).await.unwrap();
    assert_eq!(without_query(&url), server.url("/logout"));
    let q = query(&url);
    assert_eq!(q["redirect"], POST_LOGOUT);
    assert!(
        !q.contains_key("redirect_uri"),
        "Kinde's parameter is `redirect`"
    );
    assert_eq!(Some(q["id_token_hint"].as_str()), tokens.id_token());

    let deadline = Instant::now() + Duration::from_secs(10);
    while server.requests(Endpoint::Revoke) == 0 {
        assert!(
            Instant::now() < deadline,
            "the refresh token was never revoked"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(server.requests(Endpoint::Revoke), 1);
    assert_session_ended(kinde.refresh(&tokens).await);

    // The browser follows the logout URL back to the application.
    let resp = browser_get(&url).await;
    assert_eq!(resp.status().as_u16(), 302);
    assert_eq!(location(&resp), POST_LOGOUT);
    assert_eq!(server.logouts().len(), 1);

    // Without tokens: no hint, nothing revoked.
    let url = kinde.logout_url(None).await.unwrap();
    let q = query(&url);
    assert_eq!(q["redirect"], POST_LOGOUT);
    assert!(!q.contains_key("id_token_hint"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.requests(Endpoint::Revoke), 1);

    // Without a post-logout URL configured, there is no redirect parameter.
    let bare = build_client(server.config_builder().redirect_uri(REDIRECT));
    assert!(!query(&bare.logout_url(None).await.unwrap()).contains_key("redirect"));
}
