//! HTTP routes: discovery, JWKS, authorize, token, logout, user profile, introspection,
//! revocation. The Account API lives in `account.rs`, the request parsing and response
//! shapes both use in `http.rs`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};
use subtle::ConstantTimeEq;
use url::Url;

use super::Endpoint;
use super::LoginMode;
use super::html;
use super::http::{Params, absolute_http_url, bearer, bearer_error, html_response, json_response};
use super::state::{AuthorizeRequest, OAuthError, Shared, lock, record, valid_pkce_token};
use super::users::TestClient;

fn oauth_error(e: &OAuthError) -> Response {
    let mut resp = json_response(
        e.status,
        &json!({"error": e.error, "error_description": e.description}),
    );
    if e.status == 401 {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"kinde-test\""),
        );
    }
    resp
}

fn redirect(url: &Url) -> Response {
    match HeaderValue::from_str(url.as_str()) {
        Ok(location) => {
            let mut resp = StatusCode::FOUND.into_response();
            resp.headers_mut().insert(header::LOCATION, location);
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Err(_) => html_response(
            500,
            html::error_page("Bad redirect", "The redirect URL is not valid."),
        ),
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/.well-known/jwks", get(jwks))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/oauth2/auth", get(authorize))
        .route("/oauth2/auth/select", post(select_user))
        .route("/oauth2/token", post(token))
        .route("/logout", get(logout))
        .route("/oauth2/v2/user_profile", get(user_profile))
        .route("/oauth2/introspect", post(introspect))
        .route("/oauth2/revoke", post(revoke))
        .merge(super::account::routes())
        .merge(super::management::routes())
        .fallback(not_found)
        .with_state(shared)
}

async fn not_found() -> Response {
    json_response(
        404,
        &json!({"error": "not_found", "error_description": "no such endpoint on the Kinde test server"}),
    )
}

async fn discovery(State(s): State<Arc<Shared>>) -> Response {
    s.counters.hit(Endpoint::Discovery);
    if !s.knobs.discovery_available.load(Ordering::Relaxed) {
        return json_response(
            503,
            &json!({"error": "temporarily_unavailable", "error_description": "discovery is switched off"}),
        );
    }
    json_response(200, &discovery_document(&s))
}

pub(crate) fn discovery_document(s: &Shared) -> Value {
    json!({
        "issuer": s.issuer,
        "authorization_endpoint": s.url("/oauth2/auth"),
        "token_endpoint": s.url("/oauth2/token"),
        "userinfo_endpoint": s.url("/oauth2/v2/user_profile"),
        "jwks_uri": s.url("/.well-known/jwks"),
        "end_session_endpoint": s.url("/logout"),
        "revocation_endpoint": s.url("/oauth2/revoke"),
        "introspection_endpoint": s.url("/oauth2/introspect"),
        "scopes_supported": ["openid", "profile", "email", "offline"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "aud", "auth_time", "azp", "email", "email_verified", "exp", "family_name",
            "given_name", "iat", "iss", "jti", "name", "nonce", "org_codes", "organizations",
            "picture", "sub", "updated_at"
        ],
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
    })
}

async fn jwks(State(s): State<Arc<Shared>>) -> Response {
    s.counters.hit(Endpoint::Jwks);
    if !s.knobs.jwks_available.load(Ordering::Relaxed) {
        return json_response(
            503,
            &json!({"error": "temporarily_unavailable", "error_description": "JWKS is switched off"}),
        );
    }
    json_response(200, &s.jwks())
}

fn error_redirect(redirect_uri: &Url, state: Option<&str>, error: &str, description: &str) -> Url {
    let mut url = redirect_uri.clone();
    url.query_pairs_mut()
        .append_pair("error", error)
        .append_pair("error_description", description);
    if let Some(state) = state {
        url.query_pairs_mut().append_pair("state", state);
    }
    url
}

async fn authorize(
    State(s): State<Arc<Shared>>,
    OriginalUri(uri): OriginalUri,
    RawQuery(query): RawQuery,
) -> Response {
    s.counters.hit(Endpoint::Authorize);
    if let Ok(url) = Url::parse(&format!("{}{}", s.issuer, uri)) {
        record(&s.authorize_requests, [url]);
    }
    let params = Params::query(query.as_deref());

    // Errors that cannot be sent back to the client: shown here.
    let Some(client_id) = params.get("client_id") else {
        return html_response(
            400,
            html::error_page("Invalid request", "The client_id parameter is missing."),
        );
    };
    if s.client(client_id).is_none() {
        return html_response(
            400,
            html::error_page(
                "Unknown application",
                &format!("No application with client_id \"{client_id}\" is registered."),
            ),
        );
    }
    let Some(redirect_raw) = params.get("redirect_uri") else {
        return html_response(
            400,
            html::error_page("Invalid request", "The redirect_uri parameter is missing."),
        );
    };
    let redirect_uri = match absolute_http_url(redirect_raw) {
        Some(u) if u.fragment().is_none() => u,
        _ => {
            return html_response(
                400,
                html::error_page(
                    "Invalid redirect URI",
                    "redirect_uri must be an absolute http(s) URL without a fragment.",
                ),
            );
        }
    };
    if params.all("client_id").count() > 1 || params.all("redirect_uri").count() > 1 {
        return html_response(
            400,
            html::error_page(
                "Invalid request",
                "client_id and redirect_uri must appear once.",
            ),
        );
    }

    // From here on errors go back to the redirect URI.
    let state = params.get("state");
    let fail = |error: &str, description: &str| {
        redirect(&error_redirect(&redirect_uri, state, error, description))
    };
    if let Some(dup) = params.duplicated(&["audience"]) {
        return fail(
            "invalid_request",
            &format!("parameter {dup} appears more than once"),
        );
    }
    if let Some(error) = lock(&s.knobs.authorize_error).clone() {
        let mut url = error_redirect(
            &redirect_uri,
            state,
            &error,
            "simulated by TestKinde::set_authorize_error",
        );
        if error == "login_link_expired" {
            let reauth = URL_SAFE_NO_PAD.encode(params.to_json().to_string());
            url.query_pairs_mut().append_pair("reauth_state", &reauth);
        }
        return redirect(&url);
    }
    match params.get("response_type") {
        Some("code") => {}
        None => return fail("invalid_request", "response_type is required"),
        Some(_) => {
            return fail(
                "unsupported_response_type",
                "only response_type=code is supported",
            );
        }
    }
    let Some(code_challenge) = params.get("code_challenge") else {
        return fail("invalid_request", "code_challenge is required (PKCE)");
    };
    if params.get("code_challenge_method") != Some("S256") {
        return fail("invalid_request", "code_challenge_method must be S256");
    }
    if !valid_pkce_token(code_challenge) {
        return fail("invalid_request", "code_challenge is malformed");
    }
    let scopes: Vec<String> = params
        .get("scope")
        .unwrap_or("openid")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let audience: Vec<String> = params
        .all("audience")
        .flat_map(str::split_whitespace)
        .map(str::to_string)
        .collect();
    let req = AuthorizeRequest {
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri.clone(),
        redirect_uri_raw: redirect_raw.to_string(),
        state: state.map(str::to_string),
        scopes,
        nonce: params.get("nonce").map(str::to_string),
        code_challenge: code_challenge.to_string(),
        audience,
        org_code: params.get("org_code").map(str::to_string),
        org_name: params.get("org_name").map(str::to_string),
        is_create_org: params.get("is_create_org") == Some("true"),
        login_hint: params.get("login_hint").map(str::to_string),
        prompt: params.get("prompt").map(str::to_string),
    };

    let silent = req.prompt.as_deref() == Some("none");
    if s.login_mode == LoginMode::Page && !silent {
        let users = lock(&s.users).clone();
        let pending = s.new_pending(req.clone());
        return html_response(200, html::login_page(&pending, &req, &users));
    }
    match s.auto_user(req.login_hint.as_deref()) {
        Some(user) => redirect(&s.issue_code(&req, user)),
        None => fail("access_denied", "the test server has no users"),
    }
}

async fn select_user(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    let params = Params::parse(&body);
    let Some(req) = params.get("pending").and_then(|id| s.take_pending(id)) else {
        return html_response(
            400,
            html::error_page(
                "Login expired",
                "This login request is unknown or has already been used. Start again from the application.",
            ),
        );
    };
    if params.get("action") == Some("deny") {
        return redirect(&error_redirect(
            &req.redirect_uri,
            req.state.as_deref(),
            "access_denied",
            "The user denied the request",
        ));
    }
    match params.get("user_id").and_then(|id| s.find_user(id)) {
        Some(user) => redirect(&s.issue_code(&req, user)),
        None => html_response(
            400,
            html::error_page("Unknown user", "Pick one of the listed users."),
        ),
    }
}

/// Client authentication: `client_secret_basic`, `client_secret_post`, or a public client
/// identified by `client_id` alone. `Ok(None)`: the request names no client at all.
fn authenticate_client<'a>(
    s: &'a Shared,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Option<&'a TestClient>, OAuthError> {
    let basic = match headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or_default())
    {
        None => None,
        Some(value) => {
            let Some((scheme, creds)) = value.split_once(' ') else {
                return Err(OAuthError::invalid_client("malformed Authorization header"));
            };
            if !scheme.eq_ignore_ascii_case("basic") {
                return Err(OAuthError::invalid_client(
                    "only HTTP Basic client authentication is supported here",
                ));
            }
            let decoded = STANDARD
                .decode(creds.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
            let Some((id, secret)) = decoded.split_once(':') else {
                return Err(OAuthError::invalid_client("malformed Basic credentials"));
            };
            Some((form_decode(id), form_decode(secret)))
        }
    };
    let form_id = params.get("client_id");
    let form_secret = params.get("client_secret");
    let (id, secret) = match (&basic, form_id) {
        (Some((bid, bsecret)), fid) => {
            if form_secret.is_some() {
                return Err(OAuthError::invalid_request(
                    "use one client authentication method, not Basic and client_secret both",
                ));
            }
            if fid.is_some_and(|f| f != bid) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the Basic credentials",
                ));
            }
            (
                bid.as_str(),
                Some(bsecret.as_str()).filter(|s| !s.is_empty()),
            )
        }
        (None, Some(fid)) => (fid, form_secret),
        (None, None) => return Ok(None),
    };
    let Some(client) = s.client(id) else {
        return Err(OAuthError::invalid_client("unknown client"));
    };
    match (&client.secret, secret) {
        (Some(expected), Some(given)) => {
            if bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
                Ok(Some(client))
            } else {
                Err(OAuthError::invalid_client("client authentication failed"))
            }
        }
        (Some(_), None) => Err(OAuthError::invalid_client(
            "client authentication required: this is a confidential client",
        )),
        (None, Some(_)) => Err(OAuthError::invalid_client(
            "a public client must not send a client secret",
        )),
        (None, None) => Ok(Some(client)),
    }
}

