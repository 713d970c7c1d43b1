//! The Account API through kinde-core: profile, paginated entitlements, permissions,
//! roles, flags, properties, portal links, and the errors it reports.

use kinde_core::testing::{Endpoint, TestEntitlement, TestKinde};
use kinde_core::{AccessToken, ErrorClass, KindeError, LoginOptions, PortalPage};
use serde_json::json;

use crate::support::{ADMIN, ADMIN_EMAIL, admin, client, query, sign_in};

#[tokio::test]
async fn account_api_through_kinde_core() {
    let server = TestKinde::start();
    // The demo admin with 250 entitlements: three pages of a hundred.
    let mut ada = admin(&server);
    for i in 0..249 {
        ada = ada.entitlement(
            TestEntitlement::new(format!("feature_{i:02}"), format!("Feature {i}"))
                .limits(None, Some(i)),
        );
    }
    let total = ada.entitlements.len();
    assert_eq!(total, 250);
    server.add_user(ada);
    let kinde = client(&server);
    let (session, _) = sign_in(&kinde, LoginOptions::new()).await;
    let token = session.tokens.access_token().clone();

    let profile = kinde.user_profile(&token).await.expect("profile");
    assert_eq!(profile.id, ADMIN);
    assert_eq!(profile.email.as_deref(), Some(ADMIN_EMAIL));
    assert_eq!(profile.given_name.as_deref(), Some("Ada"));
    assert_eq!(profile.family_name.as_deref(), Some("Lovelace"));

    server.reset_counters();
    let ents = kinde.entitlements(&token).await.expect("entitlements");
    assert_eq!(ents.entitlements.len(), total, "every page is followed");
    assert_eq!(server.requests(Endpoint::AccountApi), 3, "three pages");
    let mut keys: Vec<&str> = ents
        .entitlements
        .iter()
        .map(|e| e.feature_key.as_str())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), total, "no duplicates across pages");
    assert_eq!(ents.org_code.as_deref(), Some("org_demo"));
    assert_eq!(
        ents.plans
            .iter()
            .map(|p| p.key.as_str())
            .collect::<Vec<_>>(),
        ["pro"]
    );
    let max = ents.get("max_todos").expect("max_todos");
    assert_eq!(max.entitlement_limit_max, Some(1000));
    assert_eq!(max.price_name.as_deref(), Some("Pro monthly"));
    assert_eq!(
        ents.get("feature_23").and_then(|e| e.entitlement_limit_max),
        Some(23)
    );

    let one = kinde
        .entitlement(&token, "max_todos")
        .await
        .expect("entitlement")
        .expect("found");
    assert_eq!(one.feature_key, "max_todos");
    assert_eq!(one.entitlement_limit_max, Some(1000));
    assert_eq!(
        kinde
            .entitlement(&token, "no_such_feature")
            .await
            .expect("entitlement"),
        None
    );

    let perms = kinde
        .account_permissions(&token)
        .await
        .expect("permissions");
    assert!(perms.contains("read:todos") && perms.contains("write:todos"));
    assert_eq!(perms.items.len(), 2);
    assert_eq!(perms.org_code.as_deref(), Some("org_demo"));
    let roles = kinde.account_roles(&token).await.expect("roles");
    assert!(roles.contains("admin"));
    assert_eq!(roles.items.len(), 1);
    let flags = kinde.account_feature_flags(&token).await.expect("flags");
    assert_eq!(flags.len(), 4);
    let dark = flags
        .iter()
        .find(|f| f.key == "dark_mode")
        .expect("dark_mode");
    assert_eq!(dark.value, json!(true));
    assert_eq!(dark.kind.as_deref(), Some("boolean"));
    let props = kinde.account_properties(&token).await.expect("properties");
    let city = props.iter().find(|p| p.key == "kp_usr_city").expect("city");
    assert_eq!(city.value, json!("London"));

    // Portal links.
    let link = kinde
        .portal_link(
            &token,
            "http://127.0.0.1:9/account",
            Some(PortalPage::OrganizationPlanDetails),
        )
        .await
        .expect("portal link");
    let q = query(&link);
    assert_eq!(q["subnav"], "organization_plan_details");
    assert_eq!(q["return_url"], "http://127.0.0.1:9/account");
    assert!(link.as_str().starts_with(&server.url("/portal")));
    let plain = kinde
        .portal_link(&token, "https://app.example.com/", None)
        .await
        .expect("portal link without page");
    assert!(!query(&plain).contains_key("subnav"));
    let before = server.requests(Endpoint::AccountApi);
    for bad in ["/relative", "javascript:alert(1)", "not a url"] {
        match kinde
            .portal_link(&token, bad, Some(PortalPage::Profile))
            .await
        {
            Err(e @ KindeError::BadRequest(_)) => assert_eq!(e.status(), 400),
            other => panic!("{bad}: expected BadRequest, got {other:?}"),
        }
    }
    assert_eq!(
        server.requests(Endpoint::AccountApi),
        before,
        "rejected before any request"
    );

    // Credentials the Account API refuses.
    match kinde.account_roles(&AccessToken::new("not-a-token")).await {
        Err(e @ KindeError::NotSignedIn) => assert_eq!(e.status(), 401),
        other => panic!("expected NotSignedIn, got {other:?}"),
    }
    let m2m = kinde
        .client_credentials_token(None)
        .await
        .expect("m2m token");
    match kinde.account_permissions(m2m.access_token()).await {
        Err(e @ KindeError::Forbidden(_)) => assert_eq!(e.status(), 403),
        other => panic!("expected Forbidden, got {other:?}"),
    }

    // A cursor that never advances is an error, not an endless loop.
    server.set_account_api_stuck_cursor(true);
    server.reset_counters();
    match kinde.entitlements(&token).await {
        Err(e @ KindeError::Provider(_)) => {
            assert_eq!(e.class(), ErrorClass::BadGateway);
            assert_eq!(e.status(), 502);
        }
        other => panic!("expected a Provider error, got {other:?}"),
    }
    assert_eq!(
        server.requests(Endpoint::AccountApi),
        2,
        "stops at the repeat"
    );
    match kinde.account_feature_flags(&token).await {
        Err(KindeError::Provider(_)) => {}
        other => panic!("expected a Provider error, got {other:?}"),
    }
}
