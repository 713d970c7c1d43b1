//! The Management API changes what a signed-in user is, seen through each adapter's
//! example app over real HTTP: a user and an organisation created through
//! `kinde-management`, a role with a permission given to the user there, the user signed
//! in (the permission in `/me` and `RequirePermission` letting `/todos` through), the
//! role taken away, and after the next refresh the permission gone and `/todos` a 403;
//! or at once, when the app forces a refresh of the user's sessions.

use std::time::{Duration, Instant};

use kinde_core::redis::{RedisRefreshStore, connect};
use kinde_core::testing::{TestKinde, TestRedis};
use kinde_e2e::instances::{Adapter, instance};
use kinde_e2e::{App, AppKind, Browser, StartApp, app_config, starters, status_body};
use kinde_management::{Client, types};

/// `/me` as JSON: the status and the permission keys.
async fn permissions(b: &Browser) -> (u16, Vec<String>) {
    let (status, body) = status_body(b.get_json("/me").await).await;
    let keys = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| serde_json::from_value(v["permissions"].clone()).ok())
        .unwrap_or_default();
    (status, keys)
}

async fn todos(b: &Browser) -> u16 {
    status_body(b.get_json("/todos").await).await.0
}

/// What [`reader`] made.
struct Reader {
    api: Client,
    user_id: String,
    org: String,
    role_id: String,
}