fn form_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| ct.starts_with("application/x-www-form-urlencoded"))
}

async fn token(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    s.counters.hit(Endpoint::Token);
    let params = Params::parse(&body);
    let grant = params.get("grant_type").unwrap_or_default().to_string();
    s.counters.hit_grant(&grant);
    let delay = *lock(&s.knobs.token_delay);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if let Some(code) = *lock(&s.knobs.token_failure) {
        let error = match code {
            503 => "temporarily_unavailable",
            400..=499 => "invalid_request",
            _ => "server_error",
        };
        return json_response(
            code,
            &json!({"error": error, "error_description": "simulated by TestKinde::set_token_endpoint_failure"}),
        );
    }
    let answer = handle_token(&s, &headers, &params, &grant);
    record_secrets(&s, &params, answer.as_ref().ok());
    match answer {
        Ok(body) => json_response(200, &body),
        Err(e) => oauth_error(&e),
    }
}

/// Keep what a token request carried and its answer gave that must never leak.
fn record_secrets(s: &Shared, params: &Params, answer: Option<&Value>) {
    let sent = ["code", "code_verifier", "refresh_token", "client_secret"]
        .into_iter()
        .filter_map(|name| params.get(name));
    let issued = ["access_token", "id_token", "refresh_token"]
        .into_iter()
        .filter_map(|name| answer.and_then(|a| a.get(name)).and_then(Value::as_str));
    record(&s.secrets, sent.chain(issued).map(str::to_string));
}

