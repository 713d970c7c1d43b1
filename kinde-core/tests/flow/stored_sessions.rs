//! Stored sessions: served from the verified-session cache only while unchanged and
//! valid, and refreshed (never cached) inside the refresh margin.

use std::sync::Arc;
use std::time::Duration;

use kinde_core::testing::{MintOptions, TestKinde};
use kinde_core::{LoginOptions, SessionState, TokenSet, VerifiedSession};

use crate::support::{ADMIN, ADMIN_EMAIL, admin, client_with, sign_in};

fn active(state: kinde_core::Result<SessionState>) -> Arc<VerifiedSession> {
    match state {
        Ok(SessionState::Active(s)) => s,
        other => panic!("expected an active session, got {other:?}"),
    }
}

fn ended(state: kinde_core::Result<SessionState>) {
    assert!(
        matches!(state, Ok(SessionState::Ended(_))),
        "expected an ended session, got {state:?}"
    );
}

/// The stored form with one character of the access token's signature changed (the
/// access token ends the session format).
fn tamper(stored: &str) -> String {
    let mut bytes = stored.as_bytes().to_vec();
    let i = bytes.len() - 3;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).expect("still text")
}

#[tokio::test]
async fn stored_sessions_are_served_from_the_cache_only_while_unchanged_and_valid() {
    let server = TestKinde::start();
    let kinde = client_with(&server, |b| b.jwks_min_refetch_interval(Duration::ZERO));
    let (session, _) = sign_in(&kinde, LoginOptions::new()).await;
    let stored = session.tokens.to_json();
    assert_eq!(
        TokenSet::from_json(&stored).expect("parses"),
        session.tokens
    );
    assert!(stored.ends_with(&format!("{}\"}}", session.tokens.access_token().secret())));

    // Verified once, then the same verified session for the same bytes.
    assert!(
        kinde.resume_cached_session(&stored).is_none(),
        "nothing cached yet"
    );
    let first = active(kinde.resume_session(Some(&stored)).await);
    let second = active(kinde.resume_session(Some(&stored)).await);
    assert!(
        Arc::ptr_eq(&first, &second),
        "the second resume is a cache hit"
    );
    assert!(!second.refreshed);
    assert_eq!(second.user().expect("user").id, ADMIN);
    assert_eq!(
        second.user().expect("user").email.as_deref(),
        Some(ADMIN_EMAIL)
    );

    // Other bytes are never a hit: a tampered signature is verified, and refused.
    let tampered = tamper(&stored);
    assert!(kinde.resume_cached_session(&tampered).is_none());
    ended(kinde.resume_session(Some(&tampered)).await);
    ended(kinde.resume_session(Some("{not json")).await);
    assert!(matches!(
        kinde.resume_session(None).await,
        Ok(SessionState::Anonymous)
    ));
    assert!(
        kinde.resume_cached_session(&stored).is_some(),
        "the genuine one still is"
    );

    // Another client (its own caches) verifies for itself; with the cache off, every
    // resume is a full verification.
    let uncached = client_with(&server, |b| b.verified_session_cache(0));
    let a = active(uncached.resume_session(Some(&stored)).await);
    let b = active(uncached.resume_session(Some(&stored)).await);
    assert!(!Arc::ptr_eq(&a, &b));
    assert!(uncached.resume_cached_session(&stored).is_none());

    // A withdrawn signing key ends the cached session as it ends the token: once the
    // client sees the new JWKS (here: a token signed with the new key), no hit.
    server.rotate_signing_key(false);
    let fresh = server.mint_access_token(&admin(&server), MintOptions::default());
    kinde.verify_access_token(&fresh).await.expect("new key");
    assert!(kinde.resume_cached_session(&stored).is_none());
    ended(kinde.resume_session(Some(&stored)).await);
}

#[tokio::test]
async fn a_stored_session_in_the_refresh_margin_is_refreshed_not_served_from_the_cache() {
    let server = TestKinde::builder()
        .access_token_ttl(Duration::from_secs(30))
        .start();
    let kinde = client_with(&server, |b| b.refresh_margin(Duration::from_secs(60)));
    let (session, _) = sign_in(&kinde, LoginOptions::new()).await;
    let stored = session.tokens.to_json();

    let refreshed = active(kinde.resume_session(Some(&stored)).await);
    assert!(refreshed.refreshed, "inside the margin: refreshed");
    assert_eq!(server.token_requests("refresh_token"), 1);
    assert!(
        kinde.resume_cached_session(&stored).is_none(),
        "a session that needs a refresh is never cached"
    );
    // The rotated set is what the adapter stores next; it too is inside the margin.
    let next = refreshed.tokens.to_json();
    assert_ne!(next, stored);
    assert!(kinde.resume_cached_session(&next).is_none());
}
