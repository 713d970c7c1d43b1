//! RSA signing keys for the test server and for forging tokens.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde_json::{Map, Value};

/// One RSA key pair with its `kid`, ready to sign and to publish.
pub(crate) struct KeyMaterial {
    kid: String,
    encoding: EncodingKey,
    /// PKCS#1 `RSAPublicKey` DER.
    public_der: Vec<u8>,
    n: Vec<u8>,
    e: Vec<u8>,
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyMaterial")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl KeyMaterial {
    /// Generates a fresh 2048-bit RSA key with a random `kid`.
    pub(crate) fn generate() -> Result<Self, String> {
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| "RSA key generation failed".to_string())?;
        let pkcs8 = pair
            .as_der()
            .map_err(|_| "RSA key export failed".to_string())?;
        let pkcs1 = pkcs1_from_pkcs8(pkcs8.as_ref())
            .ok_or_else(|| "unexpected PKCS#8 layout".to_string())?;
        let public_der = pair.public_key().as_ref().to_vec();
        let (n, e) = rsa_public_components(&public_der)
            .ok_or_else(|| "unexpected RSAPublicKey layout".to_string())?;
        Ok(Self {
            kid: super::random_token(12),
            encoding: EncodingKey::from_rsa_der(pkcs1),
            public_der,
            n,
            e,
        })
    }

    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    pub(crate) fn public_der(&self) -> &[u8] {
        &self.public_der
    }

    pub(crate) fn decoding_key(&self) -> DecodingKey {
        DecodingKey::from_rsa_raw_components(&self.n, &self.e)
    }

    /// Signs `claims` as an RS256 JWT with header `{alg, typ: JWT, kid}`.
    pub(crate) fn try_sign(&self, claims: &Value, kid: &str) -> Result<String, String> {
        let mut header = Header::new(Algorithm::RS256);
        header.typ = Some("JWT".into());
        header.kid = Some(kid.to_string());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(|e| e.to_string())
    }

    /// Signs `claims` as an RS256 JWT whose header is `{alg: RS256, typ: JWT, kid}` with
    /// `extra` merged over it, field by field, exactly as given (any JSON, so a test
    /// can send what a verifier must refuse: `crit`, `jku`, `jwk`, another `typ`…).
    pub(crate) fn try_sign_with_header(
        &self,
        claims: &Value,
        kid: &str,
        extra: &Map<String, Value>,
    ) -> Result<String, String> {
        let mut header = Map::new();
        header.insert("alg".into(), "RS256".into());
        header.insert("typ".into(), "JWT".into());
        header.insert("kid".into(), kid.into());
        for (k, v) in extra {
            header.insert(k.clone(), v.clone());
        }
        let part = |v: &Value| {
            serde_json::to_vec(v)
                .map(|b| URL_SAFE_NO_PAD.encode(b))
                .map_err(|e| e.to_string())
        };
        let message = format!("{}.{}", part(&Value::Object(header))?, part(claims)?);
        let signature =
            jsonwebtoken::crypto::sign(message.as_bytes(), &self.encoding, Algorithm::RS256)
                .map_err(|e| e.to_string())?;
        Ok(format!("{message}.{signature}"))
    }

    /// Like [`try_sign_with_header`](Self::try_sign_with_header), panicking on failure
    /// (as [`sign`](Self::sign)).
    pub(crate) fn sign_with_header(
        &self,
        claims: &Value,
        kid: &str,
        extra: &Map<String, Value>,
    ) -> String {
        match self.try_sign_with_header(claims, kid, extra) {
            Ok(token) => token,
            Err(e) => panic!("signing a test token failed: {e}"),
        }
    }

    /// Like [`try_sign`](Self::try_sign); signing with a key we generated ourselves
    /// does not fail in practice.
    pub(crate) fn sign(&self, claims: &Value, kid: &str) -> String {
        match self.try_sign(claims, kid) {
            Ok(token) => token,
            Err(e) => panic!("signing a test token failed: {e}"),
        }
    }

    /// The public key as a JWK.
    pub(crate) fn jwk(&self) -> Value {
        serde_json::json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(&self.n),
            "e": URL_SAFE_NO_PAD.encode(&self.e),
        })
    }
}

/// Reads one DER TLV: returns (tag, contents, rest).
fn der_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let mut len = 0usize;
        for &b in &rest[..count] {
            len = (len << 8) | usize::from(b);
        }
        rest = &rest[count..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// Extracts the PKCS#1 `RSAPrivateKey` from a PKCS#8 `PrivateKeyInfo`.
fn pkcs1_from_pkcs8(pkcs8: &[u8]) -> Option<&[u8]> {
    let (tag, seq, _) = der_tlv(pkcs8)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, _version, rest) = der_tlv(seq)?;
    if tag != 0x02 {
        return None;
    }
    let (tag, _alg, rest) = der_tlv(rest)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, key, _) = der_tlv(rest)?;
    (tag == 0x04).then_some(key)
}

/// Reads modulus and exponent (big-endian, no leading zero) from a PKCS#1 `RSAPublicKey`.
fn rsa_public_components(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (tag, seq, _) = der_tlv(der)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, n, rest) = der_tlv(seq)?;
    if tag != 0x02 {
        return None;
    }
    let (tag, e, _) = der_tlv(rest)?;
    if tag != 0x02 {
        return None;
    }
    let strip = |b: &[u8]| {
        let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
        b[start..].to_vec()
    };
    Some((strip(n), strip(e)))
}

/// A standalone RSA key pair that is published nowhere: sign tokens with it to
/// check that your application rejects forged tokens.
///
/// ```
/// use kinde_core::testing::TestSigner;
///
/// let forger = TestSigner::generate();
/// let token = forger.sign(&serde_json::json!({"sub": "kp_evil", "exp": 4102444800u64}));
/// assert_eq!(token.split('.').count(), 3);
/// ```
#[derive(Debug)]
pub struct TestSigner {
    key: KeyMaterial,
}

impl TestSigner {
    /// Generates a new 2048-bit RSA key with a random `kid`.
    ///
    /// # Panics
    /// If the crypto library cannot generate a key.
    pub fn generate() -> Self {
        match KeyMaterial::generate() {
            Ok(key) => Self { key },
            Err(e) => panic!("TestSigner::generate: {e}"),
        }
    }

    /// The `kid` this signer puts in its headers.
    pub fn kid(&self) -> &str {
        self.key.kid()
    }

    /// Signs `claims` as an RS256 JWT (`{alg: RS256, typ: JWT, kid}`).
    pub fn sign(&self, claims: &Value) -> String {
        self.key.sign(claims, self.key.kid())
    }

    /// Signs `claims` with this key but an arbitrary `kid` in the header (for example
    /// the test server's own `kid`, to impersonate its key).
    pub fn sign_with_kid(&self, claims: &Value, kid: &str) -> String {
        self.key.sign(claims, kid)
    }

    /// Signs `claims` with this key, `header` merged over `{alg: RS256, typ: JWT, kid}`
    /// (e.g. a `jwk` or `jku` naming this key, which a verifier must never trust).
    pub fn sign_with_header(&self, claims: &Value, header: &Map<String, Value>) -> String {
        self.key.sign_with_header(claims, self.key.kid(), header)
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> Value {
        self.key.jwk()
    }

    /// The public key as PKCS#1 `RSAPublicKey` DER.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.key.public_der().to_vec()
    }
}
