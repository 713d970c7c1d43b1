//! Refresh: rotation, concurrent refreshes collapsed into one, refresh within the margin,
//! a cancelled refresh, and the end of the session when Kinde revokes.

use std::time::{Duration, Instant};

use kinde_core::testing::{MintOptions, TestKinde};
use kinde_core::{LoginOptions, TokenSet, VerifiedSession};

use crate::support::{ADMIN, admin, assert_session_ended, client, client_with, resume, sign_in};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_rotates_collapses_concurrent_calls_and_ends_when_revoked() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let (session, _) = sign_in(&kinde, LoginOptions::new()).await;
    let t0 = session.tokens.clone();

    // A refresh rotates the refresh token.
    let s1 = kinde.refresh(&t0).await.expect("refresh");
    assert!(s1.refreshed);
    assert_eq!(server.token_requests("refresh_token"), 1);
    let t1 = s1.tokens.clone();
    assert_ne!(t1.refresh_token(), t0.refresh_token(), "rotated");
    assert!(t1.refresh_token().is_some());
    assert_ne!(t1.access_token(), t0.access_token());
    assert_eq!(s1.user().expect("user").id, ADMIN);
    assert_eq!(s1.user().expect("user").given_name.as_deref(), Some("Ada"));

    // 20 concurrent refreshes of one set: one request, one result for all.
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let kinde = kinde.clone();
            let t = t1.clone();
            tokio::spawn(async move { kinde.refresh(&t).await })
        })
        .collect();
    let results: Vec<VerifiedSession> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("task").expect("refresh"))
        .collect();
    assert_eq!(
        server.token_requests("refresh_token"),
        2,
        "one request for 20"
    );
    let t2 = results[0].tokens.clone();
    assert_ne!(t2.refresh_token(), t1.refresh_token());
    for r in &results {
        assert_eq!(r.tokens, t2, "every caller gets the same new set");
        assert!(r.refreshed, "every caller must write the set back");
    }

    // A late request that read the session before the rotation: same set, no request.
    let late = kinde.refresh(&t1).await.expect("late refresh");
    assert_eq!(late.tokens, t2);
    assert!(late.refreshed);
    assert_eq!(server.token_requests("refresh_token"), 2);

    // Kinde revokes everything: the next refresh ends the session.
    server.revoke_refresh_tokens();
    assert_session_ended(kinde.refresh(&t2).await);
    assert_eq!(server.token_requests("refresh_token"), 3);
}

#[tokio::test]
async fn authenticate_session_refreshes_within_the_margin() {
    let server = TestKinde::builder()
        .access_token_ttl(Duration::from_secs(2))
        .start();
    let kinde = client_with(&server, |b| b.refresh_margin(Duration::from_secs(60)));
    let (session, _) = sign_in(&kinde, LoginOptions::new()).await;
    assert!(session.tokens.expires_within(Duration::from_secs(60)));

    let s = resume(&kinde, &session.tokens).await.expect("authenticate");
    assert!(s.refreshed, "refreshed within the margin");
    assert_ne!(s.tokens.refresh_token(), session.tokens.refresh_token());
    assert_eq!(server.token_requests("refresh_token"), 1);
    assert_eq!(s.user().expect("user").id, ADMIN);

    // Without `offline` there is no refresh token: fine until the token expires…
    let (no_rt, _) = sign_in(
        &kinde,
        LoginOptions::new().scope(["openid", "profile", "email"]),
    )
    .await;
    assert!(no_rt.tokens.refresh_token().is_none());
    assert_session_ended(kinde.refresh(&no_rt.tokens).await);
    if !no_rt.tokens.is_expired() {
        let s = resume(&kinde, &no_rt.tokens).await.expect("still valid");
        assert!(!s.refreshed);
    }
    // …then the session is over.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !no_rt.tokens.is_expired() {
        assert!(Instant::now() < deadline, "the 2 s token never expired");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_session_ended(resume(&kinde, &no_rt.tokens).await);

    // A stored set with an expired access token and no refresh token.
    let expired = server.mint_access_token(
        &admin(&server),
        MintOptions {
            expired: true,
            ..MintOptions::default()
        },
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let stored = TokenSet::new(expired, None, None, now - 600);
    assert_session_ended(resume(&kinde, &stored).await);
    assert_eq!(
        server.token_requests("refresh_token"),
        1,
        "nothing to refresh"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_refresh_does_not_start_a_second_one() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let (session, _) = sign_in(&kinde, LoginOptions::new()).await;
    let tokens = session.tokens.clone();

    // The first caller starts the refresh, a second one waits for it, then the first
    // caller goes away (a browser closing its connection drops the request future).
    server.set_token_delay(Duration::from_secs(1));
    let first = {
        let (kinde, tokens) = (kinde.clone(), tokens.clone());
        tokio::spawn(async move { kinde.refresh(&tokens).await })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.token_requests("refresh_token") == 0 {
        assert!(Instant::now() < deadline, "the refresh never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let second = {
        let (kinde, tokens) = (kinde.clone(), tokens.clone());
        tokio::spawn(async move { kinde.refresh(&tokens).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    first.abort();
    let refreshed = second
        .await
        .expect("task")
        .expect("the waiter gets the result");
    assert!(refreshed.refreshed);
    assert_eq!(
        server.token_requests("refresh_token"),
        1,
        "the waiter must not start a second refresh with the same token"
    );
    server.set_token_delay(Duration::ZERO);
    // The rotated set keeps working.
    kinde
        .refresh(&refreshed.tokens)
        .await
        .expect("next refresh");
}
