//! Claim sets in the shapes Kinde issues.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::users::{TestOrg, TestUser};

/// Options for [`TestKinde::mint_access_token`](super::TestKinde::mint_access_token) and
/// [`TestKinde::mint_id_token`](super::TestKinde::mint_id_token).
///
/// ```
/// use kinde_core::testing::MintOptions;
///
/// let opts = MintOptions {
///     audience: vec!["my-api".into()],
///     expired: true,
///     ..MintOptions::default()
/// };
/// # let _ = opts;
/// ```
#[derive(Clone, Debug, Default)]
pub struct MintOptions {
    /// Access token `aud` (an array, possibly empty as Kinde sends it without an API
    /// audience). For an ID token a non-empty value replaces the default `[client_id]`.
    pub audience: Vec<String>,
    /// Lifetime; defaults to the server's configured access/ID token TTL.
    pub ttl: Option<Duration>,
    /// Make the token expired: `exp` ten minutes in the past (beyond any sane leeway).
    pub expired: bool,
    /// Adds `nbf` this many seconds from now (positive: not yet valid).
    pub not_before: Option<i64>,
    /// ID token `nonce`.
    pub nonce: Option<String>,
    /// Organisation for `org_code`/`org_name`; defaults to the user's first organisation.
    pub org_code: Option<String>,
    /// `scp` of an access token; defaults to `openid profile email offline`.
    pub scopes: Option<Vec<String>>,
    /// Client id for `azp` (and the ID token `aud`); defaults to the server's default client.
    pub client_id: Option<String>,
    /// Claims merged last, overriding everything else (use `Value::Null` to blank one).
    pub extra_claims: Map<String, Value>,
}

/// Everything besides the user that goes into a token.
pub(crate) struct TokenContext<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub audience: &'a [String],
    pub scopes: &'a [String],
    pub org: Option<&'a TestOrg>,
    pub iat: i64,
    pub exp: i64,
}

pub(crate) fn default_scopes() -> Vec<String> {
    ["openid", "profile", "email", "offline"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub(crate) fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// A random UUID-v4-looking id (for `jti`).
pub(crate) fn uuid() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn wrap_v(props: &std::collections::BTreeMap<String, Value>) -> Value {
    Value::Object(
        props
            .iter()
            .map(|(k, v)| (k.clone(), json!({ "v": v })))
            .collect(),
    )
}

/// Access token claims: `aud azp exp iat iss jti sub scp org_code org_name permissions
/// roles feature_flags email` (+ properties when the user has any) + the user's extras.
pub(crate) fn access_claims(user: &TestUser, ctx: &TokenContext<'_>) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("aud".into(), json!(ctx.audience));
    c.insert("azp".into(), json!(ctx.client_id));
    c.insert("exp".into(), json!(ctx.exp));
    c.insert("iat".into(), json!(ctx.iat));
    c.insert("iss".into(), json!(ctx.issuer));
    c.insert("jti".into(), json!(uuid()));
    c.insert("sub".into(), json!(user.id));
    c.insert("scp".into(), json!(ctx.scopes));
    if let Some(org) = ctx.org {
        c.insert("org_code".into(), json!(org.code));
        c.insert("org_name".into(), json!(org.name));
        if !org.properties.is_empty() {
            c.insert("organization_properties".into(), wrap_v(&org.properties));
        }
    }
    c.insert("permissions".into(), json!(user.permissions));
    c.insert(
        "roles".into(),
        Value::Array(
            user.roles
                .iter()
                .map(|r| json!({"id": r.id, "key": r.key, "name": r.name}))
                .collect(),
        ),
    );
    c.insert(
        "feature_flags".into(),
        Value::Object(user.feature_flags.clone()),
    );
    c.insert("email".into(), json!(user.email));
    if !user.properties.is_empty() {
        c.insert("user_properties".into(), wrap_v(&user.properties));
    }
    for (k, v) in &user.extra_access_claims {
        c.insert(k.clone(), v.clone());
    }
    c
}

/// `at_hash`: base64url of the left half of SHA-256 of the access token.
pub(crate) fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// ID token claims. `aud` is `[client_id]` unless `ctx.audience` is non-empty.
pub(crate) fn id_claims(
    user: &TestUser,
    ctx: &TokenContext<'_>,
    auth_time: i64,
    nonce: Option<&str>,
    access_token: Option<&str>,
    updated_at: i64,
) -> Map<String, Value> {
    let mut c = Map::new();
    if ctx.audience.is_empty() {
        c.insert("aud".into(), json!([ctx.client_id]));
    } else {
        c.insert("aud".into(), json!(ctx.audience));
    }
    c.insert("azp".into(), json!(ctx.client_id));
    c.insert("iss".into(), json!(ctx.issuer));
    c.insert("sub".into(), json!(user.id));
    c.insert("exp".into(), json!(ctx.exp));
    c.insert("iat".into(), json!(ctx.iat));
    c.insert("auth_time".into(), json!(auth_time));
    c.insert("rat".into(), json!(auth_time));
    c.insert("jti".into(), json!(uuid()));
    if let Some(at) = access_token {
        c.insert("at_hash".into(), json!(at_hash(at)));
    }
    if let Some(n) = nonce {
        c.insert("nonce".into(), json!(n));
    }
    c.insert("email".into(), json!(user.email));
    c.insert("email_verified".into(), json!(user.email_verified));
    c.insert("name".into(), json!(user.full_name()));
    c.insert("given_name".into(), json!(user.given_name));
    c.insert("family_name".into(), json!(user.family_name));
    if let Some(p) = &user.picture {
        c.insert("picture".into(), json!(p));
    }
    c.insert("updated_at".into(), json!(updated_at));
    c.insert(
        "org_codes".into(),
        json!(
            user.organizations
                .iter()
                .map(|o| o.code.as_str())
                .collect::<Vec<_>>()
        ),
    );
    c.insert(
        "organizations".into(),
        Value::Array(
            user.organizations
                .iter()
                .map(|o| json!({"id": o.code, "name": o.name}))
                .collect(),
        ),
    );
    for (k, v) in &user.extra_id_claims {
        c.insert(k.clone(), v.clone());
    }
    c
}

/// Machine-to-machine access token claims:
/// `aud azp exp gty iat iss jti scope scp v`.
pub(crate) fn m2m_claims(
    issuer: &str,
    client_id: &str,
    audience: &[String],
    scopes: &[String],
    iat: i64,
    exp: i64,
) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("aud".into(), json!(audience));
    c.insert("azp".into(), json!(client_id));
    c.insert("exp".into(), json!(exp));
    c.insert("gty".into(), json!(["client_credentials"]));
    c.insert("iat".into(), json!(iat));
    c.insert("iss".into(), json!(issuer));
    c.insert("jti".into(), json!(uuid()));
    c.insert("scope".into(), json!(scopes.join(" ")));
    c.insert("scp".into(), json!(scopes));
    c.insert("v".into(), json!("2"));
    c
}
