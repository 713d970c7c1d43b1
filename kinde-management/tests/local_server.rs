//! The client against the local Kinde server's Management API, over real HTTP: what the
//! calls change is what later calls see; errors are typed; the M2M token is fetched once
//! for many concurrent calls and once more on a 401; a 429 is waited out; pages stream;
//! the blocking twin does the same from plain threads.

use futures::TryStreamExt;
use futures::future::join_all;
use kinde_core::testing::{Endpoint, TestKinde};
use kinde_core::{Kinde, KindeConfig};
use kinde_management::{Client, ManagementError, Paginated, types};

fn client(tk: &TestKinde) -> Client {
    let kinde = Kinde::new(tk.config_builder().build().unwrap()).unwrap();
    Client::from_kinde(&kinde).unwrap()
}

fn new_user(given: &str, email: &str) -> types::CreateUserBody {
    types::CreateUserBody {
        profile: Some(types::CreateUserBodyProfile {
            given_name: Some(given.into()),
            family_name: Some("Tester".into()),
            picture: None,
        }),
        identities: vec![types::CreateUserBodyIdentitiesItem {
            type_: Some(types::CreateUserBodyIdentitiesItemType::Email),
            details: Some(types::CreateUserBodyIdentitiesItemDetails {
                email: Some(email.into()),
                ..Default::default()
            }),
            is_verified: None,
        }],
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_are_created_read_updated_listed_and_deleted() {
    let tk = TestKinde::start();
    let client = client(&tk);

    let created = client
        .create_user()
        .body(new_user("Grace", "grace@example.com"))
        .send()
        .await
        .unwrap();
    let id = created.id.clone().expect("an id");
    assert_eq!(created.created, Some(true));
    // The local server now knows the user (a later sign-in can use it).
    assert_eq!(tk.user(&id).unwrap().email, "grace@example.com");

    let user = client.get_user_data().id(&id).send().await.unwrap();
    assert_eq!(user.first_name.as_deref(), Some("Grace"));

    let updated = client
        .update_user()
        .id(&id)
        .body(types::UpdateUserBody {
            given_name: Some("Ada".into()),
            ..Default::default()
        })
        .send()
        .await
        .unwrap();
    assert_eq!(updated.given_name.as_deref(), Some("Ada"));
    assert_eq!(tk.user(&id).unwrap().given_name, "Ada");

    // The same email again: a typed 409 with Kinde's error body.
    let again = client
        .create_user()
        .body(new_user("Grace", "grace@example.com"))
        .send()
        .await
        .map_err(ManagementError::from)
        .unwrap_err();
    assert!(again.is_conflict(), "{again}");
    assert_eq!(
        again.errors()[0].code.as_deref(),
        Some("USER_ALREADY_EXISTS")
    );

    // Every user, two at a time, as one stream of pages.
    for i in 0..5 {
        client
            .create_user()
            .body(new_user("Many", &format!("many{i}@example.com")))
            .send()
            .await
            .unwrap();
    }
    let total = tk.users().len();
    let before = tk.requests(Endpoint::ManagementApi);
    let everyone: Vec<_> = client
        .get_users()
        .page_size(2)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(everyone.len(), total);
    assert_eq!(
        tk.requests(Endpoint::ManagementApi) - before,
        total.div_ceil(2) as u64,
        "one request a page"
    );

    client.delete_user().id(&id).send().await.unwrap();
    let gone = client.get_user_data().id(&id).send().await;
    let gone = ManagementError::from(gone.unwrap_err());
    assert!(gone.is_not_found(), "{gone}");
    assert_eq!(gone.errors()[0].code.as_deref(), Some("USER_NOT_FOUND"));
    assert!(tk.user(&id).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operation_the_local_server_lacks_is_a_clear_501() {
    let tk = TestKinde::start();
    let client = client(&tk);
    let err = ManagementError::from(client.get_apis().send().await.unwrap_err());
    assert_eq!(err.status(), Some(501));
    assert!(!err.is_transient());
    // What the server says, read without the client: a JSON error, not a fake success.
    let token = client
        .kinde()
        .client_credentials_token(Some(&format!("{}/api", tk.issuer())))
        .await
        .unwrap();
    let resp = reqwest::Client::new()
        .get(format!("{}/api/v1/apis", tk.issuer()))
        .bearer_auth(token.secret())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 501);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "NOT_IMPLEMENTED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_token_for_a_hundred_concurrent_calls_and_one_more_after_a_401() {
    let tk = TestKinde::start();
    let client = client(&tk);
    let calls = (0..100).map(|_| client.get_users().page_size(1).send());
    let answers = join_all(calls).await;
    assert!(answers.iter().all(Result::is_ok));
    assert_eq!(tk.token_requests("client_credentials"), 1, "one M2M token");
    assert_eq!(tk.requests(Endpoint::ManagementApi), 100);

    // The API rejects the token (revoked): one new token, the call retried, success.
    tk.reject_management_tokens(1);
    client.get_users().send().await.unwrap();
    assert_eq!(tk.token_requests("client_credentials"), 2);
    // Rejected twice in a row: no third token; the 401 is the answer.
    tk.reject_management_tokens(2);
    let err = ManagementError::from(client.get_users().send().await.unwrap_err());
    assert_eq!(err.status(), Some(401));
    assert!(err.is_forbidden());
    assert_eq!(tk.token_requests("client_credentials"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_retried_after_retry_after_then_given_up() {
    let tk = TestKinde::start();
    let client = client(&tk);
    tk.throttle_management_api(2);
    let started = std::time::Instant::now();
    client.get_users().send().await.unwrap();
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(2),
        "waited twice"
    );
    assert_eq!(tk.requests(Endpoint::ManagementApi), 3);

    let kinde = client.kinde().clone();
    let impatient = Client::builder(&kinde)
        .retry(kinde_management::RetryPolicy::none())
        .build()
        .unwrap();
    tk.throttle_management_api(1);
    let err = ManagementError::from(impatient.get_users().send().await.unwrap_err());
    assert!(err.is_rate_limited() && err.is_transient(), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_without_a_secret_or_with_a_foreign_audience_gets_a_clear_error() {
    let tk = TestKinde::start();
    let public = Kinde::new(
        KindeConfig::builder()
            .domain(tk.issuer())
            .client_id("public")
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = Client::from_kinde(&public).unwrap_err();
    assert!(err.to_string().contains("KINDE_CLIENT_SECRET"), "{err}");

    let kinde = Kinde::new(tk.config_builder().build().unwrap()).unwrap();
    let foreign = Client::builder(&kinde)
        .audience("https://elsewhere.example/api")
        .build()
        .unwrap();
    let err = ManagementError::from(foreign.get_users().send().await.unwrap_err());
    assert_eq!(err.status(), Some(403), "{err}");
    // Nothing secret in what an error says.
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("eyJ"), "{shown}");
}

#[test]
fn the_blocking_twin_has_the_same_methods_and_refuses_inside_a_runtime() {
    let tk = TestKinde::start();
    let kinde = kinde_core::blocking::Kinde::new(tk.config_builder().build().unwrap()).unwrap();
    let client = kinde_management::blocking::Client::from_kinde(&kinde).unwrap();
    let created = client
        .create_user()
        .body(new_user("Blocking", "blocking@example.com"))
        .send()
        .unwrap();
    let id = created.id.clone().unwrap();
    let user = client.get_user_data().id(&id).send().unwrap();
    assert_eq!(user.first_name.as_deref(), Some("Blocking"));
    let all: Result<Vec<_>, _> = client.get_users().page_size(1).into_iter().collect();
    assert_eq!(all.unwrap().len(), tk.users().len());

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let refused = rt.block_on(async { client.get_users().send() });
    let err = ManagementError::from(refused.unwrap_err());
    assert!(err.to_string().contains("async"), "{err}");
}
