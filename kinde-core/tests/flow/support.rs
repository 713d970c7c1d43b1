//! Shared helpers: a `Kinde` client for a `TestKinde`, the browser's side of a login
//! (following the authorization redirect, reading `Location` and query strings),
//! complete logins, and assertions on the errors a caller sees.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kinde_core::testing::{TestKinde, TestUser};
use kinde_core::{
    CallbackError, CallbackOutcome, CallbackParams, ErrorClass, Kinde, KindeConfigBuilder,
    KindeError, LoginOptions, LoginRequest, PendingLogins, SessionState, TokenRejection, TokenSet,
    VerifiedSession,
};
use serde_json::{Value, json};
use url::Url;

/// The application's callback URL.
pub const REDIRECT: &str = "http://127.0.0.1:9/callback";
/// Where the application wants the browser back after logout.
pub const POST_LOGOUT: &str = "http://127.0.0.1:9/signed-out";
/// The first demo user, who logs in by default.
pub const ADMIN: &str = "kp_demo_admin";
/// [`ADMIN`]'s email.
pub const ADMIN_EMAIL: &str = "ada.lovelace@example.com";

/// A client from `builder` (which must build).
pub fn build_client(builder: KindeConfigBuilder) -> Kinde {
    Kinde::new(builder.build().expect("config")).expect("client")
}

/// A client of `server` with the test's callback and post-logout URLs.
pub fn client(server: &TestKinde) -> Kinde {
    client_with(server, |b| b)
}

/// As [`client`], with `tweak` applied to the configuration.
pub fn client_with(
    server: &TestKinde,
    tweak: impl FnOnce(KindeConfigBuilder) -> KindeConfigBuilder,
) -> Kinde {
    let builder = server
        .config_builder()
        .redirect_uri(REDIRECT)
        .post_logout_redirect_url(POST_LOGOUT);
    build_client(tweak(builder))
}

// ----- the browser -----

/// An HTTP client that, like a test's browser, does not follow redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("browser client")
}

/// Opens `url` in a fresh [`browser`].
pub async fn browser_get(url: &Url) -> reqwest::Response {
    browser()
        .get(url.clone())
        .send()
        .await
        .expect("browser request")
}

/// The response's `Location` header.
pub fn location(resp: &reqwest::Response) -> &str {
    resp.headers()
        .get(reqwest::header::LOCATION)
        .expect("Location")
        .to_str()
        .expect("Location is text")
}