fn handle_token(
    s: &Shared,
    headers: &HeaderMap,
    params: &Params,
    grant: &str,
) -> Result<Value, OAuthError> {
    if !is_form(headers) {
        return Err(OAuthError::invalid_request(
            "token requests must be application/x-www-form-urlencoded",
        ));
    }
    if let Some(dup) = params.duplicated(&["audience"]) {
        return Err(OAuthError::invalid_request(format!(
            "parameter {dup} appears more than once"
        )));
    }
    let client = authenticate_client(s, headers, params)?
        .ok_or_else(|| OAuthError::invalid_client("client_id is required"))?;
    match grant {
        "authorization_code" => {
            let code = params
                .get("code")
                .ok_or_else(|| OAuthError::invalid_request("code is required"))?;
            s.exchange_code(
                client,
                code,
                params.get("redirect_uri"),
                params.get("code_verifier"),
            )
        }
        "refresh_token" => {
            let token = params
                .get("refresh_token")
                .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
            s.refresh(client, token)
        }
        "client_credentials" => {
            let audience = params
                .all("audience")
                .flat_map(str::split_whitespace)
                .map(str::to_string)
                .collect();
            let scopes = params
                .get("scope")
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_string)
                .collect();
            s.client_credentials(client, audience, scopes)
        }
        "" => Err(OAuthError::invalid_request("grant_type is required")),
        other => Err(OAuthError::new(
            400,
            "unsupported_grant_type",
            format!("grant_type {other} is not supported"),
        )),
    }
}

