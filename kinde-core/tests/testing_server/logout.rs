//! Logout redirects and pages, request counters and recorded history.

use kinde_core::testing::{Endpoint, TestKinde};

use crate::support::{get, get_query, http, location, login_tokens, query_map};

#[tokio::test]
async fn logout_and_counters() {
    let kinde = TestKinde::start();
    let c = http();
    let resp = get_query(
        &c,
        &kinde.url("/logout"),
        &[("redirect", "http://localhost:3000/bye")],
    )
    .await;
    assert_eq!(resp.status(), 302);
    assert_eq!(location(&resp).as_str(), "http://localhost:3000/bye");
    let resp = get(&c, &kinde.url("/logout")).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("signed out"));
    let resp = get_query(
        &c,
        &kinde.url("/logout"),
        &[("redirect", "javascript:alert(1)")],
    )
    .await;
    assert_eq!(resp.status(), 400);
    let logouts = kinde.logouts();
    assert_eq!(logouts.len(), 3);
    assert_eq!(
        query_map(&logouts[0])["redirect"],
        "http://localhost:3000/bye"
    );
    assert_eq!(kinde.requests(Endpoint::Logout), 3);

    login_tokens(&kinde, &c, &[]).await;
    assert_eq!(kinde.requests(Endpoint::Authorize), 1);
    assert_eq!(kinde.requests(Endpoint::Token), 1);
    assert_eq!(kinde.token_requests("authorization_code"), 1);
    assert_eq!(kinde.requests(Endpoint::Discovery), 0);
    kinde.reset_counters();
    for e in [
        Endpoint::Discovery,
        Endpoint::Jwks,
        Endpoint::Authorize,
        Endpoint::Token,
        Endpoint::Logout,
        Endpoint::UserProfile,
        Endpoint::Introspect,
        Endpoint::Revoke,
        Endpoint::AccountApi,
    ] {
        assert_eq!(kinde.requests(e), 0, "{e:?}");
    }
    assert_eq!(kinde.token_requests("authorization_code"), 0);
    assert_eq!(
        kinde.logouts().len(),
        3,
        "history is kept by reset_counters"
    );
    kinde.clear_history();
    assert!(kinde.logouts().is_empty() && kinde.authorize_requests().is_empty());

    let resp = get(&c, &kinde.url("/no/such/path")).await;
    assert_eq!(resp.status(), 404);
}
