//! Shared helpers: the OAuth requests a relying party sends to a `TestKinde` (authorize,
//! code exchange, refresh), PKCE, and checks on what comes back.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use kinde_core::testing::TestKinde;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use url::Url;

pub const REDIRECT: &str = "http://localhost:3000/callback";

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

pub fn pkce() -> Pkce {
    let bytes: [u8; 32] = rand::random();
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce {
        verifier,
        challenge,
    }
}

pub fn query_map(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

pub fn location(resp: &reqwest::Response) -> Url {
    let loc = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .expect("Location header")
        .to_str()
        .expect("ascii location");
    Url::parse(loc).expect("absolute Location")
}

/// GET /oauth2/auth with the standard parameters plus `extra` (which override).
pub async fn authorize(
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
pub async fn login(
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

pub async fn exchange(
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

pub async fn login_tokens(
    kinde: &TestKinde,
    client: &reqwest::Client,
    extra: &[(&str, &str)],
) -> Value {
    let (code, verifier) = login(kinde, client, extra).await;
    let resp = exchange(kinde, client, &code, &verifier, REDIRECT).await;
    assert_eq!(resp.status(), 200);
    resp.json().await.expect("token json")
}

pub async fn refresh(
    kinde: &TestKinde,
    client: &reqwest::Client,
    token: &str,
) -> reqwest::Response {
    client
        .post(kinde.url("/oauth2/token"))
        .basic_auth(kinde.client_id(), kinde.client_secret())
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .expect("refresh request")
}

pub async fn error_of(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("error json");
    assert!(body["error_description"].is_string(), "{body}");
    (
        status,
        body["error"].as_str().unwrap_or_default().to_string(),
    )
}

/// Verifies a JWT against the JWKS the server serves, like a relying party would.
pub async fn verify_with_served_jwks(
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

pub fn decode_unverified(token: &str) -> Map<String, Value> {
    jsonwebtoken::dangerous::insecure_decode::<Map<String, Value>>(token)
        .expect("decodable")
        .claims
}
