//! The protected header of a token, read before anything is verified, and the rules it
//! must follow (RFC 7515 §4.1, RFC 8725 §3): only `alg: RS256`; a `kid`, looked up in
//! the issuer's JWKS and nowhere else; no `crit` (this verifier implements no header
//! extension, and §4.1.11 says a token that requires one it does not understand must
//! be refused); a `typ`, when present, that names a JWT and not some other kind of token
//! signed by the same issuer.
//!
//! Header parameters that point at keys (`jku`, `x5u`, `jwk`, `x5c`) are never read:
//! a token cannot choose the key it is checked with.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::error::TokenRejection;

/// What verification takes from a header that passed [`parse`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct JwsHeader {
    /// The `kid` to look up in the issuer's JWKS.
    pub(crate) kid: String,
    /// The `typ`, as sent (compared case-insensitively, as media types are).
    pub(crate) typ: Option<String>,
}

impl JwsHeader {
    /// Whether `typ` (absent, or `JWT`, or the access-token type of RFC 9068) fits a
    /// token verified as an access or ID token. The `application/` prefix may be
    /// omitted (RFC 7515 §4.1.9), so both forms are accepted.
    pub(crate) fn is_jwt_typed(&self) -> bool {
        let Some(typ) = self.typ.as_deref() else {
            return true;
        };
        let bare = typ
            .get(..12)
            .filter(|p| p.eq_ignore_ascii_case("application/"))
            .map_or(typ, |_| &typ[12..]);
        bare.eq_ignore_ascii_case("JWT") || bare.eq_ignore_ascii_case("at+jwt")
    }
}

/// Read and check the protected header of `token` without trusting anything in it.
pub(crate) fn parse(token: &str) -> Result<JwsHeader, TokenRejection> {
    let header = token
        .split('.')
        .next()
        .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|b| serde_json::from_slice::<Map<String, Value>>(&b).ok())
        .ok_or(TokenRejection::Malformed)?;
    match header.get("alg") {
        Some(Value::String(alg)) if alg == "RS256" => {}
        // `none`, HMAC (keyed with the public key: algorithm confusion) and the rest.
        Some(Value::String(_)) => return Err(TokenRejection::UnsupportedAlgorithm),
        _ => return Err(TokenRejection::Malformed),
    }
    // Any `crit`, even an empty or malformed one (which §4.1.11 forbids outright):
    // we understand no extension, so whatever it lists is not understood.
    if header.contains_key("crit") {
        return Err(TokenRejection::UnsupportedCritical);
    }
    let kid = match header.get("kid") {
        Some(Value::String(kid)) => kid.clone(),
        None => return Err(TokenRejection::UnknownKey),
        Some(_) => return Err(TokenRejection::Malformed),
    };
    let typ = match header.get("typ") {
        None => None,
        Some(Value::String(typ)) => Some(typ.clone()),
        Some(_) => return Err(TokenRejection::Malformed),
    };
    Ok(JwsHeader { kid, typ })
}

/// The `kid` of a token whose header passes [`parse`].
pub(crate) fn header_kid(token: &str) -> Result<String, TokenRejection> {
    parse(token).map(|h| h.kid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token(header: Value) -> String {
        let enc = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
        format!("{}.{}.sig", enc(&header), enc(&json!({})))
    }

    #[test]
    fn algorithms_other_than_rs256_are_named() {
        let none = token(json!({"alg": "none", "kid": "k"}));
        assert_eq!(parse(&none), Err(TokenRejection::UnsupportedAlgorithm));
        let hs = token(json!({"alg": "HS256", "kid": "k"}));
        assert_eq!(header_kid(&hs), Err(TokenRejection::UnsupportedAlgorithm));
        let rs = token(json!({"alg": "RS256", "kid": "k"}));
        assert_eq!(header_kid(&rs), Ok("k".to_string()));
        let no_alg = token(json!({"kid": "k"}));
        assert_eq!(parse(&no_alg), Err(TokenRejection::Malformed));
        assert_eq!(header_kid("garbage"), Err(TokenRejection::Malformed));
    }

    #[test]
    fn kid_is_required_and_a_string() {
        let nokid = token(json!({"alg": "RS256"}));
        assert_eq!(header_kid(&nokid), Err(TokenRejection::UnknownKey));
        let numeric = token(json!({"alg": "RS256", "kid": 7}));
        assert_eq!(header_kid(&numeric), Err(TokenRejection::Malformed));
    }

    #[test]
    fn any_crit_is_refused() {
        for crit in [json!(["exp-ext"]), json!([]), json!("b64"), json!(null)] {
            let t = token(json!({"alg": "RS256", "kid": "k", "crit": crit, "exp-ext": 1}));
            assert_eq!(
                parse(&t),
                Err(TokenRejection::UnsupportedCritical),
                "{crit}"
            );
        }
    }

    #[test]
    fn typ_names_a_jwt() {
        let typed = |typ: Value| parse(&token(json!({"alg": "RS256", "kid": "k", "typ": typ})));
        for ok in [
            "JWT",
            "jwt",
            "at+jwt",
            "application/at+JWT",
            "application/jwt",
        ] {
            assert!(typed(json!(ok)).unwrap().is_jwt_typed(), "{ok}");
        }
        for other in ["logout+jwt", "secevent+jwt", "dpop+jwt", "JOSE", ""] {
            assert!(!typed(json!(other)).unwrap().is_jwt_typed(), "{other}");
        }
        assert_eq!(typed(json!(1)), Err(TokenRejection::Malformed));
        let untyped = parse(&token(json!({"alg": "RS256", "kid": "k"}))).unwrap();
        assert!(untyped.is_jwt_typed());
    }

    #[test]
    fn key_pointers_do_not_matter() {
        let t = token(json!({
            "alg": "RS256", "kid": "k",
            "jku": "https://attacker.example/jwks", "x5u": "https://attacker.example/cert",
            "jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}, "x5c": ["MIIB"],
        }));
        assert_eq!(header_kid(&t), Ok("k".to_string()));
    }
}
