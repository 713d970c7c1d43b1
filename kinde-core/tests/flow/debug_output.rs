//! No secret in Debug or Display output: client secret, tokens, codes and PKCE verifiers
//! never appear in what a caller might log.

use kinde_core::testing::{MintOptions, TestKinde};
use kinde_core::{AccessToken, Claims, Kinde, KindeError, LoginOptions};
use serde_json::json;

use crate::support::{
    ADMIN, POST_LOGOUT, REDIRECT, admin, build_client, client, closed_port, follow_authorize,
    pending_field, pending_with, signed_in, with_kid,
};

#[tokio::test]
async fn debug_output_never_contains_secrets() {
    let server = TestKinde::start();
    let secret = server.client_secret().expect("confidential client");
    let config = server
        .config_builder()
        .redirect_uri(REDIRECT)
        .post_logout_redirect_url(POST_LOGOUT)
        .build()
        .expect("config");
    let kinde = Kinde::new(config.clone()).expect("client");

    let login = kinde.login_url(LoginOptions::new()).await.expect("login");
    let verifier = pending_field(&login, "verifier");
    let mut pending = pending_with(&kinde, &login);
    let pending_debug = format!("{pending:?} {login:?} {:?}", login.pending);
    let callback = follow_authorize(&login.url).await;
    let code = callback.code.clone().expect("code");
    let callback_debug = format!("{callback:?}");
    let outcome = kinde
        .complete_login(&callback, &mut pending)
        .await
        .expect("login");
    let outcome_debug = format!("{outcome:?}");
    let (session, _) = signed_in(outcome);
    let tokens = session.tokens.clone();
    let access = tokens.access_token().secret().to_string();
    let id = tokens.id_token().expect("id token").to_string();
    let refresh = tokens.refresh_token().expect("refresh token").to_string();
    let m2m = kinde
        .client_credentials_token(None)
        .await
        .expect("m2m token");

    let s1 = kinde.refresh(&tokens).await.expect("refresh");

    // The flows' values: plans that store tokens and pending logins, a logout reply
    // whose Location carries the ID token, callers with tokens.
    let stored = tokens.to_json();
    let flows_debug = format!(
        "{:?} {:?} {:?} {:?} {:?} {:?}",
        kinde
            .begin_login(kinde_core::web::Route::Login, None, None)
            .await,
        kinde.logout(Some(&stored)).await,
        kinde.resume_session(Some(&stored)).await,
        kinde.bearer_caller(&access).await,
        tokens.access_token(),
        kinde_core::SessionWrite::Set {
            slot: kinde_core::SessionSlot::Tokens,
            value: stored.clone(),
        },
    );

    // Errors met along the way, including ones that involve each secret.
    let mut errors: Vec<KindeError> = Vec::new();
    pending.insert(login.pending.clone(), kinde.config().login_ttl());
    errors.extend(kinde.complete_login(&callback, &mut pending).await.err());
    errors.extend(kinde.complete_login(&callback, &mut pending).await.err());
    errors.extend(
        kinde
            .verify_access_token(&with_kid(&access, "nope"))
            .await
            .err(),
    );
    errors.extend(kinde.verify_id_token(&id, Some("other")).await.err());
    let mut expired = server.access_claims(&admin(&server), &[]);
    expired["exp"] = json!(1);
    errors.extend(
        kinde
            .verify_access_token(&server.sign_claims(&expired))
            .await
            .err(),
    );
    errors.extend(
        kinde
            .portal_link(
                &AccessToken::new(access.as_str()),
                &format!("/{refresh}"),
                None,
            )
            .await
            .err(),
    );
    server.revoke_refresh_tokens();
    errors.extend(kinde.refresh(&s1.tokens).await.err());
    server.set_token_endpoint_failure(Some(500));
    let login2 = kinde.login_url(LoginOptions::new()).await.expect("login");
    let mut pending2 = pending_with(&kinde, &login2);
    let cb2 = follow_authorize(&login2.url).await;
    errors.extend(kinde.complete_login(&cb2, &mut pending2).await.err());
    server.set_token_endpoint_failure(None);
    let wrong = build_client(server.config_builder().client_secret("wrong-secret-value"));
    errors.extend(wrong.client_credentials_token(None).await.err());
    let unreachable = build_client(
        kinde_core::KindeConfig::builder()
            .domain(format!("http://127.0.0.1:{}", closed_port()))
            .client_id("c")
            .client_secret(secret.clone()),
    );
    errors.extend(unreachable.verify_access_token(&access).await.err());
    errors.extend(unreachable.refresh(&tokens).await.err());
    errors.extend(
        unreachable
            .user_profile(&AccessToken::new(access.as_str()))
            .await
            .err(),
    );
    assert!(errors.len() >= 12, "collected {} errors", errors.len());

    let builder = server.config_builder().client_secret(secret.clone());
    let debug = [
        format!("{config:?}"),
        format!("{builder:?}"),
        format!("{kinde:?}"),
        format!("{tokens:?}"),
        format!("{session:?}"),
        format!("{s1:?}"),
        format!("{m2m:?}"),
        pending_debug,
        flows_debug,
        callback_debug,
        outcome_debug,
        format!("{pending:?}"),
        format!("{errors:?}"),
        errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    ];
    let secrets = [
        ("client secret", secret.as_str()),
        ("wrong client secret", "wrong-secret-value"),
        ("access token", access.as_str()),
        ("id token", id.as_str()),
        ("refresh token", refresh.as_str()),
        (
            "rotated refresh token",
            s1.tokens.refresh_token().expect("rt"),
        ),
        ("rotated access token", s1.tokens.access_token().secret()),
        ("code", code.as_str()),
        ("PKCE verifier", verifier.as_str()),
        ("m2m token", m2m.secret()),
    ];
    for text in &debug {
        for (what, value) in secrets {
            assert!(!value.is_empty());
            assert!(
                !text.contains(value),
                "the {what} leaked into Debug/Display output: {text}"
            );
        }
        // No JWT signature part either (a partial token is still a leak).
        for jwt in [&access, &id] {
            let sig = jwt.rsplit('.').next().expect("signature");
            assert!(!text.contains(sig), "a token signature leaked: {text}");
        }
    }
}

/// `Claims` is what a caller logs most; it must stay free of raw tokens too.
#[tokio::test]
async fn claims_debug_is_short_and_clean() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let token = server.mint_access_token(&admin(&server), MintOptions::default());
    let claims: Claims = kinde.verify_access_token(&token).await.expect("valid");
    let debug = format!("{claims:?}");
    assert!(debug.contains(ADMIN), "{debug}");
    assert!(!debug.contains(&token));
    assert!(!debug.contains(token.rsplit('.').next().expect("sig")));
}
