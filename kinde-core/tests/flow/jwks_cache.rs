//! The JWKS cache: signing-key rotation, an outage with a warm cache, single-flight
//! fetching under load, and rate-limited refetches for unknown kids.

use std::time::Duration;

use kinde_core::TokenRejection;
use kinde_core::testing::{Endpoint, MintOptions, TestKinde};

use crate::support::{
    admin, assert_rejected, assert_unavailable, client, client_with, random_kid, with_kid,
};

#[tokio::test]
async fn signing_key_rotation_is_picked_up_with_one_refetch() {
    let server = TestKinde::start();
    let user = admin(&server);
    let kinde = client_with(&server, |b| b.jwks_min_refetch_interval(Duration::ZERO));

    let before = server.mint_access_token(&user, MintOptions::default());
    kinde.verify_access_token(&before).await.expect("valid");
    assert_eq!(server.requests(Endpoint::Jwks), 1);

    let new_kid = server.rotate_signing_key(false);
    let after = server.mint_access_token(&user, MintOptions::default());
    assert_eq!(
        jsonwebtoken::decode_header(&after).expect("header").kid,
        Some(new_kid)
    );
    kinde
        .verify_access_token(&after)
        .await
        .expect("new key after one refetch");
    assert_eq!(server.requests(Endpoint::Jwks), 2, "exactly one refetch");
    kinde.verify_access_token(&after).await.expect("cached");
    assert_eq!(server.requests(Endpoint::Jwks), 2, "the new key is cached");

    // The old key is no longer published (hard rotation): old tokens are refused.
    assert_rejected(
        kinde.verify_access_token(&before).await,
        TokenRejection::UnknownKey,
    );

    // With the default 10 s rate limit, a second client sees the unknown kid refused
    // without a refetch right after its first fetch…
    let limited = client(&server);
    limited.verify_access_token(&after).await.expect("valid");
    let jwks = server.requests(Endpoint::Jwks);
    server.rotate_signing_key(true);
    let newest = server.mint_access_token(&user, MintOptions::default());
    assert_rejected(
        limited.verify_access_token(&newest).await,
        TokenRejection::UnknownKey,
    );
    assert_eq!(server.requests(Endpoint::Jwks), jwks, "rate limited");
    // …while the zero-interval client refetches and accepts it; the graceful rotation
    // keeps the previous key valid too.
    kinde.verify_access_token(&newest).await.expect("newest");
    kinde
        .verify_access_token(&after)
        .await
        .expect("kept old key");
}

#[tokio::test]
async fn jwks_outage_with_a_warm_cache_keeps_verifying() {
    let server = TestKinde::start();
    let user = admin(&server);
    let kinde = client(&server);
    let eager = client_with(&server, |b| b.jwks_min_refetch_interval(Duration::ZERO));
    let stale = client_with(&server, |b| {
        b.jwks_max_age(Duration::ZERO)
            .jwks_min_refetch_interval(Duration::ZERO)
    });
    let good = server.mint_access_token(&user, MintOptions::default());
    for k in [&kinde, &eager, &stale] {
        k.verify_access_token(&good).await.expect("warm up");
    }
    assert_eq!(server.requests(Endpoint::Jwks), 3);

    server.set_jwks_available(false);
    let good2 = server.mint_access_token(&user, MintOptions::default());
    for k in [&kinde, &eager, &stale] {
        k.verify_access_token(&good2)
            .await
            .expect("cached keys still verify");
    }
    // The stale client tried to refresh its (expired) cache and kept the old keys.
    assert_eq!(server.requests(Endpoint::Jwks), 4);

    let unknown = with_kid(&good, &random_kid());
    // Rate limited: refused as an unknown key without asking Kinde.
    assert_rejected(
        kinde.verify_access_token(&unknown).await,
        TokenRejection::UnknownKey,
    );
    assert_eq!(server.requests(Endpoint::Jwks), 4);
    // Not rate limited: the refetch fails, and that is reported as an outage.
    assert_unavailable(eager.verify_access_token(&unknown).await);
    assert_eq!(server.requests(Endpoint::Jwks), 5);
    // Cached keys survive the failed refetch.
    eager
        .verify_access_token(&good)
        .await
        .expect("still verifies");

    server.set_jwks_available(true);
    assert_rejected(
        eager.verify_access_token(&unknown).await,
        TokenRejection::UnknownKey,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_is_fetched_once_for_a_thousand_concurrent_verifications() {
    let server = TestKinde::start();
    let users = server.users();
    let tokens: Vec<String> = (0..1000)
        .map(|i| server.mint_access_token(&users[i % users.len()], MintOptions::default()))
        .collect();
    let kinde = client(&server);

    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|t| {
            let kinde = kinde.clone();
            tokio::spawn(async move { kinde.verify_access_token(&t).await })
        })
        .collect();
    let results = futures::future::join_all(tasks).await;
    let mut ok = 0;
    for r in results {
        let claims = r.expect("task").expect("valid token verifies");
        assert!(claims.subject().is_some());
        ok += 1;
    }
    assert_eq!(ok, 1000);
    assert_eq!(server.requests(Endpoint::Jwks), 1, "single flight");
    assert_eq!(server.requests(Endpoint::Discovery), 1, "single flight");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_unknown_kids_does_not_hammer_kinde() {
    let server = TestKinde::start();
    let user = admin(&server);
    let good = server.mint_access_token(&user, MintOptions::default());

    // Cold cache: the flood itself triggers the first fetch.
    for warm in [false, true] {
        server.reset_counters();
        let kinde = client(&server);
        if warm {
            kinde.verify_access_token(&good).await.expect("warm up");
        }
        let tasks: Vec<_> = (0..2000)
            .map(|_| {
                let kinde = kinde.clone();
                let token = with_kid(&good, &random_kid());
                tokio::spawn(async move { kinde.verify_access_token(&token).await })
            })
            .collect();
        for r in futures::future::join_all(tasks).await {
            assert_rejected(r.expect("task"), TokenRejection::UnknownKey);
        }
        let fetches = server.requests(Endpoint::Jwks);
        // One initial fetch, plus at most one refetch should the test outlast the
        // default 10 s interval on a slow machine.
        assert!((1..=2).contains(&fetches), "{fetches} JWKS fetches");
        kinde
            .verify_access_token(&good)
            .await
            .expect("a valid token still verifies");
        assert!(server.requests(Endpoint::Jwks) <= 2);
    }
}
