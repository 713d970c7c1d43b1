//! The login callback: typed errors that never exchange a code, and the restart of an
//! expired login link with its original options.

use kinde_core::testing::TestKinde;
use kinde_core::{CallbackError, CallbackOutcome, CallbackParams, LoginOptions, PendingLogins};

use crate::support::{
    ADMIN_EMAIL, REDIRECT, assert_session_ended, callback_error, client, follow_authorize,
    pending_with, query, signed_in,
};

#[tokio::test]
async fn callback_errors_are_typed_and_never_exchange_a_code() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let ttl = kinde.config().login_ttl();

    // Unknown state: a valid code with a state this browser never issued.
    let login = kinde.login_url(LoginOptions::new()).await.expect("login");
    let cb = follow_authorize(&login.url).await;
    let mut other = PendingLogins::default();
    let foreign = kinde.login_url(LoginOptions::new()).await.expect("login");
    other.insert(foreign.pending.clone(), ttl);
    let (e, _) = callback_error(kinde.complete_login(&cb, &mut other).await);
    assert_eq!(e, CallbackError::UnknownState);
    assert_eq!(other.len(), 1, "a foreign state consumes nothing");
    assert_eq!(server.token_requests("authorization_code"), 0);

    // Missing state (absent or empty) with a code.
    let mut pending = pending_with(&kinde, &login);
    for state in [None, Some(String::new())] {
        let params = CallbackParams {
            state,
            ..cb.clone()
        };
        let (e, _) = callback_error(kinde.complete_login(&params, &mut pending).await);
        assert_eq!(e, CallbackError::MissingState);
    }
    assert_eq!(server.token_requests("authorization_code"), 0);

    // Missing code with a valid state.
    let params = CallbackParams {
        code: None,
        ..cb.clone()
    };
    let (e, _) = callback_error(kinde.complete_login(&params, &mut pending).await);
    assert_eq!(e, CallbackError::MissingCode);
    assert_eq!(server.token_requests("authorization_code"), 0);

    // A good callback, then the same callback again: the state was used up.
    let login = kinde.login_url(LoginOptions::new()).await.expect("login");
    let mut pending = pending_with(&kinde, &login);
    let cb = follow_authorize(&login.url).await;
    let (first, _) = signed_in(
        kinde
            .complete_login(&cb, &mut pending)
            .await
            .expect("login"),
    );
    let (e, _) = callback_error(kinde.complete_login(&cb, &mut pending).await);
    assert_eq!(e, CallbackError::UnknownState);
    assert_eq!(server.token_requests("authorization_code"), 1);

    // The same code once more, with the pending login restored: Kinde refuses it.
    pending.insert(login.pending.clone(), ttl);
    let (e, _) = callback_error(kinde.complete_login(&cb, &mut pending).await);
    assert_eq!(e, CallbackError::CodeRejected);
    assert_eq!(server.token_requests("authorization_code"), 2);
    // Kinde revokes what was issued from a replayed code: the caller sees the end.
    assert_session_ended(kinde.refresh(&first.tokens).await);

    // error=access_denied.
    server.set_authorize_error(Some("access_denied".into()));
    let login = kinde.login_url(LoginOptions::new()).await.expect("login");
    let mut pending = pending_with(&kinde, &login);
    let cb = follow_authorize(&login.url).await;
    assert_eq!(cb.error.as_deref(), Some("access_denied"));
    let (e, _) = callback_error(kinde.complete_login(&cb, &mut pending).await);
    match e {
        CallbackError::Denied { error, description } => {
            assert_eq!(error, "access_denied");
            assert!(description.is_some());
        }
        other => panic!("expected Denied, got {other:?}"),
    }
    assert!(pending.is_empty(), "the denied login is consumed");

    // login_required after a silent switch is a normal, clean outcome too.
    server.set_authorize_error(Some("login_required".into()));
    let login = kinde
        .switch_org_url("org_demo_labs", LoginOptions::new())
        .await
        .expect("switch");
    let mut pending = pending_with(&kinde, &login);
    let cb = follow_authorize(&login.url).await;
    let (e, _) = callback_error(kinde.complete_login(&cb, &mut pending).await);
    assert!(
        matches!(&e, CallbackError::Denied { error, .. } if error == "login_required"),
        "{e:?}"
    );

    // A hostile error code is reduced to a safe token.
    let params = CallbackParams {
        error: Some("<script>alert(1)</script>".into()),
        error_description: Some("bad\r\nthing".into()),
        ..CallbackParams::default()
    };
    let (e, _) = callback_error(
        kinde
            .complete_login(&params, &mut PendingLogins::default())
            .await,
    );
    match e {
        CallbackError::Denied { error, description } => {
            assert!(
                error.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{error}"
            );
            assert!(!description.unwrap_or_default().contains(['\r', '\n']));
        }
        other => panic!("expected Denied, got {other:?}"),
    }
    assert_eq!(server.token_requests("authorization_code"), 2);
}

#[tokio::test]
async fn expired_login_link_restarts_with_the_original_options() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let ttl = kinde.config().login_ttl();

    server.set_authorize_error(Some("login_link_expired".into()));
    let login = kinde
        .login_url(
            LoginOptions::new()
                .org_code("org_demo_labs")
                .login_hint(ADMIN_EMAIL)
                .lang("de")
                .return_to("/after"),
        )
        .await
        .expect("login");
    let mut pending = pending_with(&kinde, &login);
    let cb = follow_authorize(&login.url).await;
    assert_eq!(cb.error.as_deref(), Some("login_link_expired"));
    assert!(cb.reauth_state.is_some(), "Kinde sends reauth_state");

    let restart = match kinde
        .complete_login(&cb, &mut pending)
        .await
        .expect("restart")
    {
        CallbackOutcome::Restart(req) => *req,
        CallbackOutcome::SignedIn { .. } => panic!("expected a restart"),
    };
    assert!(pending.is_empty(), "the expired login is consumed");
    let old = query(&login.url);
    let new = query(&restart.url);
    assert_eq!(new["org_code"], "org_demo_labs");
    assert_eq!(new["login_hint"], ADMIN_EMAIL);
    assert_eq!(new["lang"], "de");
    assert_eq!(new["redirect_uri"], REDIRECT);
    assert_eq!(new["client_id"], server.client_id());
    assert_eq!(new["code_challenge_method"], "S256");
    for k in ["state", "nonce", "code_challenge"] {
        assert_ne!(old[k], new[k], "{k} is fresh");
    }
    assert_eq!(new["state"], restart.pending.state());
    assert_eq!(restart.pending.return_to(), Some("/after"));

    // The restarted login completes normally.
    server.set_authorize_error(None);
    pending.insert(restart.pending.clone(), ttl);
    let cb = follow_authorize(&restart.url).await;
    let (session, return_to) = signed_in(
        kinde
            .complete_login(&cb, &mut pending)
            .await
            .expect("login"),
    );
    assert_eq!(return_to, "/after");
    assert_eq!(
        session.organization().map(|o| o.code).as_deref(),
        Some("org_demo_labs")
    );

    // A reauth_state that does not decode is a clean Denied, not a 500.
    let params = CallbackParams {
        error: Some("login_link_expired".into()),
        reauth_state: Some("%%%not-base64%%%".into()),
        ..CallbackParams::default()
    };
    let (e, _) = callback_error(
        kinde
            .complete_login(&params, &mut PendingLogins::default())
            .await,
    );
    assert!(matches!(e, CallbackError::Denied { .. }), "{e:?}");
}