/// The query parameters of `url` (the last value of a repeated one).
pub fn query(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

/// `url` without its query: origin and path.
pub fn without_query(url: &Url) -> String {
    format!("{}{}", url.origin().ascii_serialization(), url.path())
}

/// Open the authorization URL as a browser would and return the callback's query.
pub async fn follow_authorize(url: &Url) -> CallbackParams {
    let resp = browser_get(url).await;
    assert_eq!(resp.status().as_u16(), 302, "authorize should redirect");
    let callback = Url::parse(location(&resp)).expect("absolute callback URL");
    assert!(
        callback.as_str().starts_with(REDIRECT),
        "redirected to the registered callback: {callback}"
    );
    let q = query(&callback);
    CallbackParams {
        code: q.get("code").cloned(),
        state: q.get("state").cloned(),
        error: q.get("error").cloned(),
        error_description: q.get("error_description").cloned(),
        reauth_state: q.get("reauth_state").cloned(),
    }
}

// ----- logins -----

/// Pending logins holding `login`'s entry, as the session would after `login_url`.
pub fn pending_with(kinde: &Kinde, login: &LoginRequest) -> PendingLogins {
    let mut pending = PendingLogins::default();
    pending.insert(login.pending.clone(), kinde.config().login_ttl());
    pending
}

/// The session and return path of a completed login.
pub fn signed_in(outcome: CallbackOutcome) -> (VerifiedSession, String) {
    match outcome {
        CallbackOutcome::SignedIn { session, return_to } => (*session, return_to),
        CallbackOutcome::Restart(req) => panic!("expected SignedIn, got a restart to {}", req.url),
    }
}

/// A complete browser login with `options`.
pub async fn sign_in(kinde: &Kinde, options: LoginOptions) -> (VerifiedSession, String) {
    let login = kinde.login_url(options).await.expect("login_url");
    let mut pending = pending_with(kinde, &login);
    let callback = follow_authorize(&login.url).await;
    let outcome = kinde
        .complete_login(&callback, &mut pending)
        .await
        .expect("complete_login");
    assert!(pending.is_empty(), "the pending login is consumed");
    signed_in(outcome)
}

/// The pending login's private fields, through its serialized (session) form.
pub fn pending_field(login: &LoginRequest, field: &str) -> String {
    serde_json::to_value(&login.pending).expect("pending serializes")[field]
        .as_str()
        .unwrap_or_else(|| panic!("pending login has {field}"))
        .to_string()
}

// ----- errors -----

/// The reason of an invalid-token error (which must be a 401).
pub fn rejection<T: std::fmt::Debug>(
    result: kinde_core::Result<T>,
) -> (TokenRejection, KindeError) {
    match result {
        Err(e @ KindeError::InvalidToken(_)) => {
            assert_eq!(e.class(), ErrorClass::Unauthenticated, "{e}");
            assert_eq!(e.status(), 401, "{e}");
            let KindeError::InvalidToken(r) = &e else {
                unreachable!()
            };
            (r.clone(), e)
        }
        other => panic!("expected an invalid-token error, got {other:?}"),
    }
}

/// Asserts an invalid-token error for the reason `want`.
pub fn assert_rejected<T: std::fmt::Debug>(
    result: kinde_core::Result<T>,
    want: TokenRejection,
) -> KindeError {
    let (got, err) = rejection(result);
    assert_eq!(got, want, "{err}");
    err
}

/// The callback error of a failed login completion (which must be a 400).
pub fn callback_error<T: std::fmt::Debug>(
    result: kinde_core::Result<T>,
) -> (CallbackError, KindeError) {
    match result {
        Err(e @ KindeError::Callback(_)) => {
            assert_eq!(e.class(), ErrorClass::BadRequest, "{e}");
            assert_eq!(e.status(), 400, "{e}");
            let KindeError::Callback(c) = &e else {
                unreachable!()
            };
            (c.clone(), e)
        }
        other => panic!("expected a callback error, got {other:?}"),
    }
}

/// Asserts a 503 (Kinde unavailable).
pub fn assert_unavailable<T: std::fmt::Debug>(result: kinde_core::Result<T>) -> KindeError {
    match result {
        Err(e @ KindeError::Unavailable(_)) => {
            assert_eq!(e.class(), ErrorClass::Unavailable);
            assert_eq!(e.status(), 503);
            e
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

/// Asserts that the session has ended (a 401).
pub fn assert_session_ended<T: std::fmt::Debug>(result: kinde_core::Result<T>) -> KindeError {
    match result {
        Err(e @ KindeError::SessionEnded) => {
            assert_eq!(e.class(), ErrorClass::Unauthenticated);
            assert_eq!(e.status(), 401);
            e
        }
        other => panic!("expected SessionEnded, got {other:?}"),
    }
}

// ----- users, tokens, addresses -----

/// The demo admin of `server`.
/// Resume a session from its token set, through the session format as an adapter
/// stores it: the verified session, or why it ended.
pub async fn resume(kinde: &Kinde, tokens: &TokenSet) -> kinde_core::Result<Arc<VerifiedSession>> {
    match kinde.resume_session(Some(&tokens.to_json())).await? {
        SessionState::Active(session) => Ok(session),
        SessionState::Ended(why) => Err(why),
        SessionState::Anonymous => panic!("a stored token set is never anonymous"),
    }
}

pub fn admin(server: &TestKinde) -> TestUser {
    server.user(ADMIN).expect("demo admin")
}

/// `v` as base64url JSON, as in a JWT part.
pub fn b64_json(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

/// `token` with its header replaced by an RS256 header naming `kid` (the signature no
/// longer matches, but a verifier must not get that far without the key).
pub fn with_kid(token: &str, kid: &str) -> String {
    let (_, rest) = token.split_once('.').expect("a JWT");
    let header = b64_json(&json!({"alg": "RS256", "typ": "JWT", "kid": kid}));
    format!("{header}.{rest}")
}

/// A key id no server publishes.
pub fn random_kid() -> String {
    format!(
        "{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}

/// A loopback address nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}
