//! Shared helpers: raw requests (GET with or without a bearer token and a query, form
//! POSTs, the token endpoint), reading responses (`Location`, query maps, OAuth errors),
//! the OAuth flow a relying party runs against a `TestKinde` (PKCE, authorize, code
//! exchange, refresh, client credentials), and token checks.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use kinde_core::testing::TestKinde;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use url::Url;

/// The redirect URI of every login.
pub const REDIRECT: &str = "http://localhost:3000/callback";
/// HTTP Basic credentials of the builder's default confidential client.
pub const DEFAULT_CLIENT: (&str, Option<&str>) = ("kinde-test-client", Some("kinde-test-secret"));

/// The HTTP client every test uses: redirects are not followed (a test reads `Location`).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

// ----- raw requests -----

/// GET `url`.
pub async fn get(client: &reqwest::Client, url: &str) -> reqwest::Response {
    client.get(url).send().await.expect("GET request")
}

/// GET `url` with a query string.
pub async fn get_query<Q: Serialize + ?Sized>(
    client: &reqwest::Client,
    url: &str,
    query: &Q,
) -> reqwest::Response {
    client
        .get(url)
        .query(query)
        .send()
        .await
        .expect("GET request")
}

/// GET `url` as JSON.
pub async fn get_json<T: DeserializeOwned>(client: &reqwest::Client, url: &str) -> T {
    get(client, url).await.json().await.expect("JSON body")
}

/// GET `url` with `Authorization: Bearer token`.
pub async fn get_bearer(client: &reqwest::Client, url: &str, token: &str) -> reqwest::Response {
    client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("GET request")
}

/// GET `url` with `Authorization: Bearer token` and a query string.
pub async fn get_bearer_query<Q: Serialize + ?Sized>(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    query: &Q,
) -> reqwest::Response {
    client
        .get(url)
        .bearer_auth(token)
        .query(query)
        .send()
        .await
        .expect("GET request")
}

/// GET `url` with `Authorization: Bearer token`, as JSON.
pub async fn get_bearer_json(client: &reqwest::Client, url: &str, token: &str) -> Value {
    get_bearer(client, url, token)
        .await
        .json()
        .await
        .expect("JSON body")
}

/// POST `form` to `url` (`application/x-www-form-urlencoded`), no `Authorization`.
pub async fn post_form(
    client: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(url)
        .form(form)
        .send()
        .await
        .expect("POST request")
}

/// POST `form` to `url` with HTTP Basic client credentials.
pub async fn post_form_basic(
    client: &reqwest::Client,
    url: &str,
    (id, secret): (&str, Option<&str>),
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(url)
        .basic_auth(id, secret)
        .form(form)
        .send()
        .await
        .expect("POST request")
}

/// POST `body` to `url` as `content_type` (for bodies that are not a well-formed form).
pub async fn post_body(
    client: &reqwest::Client,
    url: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    client
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("POST request")
}

/// POST `form` to `/oauth2/token`, the client named (if at all) in the form.
pub async fn token_request(
    kinde: &TestKinde,
    client: &reqwest::Client,
    form: &[(&str, &str)],
) -> reqwest::Response {
    post_form(client, &kinde.url("/oauth2/token"), form).await
}

/// POST `form` to `/oauth2/token` with HTTP Basic client credentials.
pub async fn token_request_basic(
    kinde: &TestKinde,
    client: &reqwest::Client,
    credentials: (&str, Option<&str>),
    form: &[(&str, &str)],
) -> reqwest::Response {
    post_form_basic(client, &kinde.url("/oauth2/token"), credentials, form).await
}

// ----- reading responses -----

/// The query parameters of `url` (the last value of a repeated one).
pub fn query_map(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

/// The absolute URL in the response's `Location` header.
pub fn location(resp: &reqwest::Response) -> Url {
    let loc = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .expect("Location header")
        .to_str()
        .expect("ascii location");
    Url::parse(loc).expect("absolute Location")
}

/// The status and `error` of an OAuth error response (which must carry an
/// `error_description`).
pub async fn error_of(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("error json");
    assert!(body["error_description"].is_string(), "{body}");
    (
        status,
        body["error"].as_str().unwrap_or_default().to_string(),
    )
}

// ----- the OAuth flow -----

/// A PKCE verifier and its S256 challenge.
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

/// A fresh PKCE pair.
pub fn pkce() -> Pkce {
    let bytes: [u8; 32] = rand::random();
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce {
        verifier,
        challenge,
    }
}

/// GET /oauth2/auth with the standard parameters plus `extra` (which override; an empty
/// value removes the parameter).
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
    get_query(client, &kinde.url("/oauth2/auth"), &params).await
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

/// Exchanges `code` at the token endpoint as the default client (`client_secret_post`).
pub async fn exchange(
    kinde: &TestKinde,
    client: &reqwest::Client,
    code: &str,
    verifier: &str,
    redirect: &str,
) -> reqwest::Response {
    let secret = kinde.client_secret().unwrap_or_default();
    let client_id = kinde.client_id();
    token_request(
        kinde,
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", verifier),
            ("redirect_uri", redirect),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
        ],
    )
    .await
}

/// A complete login (`extra` as for [`authorize`]) and the token response.
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

/// Refreshes `token` as the default client (`client_secret_basic`).
pub async fn refresh(
    kinde: &TestKinde,
    client: &reqwest::Client,
    token: &str,
) -> reqwest::Response {
    let secret = kinde.client_secret();
    token_request_basic(
        kinde,
        client,
        (&kinde.client_id(), secret.as_deref()),
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await
}

/// A client-credentials request authenticated (HTTP Basic) as `kinde-test-client` /
/// `kinde-test-secret`, the builder's default client, whichever clients `kinde` has.
pub async fn client_credentials(kinde: &TestKinde, client: &reqwest::Client) -> reqwest::Response {
    token_request_basic(
        kinde,
        client,
        DEFAULT_CLIENT,
        &[("grant_type", "client_credentials")],
    )
    .await
}

// ----- tokens -----

/// Verifies a JWT against the JWKS the server serves, like a relying party would.
pub async fn verify_with_served_jwks(
    kinde: &TestKinde,
    client: &reqwest::Client,
    token: &str,
) -> Map<String, Value> {
    let jwks: JwkSet = get_json(client, &kinde.url("/.well-known/jwks")).await;
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

/// A JWT's claims, signature unchecked.
pub fn decode_unverified(token: &str) -> Map<String, Value> {
    jsonwebtoken::dangerous::insecure_decode::<Map<String, Value>>(token)
        .expect("decodable")
        .claims
}
