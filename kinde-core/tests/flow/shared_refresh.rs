//! Refreshes coordinated across instances through a real Redis (`RedisRefreshStore`):
//! several clients, each with its own caches and refreshes in flight as separate
//! instances have, spend a session's refresh token once; a holder that dies leaves its
//! lock to expire and another instance completes the refresh; Redis down is a 503.

use std::time::{Duration, Instant};

use futures::future::join_all;
use kinde_core::redis::{RedisRefreshStore, connect};
use kinde_core::testing::{TestKinde, TestRedis};
use kinde_core::{Kinde, LoginOptions, SessionState};

use crate::support::{ADMIN, client_with, sign_in};

/// A client of `server` as one instance of the app, coordinating through `redis`.
async fn instance(server: &TestKinde, redis: &TestRedis) -> Kinde {
    let client = client_with(server, |b| b.http_timeout(Duration::from_secs(1)));
    let connection = connect(&redis.url()).await.expect("Redis");
    client.with_refresh_store(RedisRefreshStore::new(connection))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_requests_over_three_instances_spend_the_refresh_token_once() {
    let server = TestKinde::builder()
        .access_token_ttl(Duration::from_secs(1))
        .start();
    let redis = TestRedis::start();
    let instances = [
        instance(&server, &redis).await,
        instance(&server, &redis).await,
        instance(&server, &redis).await,
    ];
    let (session, _) = sign_in(&instances[0], LoginOptions::new()).await;
    let stored = session.tokens.to_json();

    // Hold the refresh at Kinde, so that every request meets it in flight.
    server.set_token_delay(Duration::from_millis(500));
    let resumes = (0..50).map(|i| instances[i % 3].resume_session(Some(&stored)));
    let states = join_all(resumes).await;
    server.set_token_delay(Duration::ZERO);

    assert_eq!(
        server.token_requests("refresh_token"),
        1,
        "one refresh grant"
    );
    let mut rotated = None;
    for state in states {
        let Ok(SessionState::Active(s)) = state else {
            panic!("every request resumes the session: {state:?}");
        };
        assert!(s.refreshed);
        assert_eq!(s.user().expect("user").id, ADMIN);
        let tokens = s.tokens.to_json();
        assert_eq!(
            rotated.get_or_insert(tokens.clone()),
            &tokens,
            "one rotated set"
        );
    }
    let rotated = rotated.expect("rotated");
    assert_ne!(rotated, stored);
    // The lock is gone; the result stays for the grace period, and nothing else.
    let keys = redis.command(&["KEYS", "kinde:refresh:*"]).expect("KEYS");
    assert!(!keys.contains(":lock"), "{keys}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_that_dies_mid_refresh_leaves_the_refresh_to_another_instance() {
    let server = TestKinde::builder()
        .access_token_ttl(Duration::from_secs(1))
        .start();
    let redis = TestRedis::start();
    let survivor = instance(&server, &redis).await;
    let (session, _) = sign_in(&survivor, LoginOptions::new()).await;
    let stored = session.tokens.to_json();

    // Instance A, on a thread and runtime of its own, takes the lock; its refresh hangs
    // at Kinde, and the instance dies (its runtime is shut down, as a process dies).
    server.set_token_delay(Duration::from_secs(30));
    let (die_tx, die_rx) = std::sync::mpsc::channel::<()>();
    let a = {
        let config = survivor.config().clone();
        let (redis_url, stored) = (redis.url(), stored.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime");
            rt.spawn(async move {
                let connection = connect(&redis_url).await.expect("Redis");
                let a = Kinde::new(config)
                    .expect("client")
                    .with_refresh_store(RedisRefreshStore::new(connection));
                let _ = a.resume_session(Some(&stored)).await;
            });
            let _ = die_rx.recv();
            rt.shutdown_background();
        })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.token_requests("refresh_token") == 0 {
        assert!(Instant::now() < deadline, "A's refresh reaches Kinde");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let keys = redis
        .command(&["KEYS", "kinde:refresh:*:lock"])
        .expect("KEYS");
    assert!(keys.contains(":lock"), "A holds the lock: {keys}");
    die_tx.send(()).expect("A is alive");
    a.join().expect("A died");
    server.set_token_delay(Duration::ZERO);

    // B waits for the lock to expire (2 × its 1 s HTTP timeout), then refreshes.
    let started = Instant::now();
    let state = survivor.resume_session(Some(&stored)).await;
    let Ok(SessionState::Active(s)) = state else {
        panic!("the session survives the dead holder: {state:?}");
    };
    assert!(s.refreshed);
    assert_eq!(s.user().expect("user").id, ADMIN);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1500) && waited < Duration::from_secs(5),
        "after the dead holder's lock expired, within one more refresh: {waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_during_a_refresh_is_503_and_the_session_survives() {
    let server = TestKinde::builder()
        .access_token_ttl(Duration::from_secs(1))
        .start();
    let redis = TestRedis::start();
    let kinde = instance(&server, &redis).await;
    let (session, _) = sign_in(&kinde, LoginOptions::new()).await;
    let stored = session.tokens.to_json();

    redis.stop();
    let err = kinde
        .resume_session(Some(&stored))
        .await
        .expect_err("Redis down");
    assert_eq!(err.status(), 503);
    assert_eq!(server.token_requests("refresh_token"), 0, "nothing spent");

    redis.restart();
    let state = kinde.resume_session(Some(&stored)).await;
    assert!(
        matches!(&state, Ok(SessionState::Active(s)) if s.refreshed),
        "back with Redis: {state:?}"
    );
}
