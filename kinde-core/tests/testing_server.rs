//! Black-box tests of `kinde_core::testing::TestKinde` over real HTTP.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use kinde_core::testing::{
    Endpoint, LoginMode, MintOptions, TestClient, TestEntitlement, TestKinde, TestSigner, TestUser,
};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use url::Url;

const REDIRECT: &str = "http://localhost:3000/callback";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

struct Pkce {
    verifier: String,
    challenge: String,
}

fn pkce() -> Pkce {
    let bytes: [u8; 32] = rand::random();
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce {
        verifier,
        challenge,
    }
}

fn query_map(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

fn location(resp: &reqwest::Response) -> Url {
    let loc = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .expect("Location header")
        .to_str()
        .expect("ascii location");
    Url::parse(loc).expect("absolute Location")
}

/// GET /oauth2/auth with the standard parameters plus `extra` (which override).
async fn authorize(
    kinde: &TestKinde,
    client: &reqwest::Client,
    challenge: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut params: Vec<(String, String)> = [
        ("client_id", kinde.client_id().as_str()),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid profile email offline"),
        ("state", "state-123"),
        ("nonce", "nonce-456"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        params.retain(|(pk, _)| pk != k);
        if !v.is_empty() {
            params.push((k.to_string(), v.to_string()));
        }
    }
    client
        .get(kinde.url("/oauth2/auth"))
        .query(&params)
        .send()
        .await
        .expect("authorize request")
}

/// Runs an automatic login and returns (code, verifier).
async fn login(
    kinde: &TestKinde,
    client: &reqwest::Client,
    extra: &[(&str, &str)],
) -> (String, String) {
    let p = pkce();
    let resp = authorize(kinde, client, &p.challenge, extra).await;
    assert_eq!(resp.status(), 302, "authorize should redirect");
    let loc = location(&resp);
    assert!(loc.as_str().starts_with(REDIRECT), "{loc}");
    let q = query_map(&loc);
    assert_eq!(q.get("state").map(String::as_str), Some("state-123"));
    let code = q.get("code").expect("code in callback").clone();
    (code, p.verifier)
}

async fn exchange(
    kinde: &TestKinde,
    client: &reqwest::Client,
    code: &str,
    verifier: &str,
    redirect: &str,
) -> reqwest::Response {
    let secret = kinde.client_secret().unwrap_or_default();
    let client_id = kinde.client_id();
    client
        .post(kinde.url("/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", verifier),
            ("redirect_uri", redirect),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
        ])
        .send()
        .await
        .expect("token request")
}

async fn login_tokens(
    kinde: &TestKinde,
    client: &reqwest::Client,
    extra: &[(&str, &str)],
) -> Value {
    let (code, verifier) = login(kinde, client, extra).await;
    let resp = exchange(kinde, client, &code, &verifier, REDIRECT).await;
    assert_eq!(resp.status(), 200);
    resp.json().await.expect("token json")
}

async fn refresh(kinde: &TestKinde, client: &reqwest::Client, token: &str) -> reqwest::Response {
    client
        .post(kinde.url("/oauth2/token"))
        .basic_auth(kinde.client_id(), kinde.client_secret())
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .expect("refresh request")
}

async fn error_of(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("error json");
    assert!(body["error_description"].is_string(), "{body}");
    (
        status,
        body["error"].as_str().unwrap_or_default().to_string(),
    )
}

/// Verifies a JWT against the JWKS the server serves, like a relying party would.
async fn verify_with_served_jwks(
    kinde: &TestKinde,
    client: &reqwest::Client,
    token: &str,
) -> Map<String, Value> {
    let jwks: JwkSet = client
        .get(kinde.url("/.well-known/jwks"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("jwks json");
    let header = jsonwebtoken::decode_header(token).expect("header");
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let kid = header.kid.expect("kid");
    let jwk = jwks.find(&kid).expect("kid published");
    let key = DecodingKey::from_jwk(jwk).expect("decoding key");
    let mut v = Validation::new(Algorithm::RS256);
    v.validate_aud = false;
    v.set_issuer(&[kinde.issuer()]);
    jsonwebtoken::decode::<Map<String, Value>>(token, &key, &v)
        .expect("valid signature")
        .claims
}

fn decode_unverified(token: &str) -> Map<String, Value> {
    jsonwebtoken::dangerous::insecure_decode::<Map<String, Value>>(token)
        .expect("decodable")
        .claims
}

#[tokio::test]
async fn discovery_and_jwks_shape() {
    let kinde = TestKinde::start();
    let c = http();
    let issuer = kinde.issuer();
    assert!(issuer.starts_with("http://127.0.0.1:"));
    assert!(!issuer.ends_with('/'));

    let d: Value = c
        .get(kinde.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["issuer"], issuer.as_str());
    assert_eq!(d["authorization_endpoint"], format!("{issuer}/oauth2/auth"));
    assert_eq!(d["token_endpoint"], format!("{issuer}/oauth2/token"));
    assert_eq!(d["jwks_uri"], format!("{issuer}/.well-known/jwks"));
    assert_eq!(d["end_session_endpoint"], format!("{issuer}/logout"));
    assert_eq!(
        d["userinfo_endpoint"],
        format!("{issuer}/oauth2/v2/user_profile")
    );
    assert_eq!(d["revocation_endpoint"], format!("{issuer}/oauth2/revoke"));
    assert_eq!(
        d["introspection_endpoint"],
        format!("{issuer}/oauth2/introspect")
    );
    assert_eq!(d["id_token_signing_alg_values_supported"], json!(["RS256"]));
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(d, kinde.discovery_document());

    for path in ["/.well-known/jwks", "/.well-known/jwks.json"] {
        let jwks: Value = c
            .get(kinde.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let keys = jwks["keys"].as_array().expect("keys array");
        assert_eq!(keys.len(), 1);
        let k = &keys[0];
        assert_eq!(k["kty"], "RSA");
        assert_eq!(k["alg"], "RS256");
        assert_eq!(k["use"], "sig");
        assert_eq!(k["kid"], kinde.signing_key_kid().as_str());
        assert_eq!(k["e"], "AQAB");
        // 2048-bit modulus: 256 bytes → 342 base64url characters.
        assert_eq!(k["n"].as_str().unwrap().len(), 342);
        assert_eq!(jwks, kinde.jwks());
    }
    assert_eq!(kinde.requests(Endpoint::Jwks), 2);
    assert_eq!(kinde.requests(Endpoint::Discovery), 1);
}

#[tokio::test]
async fn full_login_flow_with_pkce_and_verified_tokens() {
    let kinde = TestKinde::start();
    let c = http();
    let tokens = login_tokens(
        &kinde,
        &c,
        &[
            ("audience", "todo-api billing-api"),
            ("prompt", "create"),
            ("org_code", "org_demo_labs"),
            ("lang", "fr"),
            ("login_hint", "ada.lovelace@example.com"),
        ],
    )
    .await;
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "openid profile email offline");
    assert!(
        tokens["refresh_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );

    let access_token = tokens["access_token"].as_str().unwrap();
    let at = verify_with_served_jwks(&kinde, &c, access_token).await;
    for claim in ["aud", "azp", "exp", "iat", "iss", "jti", "sub", "scp"] {
        assert!(at.contains_key(claim), "access token lacks {claim}");
    }
    assert_eq!(at["aud"], json!(["todo-api", "billing-api"]));
    assert_eq!(at["azp"], "kinde-test-client");
    assert_eq!(at["iss"], kinde.issuer().as_str());
    assert_eq!(at["sub"], "kp_demo_admin");
    assert_eq!(at["scp"], json!(["openid", "profile", "email", "offline"]));
    assert_eq!(at["org_code"], "org_demo_labs");
    assert_eq!(at["org_name"], "Demo Labs");
    assert_eq!(at["permissions"], json!(["read:todos", "write:todos"]));
    assert_eq!(
        at["roles"],
        json!([{"id": "role_admin", "key": "admin", "name": "Admin"}])
    );
    assert_eq!(
        at["feature_flags"]["dark_mode"],
        json!({"t": "b", "v": true})
    );
    assert_eq!(
        at["feature_flags"]["theme"],
        json!({"t": "s", "v": "ocean"})
    );
    assert_eq!(
        at["feature_flags"]["todo_limit"],
        json!({"t": "i", "v": 100})
    );
    assert_eq!(at["email"], "ada.lovelace@example.com");
    let exp = at["exp"].as_i64().unwrap();
    let iat = at["iat"].as_i64().unwrap();
    assert_eq!(exp - iat, 3600);

    let id_token = tokens["id_token"].as_str().unwrap();
    let id = verify_with_served_jwks(&kinde, &c, id_token).await;
    assert_eq!(id["aud"], json!(["kinde-test-client"]));
    assert_eq!(id["azp"], "kinde-test-client");
    assert_eq!(id["sub"], "kp_demo_admin");
    assert_eq!(id["nonce"], "nonce-456");
    assert_eq!(id["email"], "ada.lovelace@example.com");
    assert_eq!(id["email_verified"], true);
    assert_eq!(id["name"], "Ada Lovelace");
    assert_eq!(id["given_name"], "Ada");
    assert_eq!(id["family_name"], "Lovelace");
    assert_eq!(id["org_codes"], json!(["org_demo", "org_demo_labs"]));
    assert_eq!(
        id["organizations"][0],
        json!({"id": "org_demo", "name": "Demo Org"})
    );
    for claim in ["auth_time", "jti", "updated_at", "iat", "exp"] {
        assert!(id.contains_key(claim), "ID token lacks {claim}");
    }
    let digest = Sha256::digest(access_token.as_bytes());
    assert_eq!(
        id["at_hash"],
        URL_SAFE_NO_PAD.encode(&digest[..16]).as_str()
    );

    // Every parameter reached "Kinde".
    let recorded = kinde.last_authorize_request().expect("recorded");
    let q = query_map(&recorded);
    assert_eq!(q["prompt"], "create");
    assert_eq!(q["org_code"], "org_demo_labs");
    assert_eq!(q["lang"], "fr");
    assert_eq!(q["audience"], "todo-api billing-api");
    assert_eq!(q["login_hint"], "ada.lovelace@example.com");
    assert_eq!(recorded.path(), "/oauth2/auth");
    assert_eq!(kinde.authorize_requests().len(), 1);

    // The access token works at the user profile endpoint.
    let profile: Value = c
        .get(kinde.url("/oauth2/v2/user_profile"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(profile["id"], "kp_demo_admin");
    assert_eq!(profile["sub"], "kp_demo_admin");
    assert_eq!(profile["email"], "ada.lovelace@example.com");
    assert_eq!(profile["name"], "Ada Lovelace");
    assert_eq!(profile["email_verified"], true);
}

#[tokio::test]
async fn no_audience_gives_empty_aud_and_no_offline_gives_no_refresh_token() {
    let kinde = TestKinde::start();
    let c = http();
    let tokens = login_tokens(
        &kinde,
        &c,
        &[("scope", "openid profile email"), ("nonce", "")],
    )
    .await;
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    let at = decode_unverified(tokens["access_token"].as_str().unwrap());
    assert_eq!(at["aud"], json!([]));
    assert_eq!(at["sub"], "kp_demo_admin", "first demo user is the default");
    assert_eq!(at["org_code"], "org_demo");
    let id = decode_unverified(tokens["id_token"].as_str().unwrap());
    assert!(!id.contains_key("nonce"));
}

#[tokio::test]
async fn pkce_mismatch_is_rejected() {
    let kinde = TestKinde::start();
    let c = http();
    let (code, _verifier) = login(&kinde, &c, &[]).await;
    let other = pkce();
    let resp = exchange(&kinde, &c, &code, &other.verifier, REDIRECT).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));

    // Missing verifier.
    let (code, _) = login(&kinde, &c, &[]).await;
    let resp = c
        .post(kinde.url("/oauth2/token"))
        .basic_auth("kinde-test-client", Some("kinde-test-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await, (400, "invalid_request".into()));

    // Authorize without PKCE or with plain: error redirect.
    let p = pkce();
    for extra in [
        vec![("code_challenge", ""), ("code_challenge_method", "")],
        vec![("code_challenge_method", "plain")],
    ] {
        let resp = authorize(&kinde, &c, &p.challenge, &extra).await;
        assert_eq!(resp.status(), 302);
        let q = query_map(&location(&resp));
        assert_eq!(q["error"], "invalid_request");
        assert_eq!(q["state"], "state-123");
        assert!(!q.contains_key("code"));
    }
}

#[tokio::test]
async fn code_reuse_is_rejected_and_revokes_its_tokens() {
    let kinde = TestKinde::start();
    let c = http();
    let (code, verifier) = login(&kinde, &c, &[]).await;
    let first = exchange(&kinde, &c, &code, &verifier, REDIRECT).await;
    assert_eq!(first.status(), 200);
    let tokens: Value = first.json().await.unwrap();
    let second = exchange(&kinde, &c, &code, &verifier, REDIRECT).await;
    assert_eq!(error_of(second).await, (400, "invalid_grant".into()));

    // RFC 6749 §4.1.2: tokens issued from a reused code are revoked.
    let resp = refresh(&kinde, &c, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
    let resp = c
        .get(kinde.url("/oauth2/v2/user_profile"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    // Unknown code.
    let resp = exchange(&kinde, &c, "not-a-code", &verifier, REDIRECT).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn expired_code_is_rejected() {
    let kinde = TestKinde::builder()
        .authorization_code_ttl(Duration::from_millis(50))
        .start();
    let c = http();
    let (code, verifier) = login(&kinde, &c, &[]).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let resp = exchange(&kinde, &c, &code, &verifier, REDIRECT).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn redirect_uri_mismatch_is_rejected() {
    let kinde = TestKinde::start();
    let c = http();
    let (code, verifier) = login(&kinde, &c, &[]).await;
    let resp = exchange(&kinde, &c, &code, &verifier, "http://localhost:3000/other").await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn client_authentication() {
    let kinde = TestKinde::start();
    let c = http();

    // Wrong secret via client_secret_post.
    let (code, verifier) = login(&kinde, &c, &[]).await;
    let resp = c
        .post(kinde.url("/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", verifier.as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", "kinde-test-client"),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        resp.headers()
            .contains_key(reqwest::header::WWW_AUTHENTICATE)
    );
    assert_eq!(error_of(resp).await, (401, "invalid_client".into()));

    // Wrong secret via client_secret_basic.
    let resp = c
        .post(kinde.url("/oauth2/token"))
        .basic_auth("kinde-test-client", Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await, (401, "invalid_client".into()));

    // No secret at all for a confidential client; unknown client.
    for form in [
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", "kinde-test-client"),
        ],
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", "nobody"),
            ("client_secret", "x"),
        ],
    ] {
        let resp = c
            .post(kinde.url("/oauth2/token"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(resp).await, (401, "invalid_client".into()));
    }

    // Correct Basic credentials work for the code grant.
    let (code, verifier) = login(&kinde, &c, &[]).await;
    let resp = c
        .post(kinde.url("/oauth2/token"))
        .basic_auth("kinde-test-client", Some("kinde-test-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", verifier.as_str()),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn public_client_uses_pkce_without_secret() {
    let kinde = TestKinde::builder()
        .client(TestClient::public("spa-client"))
        .client(TestClient::confidential("backend", "s3cret"))
        .start();
    assert_eq!(kinde.client_id(), "spa-client");
    assert_eq!(kinde.client_secret(), None);
    assert_eq!(kinde.clients().len(), 2);
    let c = http();
    let (code, verifier) = login(&kinde, &c, &[]).await;
    let resp = c
        .post(kinde.url("/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", verifier.as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", "spa-client"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    // A public client sending a secret is refused.
    let resp = c
        .post(kinde.url("/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "spa-client"),
            ("client_secret", "anything"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await, (401, "invalid_client".into()));

    // No client_credentials for a public client; the default client was replaced.
    let resp = c
        .post(kinde.url("/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "spa-client"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await, (400, "unauthorized_client".into()));
    let resp = c
        .post(kinde.url("/oauth2/token"))
        .basic_auth("kinde-test-client", Some("kinde-test-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await, (401, "invalid_client".into()));
}

#[tokio::test]
async fn refresh_rotation_with_grace_then_reuse_revokes_family() {
    let grace = Duration::from_millis(1000);
    let kinde = TestKinde::builder().refresh_grace(grace).start();
    let c = http();
    let tokens = login_tokens(&kinde, &c, &[]).await;
    let rt0 = tokens["refresh_token"].as_str().unwrap().to_string();

    let resp = refresh(&kinde, &c, &rt0).await;
    assert_eq!(resp.status(), 200);
    let t1: Value = resp.json().await.unwrap();
    let rt1 = t1["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rt0, rt1, "refresh tokens rotate");
    assert_ne!(t1["access_token"], tokens["access_token"]);
    let id1 = verify_with_served_jwks(&kinde, &c, t1["id_token"].as_str().unwrap()).await;
    assert!(
        !id1.contains_key("nonce"),
        "a refreshed ID token carries no nonce"
    );
    assert_eq!(id1["sub"], "kp_demo_admin");

    // Within the grace the old token still works (e.g. a concurrent request).
    let resp = refresh(&kinde, &c, &rt0).await;
    assert_eq!(resp.status(), 200);

    // After the grace it is reuse: rejected, and the whole family dies.
    tokio::time::sleep(grace + Duration::from_millis(100)).await;
    let resp = refresh(&kinde, &c, &rt0).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
    let resp = refresh(&kinde, &c, &rt1).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));

    // Other logins are unaffected.
    let other = login_tokens(&kinde, &c, &[]).await;
    let resp = refresh(&kinde, &c, other["refresh_token"].as_str().unwrap()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(kinde.token_requests("refresh_token"), 5);
    assert_eq!(kinde.token_requests("authorization_code"), 2);
}

#[tokio::test]
async fn refresh_without_grace_and_revocation_knob() {
    let kinde = TestKinde::start();
    let c = http();
    let tokens = login_tokens(&kinde, &c, &[]).await;
    let rt0 = tokens["refresh_token"].as_str().unwrap();
    let t1: Value = refresh(&kinde, &c, rt0).await.json().await.unwrap();
    let rt1 = t1["refresh_token"].as_str().unwrap();
    // Default grace is zero: immediate reuse is detected.
    let resp = refresh(&kinde, &c, rt0).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
    let resp = refresh(&kinde, &c, rt1).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));

    // revoke_refresh_tokens kills every outstanding token.
    let a = login_tokens(&kinde, &c, &[]).await;
    let b = login_tokens(&kinde, &c, &[]).await;
    kinde.revoke_refresh_tokens();
    for t in [&a, &b] {
        let resp = refresh(&kinde, &c, t["refresh_token"].as_str().unwrap()).await;
        assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
    }

    // Unknown token, missing token.
    let resp = refresh(&kinde, &c, "garbage").await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
    let resp = c
        .post(kinde.url("/oauth2/token"))
        .basic_auth("kinde-test-client", Some("kinde-test-secret"))
        .form(&[("grant_type", "refresh_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await, (400, "invalid_request".into()));
}

#[tokio::test]
async fn refresh_token_expiry_and_user_updates() {
    let kinde = TestKinde::builder()
        .refresh_token_ttl(Duration::from_millis(1000))
        .start();
    let c = http();
    let tokens = login_tokens(&kinde, &c, &[]).await;

    // Changing the user shows up in refreshed tokens.
    let admin = kinde.user("kp_demo_admin").unwrap();
    kinde.add_user(admin.permission("delete:todos"));
    let t1: Value = refresh(&kinde, &c, tokens["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    let at = decode_unverified(t1["access_token"].as_str().unwrap());
    assert_eq!(
        at["permissions"],
        json!(["read:todos", "write:todos", "delete:todos"])
    );
    assert_eq!(kinde.users().len(), 3, "add_user replaced by id");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let resp = refresh(&kinde, &c, t1["refresh_token"].as_str().unwrap()).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn client_credentials_m2m_token() {
    let kinde = TestKinde::start();
    let c = http();
    let api = format!("{}/api", kinde.issuer());
    let resp = c
        .post(kinde.url("/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "kinde-test-client"),
            ("client_secret", "kinde-test-secret"),
            ("audience", api.as_str()),
            ("scope", "read:users write:users"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert!(body.get("refresh_token").is_none());
    assert!(body.get("id_token").is_none());
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    let claims = verify_with_served_jwks(&kinde, &c, body["access_token"].as_str().unwrap()).await;
    let mut keys: Vec<&str> = claims.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "aud", "azp", "exp", "gty", "iat", "iss", "jti", "scope", "scp", "v"
        ]
    );
    assert_eq!(claims["aud"], json!([api]));
    assert_eq!(claims["azp"], "kinde-test-client");
    assert_eq!(claims["gty"], json!(["client_credentials"]));
    assert_eq!(claims["scope"], "read:users write:users");
    assert_eq!(claims["scp"], json!(["read:users", "write:users"]));
    assert_eq!(kinde.token_requests("client_credentials"), 1);

    // An M2M token is not a user token for the Account API.
    let resp = c
        .get(kinde.url("/account_api/v1/permissions"))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn unsupported_and_malformed_token_requests() {
    let kinde = TestKinde::start();
    let c = http();
    let resp = c
        .post(kinde.url("/oauth2/token"))
        .basic_auth("kinde-test-client", Some("kinde-test-secret"))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await, (400, "unsupported_grant_type".into()));

    let resp = c
        .post(kinde.url("/oauth2/token"))
        .header("content-type", "application/json")
        .body(r#"{"grant_type":"client_credentials"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await, (400, "invalid_request".into()));

    let resp = c
        .post(kinde.url("/oauth2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, b'&', b'=', b'%'])
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error());

    let resp = c
        .post(kinde.url("/oauth2/token"))
        .header("authorization", "Basic !!!not-base64")
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await, (401, "invalid_client".into()));
    assert_eq!(kinde.requests(Endpoint::Token), 4);
    assert_eq!(kinde.token_requests("password"), 1);
}

#[tokio::test]
async fn authorize_validation_and_user_selection() {
    let kinde = TestKinde::start();
    let c = http();
    let p = pkce();

    // Unknown client: an error page, never a redirect.
    let resp = authorize(&kinde, &c, &p.challenge, &[("client_id", "evil")]).await;
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("location").is_none());
    assert!(resp.text().await.unwrap().contains("Unknown application"));
    // Bad redirect_uri: error page.
    for bad in ["javascript:alert(1)", "/relative", ""] {
        let resp = authorize(&kinde, &c, &p.challenge, &[("redirect_uri", bad)]).await;
        assert_eq!(resp.status(), 400, "{bad}");
    }
    // Bare request.
    let resp = c.get(kinde.url("/oauth2/auth")).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    // Wrong response_type: error redirect.
    let resp = authorize(&kinde, &c, &p.challenge, &[("response_type", "token")]).await;
    assert_eq!(
        query_map(&location(&resp))["error"],
        "unsupported_response_type"
    );

    // login_hint by id, then auto-login user, then default.
    let user_of = |tokens: &Value| {
        decode_unverified(tokens["access_token"].as_str().unwrap())["sub"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let t = login_tokens(&kinde, &c, &[("login_hint", "kp_demo_reader")]).await;
    assert_eq!(user_of(&t), "kp_demo_reader");
    kinde.set_auto_login_user("kp_demo_basic");
    let t = login_tokens(&kinde, &c, &[]).await;
    assert_eq!(user_of(&t), "kp_demo_basic");
    let t = login_tokens(&kinde, &c, &[("login_hint", "grace.hopper@example.com")]).await;
    assert_eq!(user_of(&t), "kp_demo_reader");
    kinde.clear_auto_login_user();
    let t = login_tokens(&kinde, &c, &[]).await;
    assert_eq!(user_of(&t), "kp_demo_admin");

    // An org the user does not belong to falls back to the first org.
    let t = login_tokens(&kinde, &c, &[("org_code", "org_other")]).await;
    assert_eq!(
        decode_unverified(t["access_token"].as_str().unwrap())["org_code"],
        "org_demo"
    );

    // is_create_org creates an organisation for the user.
    let t = login_tokens(
        &kinde,
        &c,
        &[("is_create_org", "true"), ("org_name", "Brand New Co")],
    )
    .await;
    let at = decode_unverified(t["access_token"].as_str().unwrap());
    assert_eq!(at["org_name"], "Brand New Co");
    assert!(at["org_code"].as_str().unwrap().starts_with("org_"));

    // Simulated errors.
    kinde.set_authorize_error(Some("login_required".into()));
    let resp = authorize(&kinde, &c, &p.challenge, &[("prompt", "none")]).await;
    let q = query_map(&location(&resp));
    assert_eq!(q["error"], "login_required");
    assert_eq!(q["state"], "state-123");
    assert!(!q.contains_key("code"));
    kinde.set_authorize_error(Some("login_link_expired".into()));
    let resp = authorize(&kinde, &c, &p.challenge, &[("org_code", "org_demo")]).await;
    let q = query_map(&location(&resp));
    let reauth: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&q["reauth_state"]).unwrap()).unwrap();
    assert_eq!(reauth["org_code"], "org_demo");
    kinde.set_authorize_error(None);
    login(&kinde, &c, &[]).await;
}

#[tokio::test]
async fn page_login_mode_pick_and_deny() {
    let kinde = TestKinde::builder().login_mode(LoginMode::Page).start();
    let c = http();
    let p = pkce();
    let resp = authorize(&kinde, &c, &p.challenge, &[]).await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = resp.text().await.unwrap();
    for expected in [
        "Ada Lovelace",
        "grace.hopper@example.com",
        "write:todos",
        "Admin",
        "Deny",
    ] {
        assert!(page.contains(expected), "page lacks {expected}");
    }
    assert!(
        !page.contains("http://") || !page.contains("<link"),
        "no external assets"
    );
    let pending = page
        .split("name=\"pending\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("pending id")
        .to_string();

    let resp = c
        .post(kinde.url("/oauth2/auth/select"))
        .form(&[("pending", pending.as_str()), ("user_id", "kp_demo_reader")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let q = query_map(&location(&resp));
    assert_eq!(q["state"], "state-123");
    let resp = exchange(&kinde, &c, &q["code"], &p.verifier, REDIRECT).await;
    let tokens: Value = resp.json().await.unwrap();
    assert_eq!(
        decode_unverified(tokens["access_token"].as_str().unwrap())["sub"],
        "kp_demo_reader"
    );

    // The pending request is single-use.
    let resp = c
        .post(kinde.url("/oauth2/auth/select"))
        .form(&[("pending", pending.as_str()), ("user_id", "kp_demo_reader")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);

    // Deny.
    let page = authorize(&kinde, &c, &p.challenge, &[])
        .await
        .text()
        .await
        .unwrap();
    let pending = page
        .split("name=\"pending\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let resp = c
        .post(kinde.url("/oauth2/auth/select"))
        .form(&[("pending", pending.as_str()), ("action", "deny")])
        .send()
        .await
        .unwrap();
    let q = query_map(&location(&resp));
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "state-123");
    assert!(q.contains_key("error_description"));

    // prompt=none stays silent even in Page mode.
    let resp = authorize(&kinde, &c, &p.challenge, &[("prompt", "none")]).await;
    assert_eq!(resp.status(), 302);
    assert!(query_map(&location(&resp)).contains_key("code"));
}

fn paged_user() -> TestUser {
    TestUser::new("kp_paged", "paged@example.com")
        .name("Page", "Turner")
        .org("org_p", "Paged Org")
        .permission("a:1")
        .permission("b:2")
        .permission("c:3")
        .role("r1", "Role one")
        .role("r2", "Role two")
        .bool_flag("flag_b", false)
        .string_flag("flag_s", "")
        .int_flag("flag_i", 0)
        .json_flag("flag_j", "j", json!({"x": 1}))
        .property("kp_usr_city", "Paris")
        .property("kp_usr_team", "Blue")
        .plan("pro", "2024-01-01T00:00:00Z")
        .entitlement(TestEntitlement::new("seats", "Seats").limits(Some(1), Some(10)))
        .entitlement(TestEntitlement::new("storage", "Storage"))
}

async fn get_all_pages(
    kinde: &TestKinde,
    c: &reqwest::Client,
    token: &str,
    path: &str,
    field: &str,
) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut req = c
            .get(kinde.url(path))
            .bearer_auth(token)
            .query(&[("page_size", "1")]);
        if let Some(cur) = &cursor {
            req = req.query(&[("starting_after", cur.as_str())]);
        }
        let body: Value = req.send().await.unwrap().json().await.unwrap();
        pages += 1;
        items.extend(body["data"][field].as_array().unwrap().iter().cloned());
        if body["metadata"]["has_more"] != true {
            break;
        }
        cursor = Some(
            body["metadata"]["next_page_starting_after"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        assert!(pages < 20, "runaway pagination");
    }
    (items, pages)
}

#[tokio::test]
async fn account_api_pagination_and_shapes() {
    let kinde = TestKinde::builder().user(paged_user()).start();
    let c = http();
    let tokens = login_tokens(&kinde, &c, &[]).await;
    let token = tokens["access_token"].as_str().unwrap();

    let (perms, pages) = get_all_pages(
        &kinde,
        &c,
        token,
        "/account_api/v1/permissions",
        "permissions",
    )
    .await;
    assert_eq!(pages, 3);
    let keys: Vec<&str> = perms.iter().map(|p| p["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["a:1", "b:2", "c:3"]);
    assert!(
        perms
            .iter()
            .all(|p| p["id"].is_string() && p["name"].is_string())
    );

    let (roles, _) = get_all_pages(&kinde, &c, token, "/account_api/v1/roles", "roles").await;
    assert_eq!(
        roles[1],
        json!({"id": "role_r2", "name": "Role two", "key": "r2"})
    );

    let (flags, pages) = get_all_pages(
        &kinde,
        &c,
        token,
        "/account_api/v1/feature_flags",
        "feature_flags",
    )
    .await;
    assert_eq!(pages, 4);
    let by_key: HashMap<&str, &Value> = flags
        .iter()
        .map(|f| (f["key"].as_str().unwrap(), f))
        .collect();
    assert_eq!(by_key["flag_b"]["type"], "boolean");
    assert_eq!(by_key["flag_b"]["value"], false);
    assert_eq!(by_key["flag_s"]["type"], "string");
    assert_eq!(by_key["flag_i"]["type"], "integer");
    assert_eq!(by_key["flag_i"]["value"], 0);
    assert_eq!(by_key["flag_j"]["type"], "json");
    assert_eq!(by_key["flag_j"]["value"], json!({"x": 1}));

    let (props, _) = get_all_pages(
        &kinde,
        &c,
        token,
        "/account_api/v1/properties",
        "properties",
    )
    .await;
    assert_eq!(props.len(), 2);
    assert_eq!(props[0]["key"], "kp_usr_city");
    assert_eq!(props[0]["value"], "Paris");

    let (ents, pages) = get_all_pages(
        &kinde,
        &c,
        token,
        "/account_api/v1/entitlements",
        "entitlements",
    )
    .await;
    assert_eq!(pages, 2);
    assert_eq!(ents[0]["feature_key"], "seats");
    assert_eq!(ents[0]["entitlement_limit_max"], 10);
    for k in [
        "id",
        "fixed_charge",
        "price_name",
        "unit_amount",
        "feature_key",
        "feature_name",
        "entitlement_limit_max",
        "entitlement_limit_min",
    ] {
        assert!(ents[1].get(k).is_some(), "entitlement lacks {k}");
    }

    // A full page at the default size, with org_code and plans.
    let body: Value = c
        .get(kinde.url("/account_api/v1/entitlements"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["data"]["org_code"], "org_p");
    assert_eq!(
        body["data"]["plans"],
        json!([{"key": "pro", "subscribed_on": "2024-01-01T00:00:00Z"}])
    );
    assert_eq!(body["metadata"]["has_more"], false);

    let body: Value = c
        .get(kinde.url("/account_api/v1/entitlement/storage"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["data"]["org_code"], "org_p");
    assert_eq!(body["data"]["entitlement"]["feature_name"], "Storage");
    assert_eq!(body["metadata"], json!({}));
    let resp = c
        .get(kinde.url("/account_api/v1/entitlement/nope"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert!(resp.json::<Value>().await.is_ok());

    // Bad paging parameters.
    for q in [
        ("page_size", "0"),
        ("page_size", "x"),
        ("starting_after", "unknown"),
    ] {
        let resp = c
            .get(kinde.url("/account_api/v1/permissions"))
            .bearer_auth(token)
            .query(&[q])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{q:?}");
    }

    // Stuck cursor: same cursor forever.
    kinde.set_account_api_stuck_cursor(true);
    let mut cursors = Vec::new();
    let mut cursor = String::new();
    for _ in 0..3 {
        let body: Value = c
            .get(kinde.url("/account_api/v1/permissions"))
            .bearer_auth(token)
            .query(&[("page_size", "1"), ("starting_after", cursor.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["metadata"]["has_more"], true);
        cursor = body["metadata"]["next_page_starting_after"]
            .as_str()
            .unwrap()
            .to_string();
        cursors.push(cursor.clone());
    }
    assert!(cursors.windows(2).all(|w| w[0] == w[1]), "{cursors:?}");
    kinde.set_account_api_stuck_cursor(false);
}

#[tokio::test]
async fn account_api_rejects_bad_tokens() {
    let kinde = TestKinde::start();
    let c = http();
    let admin = kinde.users()[0].clone();
    let forger = TestSigner::generate();
    let claims = kinde.access_claims(&admin, &[]);
    let bad_tokens = vec![
        String::new(),
        "not.a.jwt".to_string(),
        forger.sign(&claims),
        forger.sign_with_kid(&claims, &kinde.signing_key_kid()),
        kinde.sign_claims_with_kid(&claims, "unknown-kid"),
        kinde.mint_access_token(
            &admin,
            MintOptions {
                expired: true,
                ..MintOptions::default()
            },
        ),
        kinde.mint_access_token(
            &admin,
            MintOptions {
                not_before: Some(600),
                ..MintOptions::default()
            },
        ),
        kinde.sign_claims(&json!({
            "sub": "kp_demo_admin",
            "iss": "https://evil.example.com",
            "exp": 4_102_444_800u64,
        })),
        hs256_with_public_key(&kinde, &claims),
    ];
    for (i, token) in bad_tokens.iter().enumerate() {
        let mut req = c.get(kinde.url("/account_api/v1/permissions"));
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 401, "token #{i} accepted");
        assert!(resp.headers().contains_key("www-authenticate"));
        assert!(resp.json::<Value>().await.is_ok());
    }
    // A properly minted one works, with the minted org.
    let ok = kinde.mint_access_token(&admin, MintOptions::default());
    let body: Value = c
        .get(kinde.url("/account_api/v1/permissions"))
        .bearer_auth(&ok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["data"]["org_code"], "org_demo");
    assert_eq!(body["data"]["permissions"].as_array().unwrap().len(), 2);
}

fn hs256_with_public_key(kinde: &TestKinde, claims: &Value) -> String {
    let mut header = jsonwebtoken::Header::new(Algorithm::HS256);
    header.kid = Some(kinde.signing_key_kid());
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_secret(&kinde.public_key_der()),
    )
    .unwrap()
}

#[tokio::test]
async fn portal_link_validation() {
    let kinde = TestKinde::start();
    let c = http();
    let token = kinde.mint_access_token(&kinde.users()[0], MintOptions::default());
    let get = |q: Vec<(&'static str, &'static str)>| {
        c.get(kinde.url("/account_api/v1/portal_link"))
            .bearer_auth(&token)
            .query(&q)
            .send()
    };
    let resp = get(vec![
        ("return_url", "http://localhost:3000/account"),
        ("subnav", "organization_members"),
    ])
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let url = Url::parse(body["url"].as_str().unwrap()).unwrap();
    assert_eq!(url.path(), "/portal");
    assert!(url.as_str().starts_with(&kinde.issuer()));
    let q = query_map(&url);
    assert_eq!(q["subnav"], "organization_members");
    assert_eq!(q["return_url"], "http://localhost:3000/account");
    let page = c.get(url.as_str()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("http://localhost:3000/account")
    );

    let resp = get(vec![("return_url", "https://app.example.com/")])
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    for bad in [
        vec![],
        vec![("return_url", "/relative")],
        vec![("return_url", "javascript:alert(1)")],
        vec![("return_url", "http://localhost/"), ("subnav", "admin")],
        vec![("return_url", "http://localhost/"), ("sub_nav", "profile")],
    ] {
        let resp = get(bad.clone()).await.unwrap();
        assert_eq!(resp.status(), 400, "{bad:?}");
    }
    let resp = c
        .get(kinde.url("/account_api/v1/portal_link"))
        .query(&[("return_url", "http://localhost/")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn fault_knobs() {
    let kinde = TestKinde::start();
    let c = http();

    kinde.set_jwks_available(false);
    for path in ["/.well-known/jwks", "/.well-known/jwks.json"] {
        assert_eq!(c.get(kinde.url(path)).send().await.unwrap().status(), 503);
    }
    kinde.set_jwks_available(true);
    assert_eq!(
        c.get(kinde.url("/.well-known/jwks"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    kinde.set_discovery_available(false);
    let resp = c
        .get(kinde.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    kinde.set_discovery_available(true);

    let m2m = || {
        c.post(kinde.url("/oauth2/token"))
            .basic_auth("kinde-test-client", Some("kinde-test-secret"))
            .form(&[("grant_type", "client_credentials")])
            .send()
    };
    kinde.set_token_endpoint_failure(Some(500));
    assert_eq!(
        error_of(m2m().await.unwrap()).await,
        (500, "server_error".into())
    );
    kinde.set_token_endpoint_failure(Some(503));
    assert_eq!(
        error_of(m2m().await.unwrap()).await,
        (503, "temporarily_unavailable".into())
    );
    kinde.set_token_endpoint_failure(None);
    assert_eq!(m2m().await.unwrap().status(), 200);

    kinde.set_token_delay(Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(m2m().await.unwrap().status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    // A slow token endpoint does not block the others.
    kinde.set_token_delay(Duration::from_millis(1500));
    let slow = tokio::spawn(m2m_owned(kinde.clone()));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    assert_eq!(
        c.get(kinde.url("/.well-known/jwks"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(started.elapsed() < Duration::from_millis(1000));
    assert!(!slow.is_finished());
    assert_eq!(slow.await.unwrap(), 200);
    kinde.set_token_delay(Duration::ZERO);
}

async fn m2m_owned(kinde: TestKinde) -> u16 {
    http()
        .post(kinde.url("/oauth2/token"))
        .basic_auth("kinde-test-client", Some("kinde-test-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn signing_key_rotation() {
    let kinde = TestKinde::start();
    let c = http();
    let user = kinde.users()[0].clone();
    let old_kid = kinde.signing_key_kid();
    let old_token = kinde.mint_access_token(&user, MintOptions::default());

    let new_kid = kinde.rotate_signing_key(true);
    assert_ne!(new_kid, old_kid);
    assert_eq!(kinde.signing_key_kid(), new_kid);
    let new_token = kinde.mint_access_token(&user, MintOptions::default());
    assert_eq!(
        jsonwebtoken::decode_header(&new_token)
            .unwrap()
            .kid
            .as_deref(),
        Some(new_kid.as_str())
    );
    let kids: Vec<String> = kinde.jwks()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kids, [new_kid.clone(), old_kid.clone()]);
    // Both verify while the old key is still published.
    verify_with_served_jwks(&kinde, &c, &old_token).await;
    verify_with_served_jwks(&kinde, &c, &new_token).await;

    let newest = kinde.rotate_signing_key(false);
    assert_eq!(kinde.jwks()["keys"].as_array().unwrap().len(), 1);
    assert_eq!(kinde.jwks()["keys"][0]["kid"], newest.as_str());
    let resp = c
        .get(kinde.url("/oauth2/v2/user_profile"))
        .bearer_auth(&old_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        401,
        "tokens of an unpublished key are rejected"
    );
}

#[tokio::test]
async fn introspection_and_revocation() {
    let kinde = TestKinde::start();
    let c = http();
    let tokens = login_tokens(&kinde, &c, &[("audience", "todo-api")]).await;
    let at = tokens["access_token"].as_str().unwrap();
    let rt = tokens["refresh_token"].as_str().unwrap();
    let introspect = |token: &str| {
        let form = vec![("token".to_string(), token.to_string())];
        c.post(kinde.url("/oauth2/introspect"))
            .basic_auth("kinde-test-client", Some("kinde-test-secret"))
            .form(&form)
            .send()
    };

    let body: Value = introspect(at).await.unwrap().json().await.unwrap();
    assert_eq!(body["active"], true);
    assert_eq!(body["aud"], json!(["todo-api"]));
    assert_eq!(body["client_id"], "kinde-test-client");
    assert!(body["exp"].is_i64() && body["iat"].is_i64());
    let body: Value = introspect(rt).await.unwrap().json().await.unwrap();
    assert_eq!(body["active"], true);
    let body: Value = introspect("junk").await.unwrap().json().await.unwrap();
    assert_eq!(body, json!({"active": false}));

    // Revoke the access token and the refresh token.
    for token in [at, rt] {
        let resp = c
            .post(kinde.url("/oauth2/revoke"))
            .form(&[
                ("token", token),
                ("client_id", "kinde-test-client"),
                ("client_secret", "kinde-test-secret"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    let body: Value = introspect(at).await.unwrap().json().await.unwrap();
    assert_eq!(body["active"], false);
    let body: Value = introspect(rt).await.unwrap().json().await.unwrap();
    assert_eq!(body["active"], false);
    let resp = refresh(&kinde, &c, rt).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));
    let resp = c
        .get(kinde.url("/oauth2/v2/user_profile"))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    // Unknown tokens revoke fine; bad credentials do not.
    let resp = c
        .post(kinde.url("/oauth2/revoke"))
        .form(&[
            ("token", "whatever"),
            ("client_id", "kinde-test-client"),
            ("client_secret", "kinde-test-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = c
        .post(kinde.url("/oauth2/revoke"))
        .form(&[
            ("token", "whatever"),
            ("client_id", "kinde-test-client"),
            ("client_secret", "nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(kinde.requests(Endpoint::Revoke), 4);
    assert_eq!(kinde.requests(Endpoint::Introspect), 5);
}

#[tokio::test]
async fn logout_and_counters() {
    let kinde = TestKinde::start();
    let c = http();
    let resp = c
        .get(kinde.url("/logout"))
        .query(&[("redirect", "http://localhost:3000/bye")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(location(&resp).as_str(), "http://localhost:3000/bye");
    let resp = c.get(kinde.url("/logout")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("signed out"));
    let resp = c
        .get(kinde.url("/logout"))
        .query(&[("redirect", "javascript:alert(1)")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let logouts = kinde.logouts();
    assert_eq!(logouts.len(), 3);
    assert_eq!(
        query_map(&logouts[0])["redirect"],
        "http://localhost:3000/bye"
    );
    assert_eq!(kinde.requests(Endpoint::Logout), 3);

    login_tokens(&kinde, &c, &[]).await;
    assert_eq!(kinde.requests(Endpoint::Authorize), 1);
    assert_eq!(kinde.requests(Endpoint::Token), 1);
    assert_eq!(kinde.token_requests("authorization_code"), 1);
    assert_eq!(kinde.requests(Endpoint::Discovery), 0);
    kinde.reset_counters();
    for e in [
        Endpoint::Discovery,
        Endpoint::Jwks,
        Endpoint::Authorize,
        Endpoint::Token,
        Endpoint::Logout,
        Endpoint::UserProfile,
        Endpoint::Introspect,
        Endpoint::Revoke,
        Endpoint::AccountApi,
    ] {
        assert_eq!(kinde.requests(e), 0, "{e:?}");
    }
    assert_eq!(kinde.token_requests("authorization_code"), 0);
    assert_eq!(
        kinde.logouts().len(),
        3,
        "history is kept by reset_counters"
    );
    kinde.clear_history();
    assert!(kinde.logouts().is_empty() && kinde.authorize_requests().is_empty());

    let resp = c.get(kinde.url("/no/such/path")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn mint_helpers() {
    let kinde = TestKinde::start();
    let c = http();
    let reader = kinde.user("kp_demo_reader").unwrap();
    let token = kinde.mint_access_token(
        &reader,
        MintOptions {
            audience: vec!["todo-api".into()],
            ttl: Some(Duration::from_secs(120)),
            extra_claims: serde_json::from_value(json!({"custom": "yes"})).unwrap(),
            ..MintOptions::default()
        },
    );
    let claims = verify_with_served_jwks(&kinde, &c, &token).await;
    assert_eq!(claims["aud"], json!(["todo-api"]));
    assert_eq!(claims["custom"], "yes");
    assert_eq!(claims["permissions"], json!(["read:todos"]));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        120
    );

    let expired = kinde.mint_id_token(
        &reader,
        MintOptions {
            expired: true,
            nonce: Some("n1".into()),
            ..MintOptions::default()
        },
    );
    let claims = decode_unverified(&expired);
    assert!(claims["exp"].as_i64().unwrap() < jsonwebtoken::get_current_timestamp() as i64 - 300);
    assert_eq!(claims["nonce"], "n1");
    assert_eq!(claims["aud"], json!(["kinde-test-client"]));

    let id_claims = kinde.id_claims(&reader, Some("abc"));
    assert_eq!(id_claims["nonce"], "abc");
    assert_eq!(id_claims["name"], "Grace Hopper");
    let token = kinde.sign_claims(&id_claims);
    assert_eq!(
        verify_with_served_jwks(&kinde, &c, &token).await,
        id_claims.as_object().unwrap().clone()
    );

    let demo = TestUser::demo_users();
    assert_eq!(demo.len(), 3);
    assert_eq!(demo[0].id, "kp_demo_admin");
    assert_eq!(demo[1].permissions, ["read:todos"]);
    assert!(demo[2].permissions.is_empty() && demo[2].roles.is_empty());
}

#[tokio::test]
async fn two_servers_side_by_side() {
    let a = TestKinde::start();
    let b = TestKinde::builder()
        .user(TestUser::new("kp_bob", "bob@example.com").name("Bob", "Builder"))
        .start();
    assert_ne!(a.issuer(), b.issuer());
    assert_ne!(a.signing_key_kid(), b.signing_key_kid());
    assert_eq!(a.users().len(), 3);
    assert_eq!(b.users().len(), 1);
    let c = http();

    let ta = login_tokens(&a, &c, &[]).await;
    let tb = login_tokens(&b, &c, &[]).await;
    assert_eq!(
        decode_unverified(tb["access_token"].as_str().unwrap())["sub"],
        "kp_bob"
    );
    // A's token means nothing to B, and vice versa.
    let resp = c
        .get(b.url("/oauth2/v2/user_profile"))
        .bearer_auth(ta["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let resp = refresh(&a, &c, tb["refresh_token"].as_str().unwrap()).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));

    a.set_jwks_available(false);
    assert_eq!(
        c.get(b.url("/.well-known/jwks"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(a.requests(Endpoint::Token), 2);
    assert_eq!(b.requests(Endpoint::Token), 1);
}

/// The server runs on its own thread: usable from plain synchronous code.
#[test]
fn works_from_sync_code_and_stops_when_dropped() {
    use std::io::{Read, Write};
    let kinde = TestKinde::start();
    let addr = format!("127.0.0.1:{}", kinde.port());
    let get = |addr: &str| -> std::io::Result<String> {
        let mut s = std::net::TcpStream::connect(addr)?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        s.write_all(
            b"GET /.well-known/openid-configuration HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )?;
        let mut out = String::new();
        s.read_to_string(&mut out)?;
        Ok(out)
    };
    let response = get(&addr).expect("server answers");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains(&kinde.issuer()));

    let clone = kinde.clone();
    drop(kinde);
    assert!(get(&addr).is_ok(), "a clone keeps the server alive");
    drop(clone);
    assert!(get(&addr).is_err(), "the last drop stops the server");

    let other = TestKinde::start();
    other.shutdown();
    assert!(get(&format!("127.0.0.1:{}", other.port())).is_err());
}

#[test]
fn handle_is_send_sync_and_config_glue_works() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<TestKinde>();

    let kinde = TestKinde::start();
    let config = kinde
        .config_builder()
        .redirect_uri(REDIRECT)
        .build()
        .expect("a config for the test server builds");
    assert_eq!(config.client_id(), kinde.client_id());
}
