//! Two tenants side by side: each client accepts only its own tenant's tokens.

use kinde_core::testing::{Endpoint, TestKinde};
use kinde_core::{LoginOptions, TokenRejection};
use serde_json::json;

use crate::support::{admin, assert_rejected, client, rejection, resume, sign_in};

#[tokio::test]
async fn two_tenants_side_by_side_refuse_each_others_tokens() {
    let a = TestKinde::start();
    let b = TestKinde::start();
    assert_ne!(a.issuer(), b.issuer());
    let ka = client(&a);
    let kb = client(&b);

    let (sa, _) = sign_in(&ka, LoginOptions::new()).await;
    let (sb, _) = sign_in(&kb, LoginOptions::new()).await;
    assert_eq!(sa.access.issuer(), Some(a.issuer().as_str()));
    assert_eq!(sb.access.issuer(), Some(b.issuer().as_str()));

    // Each client accepts its own tenant's tokens only.
    ka.verify_access_token(sa.tokens.access_token().secret())
        .await
        .expect("own token");
    kb.verify_access_token(sb.tokens.access_token().secret())
        .await
        .expect("own token");
    let (r, _) = rejection(
        kb.verify_access_token(sa.tokens.access_token().secret())
            .await,
    );
    assert!(
        matches!(r, TokenRejection::UnknownKey | TokenRejection::WrongIssuer),
        "{r:?}"
    );
    let (r, _) = rejection(
        ka.verify_access_token(sb.tokens.access_token().secret())
            .await,
    );
    assert!(
        matches!(r, TokenRejection::UnknownKey | TokenRejection::WrongIssuer),
        "{r:?}"
    );
    let (r, _) = rejection(resume(&kb, &sa.tokens).await);
    assert!(
        matches!(r, TokenRejection::UnknownKey | TokenRejection::WrongIssuer),
        "{r:?}"
    );
    // Even signed by B's own key, a token naming A as issuer is refused by B.
    let mut c = b.access_claims(&admin(&b), &[]);
    c["iss"] = json!(a.issuer());
    assert_rejected(
        kb.verify_access_token(&b.sign_claims(&c)).await,
        TokenRejection::WrongIssuer,
    );
    // Each client only talked to its own tenant.
    for server in [&a, &b] {
        assert_eq!(server.requests(Endpoint::Authorize), 1);
        assert_eq!(server.requests(Endpoint::Token), 1);
        assert!((1..=2).contains(&server.requests(Endpoint::Jwks)));
    }
}
