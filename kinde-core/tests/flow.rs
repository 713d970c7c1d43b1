//! Integration tests of kinde-core's whole flow against the local `TestKinde` server,
//! over real HTTP on loopback: login, verification, refresh, the Account API, logout,
//! several tenants, machine tokens, and the errors a caller sees when things go wrong.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use kinde_core::testing::{
    Endpoint, MintOptions, TestEntitlement, TestKinde, TestSigner, TestUser,
};
use kinde_core::web::SessionState;
use kinde_core::{
    AudiencePolicy, CallbackError, CallbackOutcome, CallbackParams, Claims, ErrorClass, FlagError,
    FlagKind, Kinde, KindeError, LoginOptions, LoginRequest, PendingLogins, PortalPage,
    TokenRejection, TokenSet, VerifiedSession,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const POST_LOGOUT: &str = "http://127.0.0.1:9/signed-out";
const ADMIN: &str = "kp_demo_admin";
const ADMIN_EMAIL: &str = "ada.lovelace@example.com";

// ----- helpers -----

fn client(server: &TestKinde) -> Kinde {
    client_with(server, |b| b)
}

fn client_with(
    server: &TestKinde,
    tweak: impl FnOnce(kinde_core::KindeConfigBuilder) -> kinde_core::KindeConfigBuilder,
) -> Kinde {
    let builder = server
        .config_builder()
        .redirect_uri(REDIRECT)
        .post_logout_redirect_url(POST_LOGOUT);
    Kinde::new(tweak(builder).build().expect("config")).expect("client")
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("browser client")
}

fn query(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

/// Open the authorization URL as a browser would and return the callback's query.
async fn follow_authorize(url: &Url) -> CallbackParams {
    let resp = browser()
        .get(url.clone())
        .send()
        .await
        .expect("authorize request");
    assert_eq!(resp.status().as_u16(), 302, "authorize should redirect");
    let location = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .expect("Location")
        .to_str()
        .expect("Location is text");
    let callback = Url::parse(location).expect("absolute callback URL");
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

fn pending_with(kinde: &Kinde, login: &LoginRequest) -> PendingLogins {
    let mut pending = PendingLogins::default();
    pending.insert(login.pending.clone(), kinde.config().login_ttl());
    pending
}

fn signed_in(outcome: CallbackOutcome) -> (VerifiedSession, String) {
    match outcome {
        CallbackOutcome::SignedIn { session, return_to } => (*session, return_to),
        CallbackOutcome::Restart(req) => panic!("expected SignedIn, got a restart to {}", req.url),
    }
}

/// A complete browser login with `options`.
async fn sign_in(kinde: &Kinde, options: LoginOptions) -> (VerifiedSession, String) {
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
fn pending_field(login: &LoginRequest, field: &str) -> String {
    serde_json::to_value(&login.pending).expect("pending serializes")[field]
        .as_str()
        .unwrap_or_else(|| panic!("pending login has {field}"))
        .to_string()
}

fn rejection<T: std::fmt::Debug>(result: kinde_core::Result<T>) -> (TokenRejection, KindeError) {
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

fn assert_rejected<T: std::fmt::Debug>(
    result: kinde_core::Result<T>,
    want: TokenRejection,
) -> KindeError {
    let (got, err) = rejection(result);
    assert_eq!(got, want, "{err}");
    err
}

fn callback_error<T: std::fmt::Debug>(
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

fn assert_unavailable<T: std::fmt::Debug>(result: kinde_core::Result<T>) -> KindeError {
    match result {
        Err(e @ KindeError::Unavailable(_)) => {
            assert_eq!(e.class(), ErrorClass::Unavailable);
            assert_eq!(e.status(), 503);
            e
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

fn assert_session_ended<T: std::fmt::Debug>(result: kinde_core::Result<T>) -> KindeError {
    match result {
        Err(e @ KindeError::SessionEnded) => {
            assert_eq!(e.class(), ErrorClass::Unauthenticated);
            assert_eq!(e.status(), 401);
            e
        }
        other => panic!("expected SessionEnded, got {other:?}"),
    }
}

fn admin(server: &TestKinde) -> TestUser {
    server.user(ADMIN).expect("demo admin")
}

fn b64_json(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

/// `token` with its header replaced by an RS256 header naming `kid` (the signature no
/// longer matches, but a verifier must not get that far without the key).
fn with_kid(token: &str, kid: &str) -> String {
    let (_, rest) = token.split_once('.').expect("a JWT");
    let header = b64_json(&json!({"alg": "RS256", "typ": "JWT", "kid": kid}));
    format!("{header}.{rest}")
}

fn random_kid() -> String {
    format!(
        "{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}

/// A loopback address nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

// ----- 1. full login -----

#[tokio::test]
async fn full_login_signs_in_with_verified_claims() {
    let server = TestKinde::start();
    let kinde = client(&server);

    let login = kinde
        .login_url(LoginOptions::new().return_to("/dashboard?tab=1"))
        .await
        .expect("login_url");
    let url = &login.url;
    assert_eq!(
        format!("{}{}", url.origin().ascii_serialization(), url.path()),
        server.url("/oauth2/auth")
    );
    let q = query(url);
    assert_eq!(q["client_id"], server.client_id());
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["redirect_uri"], REDIRECT);
    assert_eq!(q["scope"], "openid profile email offline");
    assert_eq!(q["state"], login.pending.state());
    assert!(q["state"].len() >= 16, "state has enough entropy");
    assert_eq!(q["nonce"], pending_field(&login, "nonce"));
    assert!(q["nonce"].len() >= 16, "nonce has enough entropy");
    assert_eq!(q["code_challenge_method"], "S256");
    let verifier = pending_field(&login, "verifier");
    assert_eq!(
        q["code_challenge"],
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
        "code_challenge is the S256 of the kept verifier"
    );
    assert_eq!(q["supports_reauth"], "true");
    assert!(!q.contains_key("audience"), "no audience configured");
    assert!(!q.contains_key("client_secret"));
    assert_eq!(login.pending.return_to(), Some("/dashboard?tab=1"));

    // Every login gets fresh values.
    let other = kinde
        .login_url(LoginOptions::new())
        .await
        .expect("login_url");
    let q2 = query(&other.url);
    for k in ["state", "nonce", "code_challenge"] {
        assert_ne!(q[k], q2[k], "{k} is fresh per login");
    }

    let mut pending = pending_with(&kinde, &login);
    pending.insert(other.pending.clone(), kinde.config().login_ttl());
    let callback = follow_authorize(&login.url).await;
    assert_eq!(callback.state.as_deref(), Some(login.pending.state()));
    assert!(callback.code.is_some());
    let outcome = kinde
        .complete_login(&callback, &mut pending)
        .await
        .expect("complete_login");
    assert_eq!(pending.len(), 1, "only this login's entry is consumed");
    let (session, return_to) = signed_in(outcome);
    assert_eq!(return_to, "/dashboard?tab=1");
    assert!(!session.refreshed);
    assert_eq!(server.token_requests("authorization_code"), 1);

    let user = session.user().expect("user");
    assert_eq!(user.id, ADMIN);
    assert_eq!(user.email.as_deref(), Some(ADMIN_EMAIL));
    assert_eq!(user.email_verified, Some(true));
    assert_eq!(user.given_name.as_deref(), Some("Ada"));
    assert_eq!(user.family_name.as_deref(), Some("Lovelace"));
    assert_eq!(user.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(user.display_name(), "Ada Lovelace");
    assert_eq!(user.org_code.as_deref(), Some("org_demo"));
    let orgs: Vec<&str> = user.organizations.iter().map(|o| o.code.as_str()).collect();
    assert_eq!(orgs, ["org_demo", "org_demo_labs"]);

    let perms = session.permissions();
    assert!(perms.is_granted("read:todos"));
    assert!(perms.all_granted(["read:todos", "write:todos"]));
    assert!(!perms.is_granted("delete:todos"));
    assert_eq!(perms.org_code(), Some("org_demo"));
    let roles = session.roles();
    assert!(roles.has("admin"));
    assert!(!roles.has("member"));
    assert_eq!(roles.all().len(), 1);
    let org = session.organization().expect("org");
    assert_eq!(org.code, "org_demo");
    assert_eq!(org.name.as_deref(), Some("Demo Org"));

    let flags = session.feature_flags();
    assert_eq!(flags.bool("dark_mode"), Ok(true));
    assert_eq!(flags.string("theme").as_deref(), Ok("ocean"));
    assert_eq!(flags.integer("todo_limit"), Ok(100));
    assert_eq!(
        flags.get("onboarding").map(|f| f.kind),
        Some(FlagKind::Json)
    );
    assert_eq!(
        flags.json("onboarding").expect("json flag")["skippable"],
        true
    );
    assert!(matches!(
        flags.bool("theme"),
        Err(FlagError::TypeMismatch { .. })
    ));
    assert!(matches!(flags.integer("nope"), Err(FlagError::Absent(_))));
    assert_eq!(flags.integer_or("nope", 7), Ok(7));
    assert_eq!(flags.bool_or("dark_mode", false), Ok(true));

    // Tokens: all three present, verified, and consistent.
    let tokens = &session.tokens;
    assert!(tokens.refresh_token().is_some_and(|r| !r.is_empty()));
    assert!(tokens.id_token().is_some());
    assert!(!tokens.is_expired());
    assert_eq!(
        Some(tokens.expires_at()),
        session.access.expires_at(),
        "expiry comes from the verified access token"
    );
    let id = session.id.as_ref().expect("ID claims");
    assert_eq!(
        id.get("nonce").and_then(Value::as_str),
        Some(pending_field(&login, "nonce").as_str())
    );
    assert_eq!(id.audience(), [server.client_id().as_str()]);
    assert!(session.access.audience().is_empty());
    assert_eq!(session.access.issuer(), Some(server.issuer().as_str()));

    // The stored tokens authenticate later requests without another round trip.
    let again = kinde
        .authenticate_session(tokens)
        .await
        .expect("authenticate_session");
    assert!(!again.refreshed);
    assert_eq!(&again.tokens, tokens);
    assert_eq!(again.user(), session.user());
    assert_eq!(server.token_requests("refresh_token"), 0);

    // An unsafe return_to is dropped: the configured default applies.
    let evil = kinde
        .login_url(LoginOptions::new().return_to("//evil.example/x"))
        .await
        .expect("login_url");
    assert_eq!(evil.pending.return_to(), None);
    let (_, return_to) = {
        let mut pending = pending_with(&kinde, &evil);
        let cb = follow_authorize(&evil.url).await;
        signed_in(
            kinde
                .complete_login(&cb, &mut pending)
                .await
                .expect("login"),
        )
    };
    assert_eq!(return_to, "/");
}

// ----- 2. register, create-org, switch-org and login options -----

#[tokio::test]
async fn register_create_org_switch_org_and_options_reach_kinde() {
    let server = TestKinde::start();
    let kinde = client(&server);

    let register = kinde
        .register_url(LoginOptions::new())
        .await
        .expect("register_url");
    let q = query(&register.url);
    assert_eq!(q["prompt"], "create");
    assert!(!q.contains_key("is_create_org"));

    let create = kinde
        .create_org_url(Some("Acme Rockets"), LoginOptions::new())
        .await
        .expect("create_org_url");
    let q = query(&create.url);
    assert_eq!(q["prompt"], "create");
    assert_eq!(q["is_create_org"], "true");
    assert_eq!(q["org_name"], "Acme Rockets");
    // Driven through Kinde: the new organisation is the session's.
    let mut pending = pending_with(&kinde, &create);
    let cb = follow_authorize(&create.url).await;
    let (session, _) = signed_in(
        kinde
            .complete_login(&cb, &mut pending)
            .await
            .expect("login"),
    );
    let org = session.organization().expect("org");
    assert!(
        org.code.starts_with("org_") && org.code != "org_demo",
        "{org:?}"
    );
    assert_eq!(org.name.as_deref(), Some("Acme Rockets"));

    let switch = kinde
        .switch_org_url("org_demo_labs", LoginOptions::new())
        .await
        .expect("switch_org_url");
    let q = query(&switch.url);
    assert_eq!(q["prompt"], "none");
    assert_eq!(q["org_code"], "org_demo_labs");
    let mut pending = pending_with(&kinde, &switch);
    let cb = follow_authorize(&switch.url).await;
    let (session, _) = signed_in(
        kinde
            .complete_login(&cb, &mut pending)
            .await
            .expect("login"),
    );
    assert_eq!(
        session.organization().map(|o| o.code).as_deref(),
        Some("org_demo_labs")
    );

    // Every login option reaches Kinde.
    server.clear_history();
    let opts = LoginOptions::new()
        .org_code("org_demo_labs")
        .login_hint("grace.hopper@example.com")
        .lang("fr")
        .connection_id("conn_google")
        .invitation_code("inv_123")
        .plan_interest("pro")
        .pricing_table_key("main_table")
        .has_success_page(true)
        .workflow_deployment_id("wf_1")
        .extra("custom_param", "x")
        .extra("state", "attacker-chosen");
    let login = kinde.login_url(opts).await.expect("login_url");
    let mut pending = pending_with(&kinde, &login);
    let cb = follow_authorize(&login.url).await;
    let seen = server.authorize_requests();
    assert_eq!(seen.len(), 1);
    let q = query(&seen[0]);
    for (k, v) in [
        ("org_code", "org_demo_labs"),
        ("login_hint", "grace.hopper@example.com"),
        ("lang", "fr"),
        ("connection_id", "conn_google"),
        ("invitation_code", "inv_123"),
        ("is_invitation", "true"),
        ("plan_interest", "pro"),
        ("pricing_table_key", "main_table"),
        ("has_success_page", "true"),
        ("workflow_deployment_id", "wf_1"),
        ("custom_param", "x"),
    ] {
        assert_eq!(q.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert_eq!(
        q["state"],
        login.pending.state(),
        "options cannot override state"
    );
    assert_eq!(
        seen[0].query_pairs().filter(|(k, _)| k == "state").count(),
        1
    );
    let (session, _) = signed_in(
        kinde
            .complete_login(&cb, &mut pending)
            .await
            .expect("login"),
    );
    // login_hint picked Grace; she is not in org_demo_labs, so Kinde used her own org.
    assert_eq!(session.user().expect("user").id, "kp_demo_reader");

    // Audiences: configured, and overridden per login; the token carries them.
    let api = client_with(&server, |b| b.audience("my-api"));
    let login = api.login_url(LoginOptions::new()).await.expect("login_url");
    assert_eq!(query(&login.url)["audience"], "my-api");
    server.clear_history();
    let (session, _) = sign_in(&api, LoginOptions::new().audience(["my-api", "second-api"])).await;
    let q = query(&server.last_authorize_request().expect("authorize request"));
    assert_eq!(q["audience"], "my-api second-api");
    assert_eq!(session.access.audience(), ["my-api", "second-api"]);
}

// ----- 3. bad inputs -----

#[tokio::test]
async fn forged_and_invalid_tokens_are_rejected_with_the_right_reason() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let user = admin(&server);
    let kid = server.signing_key_kid();

    // Control: a genuine token verifies.
    let good = server.mint_access_token(&user, MintOptions::default());
    let claims = kinde.verify_access_token(&good).await.expect("valid token");
    assert_eq!(claims.subject(), Some(ADMIN));

    // Same claims, same kid, another key: only the signature is wrong.
    let forger = TestSigner::generate();
    let forged = forger.sign_with_kid(&server.access_claims(&user, &[]), &kid);
    assert_rejected(
        kinde.verify_access_token(&forged).await,
        TokenRejection::BadSignature,
    );
    // A key the issuer does not publish.
    let foreign = forger.sign(&server.access_claims(&user, &[]));
    assert_rejected(
        kinde.verify_access_token(&foreign).await,
        TokenRejection::UnknownKey,
    );

    // alg: none, with the server's kid and no signature.
    let none = format!(
        "{}.{}.",
        b64_json(&json!({"alg": "none", "typ": "JWT", "kid": kid})),
        b64_json(&server.access_claims(&user, &[]))
    );
    assert_rejected(
        kinde.verify_access_token(&none).await,
        TokenRejection::UnsupportedAlgorithm,
    );

    // HS256 keyed with the server's public key (algorithm confusion).
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.clone());
    let hs = jsonwebtoken::encode(
        &header,
        &server.access_claims(&user, &[]),
        &EncodingKey::from_secret(&server.public_key_der()),
    )
    .expect("HS256 token");
    assert_rejected(
        kinde.verify_access_token(&hs).await,
        TokenRejection::UnsupportedAlgorithm,
    );

    // Signed by the server's key, but naming another issuer.
    let mut c = server.access_claims(&user, &[]);
    c["iss"] = json!("https://someone-else.kinde.com");
    assert_rejected(
        kinde.verify_access_token(&server.sign_claims(&c)).await,
        TokenRejection::WrongIssuer,
    );
    // Issuer with a trailing slash is not the same issuer.
    let mut c = server.access_claims(&user, &[]);
    c["iss"] = json!(format!("{}/", server.issuer()));
    assert_rejected(
        kinde.verify_access_token(&server.sign_claims(&c)).await,
        TokenRejection::WrongIssuer,
    );

    // Audience: a token for another API, to a client that asked for none…
    let other_api = server.mint_access_token(
        &user,
        MintOptions {
            audience: vec!["other-api".into()],
            ..MintOptions::default()
        },
    );
    assert_rejected(
        kinde.verify_access_token(&other_api).await,
        TokenRejection::WrongAudience,
    );
    // …and a token for no API, to a client that requires one.
    let api = client_with(&server, |b| b.audience("my-api"));
    let no_aud = server.mint_access_token(&user, MintOptions::default());
    assert_rejected(
        api.verify_access_token(&no_aud).await,
        TokenRejection::WrongAudience,
    );
    assert_rejected(
        api.verify_access_token(&other_api).await,
        TokenRejection::WrongAudience,
    );
    let mine = server.mint_access_token(
        &user,
        MintOptions {
            audience: vec!["other-api".into(), "my-api".into()],
            ..MintOptions::default()
        },
    );
    api.verify_access_token(&mine)
        .await
        .expect("a token naming my-api");

    // Time: expired, and not yet valid (beyond the 30 s leeway).
    let expired = server.mint_access_token(
        &user,
        MintOptions {
            expired: true,
            ..MintOptions::default()
        },
    );
    assert_rejected(
        kinde.verify_access_token(&expired).await,
        TokenRejection::Expired,
    );
    let future = server.mint_access_token(
        &user,
        MintOptions {
            not_before: Some(3600),
            ..MintOptions::default()
        },
    );
    assert_rejected(
        kinde.verify_access_token(&future).await,
        TokenRejection::NotYetValid,
    );
    // No exp at all.
    let mut c = server.access_claims(&user, &[]);
    c.as_object_mut().expect("object").remove("exp");
    let (r, _) = rejection(kinde.verify_access_token(&server.sign_claims(&c)).await);
    assert!(matches!(r, TokenRejection::MissingClaim(_)), "{r:?}");

    // Not a JWT.
    assert_rejected(
        kinde.verify_access_token("not-a-token").await,
        TokenRejection::Malformed,
    );
    assert_rejected(
        kinde.verify_access_token("").await,
        TokenRejection::Malformed,
    );

    // ID tokens: nonce and audience.
    let id = server.mint_id_token(
        &user,
        MintOptions {
            nonce: Some("another-nonce".into()),
            ..MintOptions::default()
        },
    );
    assert_rejected(
        kinde.verify_id_token(&id, Some("expected")).await,
        TokenRejection::WrongNonce,
    );
    kinde
        .verify_id_token(&id, Some("another-nonce"))
        .await
        .expect("matching nonce");
    let no_nonce = server.mint_id_token(&user, MintOptions::default());
    assert_rejected(
        kinde.verify_id_token(&no_nonce, Some("expected")).await,
        TokenRejection::WrongNonce,
    );
    let for_other_client = server.mint_id_token(
        &user,
        MintOptions {
            client_id: Some("another-client".into()),
            ..MintOptions::default()
        },
    );
    assert_rejected(
        kinde.verify_id_token(&for_other_client, None).await,
        TokenRejection::WrongAudience,
    );
    // An access token (aud []) is not an ID token for this client.
    assert_rejected(
        kinde.verify_id_token(&good, None).await,
        TokenRejection::WrongAudience,
    );

    // One JWKS fetch per client served all of that (the unknown kid did not refetch:
    // rate limited).
    assert_eq!(server.requests(Endpoint::Jwks), 2);
}

#[tokio::test]
async fn bearer_headers_are_parsed_strictly_and_a_seen_token_is_recognised_from_its_bytes() {
    use kinde_core::web::Identity;
    let server = TestKinde::start();
    let kinde = client(&server);
    let user = admin(&server);
    let token = server.mint_access_token(&user, MintOptions::default());
    let subject = |id: Option<Identity>| {
        id.and_then(|i| i.user())
            .map(|u| u.id.clone())
            .expect("a bearer identity")
    };

    assert!(
        kinde
            .bearer_identity_of_header(None)
            .await
            .unwrap()
            .is_none()
    );
    // First sight verifies in full, later ones are served from the cache: same answer,
    // and the scheme is case-insensitive, surrounding blanks ignored.
    for header in [
        format!("Bearer {token}"),
        format!("bearer {token}"),
        format!("  BEARER   {token} "),
    ] {
        let id = kinde
            .bearer_identity_of_header(Some(header.as_bytes()))
            .await;
        assert_eq!(subject(id.expect("valid token")), ADMIN);
    }

    // The same (cached) token with a byte changed, a space, a tab or a non-ASCII byte
    // inside, or under another scheme: rejected, never a cache hit.
    let mut flipped = token.clone().into_bytes();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    let flipped = String::from_utf8(flipped).unwrap();
    let spaced = format!("{} {}", &token[..middle], &token[middle..]);
    let tabbed = format!("{}\t{}", &token[..middle], &token[middle..]);
    let accented = format!("{}é{}", &token[..middle], &token[middle + 1..]);
    let (_, error) = rejection(
        kinde
            .bearer_identity_of_header(Some(format!("Bearer {flipped}").as_bytes()))
            .await,
    );
    assert_eq!(error.status(), 401);
    for header in [
        format!("Bearer {spaced}"),
        format!("Bearer {tabbed}"),
        format!("Bearer {accented}"),
        format!("Basic {token}"),
        format!("Bearer{token}"),
        "Bearer".to_string(),
        "Bearer    ".to_string(),
    ] {
        let result = kinde
            .bearer_identity_of_header(Some(header.as_bytes()))
            .await;
        let (reason, _) = rejection(result);
        assert_eq!(reason, TokenRejection::Malformed, "{header:.20}…");
    }
    // Raw bytes that are not UTF-8 at all.
    let mut raw = format!("Bearer {token}").into_bytes();
    raw.push(0xff);
    let (reason, _) = rejection(kinde.bearer_identity_of_header(Some(&raw)).await);
    assert_eq!(reason, TokenRejection::Malformed);
    // The keys were fetched once, for the genuine token.
    assert_eq!(server.requests(Endpoint::Jwks), 1);
}

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

#[tokio::test]
async fn kinde_unreachable_gives_503_but_login_urls_still_work() {
    let port = closed_port();
    let kinde = Kinde::new(
        kinde_core::KindeConfig::builder()
            .domain(format!("http://127.0.0.1:{port}"))
            .client_id("kinde-test-client")
            .client_secret("kinde-test-secret")
            .redirect_uri(REDIRECT)
            .post_logout_redirect_url(POST_LOGOUT)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .expect("config"),
    )
    .expect("client");

    // Fixed endpoints when discovery fails.
    let login = kinde
        .login_url(LoginOptions::new())
        .await
        .expect("login_url");
    assert_eq!(
        format!(
            "{}{}",
            login.url.origin().ascii_serialization(),
            login.url.path()
        ),
        format!("http://127.0.0.1:{port}/oauth2/auth")
    );
    let logout = kinde.logout_url(None).await.unwrap();
    assert_eq!(logout.path(), "/logout");

    let signer = TestSigner::generate();
    let token = signer.sign(&json!({
        "iss": format!("http://127.0.0.1:{port}"), "sub": "kp_x", "aud": [],
        "exp": 4_102_444_800u64,
    }));
    assert_unavailable(kinde.verify_access_token(&token).await);
    assert_unavailable(kinde.verify_webhook_token(&token).await);

    let mut pending = pending_with(&kinde, &login);
    let params = CallbackParams {
        code: Some("some-code".into()),
        state: Some(login.pending.state().to_string()),
        ..CallbackParams::default()
    };
    assert_unavailable(kinde.complete_login(&params, &mut pending).await);

    let tokens = TokenSet::new(token.clone(), None, Some("rt".into()), 1);
    assert_unavailable(kinde.refresh(&tokens).await);
    assert_unavailable(kinde.authenticate_session(&tokens).await);
    assert_unavailable(kinde.client_credentials_token(Some("api")).await);
    assert_unavailable(kinde.user_profile(&token).await);
    assert_unavailable(kinde.entitlements(&token).await);
}

#[tokio::test]
async fn discovery_down_falls_back_to_fixed_endpoints() {
    let server = TestKinde::start();
    server.set_discovery_available(false);
    let kinde = client(&server);
    let (session, _) = sign_in(&kinde, LoginOptions::new()).await;
    assert_eq!(session.user().expect("user").id, ADMIN);
    assert_eq!(
        server.requests(Endpoint::Discovery),
        1,
        "discovery is not retried on every call"
    );
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

#[tokio::test]
async fn token_endpoint_failures_and_slowness_are_503() {
    let server = TestKinde::start();
    let kinde = client(&server);

    for status in [500, 502, 503] {
        server.set_token_endpoint_failure(Some(status));
        let login = kinde.login_url(LoginOptions::new()).await.expect("login");
        let mut pending = pending_with(&kinde, &login);
        let cb = follow_authorize(&login.url).await;
        assert_unavailable(kinde.complete_login(&cb, &mut pending).await);
    }
    server.set_token_endpoint_failure(None);

    // Slower than http_timeout.
    let impatient = client_with(&server, |b| b.http_timeout(Duration::from_secs(1)));
    server.set_token_delay(Duration::from_secs(3));
    let login = impatient
        .login_url(LoginOptions::new())
        .await
        .expect("login");
    let mut pending = pending_with(&impatient, &login);
    let cb = follow_authorize(&login.url).await;
    assert_unavailable(impatient.complete_login(&cb, &mut pending).await);
    server.set_token_delay(Duration::ZERO);

    // And the service recovers.
    let (session, _) = sign_in(&kinde, LoginOptions::new()).await;
    assert!(session.tokens.refresh_token().is_some());
    // A refresh during an outage is a 503 and leaves the session usable.
    server.set_token_endpoint_failure(Some(503));
    assert_unavailable(kinde.refresh(&session.tokens).await);
    server.set_token_endpoint_failure(None);
    let refreshed = kinde.refresh(&session.tokens).await.expect("refresh");
    assert!(refreshed.refreshed);
}

// ----- 4. JWKS cache under load -----

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

// ----- 5. refresh -----

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

    let s = kinde
        .authenticate_session(&session.tokens)
        .await
        .expect("authenticate");
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
        let s = kinde
            .authenticate_session(&no_rt.tokens)
            .await
            .expect("still valid");
        assert!(!s.refreshed);
    }
    // …then the session is over.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !no_rt.tokens.is_expired() {
        assert!(Instant::now() < deadline, "the 2 s token never expired");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_session_ended(kinde.authenticate_session(&no_rt.tokens).await);

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
    assert_session_ended(kinde.authenticate_session(&stored).await);
    assert_eq!(
        server.token_requests("refresh_token"),
        1,
        "nothing to refresh"
    );
}

fn active(state: kinde_core::Result<SessionState>) -> Arc<VerifiedSession> {
    match state {
        Ok(SessionState::Active(s)) => s,
        other => panic!("expected an active session, got {other:?}"),
    }
}

fn ended(state: kinde_core::Result<SessionState>) {
    assert!(
        matches!(state, Ok(SessionState::Ended)),
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
    assert!(stored.ends_with(&format!("{}\"}}", session.tokens.access_token())));

    // Verified once, then the same verified session for the same bytes.
    assert!(
        kinde.cached_session(&stored).is_none(),
        "nothing cached yet"
    );
    let first = active(kinde.resume_stored_session(Some(&stored)).await);
    let second = active(kinde.resume_stored_session(Some(&stored)).await);
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
    assert!(kinde.cached_session(&tampered).is_none());
    ended(kinde.resume_stored_session(Some(&tampered)).await);
    ended(kinde.resume_stored_session(Some("{not json")).await);
    assert!(matches!(
        kinde.resume_stored_session(None).await,
        Ok(SessionState::Anonymous)
    ));
    assert!(
        kinde.cached_session(&stored).is_some(),
        "the genuine one still is"
    );

    // Another client (its own caches) verifies for itself; with the cache off, every
    // resume is a full verification.
    let uncached = client_with(&server, |b| b.verified_session_cache(0));
    let a = active(uncached.resume_stored_session(Some(&stored)).await);
    let b = active(uncached.resume_stored_session(Some(&stored)).await);
    assert!(!Arc::ptr_eq(&a, &b));
    assert!(uncached.cached_session(&stored).is_none());

    // A withdrawn signing key ends the cached session as it ends the token: once the
    // client sees the new JWKS (here: a token signed with the new key), no hit.
    server.rotate_signing_key(false);
    let fresh = server.mint_access_token(&admin(&server), MintOptions::default());
    kinde.verify_access_token(&fresh).await.expect("new key");
    assert!(kinde.cached_session(&stored).is_none());
    ended(kinde.resume_stored_session(Some(&stored)).await);
}

#[tokio::test]
async fn a_stored_session_in_the_refresh_margin_is_refreshed_not_served_from_the_cache() {
    let server = TestKinde::builder()
        .access_token_ttl(Duration::from_secs(30))
        .start();
    let kinde = client_with(&server, |b| b.refresh_margin(Duration::from_secs(60)));
    let (session, _) = sign_in(&kinde, LoginOptions::new()).await;
    let stored = session.tokens.to_json();

    let refreshed = active(kinde.resume_stored_session(Some(&stored)).await);
    assert!(refreshed.refreshed, "inside the margin: refreshed");
    assert_eq!(server.token_requests("refresh_token"), 1);
    assert!(
        kinde.cached_session(&stored).is_none(),
        "a session that needs a refresh is never cached"
    );
    // The rotated set is what the adapter stores next; it too is inside the margin.
    let next = refreshed.tokens.to_json();
    assert_ne!(next, stored);
    assert!(kinde.cached_session(&next).is_none());
}

// ----- 6. Account API -----

#[tokio::test]
async fn account_api_through_kinde_core() {
    let server = TestKinde::start();
    // The demo admin with 25 entitlements: three pages of ten.
    let mut ada = admin(&server);
    for i in 0..24 {
        ada = ada.entitlement(
            TestEntitlement::new(format!("feature_{i:02}"), format!("Feature {i}"))
                .limits(None, Some(i)),
        );
    }
    let total = ada.entitlements.len();
    assert_eq!(total, 25);
    server.add_user(ada);
    let kinde = client(&server);
    let (session, _) = sign_in(&kinde, LoginOptions::new()).await;
    let token = session.tokens.access_token().to_string();

    let profile = kinde.user_profile(&token).await.expect("profile");
    assert_eq!(profile.id, ADMIN);
    assert_eq!(profile.email.as_deref(), Some(ADMIN_EMAIL));
    assert_eq!(profile.given_name.as_deref(), Some("Ada"));
    assert_eq!(profile.family_name.as_deref(), Some("Lovelace"));

    server.reset_counters();
    let ents = kinde.entitlements(&token).await.expect("entitlements");
    assert_eq!(ents.entitlements.len(), total, "every page is followed");
    assert_eq!(server.requests(Endpoint::AccountApi), 3, "three pages");
    let mut keys: Vec<&str> = ents
        .entitlements
        .iter()
        .map(|e| e.feature_key.as_str())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), total, "no duplicates across pages");
    assert_eq!(ents.org_code.as_deref(), Some("org_demo"));
    assert_eq!(
        ents.plans
            .iter()
            .map(|p| p.key.as_str())
            .collect::<Vec<_>>(),
        ["pro"]
    );
    let max = ents.get("max_todos").expect("max_todos");
    assert_eq!(max.entitlement_limit_max, Some(1000));
    assert_eq!(max.price_name.as_deref(), Some("Pro monthly"));
    assert_eq!(
        ents.get("feature_23").and_then(|e| e.entitlement_limit_max),
        Some(23)
    );

    let one = kinde
        .entitlement(&token, "max_todos")
        .await
        .expect("entitlement")
        .expect("found");
    assert_eq!(one.feature_key, "max_todos");
    assert_eq!(one.entitlement_limit_max, Some(1000));
    assert_eq!(
        kinde
            .entitlement(&token, "no_such_feature")
            .await
            .expect("entitlement"),
        None
    );

    let perms = kinde
        .account_permissions(&token)
        .await
        .expect("permissions");
    assert!(perms.contains("read:todos") && perms.contains("write:todos"));
    assert_eq!(perms.items.len(), 2);
    assert_eq!(perms.org_code.as_deref(), Some("org_demo"));
    let roles = kinde.account_roles(&token).await.expect("roles");
    assert!(roles.contains("admin"));
    assert_eq!(roles.items.len(), 1);
    let flags = kinde.account_feature_flags(&token).await.expect("flags");
    assert_eq!(flags.len(), 4);
    let dark = flags
        .iter()
        .find(|f| f.key == "dark_mode")
        .expect("dark_mode");
    assert_eq!(dark.value, json!(true));
    assert_eq!(dark.kind.as_deref(), Some("boolean"));
    let props = kinde.account_properties(&token).await.expect("properties");
    let city = props.iter().find(|p| p.key == "kp_usr_city").expect("city");
    assert_eq!(city.value, json!("London"));

    // Portal links.
    let link = kinde
        .portal_link(
            &token,
            "http://127.0.0.1:9/account",
            Some(PortalPage::OrganizationPlanDetails),
        )
        .await
        .expect("portal link");
    let q = query(&link);
    assert_eq!(q["subnav"], "organization_plan_details");
    assert_eq!(q["return_url"], "http://127.0.0.1:9/account");
    assert!(link.as_str().starts_with(&server.url("/portal")));
    let plain = kinde
        .portal_link(&token, "https://app.example.com/", None)
        .await
        .expect("portal link without page");
    assert!(!query(&plain).contains_key("subnav"));
    let before = server.requests(Endpoint::AccountApi);
    for bad in ["/relative", "javascript:alert(1)", "not a url"] {
        match kinde
            .portal_link(&token, bad, Some(PortalPage::Profile))
            .await
        {
            Err(e @ KindeError::BadRequest(_)) => assert_eq!(e.status(), 400),
            other => panic!("{bad}: expected BadRequest, got {other:?}"),
        }
    }
    assert_eq!(
        server.requests(Endpoint::AccountApi),
        before,
        "rejected before any request"
    );

    // Credentials the Account API refuses.
    match kinde.account_roles("not-a-token").await {
        Err(e @ KindeError::NotSignedIn) => assert_eq!(e.status(), 401),
        other => panic!("expected NotSignedIn, got {other:?}"),
    }
    let m2m = kinde
        .client_credentials_token(None)
        .await
        .expect("m2m token");
    match kinde.account_permissions(m2m.secret()).await {
        Err(e @ KindeError::Forbidden(_)) => assert_eq!(e.status(), 403),
        other => panic!("expected Forbidden, got {other:?}"),
    }

    // A cursor that never advances is an error, not an endless loop.
    server.set_account_api_stuck_cursor(true);
    server.reset_counters();
    match kinde.entitlements(&token).await {
        Err(e @ KindeError::Provider(_)) => {
            assert_eq!(e.class(), ErrorClass::BadGateway);
            assert_eq!(e.status(), 502);
        }
        other => panic!("expected a Provider error, got {other:?}"),
    }
    assert_eq!(
        server.requests(Endpoint::AccountApi),
        2,
        "stops at the repeat"
    );
    match kinde.account_feature_flags(&token).await {
        Err(KindeError::Provider(_)) => {}
        other => panic!("expected a Provider error, got {other:?}"),
    }
}

// ----- 7. logout -----

#[tokio::test]
async fn logout_url_and_background_revocation() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let (session, _) = sign_in(&kinde, LoginOptions::new()).await;
    let tokens = session.tokens.clone();

    let url = kinde.logout_url(Some(&tokens)).await.unwrap();
    assert_eq!(
        format!("{}{}", url.origin().ascii_serialization(), url.path()),
        server.url("/logout")
    );
    let q = query(&url);
    assert_eq!(q["redirect"], POST_LOGOUT);
    assert!(
        !q.contains_key("redirect_uri"),
        "Kinde's parameter is `redirect`"
    );
    assert_eq!(Some(q["id_token_hint"].as_str()), tokens.id_token());

    let deadline = Instant::now() + Duration::from_secs(10);
    while server.requests(Endpoint::Revoke) == 0 {
        assert!(
            Instant::now() < deadline,
            "the refresh token was never revoked"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(server.requests(Endpoint::Revoke), 1);
    assert_session_ended(kinde.refresh(&tokens).await);

    // The browser follows the logout URL back to the application.
    let resp = browser().get(url.clone()).send().await.expect("logout");
    assert_eq!(resp.status().as_u16(), 302);
    assert_eq!(
        resp.headers()[reqwest::header::LOCATION]
            .to_str()
            .expect("text"),
        POST_LOGOUT
    );
    assert_eq!(server.logouts().len(), 1);

    // Without tokens: no hint, nothing revoked.
    let url = kinde.logout_url(None).await.unwrap();
    let q = query(&url);
    assert_eq!(q["redirect"], POST_LOGOUT);
    assert!(!q.contains_key("id_token_hint"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.requests(Endpoint::Revoke), 1);

    // Without a post-logout URL configured, there is no redirect parameter.
    let bare = Kinde::new(
        server
            .config_builder()
            .redirect_uri(REDIRECT)
            .build()
            .expect("config"),
    )
    .expect("client");
    assert!(!query(&bare.logout_url(None).await.unwrap()).contains_key("redirect"));
}

// ----- 8. two tenants -----

#[tokio::test]
async fn two_tenants_side_by_side_refuse_each_others_tokens() {
    let a = TestKinde::start();
    let b = TestKinde::start();
    assert_ne!(a.issuer(), b.issuer());
    let ka = client(&a);
    let kb = client(&b);

    let (sa, _) = sign_in(&ka, LoginOptions::new()).await;
    let (sb, _) = sign_in(&kb, LoginOptions::new()).await;
    assert_eq!(sa.access.issuer(), Some(a.issuer().as_str()));
    assert_eq!(sb.access.issuer(), Some(b.issuer().as_str()));

    // Each client accepts its own tenant's tokens only.
    ka.verify_access_token(sa.tokens.access_token())
        .await
        .expect("own token");
    kb.verify_access_token(sb.tokens.access_token())
        .await
        .expect("own token");
    let (r, _) = rejection(kb.verify_access_token(sa.tokens.access_token()).await);
    assert!(
        matches!(r, TokenRejection::UnknownKey | TokenRejection::WrongIssuer),
        "{r:?}"
    );
    let (r, _) = rejection(ka.verify_access_token(sb.tokens.access_token()).await);
    assert!(
        matches!(r, TokenRejection::UnknownKey | TokenRejection::WrongIssuer),
        "{r:?}"
    );
    let (r, _) = rejection(kb.authenticate_session(&sa.tokens).await);
    assert!(
        matches!(r, TokenRejection::UnknownKey | TokenRejection::WrongIssuer),
        "{r:?}"
    );
    // Even signed by B's own key, a token naming A as issuer is refused by B.
    let mut c = b.access_claims(&admin(&b), &[]);
    c["iss"] = json!(a.issuer());
    assert_rejected(
        kb.verify_access_token(&b.sign_claims(&c)).await,
        TokenRejection::WrongIssuer,
    );
    // Each client only talked to its own tenant.
    for server in [&a, &b] {
        assert_eq!(server.requests(Endpoint::Authorize), 1);
        assert_eq!(server.requests(Endpoint::Token), 1);
        assert!((1..=2).contains(&server.requests(Endpoint::Jwks)));
    }
}

// ----- 9. machine-to-machine -----

#[tokio::test]
async fn client_credentials_token_verifies_and_is_cached() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let aud = format!("{}/api", server.issuer());

    let m2m = kinde
        .client_credentials_token(Some(&aud))
        .await
        .expect("m2m token");
    assert_eq!(server.token_requests("client_credentials"), 1);
    assert!(m2m.expires_at() > 0);

    let claims = kinde
        .verify_webhook_token(m2m.secret())
        .await
        .expect("verifies without an audience check");
    assert_eq!(claims.audience(), [aud.as_str()]);
    assert_eq!(claims.get("gty"), Some(&json!(["client_credentials"])));
    let api = client_with(&server, |b| {
        b.audience_policy(AudiencePolicy::OneOf(vec![aud.clone()]))
    });
    api.verify_access_token(m2m.secret())
        .await
        .expect("verifies for its audience");
    // A client that requested no API refuses a token minted for one.
    assert_rejected(
        kinde.verify_access_token(m2m.secret()).await,
        TokenRejection::WrongAudience,
    );

    let tokens = server.requests(Endpoint::Token);
    let again = kinde
        .client_credentials_token(Some(&aud))
        .await
        .expect("cached");
    assert_eq!(again.secret(), m2m.secret());
    assert_eq!(
        server.requests(Endpoint::Token),
        tokens,
        "served from cache"
    );
    assert_eq!(server.token_requests("client_credentials"), 1);

    // Another audience is another token.
    let other = kinde
        .client_credentials_token(Some("other-api"))
        .await
        .expect("other audience");
    assert_ne!(other.secret(), m2m.secret());
    assert_eq!(server.token_requests("client_credentials"), 2);

    // A public client cannot use the grant.
    let public = Kinde::new(
        kinde_core::KindeConfig::builder()
            .domain(server.issuer())
            .client_id(server.client_id())
            .build()
            .expect("config"),
    )
    .expect("client");
    match public.client_credentials_token(Some(&aud)).await {
        Err(e @ KindeError::Config(_)) => assert_eq!(e.status(), 500),
        other => panic!("expected a configuration error, got {other:?}"),
    }
    // A wrong secret is a configuration error, named as such.
    let wrong = Kinde::new(
        server
            .config_builder()
            .client_secret("wrong-secret")
            .build()
            .expect("config"),
    )
    .expect("client");
    match wrong.client_credentials_token(Some(&aud)).await {
        Err(e @ KindeError::Config(_)) => {
            assert!(!e.to_string().contains("wrong-secret"), "{e}");
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

// ----- 10. no secret in Debug -----

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
    let access = tokens.access_token().to_string();
    let id = tokens.id_token().expect("id token").to_string();
    let refresh = tokens.refresh_token().expect("refresh token").to_string();
    let m2m = kinde
        .client_credentials_token(None)
        .await
        .expect("m2m token");

    let s1 = kinde.refresh(&tokens).await.expect("refresh");

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
            .portal_link(&access, &format!("/{refresh}"), None)
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
    let wrong = Kinde::new(
        server
            .config_builder()
            .client_secret("wrong-secret-value")
            .build()
            .expect("config"),
    )
    .expect("client");
    errors.extend(wrong.client_credentials_token(None).await.err());
    let unreachable = Kinde::new(
        kinde_core::KindeConfig::builder()
            .domain(format!("http://127.0.0.1:{}", closed_port()))
            .client_id("c")
            .client_secret(secret.clone())
            .build()
            .expect("config"),
    )
    .expect("client");
    errors.extend(unreachable.verify_access_token(&access).await.err());
    errors.extend(unreachable.refresh(&tokens).await.err());
    errors.extend(unreachable.user_profile(&access).await.err());
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
        ("rotated access token", s1.tokens.access_token()),
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

/// A callback that failed only because Kinde's token endpoint was unreachable did not
/// use the code: the pending login is kept, and the same callback completes once Kinde
/// is back (a visitor reloading the error page signs in).
#[tokio::test]
async fn a_callback_that_met_an_outage_can_be_retried() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let login = kinde
        .login_url(LoginOptions::new().return_to("/after"))
        .await
        .unwrap();
    let mut pending = pending_with(&kinde, &login);
    let callback = follow_authorize(&login.url).await;

    server.set_token_endpoint_failure(Some(503));
    let err = kinde
        .complete_login(&callback, &mut pending)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 503, "{err}");
    assert_eq!(pending.len(), 1, "the pending login survives an outage");

    server.set_token_endpoint_failure(None);
    let (session, return_to) =
        signed_in(kinde.complete_login(&callback, &mut pending).await.unwrap());
    assert_eq!(return_to, "/after");
    assert!(session.user().is_some());
    assert!(
        pending.is_empty(),
        "and is consumed by the successful exchange"
    );
    // Single use still holds.
    assert!(kinde.complete_login(&callback, &mut pending).await.is_err());
}
