//! Discovery document and JWKS: their shape, and that they match what `TestKinde` reports.

use kinde_core::testing::{Endpoint, TestKinde};
use serde_json::{Value, json};

use crate::support::{get_json, http};

#[tokio::test]
async fn discovery_and_jwks_shape() {
    let kinde = TestKinde::start();
    let c = http();
    let issuer = kinde.issuer();
    assert!(issuer.starts_with("http://127.0.0.1:"));
    assert!(!issuer.ends_with('/'));

    let d: Value = get_json(&c, &kinde.url("/.well-known/openid-configuration")).await;
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
        let jwks: Value = get_json(&c, &kinde.url(path)).await;
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
