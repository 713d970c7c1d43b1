//! Fault knobs: JWKS and discovery outages, token endpoint failures and delays.

use std::time::{Duration, Instant};

use kinde_core::testing::TestKinde;

use crate::support::{client_credentials, error_of, get, http};

#[tokio::test]
async fn fault_knobs() {
    let kinde = TestKinde::start();
    let c = http();

    kinde.set_jwks_available(false);
    for path in ["/.well-known/jwks", "/.well-known/jwks.json"] {
        assert_eq!(get(&c, &kinde.url(path)).await.status(), 503);
    }
    kinde.set_jwks_available(true);
    assert_eq!(get(&c, &kinde.url("/.well-known/jwks")).await.status(), 200);

    kinde.set_discovery_available(false);
    let resp = get(&c, &kinde.url("/.well-known/openid-configuration")).await;
    assert_eq!(resp.status(), 503);
    kinde.set_discovery_available(true);

    let m2m = || client_credentials(&kinde, &c);
    kinde.set_token_endpoint_failure(Some(500));
    assert_eq!(error_of(m2m().await).await, (500, "server_error".into()));
    kinde.set_token_endpoint_failure(Some(503));
    assert_eq!(
        error_of(m2m().await).await,
        (503, "temporarily_unavailable".into())
    );
    kinde.set_token_endpoint_failure(None);
    assert_eq!(m2m().await.status(), 200);

    kinde.set_token_delay(Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(m2m().await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    // A slow token endpoint does not block the others.
    kinde.set_token_delay(Duration::from_millis(1500));
    let slow = tokio::spawn(m2m_owned(kinde.clone()));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    assert_eq!(get(&c, &kinde.url("/.well-known/jwks")).await.status(), 200);
    assert!(started.elapsed() < Duration::from_millis(1000));
    assert!(!slow.is_finished());
    assert_eq!(slow.await.unwrap(), 200);
    kinde.set_token_delay(Duration::ZERO);
}

async fn m2m_owned(kinde: TestKinde) -> u16 {
    client_credentials(&kinde, &http()).await.status().as_u16()
}