/// Through the Management API of `tk`: a new user, Mary, in a new organisation, with a
/// role there that grants `read:todos`.
async fn reader(tk: &TestKinde) -> Reader {
    let m2m = kinde_core::Kinde::new(tk.config_builder().build().unwrap()).unwrap();
    let api = Client::from_kinde(&m2m).unwrap();

    // A new user in a new organisation.
    let user_id = api
        .create_user()
        .body(types::CreateUserBody {
            profile: Some(types::CreateUserBodyProfile {
                given_name: Some("Mary".into()),
                family_name: Some("Somerville".into()),
                picture: None,
            }),
            identities: vec![types::CreateUserBodyIdentitiesItem {
                type_: Some(types::CreateUserBodyIdentitiesItemType::Email),
                details: Some(types::CreateUserBodyIdentitiesItemDetails {
                    email: Some("mary@example.com".into()),
                    ..Default::default()
                }),
                is_verified: Some(true),
            }],
            ..Default::default()
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .id
        .unwrap();
    let org = api
        .create_organization()
        .body_map(|b| b.name("Analytical Engines"))
        .send()
        .await
        .unwrap()
        .into_inner()
        .organization
        .and_then(|o| o.code)
        .unwrap();
    api.add_organization_users()
        .org_code(&org)
        .body(types::AddOrganizationUsersBody {
            users: vec![types::AddOrganizationUsersBodyUsersItem {
                id: Some(user_id.clone()),
                ..Default::default()
            }],
        })
        .send()
        .await
        .unwrap();

    // A role with the permission `/todos` requires, given to the user in the organisation.
    api.create_permission()
        .body(types::CreatePermissionBody {
            key: Some("read:todos".into()),
            name: Some("Read to-dos".into()),
            description: None,
        })
        .send()
        .await
        .unwrap();
    let permission_id = api
        .get_permissions()
        .send()
        .await
        .unwrap()
        .into_inner()
        .permissions
        .into_iter()
        .find(|p| p.key.as_deref() == Some("read:todos"))
        .and_then(|p| p.id)
        .unwrap();
    let role_id = api
        .create_role()
        .body(types::CreateRoleBody {
            key: Some("reader".into()),
            name: Some("Reader".into()),
            ..Default::default()
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .role
        .and_then(|r| r.id)
        .unwrap();
    api.update_role_permissions()
        .role_id(&role_id)
        .body(types::UpdateRolePermissionsBody {
            permissions: vec![types::UpdateRolePermissionsBodyPermissionsItem {
                id: Some(permission_id),
                operation: None,
            }],
        })
        .send()
        .await
        .unwrap();
    api.create_organization_user_role()
        .org_code(&org)
        .user_id(&user_id)
        .body(types::CreateOrganizationUserRoleBody {
            role_id: Some(role_id.clone()),
        })
        .send()
        .await
        .unwrap();

    Reader {
        api,
        user_id,
        org,
        role_id,
    }
}

async fn management_changes_what_the_signed_in_user_may_do(start: StartApp) {
    let tk = TestKinde::builder()
        .access_token_ttl(Duration::from_secs(3))
        .start();
    let app = App::start(start, AppKind::Browser, |port| {
        app_config(&tk, port)
            .refresh_margin(Duration::from_secs(1))
            .build()
            .unwrap()
    });
    let Reader {
        api,
        user_id,
        org,
        role_id,
    } = reader(&tk).await;

    // Signed in, the user has the permission and the guarded route lets them through.
    let browser = app.browser();
    browser.sign_in(None, "mary@example.com").await;
    assert_eq!(
        permissions(&browser).await,
        (200, vec!["read:todos".to_string()])
    );
    assert_eq!(todos(&browser).await, 200);

    // The role taken away: after the next refresh the permission is gone.
    api.delete_organization_user_role()
        .org_code(&org)
        .user_id(&user_id)
        .role_id(&role_id)
        .send()
        .await
        .unwrap();
    let refreshes = tk.token_requests("refresh_token");
    let deadline = Instant::now() + Duration::from_secs(10);
    while todos(&browser).await != 403 {
        assert!(Instant::now() < deadline, "the permission never went away");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        tk.token_requests("refresh_token") > refreshes,
        "a refresh brought the change"
    );
    assert_eq!(permissions(&browser).await, (200, Vec::<String>::new()));
}

/// A forced refresh: the role taken away, the app marks the user
/// (`Kinde::force_refresh`), and the very next request refreshes once and sees the
/// change (the access token is far from expiry), the user still signed in; the request
/// after that does not refresh again.
async fn forced_refresh_shows_management_changes_at_once(start: StartApp) {
    let tk = TestKinde::start();
    let mut app_kinde = None;
    let app = App::launch(start, |port| {
        let kinde = kinde_core::Kinde::new(app_config(&tk, port).build().unwrap()).unwrap();
        app_kinde = Some(kinde.clone());
        (AppKind::Browser, kinde)
    });
    let kinde = app_kinde.unwrap();
    let Reader {
        api,
        user_id,
        org,
        role_id,
    } = reader(&tk).await;

    let browser = app.browser();
    browser.sign_in(None, "mary@example.com").await;
    assert_eq!(todos(&browser).await, 200);
    // Another user, signed in elsewhere, is not touched by Mary's mark.
    let ada = app.browser();
    ada.sign_in(None, "ada.lovelace@example.com").await;
    assert_eq!(todos(&ada).await, 200);

    api.delete_organization_user_role()
        .org_code(&org)
        .user_id(&user_id)
        .role_id(&role_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        todos(&browser).await,
        200,
        "the old claims until the refresh"
    );
    let refreshes = tk.token_requests("refresh_token");
    kinde.force_refresh(&user_id).await.unwrap();
    assert_eq!(todos(&browser).await, 403, "the change shows at once");
    assert_eq!(tk.token_requests("refresh_token"), refreshes + 1);
    assert_eq!(permissions(&browser).await, (200, Vec::<String>::new()));
    assert_eq!(todos(&ada).await, 200);
    assert_eq!(
        tk.token_requests("refresh_token"),
        refreshes + 1,
        "one refresh: the rotated tokens are newer than the mark, Ada's were not marked"
    );
    assert!(kinde.force_refresh("").await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_app_forced_refresh() {
    forced_refresh_shows_management_changes_at_once(starters::axum::start).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_app_forced_refresh() {
    forced_refresh_shows_management_changes_at_once(starters::actix::start).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_app_sees_management_changes() {
    management_changes_what_the_signed_in_user_may_do(starters::axum::start).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_app_sees_management_changes() {
    management_changes_what_the_signed_in_user_may_do(starters::actix::start).await;
}

/// A forced refresh across instances: two instances of the app share Redis, the user
/// is signed in on both (one cookie), and a back-office job of the same app (another
/// client, sharing the Redis) forces the refresh after taking the role away. Both
/// instances hear the announcement and the very next request on either sees the change,
/// with one refresh between them.
async fn forced_refresh_reaches_every_instance(adapter: Adapter) {
    let tk = TestKinde::start();
    let redis = TestRedis::start();
    let a = instance(adapter, &tk, &redis, |c| c);
    let b = instance(adapter, &tk, &redis, |c| c);
    let Reader {
        api,
        user_id,
        org,
        role_id,
    } = reader(&tk).await;
    let browser = a.browser();
    browser.sign_in(None, "mary@example.com").await;
    let todos_on = |app: &App| format!("{}/todos", app.base);
    let status = |url: String| {
        let browser = &browser;
        async move { status_body(browser.get_json(&url).await).await.0 }
    };
    assert_eq!(status(todos_on(&a)).await, 200);
    assert_eq!(status(todos_on(&b)).await, 200, "one session for both");

    api.delete_organization_user_role()
        .org_code(&org)
        .user_id(&user_id)
        .role_id(&role_id)
        .send()
        .await
        .unwrap();
    let refreshes = tk.token_requests("refresh_token");
    let job = kinde_core::Kinde::new(app_config(&tk, a.port).build().unwrap())
        .unwrap()
        .with_refresh_store(RedisRefreshStore::new(connect(&redis.url()).await.unwrap()));
    job.force_refresh(&user_id).await.unwrap();

    // Pub/sub delivers the mark a moment later; wait for it, bounded.
    let deadline = Instant::now() + Duration::from_secs(5);
    while status(todos_on(&b)).await != 403 {
        assert!(Instant::now() < deadline, "instance B never heard the mark");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status(todos_on(&a)).await, 403, "instance A heard it too");
    assert_eq!(
        tk.token_requests("refresh_token"),
        refreshes + 1,
        "one refresh across both instances"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_instances_forced_refresh() {
    forced_refresh_reaches_every_instance(Adapter::Axum).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_instances_forced_refresh() {
    forced_refresh_reaches_every_instance(Adapter::Actix).await;
}
