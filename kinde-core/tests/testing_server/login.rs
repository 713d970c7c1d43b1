//! The authorization-code flow with PKCE end to end: the tokens' claims verify against
//! the served JWKS, and what the request asked for (audience, scope, nonce) shows in them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kinde_core::testing::TestKinde;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::support::{
    decode_unverified, get_bearer_json, http, login_tokens, query_map, verify_with_served_jwks,
};

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
    let profile = get_bearer_json(&c, &kinde.url("/oauth2/v2/user_profile"), access_token).await;
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
