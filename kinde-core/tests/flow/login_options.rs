//! Register, create-org and switch-org URLs, every login option, and audiences reach
//! Kinde and shape the session.

use kinde_core::LoginOptions;
use kinde_core::testing::TestKinde;

use crate::support::{
    client, client_with, follow_authorize, pending_with, query, sign_in, signed_in,
};

#[tokio::test]
async fn register_create_org_switch_org_and_options_reach_kinde() {
    let server = TestKinde::start();
    let kinde = client(&server);

    let register = kinde
        .register_url(LoginOptions::new())
        .await
        .expect("register_url");
    let q = query(&register.url);
    assert_eq!(q["prompt"], "create");
    assert!(!q.contains_key("is_create_org"));

    let create = kinde
        .create_org_url(Some("Acme Rockets"), LoginOptions::new())
        .await
        .expect("create_org_url");
    let q = query(&create.url);
    assert_eq!(q["prompt"], "create");
    assert_eq!(q["is_create_org"], "true");
    assert_eq!(q["org_name"], "Acme Rockets");
    // Driven through Kinde: the new organisation is the session's.
    let mut pending = pending_with(&kinde, &create);
    let cb = follow_authorize(&create.url).await;
    let (session, _) = signed_in(
        kinde
            .complete_login(&cb, &mut pending)
            .await
            .expect("login"),
    );
    let org = session.organization().expect("org");
    assert!(
        org.code.starts_with("org_") && org.code != "org_demo",
        "{org:?}"
    );
    assert_eq!(org.name.as_deref(), Some("Acme Rockets"));

    let switch = kinde
        .switch_org_url("org_demo_labs", LoginOptions::new())
        .await
        .expect("switch_org_url");
    let q = query(&switch.url);
    assert_eq!(q["prompt"], "none");
    assert_eq!(q["org_code"], "org_demo_labs");
    let mut pending = pending_with(&kinde, &switch);
    let cb = follow_authorize(&switch.url).await;
    let (session, _) = signed_in(
        kinde
            .complete_login(&cb, &mut pending)
            .await
            .expect("login"),
    );
    assert_eq!(
        session.organization().map(|o| o.code).as_deref(),
        Some("org_demo_labs")
    );

    // Every login option reaches Kinde.
    server.clear_history();
    let opts = LoginOptions::new()
        .org_code("org_demo_labs")
        .login_hint("grace.hopper@example.com")
        .lang("fr")
        .connection_id("conn_google")
        .invitation_code("inv_123")
        .plan_interest("pro")
        .pricing_table_key("main_table")
        .has_success_page(true)
        .workflow_deployment_id("wf_1")
        .extra("custom_param", "x")
        .extra("state", "attacker-chosen");
    let login = kinde.login_url(opts).await.expect("login_url");
    let mut pending = pending_with(&kinde, &login);
    let cb = follow_authorize(&login.url).await;
    let seen = server.authorize_requests();
    assert_eq!(seen.len(), 1);
    let q = query(&seen[0]);
    for (k, v) in [
        ("org_code", "org_demo_labs"),
        ("login_hint", "grace.hopper@example.com"),
        ("lang", "fr"),
        ("connection_id", "conn_google"),
        ("invitation_code", "inv_123"),
        ("is_invitation", "true"),
        ("plan_interest", "pro"),
        ("pricing_table_key", "main_table"),
        ("has_success_page", "true"),
        ("workflow_deployment_id", "wf_1"),
        ("custom_param", "x"),
    ] {
        assert_eq!(q.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert_eq!(
        q["state"],
        login.pending.state(),
        "options cannot override state"
    );
    assert_eq!(
        seen[0].query_pairs().filter(|(k, _)| k == "state").count(),
        1
    );
    let (session, _) = signed_in(
        kinde
            .complete_login(&cb, &mut pending)
            .await
            .expect("login"),
    );
    // login_hint picked Grace; she is not in org_demo_labs, so Kinde used her own org.
    assert_eq!(session.user().expect("user").id, "kp_demo_reader");

    // Audiences: configured, and overridden per login; the token carries them.
    let api = client_with(&server, |b| b.audience("my-api"));
    let login = api.login_url(LoginOptions::new()).await.expect("login_url");
    assert_eq!(query(&login.url)["audience"], "my-api");
    server.clear_history();
    let (session, _) = sign_in(&api, LoginOptions::new().audience(["my-api", "second-api"])).await;
    let q = query(&server.last_authorize_request().expect("authorize request"));
    assert_eq!(q["audience"], "my-api second-api");
    assert_eq!(session.access.audience(), ["my-api", "second-api"]);
}
