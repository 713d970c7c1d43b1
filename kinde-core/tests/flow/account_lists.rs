//! Account API lists at scale and with bad data: pages of a hundred (`page_size`), so a
//! long list takes few requests; a `plans` Kinde should not send is an error naming it,
//! not an empty list.

use kinde_core::testing::{Endpoint, TestKinde};
use kinde_core::{ErrorClass, KindeError, LoginOptions};
use serde_json::json;

use crate::support::{admin, client, sign_in};

#[tokio::test]
async fn a_long_list_is_fetched_in_pages_of_a_hundred() {
    let server = TestKinde::start();
    let mut ada = admin(&server);
    ada.permissions.clear();
    for i in 0..250 {
        ada = ada.permission(format!("read:report_{i:03}"));
    }
    server.add_user(ada);
    let kinde = client(&server);
    let (session, _) = sign_in(&kinde, LoginOptions::new()).await;
    let token = session.tokens.access_token().clone();

    server.reset_counters();
    let permissions = kinde
        .account_permissions(&token)
        .await
        .expect("permissions");
    assert_eq!(permissions.items.len(), 250);
    assert!(permissions.contains("read:report_249"));
    // The server pages by the `page_size` it is sent (10 without one: 25 requests).
    assert_eq!(server.requests(Endpoint::AccountApi), 3);

    // Every list pages the same way.
    server.reset_counters();
    let roles = kinde.account_roles(&token).await.expect("roles");
    let flags = kinde.account_feature_flags(&token).await.expect("flags");
    kinde.account_properties(&token).await.expect("properties");
    assert!(!roles.items.is_empty() && !flags.is_empty());
    assert_eq!(server.requests(Endpoint::AccountApi), 3, "one page each");
}

#[tokio::test]
async fn malformed_plans_are_an_error_naming_the_field() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let (session, _) = sign_in(&kinde, LoginOptions::new()).await;
    let token = session.tokens.access_token().clone();

    let good = kinde.entitlements(&token).await.expect("entitlements");
    assert!(!good.plans.is_empty(), "the demo admin has a plan");

    for malformed in [
        json!("pro"),
        json!([{"subscribed_on": "2024-01-01"}]),
        json!({}),
    ] {
        server.set_entitlement_plans_override(Some(malformed.clone()));
        let err = kinde.entitlements(&token).await.unwrap_err();
        assert!(
            matches!(err, KindeError::Provider(_)),
            "{malformed}: {err:?}"
        );
        assert_eq!(err.class(), ErrorClass::BadGateway);
        assert!(err.to_string().contains("`plans`"), "{err}");
    }

    // No plans at all (`null`, or an empty list) is not an error.
    for none in [json!(null), json!([])] {
        server.set_entitlement_plans_override(Some(none));
        let ents = kinde.entitlements(&token).await.expect("no plans");
        assert!(ents.plans.is_empty());
        assert_eq!(ents.entitlements, good.entitlements);
    }

    server.set_entitlement_plans_override(None);
    assert_eq!(kinde.entitlements(&token).await.expect("restored"), good);
}
