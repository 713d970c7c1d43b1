//! Invariants checked over generated inputs (proptest), in the normal test run:
//!
//! - `returnTo` never leaves the app's origin, whatever the input: what
//!   `safe_return_to` accepts, resolved against the app's URL as a browser resolves a
//!   `Location`, stays on the app's origin;
//! - a token changed in any one byte never verifies (checked against the local Kinde
//!   server's real keys, so the signature and the cache are really exercised);
//! - a stored session value that does not parse is a clean end of the session (the
//!   visitor signed out), never a panic or an error status.

use proptest::prelude::*;
use url::Url;

use kinde_core::testing::{MintOptions, TestKinde};
use kinde_core::{Kinde, KindeError, SessionState, safe_return_to};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Paths built from the pieces open redirects are made of.
fn tricky_path() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("/".to_string()),
        Just("//".to_string()),
        Just("\\".to_string()),
        Just("%2F".to_string()),
        Just("%252F".to_string()),
        Just("%5C".to_string()),
        Just("%09".to_string()),
        Just("%0d%0a".to_string()),
        Just("@".to_string()),
        Just(":".to_string()),
        Just("evil.example".to_string()),
        Just("https:".to_string()),
        Just("javascript:".to_string()),
        Just("?".to_string()),
        Just("#".to_string()),
        Just(".".to_string()),
        Just("\t".to_string()),
        Just("\u{3002}".to_string()),
        "[a-z0-9]{1,6}",
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn return_to_never_leaves_the_origin(raw in prop_oneof![tricky_path(), any::<String>()]) {
        let app = Url::parse("https://app.example.com/base/").unwrap();
        if let Some(path) = safe_return_to(&raw) {
            // A browser resolves the Location against the page's URL.
            if let Ok(landed) = app.join(path) {
                prop_assert_eq!(landed.origin(), app.origin(), "{:?} left the origin", raw);
            }
            prop_assert!(path.starts_with('/'));
        }
    }
}

#[test]
fn a_token_changed_in_any_byte_never_verifies() {
    let server = TestKinde::start();
    let kinde = Kinde::new(server.config_builder().build().unwrap()).unwrap();
    let token = server.mint_access_token(&server.users()[0], MintOptions::default());
    let rt = runtime();
    rt.block_on(kinde.verify_access_token(&token))
        .expect("the token itself verifies (and is now cached)");
    let bytes = token.as_bytes().to_vec();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(3000));
    runner
        .run(&(0..bytes.len(), 1u8..=255), |(at, flip)| {
            let mut changed = bytes.clone();
            changed[at] ^= flip;
            // Not always UTF-8 any more: a header value may carry any bytes.
            let Ok(changed) = String::from_utf8(changed) else {
                return Ok(());
            };
            // Base64url's last character may carry unused bits: a change there can
            // decode to the same bytes, and then it is the same token.
            if decoded(&changed) == decoded(&token) {
                return Ok(());
            }
            let verdict = rt.block_on(kinde.verify_access_token(&changed));
            prop_assert!(
                matches!(verdict, Err(KindeError::InvalidToken(_))),
                "byte {} ^ {:#x} verified: {:?}",
                at,
                flip,
                verdict.map(|_| ())
            );
            Ok(())
        })
        .unwrap();
}

/// The three parts of a compact JWS, decoded (or `None`).
fn decoded(token: &str) -> Option<Vec<Vec<u8>>> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    token.split('.').map(|p| b64.decode(p).ok()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn a_stored_session_that_does_not_parse_ends_cleanly(
        stored in prop_oneof![
            any::<String>(),
            "\\{\"(at|rt|it|access_token|ot)\":\"[ -~]{0,40}\"\\}",
            "\\{\"at\":\"[A-Za-z0-9_.-]{0,60}\",\"rt\":[0-9]{0,5},\"ot\":\"x\"\\}",
        ]
    ) {
        thread_local! {
            static CLIENT: (TestKinde, Kinde, tokio::runtime::Runtime) = {
                let server = TestKinde::start();
                let kinde = Kinde::new(server.config_builder().build().unwrap()).unwrap();
                (server, kinde, runtime())
            };
        }
        CLIENT.with(|(_, kinde, rt)| {
            let state = rt.block_on(kinde.resume_session(Some(&stored)));
            prop_assert!(
                matches!(state, Ok(SessionState::Ended(_))),
                "{:?} gave {:?}",
                stored,
                state.map(|s| matches!(s, SessionState::Active(_)))
            );
            Ok(())
        })?;
    }
}