async fn logout(
    State(s): State<Arc<Shared>>,
    OriginalUri(uri): OriginalUri,
    RawQuery(query): RawQuery,
) -> Response {
    s.counters.hit(Endpoint::Logout);
    if let Ok(url) = Url::parse(&format!("{}{}", s.issuer, uri)) {
        record(&s.logouts, [url]);
    }
    let params = Params::query(query.as_deref());
    match params.get("redirect") {
        None => html_response(200, html::signed_out_page()),
        Some(target) => match absolute_http_url(target) {
            Some(url) => redirect(&url),
            None => html_response(
                400,
                html::error_page(
                    "Invalid redirect",
                    "The redirect parameter must be an absolute http(s) URL.",
                ),
            ),
        },
    }
}

async fn user_profile(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    s.counters.hit(Endpoint::UserProfile);
    let Some(token) = bearer(&headers) else {
        return bearer_error("a Bearer access token is required");
    };
    let claims = match s.verify_token(token) {
        Ok(c) => c,
        Err(e) => return bearer_error(&e),
    };
    let Some(user) = claims
        .get("sub")
        .and_then(Value::as_str)
        .and_then(|id| s.find_user(id))
    else {
        return bearer_error("the token does not belong to a known user");
    };
    json_response(
        200,
        &json!({
            "id": user.id,
            "sub": user.id,
            "provided_id": null,
            "name": user.full_name(),
            "given_name": user.given_name,
            "family_name": user.family_name,
            "email": user.email,
            "email_verified": user.email_verified,
            "picture": user.picture,
            "updated_at": s.started_at,
            "preferred_username": null,
        }),
    )
}

async fn introspect(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    s.counters.hit(Endpoint::Introspect);
    let params = Params::parse(&body);
    if let Err(e) = authenticate_client(&s, &headers, &params) {
        return oauth_error(&e);
    }
    let Some(token) = params.get("token") else {
        return oauth_error(&OAuthError::invalid_request("token is required"));
    };
    if let Some(answer) = s.introspect_refresh(token) {
        return json_response(200, &answer);
    }
    match s.verify_token(token) {
        Ok(c) => {
            let mut out = Map::new();
            out.insert("active".into(), Value::Bool(true));
            out.insert("token_type".into(), json!("access_token"));
            for (from, to) in [
                ("aud", "aud"),
                ("azp", "client_id"),
                ("exp", "exp"),
                ("iat", "iat"),
                ("sub", "sub"),
                ("jti", "jti"),
                ("iss", "iss"),
            ] {
                if let Some(v) = c.get(from) {
                    out.insert(to.into(), v.clone());
                }
            }
            if let Some(scp) = c.get("scp").and_then(Value::as_array) {
                let scope: Vec<&str> = scp.iter().filter_map(Value::as_str).collect();
                out.insert("scope".into(), json!(scope.join(" ")));
            } else if let Some(scope) = c.get("scope") {
                out.insert("scope".into(), scope.clone());
            }
            json_response(200, &Value::Object(out))
        }
        Err(_) => json_response(200, &json!({"active": false})),
    }
}

async fn revoke(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    s.counters.hit(Endpoint::Revoke);
    let params = Params::parse(&body);
    let client = match authenticate_client(&s, &headers, &params) {
        Ok(c) => c,
        Err(e) => return oauth_error(&e),
    };
    let Some(token) = params.get("token") else {
        return oauth_error(&OAuthError::invalid_request("token is required"));
    };
    s.revoke(client, token);
    (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding_of_basic_credentials() {
        assert_eq!(form_decode("a%3Ab+c"), "a:b c");
        assert_eq!(form_decode("plain-secret"), "plain-secret");
    }
}
