//! kinde-core against an independent, certified OpenID provider (panva/oidc-provider)
//! configured with Kinde's paths. Run through `scripts/interop.sh`, which starts the
//! provider and exports `KINDE_INTEROP_*`; the tests are `#[ignore]`d otherwise.

use std::time::Duration;

use kinde_core::{
    AudiencePolicy, CallbackOutcome, CallbackParams, Kinde, KindeConfig, KindeError, LoginOptions,
    PendingLogins, SessionState, TokenRejection, VerifiedSession,
};

const REDIRECT: &str = "http://127.0.0.1:3999/callback";

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run this through scripts/interop.sh"))
}

fn kinde() -> Kinde {
    let config = KindeConfig::builder()
        .domain(env("KINDE_INTEROP_ISSUER"))
        .client_id(env("KINDE_INTEROP_CLIENT_ID"))
        .client_secret(env("KINDE_INTEROP_CLIENT_SECRET"))
        .redirect_uri(REDIRECT)
        .post_logout_redirect_url("http://127.0.0.1:3999/")
        .audience(env("KINDE_INTEROP_AUDIENCE"))
        .build()
        .expect("config");
    Kinde::new(config).expect("client")
}

/// Follow the provider's redirect chain with a cookie jar until it lands on our
/// callback URL, and return the callback's query parameters.
async fn authorize(browser: &reqwest::Client, start: url::Url) -> CallbackParams {
    let mut next = start;
    for _ in 0..10 {
        let resp = browser
            .get(next.clone())
            .send()
            .await
            .expect("provider reachable");
        let location = resp
            .headers()
            .get("location")
            .unwrap_or_else(|| panic!("no redirect from {} ({})", next.path(), resp.status()))
            .to_str()
            .unwrap()
            .to_string();
        let target = next.join(&location).unwrap();
        if target.as_str().starts_with(REDIRECT) {
            let query: Vec<(String, String)> = target.query_pairs().into_owned().collect();
            let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            return CallbackParams {
                code: get("code"),
                state: get("state"),
                error: get("error"),
                error_description: get("error_description"),
                reauth_state: None,
            };
        }
        next = target;
    }
    panic!("redirect chain did not reach the callback");
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn sign_in(kinde: &Kinde, browser: &reqwest::Client) -> VerifiedSession {
    let mut pending = PendingLogins::default();
    let login = kinde
        .login_url(LoginOptions::new().return_to("/dashboard"))
        .await
        .expect("login url");
    pending.insert(login.pending, Duration::from_secs(600));
    let params = authorize(browser, login.url).await;
    match kinde
        .complete_login(&params, &mut pending)
        .await
        .expect("callback completes")
    {
        CallbackOutcome::SignedIn { session, return_to } => {
            assert_eq!(return_to, "/dashboard");
            *session
        }
        CallbackOutcome::Restart(_) => panic!("unexpected restart"),
    }
}

#[tokio::test]
#[ignore = "needs scripts/interop.sh"]
async fn login_exchange_and_verification() {
    let kinde = kinde();
    let browser = browser();
    let session = sign_in(&kinde, &browser).await;
    let user = session.user().expect("user");
    assert_eq!(user.id, "user-1");
    assert_eq!(user.email.as_deref(), Some("interop@example.com"));
    assert_eq!(user.given_name.as_deref(), Some("Inter"));
    assert!(
        session.tokens.refresh_token().is_some(),
        "offline scope yields a refresh token"
    );
    // The provider's `aud` is a string, Kinde's an array: both are accepted.
    assert_eq!(session.access.audience(), [env("KINDE_INTEROP_AUDIENCE")]);

    // Stored tokens verify on later requests without a refresh.
    let again = kinde
        .resume_session(Some(&session.tokens.to_json()))
        .await
        .expect("session verifies");
    assert!(matches!(again, SessionState::Active(s) if !s.refreshed));

    // The same state cannot be completed twice.
    let mut none = PendingLogins::default();
    let replay = CallbackParams {
        code: Some("x".into()),
        state: Some("y".into()),
        ..Default::default()
    };
    assert!(matches!(
        kinde.complete_login(&replay, &mut none).await,
        Err(KindeError::Callback(
            kinde_core::CallbackError::UnknownState
        ))
    ));

    // A token for another audience is refused by an API configured for its own.
    let strict = Kinde::new(
        KindeConfig::builder()
            .domain(env("KINDE_INTEROP_ISSUER"))
            .client_id(env("KINDE_INTEROP_CLIENT_ID"))
            .audience_policy(AudiencePolicy::OneOf(vec!["some-other-api".into()]))
            .build()
            .unwrap(),
    )
    .unwrap();
    assert!(matches!(
        strict
            .verify_access_token(session.tokens.access_token().secret())
            .await,
        Err(KindeError::InvalidToken(TokenRejection::WrongAudience))
    ));

    // The user profile endpoint answers with the access token.
    let profile = kinde
        .user_profile(session.tokens.access_token())
        .await
        .expect("profile");
    assert_eq!(profile.email.as_deref(), Some("interop@example.com"));

    let logout = kinde.logout_url(Some(&session.tokens)).await.unwrap();
    assert!(
        logout
            .as_str()
            .contains("redirect=http%3A%2F%2F127.0.0.1%3A3999%2F")
    );
}

#[tokio::test]
#[ignore = "needs scripts/interop.sh"]
async fn concurrent_refreshes_collapse_into_one_rotation() {
    let kinde = kinde();
    let browser = browser();
    let session = sign_in(&kinde, &browser).await;
    // oidc-provider revokes the whole grant when a rotated refresh token is reused, so
    // this only passes if the 8 refreshes reach it as exactly one request.
    let refreshes = (0..8).map(|_| kinde.refresh(&session.tokens));
    let results = futures::future::join_all(refreshes).await;
    let first = results[0]
        .as_ref()
        .expect("refresh succeeds")
        .tokens
        .clone();
    for r in &results {
        assert_eq!(r.as_ref().expect("every waiter succeeds").tokens, first);
    }
    assert_ne!(
        first.refresh_token(),
        session.tokens.refresh_token(),
        "rotated"
    );
    // A late request with the old refresh token gets the new set (grace window).
    let late = kinde.refresh(&session.tokens).await.expect("grace");
    assert_eq!(late.tokens, first);
    // The new refresh token still works at the provider: the grant was not revoked.
    let next = kinde.refresh(&first).await.expect("second rotation");
    assert!(next.refreshed);
}
