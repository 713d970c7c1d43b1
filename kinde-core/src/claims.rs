//! Typed views of verified Kinde tokens: the user, permissions, roles, the current
//! organisation and feature flags, with raw access to any other claim.
//!
//! Everything here is pure: values come from tokens that were already verified by
//! [`Kinde`](crate::Kinde). Kinde's Hasura integration sends the same data under
//! `x-hasura-*` names; those are read as fall-backs.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The claims of one verified token.
///
/// Cheap to clone (an `Arc` inside).
///
/// ```
/// use kinde_core::Claims;
/// let claims = Claims::from_value(serde_json::json!({
///     "sub": "kp_123", "permissions": ["read:todos"], "org_code": "org_1"
/// })).unwrap();
/// assert_eq!(claims.subject(), Some("kp_123"));
/// assert!(claims.permissions().is_granted("read:todos"));
/// assert_eq!(claims.get_as::<String>("org_code").unwrap().as_deref(), Some("org_1"));
/// ```
#[derive(Clone)]
pub struct Claims {
    inner: Arc<ClaimsInner>,
}

struct ClaimsInner {
    map: Map<String, Value>,
    /// The user these claims describe on their own (a bearer request's), built on first
    /// use: verified claims are cached and shared by every request of their token.
    user: OnceLock<Option<Arc<KindeUser>>>,
}

impl PartialEq for Claims {
    fn eq(&self, other: &Self) -> bool {
        self.inner.map == other.inner.map
    }
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Claims carry no credentials, but keep Debug short and stable.
        f.debug_struct("Claims")
            .field("sub", &self.subject())
            .field("iss", &self.get("iss"))
            .field("names", &self.inner.map.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Claims {
    /// Wrap a JSON object. Returns `None` when `value` is not an object.
    pub fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Object(map) => Some(Self::from_map(map)),
            _ => None,
        }
    }

    pub(crate) fn from_map(map: Map<String, Value>) -> Self {
        Claims {
            inner: Arc::new(ClaimsInner {
                map,
                user: OnceLock::new(),
            }),
        }
    }

    /// One claim, as raw JSON.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.inner.map.get(name)
    }

    /// One claim, deserialized. `Ok(None)` when absent, `Err` when it has another shape.
    pub fn get_as<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, serde_json::Error> {
        match self.inner.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => T::deserialize(v).map(Some),
        }
    }

    /// All claims.
    pub fn all(&self) -> &Map<String, Value> {
        &self.inner.map
    }

    /// `KindeUser::from_claims(self, None)`, built once per verified token.
    pub(crate) fn user_alone(&self) -> Option<Arc<KindeUser>> {
        self.inner
            .user
            .get_or_init(|| KindeUser::from_claims(self, None).map(Arc::new))
            .clone()
    }

    fn str_claim(&self, name: &str) -> Option<&str> {
        self.inner.map.get(name).and_then(Value::as_str)
    }

    /// `sub`: the Kinde user id (`kp_…`), or the client for machine tokens.
    pub fn subject(&self) -> Option<&str> {
        self.str_claim("sub")
    }

    /// `iss`.
    pub fn issuer(&self) -> Option<&str> {
        self.str_claim("iss")
    }

    /// `exp` as Unix seconds.
    pub fn expires_at(&self) -> Option<u64> {
        self.inner.map.get("exp").and_then(Value::as_u64)
    }

    /// `aud`, as a list whether the token sent a string or an array.
    pub fn audience(&self) -> Vec<&str> {
        match self.inner.map.get("aud") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// Scopes granted (`scp` array, or space-separated `scope`).
    pub fn scopes(&self) -> Vec<&str> {
        match (self.inner.map.get("scp"), self.inner.map.get("scope")) {
            (Some(Value::Array(a)), _) => a.iter().filter_map(Value::as_str).collect(),
            (_, Some(Value::String(s))) => s.split_whitespace().collect(),
            _ => Vec::new(),
        }
    }

    /// Permissions (`permissions`, else `x-hasura-permissions`), with the org they apply to.
    pub fn permissions(&self) -> Permissions {
        let keys = self
            .inner
            .map
            .get("permissions")
            .or_else(|| self.inner.map.get("x-hasura-permissions"))
            .map(string_list)
            .unwrap_or_default();
        Permissions {
            org_code: self.organization().map(|o| o.code),
            keys,
        }
    }

    /// Roles (`roles`, else `x-hasura-roles`). Kinde sends `{id, key, name}` objects;
    /// plain strings are accepted as keys.
    pub fn roles(&self) -> Roles {
        let roles = match self
            .inner
            .map
            .get("roles")
            .or_else(|| self.inner.map.get("x-hasura-roles"))
        {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|item| match item {
                    Value::String(key) => Some(Role {
                        id: None,
                        key: key.clone(),
                        name: None,
                    }),
                    Value::Object(_) => Role::deserialize(item).ok(),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        Roles { roles }
    }

    /// The organisation the user signed in to (`org_code`/`org_name`, else the
    /// `x-hasura-org-code`/`x-hasura-org-name` fall-backs).
    pub fn organization(&self) -> Option<Organization> {
        let code = self
            .str_claim("org_code")
            .or_else(|| self.str_claim("x-hasura-org-code"))?;
        let name = self
            .str_claim("org_name")
            .or_else(|| self.str_claim("x-hasura-org-name"));
        Some(Organization {
            code: code.to_string(),
            name: name.map(str::to_string),
        })
    }

    /// Organisations the user belongs to (ID token: `organizations`, `org_codes`,
    /// or their `x-hasura-*` fall-backs).
    pub fn organizations(&self) -> Vec<Organization> {
        let objects = self
            .inner
            .map
            .get("organizations")
            .or_else(|| self.inner.map.get("x-hasura-organizations"));
        if let Some(Value::Array(items)) = objects {
            let orgs: Vec<Organization> = items
                .iter()
                .filter_map(|o| {
                    let code = o.get("id").or_else(|| o.get("code"))?.as_str()?;
                    let name = o.get("name").and_then(Value::as_str);
                    Some(Organization {
                        code: code.to_string(),
                        name: name.map(str::to_string),
                    })
                })
                .collect();
            if !orgs.is_empty() {
                return orgs;
            }
        }
        self.inner
            .map
            .get("org_codes")
            .or_else(|| self.inner.map.get("x-hasura-org-codes"))
            .map(string_list)
            .unwrap_or_default()
            .into_iter()
            .map(|code| Organization { code, name: None })
            .collect()
    }

    /// Feature flags (`feature_flags`, else `x-hasura-feature-flags`).
    pub fn feature_flags(&self) -> FeatureFlags {
        let mut flags = BTreeMap::new();
        let raw = self
            .inner
            .map
            .get("feature_flags")
            .or_else(|| self.inner.map.get("x-hasura-feature-flags"));
        if let Some(Value::Object(map)) = raw {
            for (name, flag) in map {
                flags.insert(name.clone(), FeatureFlag::from_claim(flag));
            }
        }
        FeatureFlags { flags }
    }
}

fn string_list(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect(),
        Value::String(s) => s.split_whitespace().map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

/// The signed-in user, from the verified ID token (names, picture, organisations) and
/// access token (id, current organisation). A bearer-only request has no ID token, so
/// only the fields present in the access token are filled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindeUser {
    /// Kinde user id (`sub`), e.g. `kp_0123…`.
    pub id: String,
    /// Email address, when Kinde shared it.
    pub email: Option<String>,
    /// Whether Kinde verified the email address.
    pub email_verified: Option<bool>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Full display name.
    pub name: Option<String>,
    /// Profile picture URL.
    pub picture: Option<String>,
    /// The organisation of this session (`org_code` of the access token).
    pub org_code: Option<String>,
    /// Every organisation the user belongs to (from the ID token).
    pub organizations: Vec<Organization>,
}

impl KindeUser {
    /// Build the user from a verified access token and, when available, ID token.
    /// Returns `None` when the access token has no `sub`.
    pub fn from_claims(access: &Claims, id: Option<&Claims>) -> Option<Self> {
        let sub = access.subject()?.to_string();
        // Profile fields come from the ID token when it belongs to the same user.
        let id = id.filter(|c| c.subject() == Some(sub.as_str()));
        let pick = |name: &str| -> Option<String> {
            id.and_then(|c| c.str_claim(name))
                .or_else(|| access.str_claim(name))
                .map(str::to_string)
        };
        Some(KindeUser {
            email: pick("email"),
            email_verified: id
                .and_then(|c| c.get("email_verified"))
                .and_then(Value::as_bool),
            given_name: pick("given_name"),
            family_name: pick("family_name"),
            name: pick("name"),
            picture: pick("picture"),
            org_code: access.organization().map(|o| o.code),
            organizations: id.map(Claims::organizations).unwrap_or_default(),
            id: sub,
        })
    }

    /// A display name: the full name, else given + family, else the email, else the id.
    pub fn display_name(&self) -> String {
        if let Some(n) = self.name.as_deref().filter(|n| !n.trim().is_empty()) {
            return n.to_string();
        }
        let parts: Vec<&str> = [self.given_name.as_deref(), self.family_name.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect();
        if !parts.is_empty() {
            return parts.join(" ");
        }
        self.email.clone().unwrap_or_else(|| self.id.clone())
    }
}

/// An organisation: its code (`org_…`) and, when known, its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// The org code, e.g. `org_0123456789`.
    pub code: String,
    /// The org's display name, when the token carries it.
    pub name: Option<String>,
}

/// The permissions granted to the user in the current organisation.
///
/// ```
/// use kinde_core::Claims;
/// let c = Claims::from_value(serde_json::json!({"permissions": ["read:todos"], "org_code": "org_1"})).unwrap();
/// let p = c.permissions();
/// assert!(p.is_granted("read:todos"));
/// assert!(!p.is_granted("write:todos"));
/// assert_eq!(p.org_code(), Some("org_1"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    org_code: Option<String>,
    keys: Vec<String>,
}

impl Permissions {
    /// Whether `key` is granted.
    pub fn is_granted(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k == key)
    }

    /// Whether every one of `keys` is granted.
    pub fn all_granted<'a>(&self, keys: impl IntoIterator<Item = &'a str>) -> bool {
        keys.into_iter().all(|k| self.is_granted(k))
    }

    /// The organisation these permissions apply to.
    pub fn org_code(&self) -> Option<&str> {
        self.org_code.as_deref()
    }

    /// All granted permission keys.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }
}

/// One role of the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// Kinde's role id.
    #[serde(default)]
    pub id: Option<String>,
    /// The role key, e.g. `admin`.
    pub key: String,
    /// The role's display name.
    #[serde(default)]
    pub name: Option<String>,
}

/// The user's roles in the current organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roles {
    roles: Vec<Role>,
}

impl Roles {
    /// Whether the user has the role with this key.
    pub fn has(&self, key: &str) -> bool {
        self.roles.iter().any(|r| r.key == key)
    }

    /// All roles.
    pub fn all(&self) -> &[Role] {
        &self.roles
    }

    /// The role keys.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.roles.iter().map(|r| r.key.as_str())
    }
}

/// The type of a feature flag, from Kinde's `t` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlagKind {
    /// `t: "b"`.
    Boolean,
    /// `t: "s"`.
    String,
    /// `t: "i"`.
    Integer,
    /// Any other or missing code; the value is kept as raw JSON.
    Json,
}

impl fmt::Display for FlagKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FlagKind::Boolean => "boolean",
            FlagKind::String => "string",
            FlagKind::Integer => "integer",
            FlagKind::Json => "json",
        })
    }
}

/// One feature flag: its type and value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureFlag {
    /// The flag's declared type.
    pub kind: FlagKind,
    /// The flag's value as sent.
    pub value: Value,
}

impl FeatureFlag {
    fn from_claim(raw: &Value) -> Self {
        match raw {
            Value::Object(o) if o.contains_key("v") => {
                let value = o.get("v").cloned().unwrap_or(Value::Null);
                let kind = match o.get("t").and_then(Value::as_str) {
                    Some("b") if value.is_boolean() => FlagKind::Boolean,
                    Some("s") if value.is_string() => FlagKind::String,
                    Some("i") if value.is_i64() => FlagKind::Integer,
                    _ => FlagKind::Json,
                };
                FeatureFlag { kind, value }
            }
            // Not Kinde's `{t, v}` shape (e.g. a Hasura flattening): infer the type.
            other => {
                let kind = match other {
                    Value::Bool(_) => FlagKind::Boolean,
                    Value::String(_) => FlagKind::String,
                    Value::Number(n) if n.is_i64() => FlagKind::Integer,
                    _ => FlagKind::Json,
                };
                FeatureFlag {
                    kind,
                    value: other.clone(),
                }
            }
        }
    }
}

/// Why a typed feature-flag read failed. Absence and a type mismatch are distinct.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlagError {
    /// No flag by that name in the token.
    #[error("feature flag `{0}` is not set")]
    Absent(String),
    /// The flag exists but has another type.
    #[error("feature flag `{name}` is a {found}, not a {expected}")]
    TypeMismatch {
        /// The flag name.
        name: String,
        /// The type asked for.
        expected: FlagKind,
        /// The flag's actual type.
        found: FlagKind,
    },
}

/// The feature flags of the current user and organisation.
///
/// `false`, `0` and `""` are values, not absence; `*_or` returns the default only when
/// the flag is absent, never to paper over a type mismatch.
///
/// ```
/// use kinde_core::{Claims, FlagError};
/// let c = Claims::from_value(serde_json::json!({"feature_flags": {
///     "dark_mode": {"t": "b", "v": false},
///     "theme": {"t": "s", "v": "pink"},
///     "limit": {"t": "i", "v": 5}
/// }})).unwrap();
/// let flags = c.feature_flags();
/// assert_eq!(flags.bool("dark_mode"), Ok(false));
/// assert_eq!(flags.string("theme").as_deref(), Ok("pink"));
/// assert_eq!(flags.integer_or("missing", 10), Ok(10));
/// assert!(matches!(flags.bool("theme"), Err(FlagError::TypeMismatch { .. })));
/// assert!(matches!(flags.bool("missing"), Err(FlagError::Absent(_))));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeatureFlags {
    flags: BTreeMap<String, FeatureFlag>,
}

impl FeatureFlags {
    /// The raw flag, if present.
    pub fn get(&self, name: &str) -> Option<&FeatureFlag> {
        self.flags.get(name)
    }

    /// All flags by name.
    pub fn all(&self) -> &BTreeMap<String, FeatureFlag> {
        &self.flags
    }

    /// The flags as a `{name: value}` JSON object (typed values, no type codes).
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.flags
                .iter()
                .map(|(k, f)| (k.clone(), f.value.clone()))
                .collect(),
        )
    }

    fn typed(&self, name: &str, expected: FlagKind) -> Result<&Value, FlagError> {
        let flag = self
            .flags
            .get(name)
            .ok_or_else(|| FlagError::Absent(name.to_string()))?;
        if flag.kind != expected && expected != FlagKind::Json {
            return Err(FlagError::TypeMismatch {
                name: name.to_string(),
                expected,
                found: flag.kind,
            });
        }
        Ok(&flag.value)
    }

    /// A boolean flag.
    pub fn bool(&self, name: &str) -> Result<bool, FlagError> {
        self.typed(name, FlagKind::Boolean)
            .map(|v| v.as_bool().unwrap_or_default())
    }

    /// A string flag.
    pub fn string(&self, name: &str) -> Result<String, FlagError> {
        self.typed(name, FlagKind::String)
            .map(|v| v.as_str().unwrap_or_default().to_string())
    }

    /// An integer flag.
    pub fn integer(&self, name: &str) -> Result<i64, FlagError> {
        self.typed(name, FlagKind::Integer)
            .map(|v| v.as_i64().unwrap_or_default())
    }

    /// Any flag's raw JSON value.
    pub fn json(&self, name: &str) -> Result<Value, FlagError> {
        self.typed(name, FlagKind::Json).cloned()
    }

    /// A boolean flag, or `default` when absent.
    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool, FlagError> {
        or_default(self.bool(name), default)
    }

    /// A string flag, or `default` when absent.
    pub fn string_or(&self, name: &str, default: &str) -> Result<String, FlagError> {
        or_default(self.string(name), default.to_string())
    }

    /// An integer flag, or `default` when absent.
    pub fn integer_or(&self, name: &str, default: i64) -> Result<i64, FlagError> {
        or_default(self.integer(name), default)
    }

    /// Any flag's raw JSON value, or `default` when absent.
    pub fn json_or(&self, name: &str, default: Value) -> Result<Value, FlagError> {
        or_default(self.json(name), default)
    }
}

fn or_default<T>(r: Result<T, FlagError>, default: T) -> Result<T, FlagError> {
    match r {
        Err(FlagError::Absent(_)) => Ok(default),
        other => other,
    }
}

/// A permission key known at compile time, for the adapters' typed guards
/// (`RequirePermission<P>`). Declare one with [`permission!`](crate::permission!); one declaration works
/// with every adapter.
pub trait PermissionKey: Send + Sync + 'static {
    /// The permission's key in Kinde, e.g. `read:todos`.
    const KEY: &'static str;
}

/// A role key known at compile time (`RequireRole<R>`). Declare one with [`role!`](crate::role!).
pub trait RoleKey: Send + Sync + 'static {
    /// The role's key in Kinde, e.g. `admin`.
    const KEY: &'static str;
}

/// Declare a permission type, so a typo is a compile error rather than a silent 403.
///
/// ```
/// kinde_core::permission!(pub ReadTodos = "read:todos");
/// use kinde_core::PermissionKey;
/// assert_eq!(ReadTodos::KEY, "read:todos");
/// ```
#[macro_export]
macro_rules! permission {
    ($vis:vis $name:ident = $key:literal) => {
        #[doc = concat!("The `", $key, "` permission.")]
        #[derive(Debug, Clone, Copy)]
        $vis struct $name;
        impl $crate::PermissionKey for $name {
            const KEY: &'static str = $key;
        }
    };
}

/// Declare a role type (see [`permission!`](crate::permission!)).
///
/// ```
/// kinde_core::role!(pub Admin = "admin");
/// use kinde_core::RoleKey;
/// assert_eq!(Admin::KEY, "admin");
/// ```
#[macro_export]
macro_rules! role {
    ($vis:vis $name:ident = $key:literal) => {
        #[doc = concat!("The `", $key, "` role.")]
        #[derive(Debug, Clone, Copy)]
        $vis struct $name;
        impl $crate::RoleKey for $name {
            const KEY: &'static str = $key;
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Claims {
        Claims::from_value(v).unwrap()
    }

    #[test]
    fn kinde_access_token_shapes() {
        let c = claims(json!({
            "sub": "kp_1", "aud": [], "scp": ["openid", "offline"],
            "org_code": "org_1", "org_name": "Org One",
            "permissions": ["a", "b"],
            "roles": [{"id": "r1", "key": "admin", "name": "Admin"}],
            "feature_flags": {
                "on": {"t": "b", "v": true}, "off": {"t": "b", "v": false},
                "empty": {"t": "s", "v": ""}, "zero": {"t": "i", "v": 0},
                "blob": {"t": "j", "v": {"a": 1}}
            }
        }));
        assert!(c.permissions().all_granted(["a", "b"]));
        assert!(c.roles().has("admin"));
        assert_eq!(c.roles().all()[0].name.as_deref(), Some("Admin"));
        assert_eq!(c.organization().unwrap().name.as_deref(), Some("Org One"));
        assert!(c.audience().is_empty());
        assert_eq!(c.scopes(), ["openid", "offline"]);
        let f = c.feature_flags();
        assert_eq!(f.bool("on"), Ok(true));
        assert_eq!(f.bool_or("off", true), Ok(false));
        assert_eq!(f.string_or("empty", "x"), Ok(String::new()));
        assert_eq!(f.integer_or("zero", 9), Ok(0));
        assert_eq!(f.get("blob").unwrap().kind, FlagKind::Json);
        assert_eq!(f.json("blob").unwrap(), json!({"a": 1}));
        assert_eq!(
            f.integer("on"),
            Err(FlagError::TypeMismatch {
                name: "on".into(),
                expected: FlagKind::Integer,
                found: FlagKind::Boolean
            })
        );
        assert!(matches!(
            f.string_or("on", "d"),
            Err(FlagError::TypeMismatch { .. })
        ));
        assert_eq!(f.to_json()["on"], json!(true));
    }

    #[test]
    fn mislabelled_flag_is_json_not_a_lie() {
        let f = claims(json!({"feature_flags": {"x": {"t": "b", "v": "yes"}}})).feature_flags();
        assert!(matches!(f.bool("x"), Err(FlagError::TypeMismatch { .. })));
        assert_eq!(f.json("x").unwrap(), json!("yes"));
    }

    #[test]
    fn hasura_fallbacks() {
        let c = claims(json!({
            "sub": "kp_1",
            "x-hasura-permissions": ["p"], "x-hasura-org-code": "org_h", "x-hasura-org-name": "H",
            "x-hasura-roles": ["admin"], "x-hasura-feature-flags": {"f": {"t": "i", "v": 3}},
            "x-hasura-org-codes": ["org_h", "org_i"]
        }));
        assert!(c.permissions().is_granted("p"));
        assert_eq!(c.permissions().org_code(), Some("org_h"));
        assert!(c.roles().has("admin"));
        assert_eq!(c.feature_flags().integer("f"), Ok(3));
        assert_eq!(c.organizations().len(), 2);
        assert_eq!(c.organization().unwrap().name.as_deref(), Some("H"));
    }

    #[test]
    fn user_from_id_and_access_tokens() {
        let access = claims(json!({"sub": "kp_1", "org_code": "org_1"}));
        let id = claims(json!({
            "sub": "kp_1", "email": "jane@example.com", "email_verified": true,
            "given_name": "Jane", "family_name": "Smith", "name": "Jane Smith",
            "organizations": [{"id": "org_1", "name": "Default"}]
        }));
        let user = KindeUser::from_claims(&access, Some(&id)).unwrap();
        assert_eq!(user.id, "kp_1");
        assert_eq!(user.email.as_deref(), Some("jane@example.com"));
        assert_eq!(user.org_code.as_deref(), Some("org_1"));
        assert_eq!(user.organizations[0].name.as_deref(), Some("Default"));
        assert_eq!(user.display_name(), "Jane Smith");

        // An ID token of someone else is ignored.
        let other = claims(json!({"sub": "kp_2", "email": "x@example.com"}));
        let user = KindeUser::from_claims(&access, Some(&other)).unwrap();
        assert_eq!(user.email, None);
        assert_eq!(user.display_name(), "kp_1");

        assert!(KindeUser::from_claims(&claims(json!({})), None).is_none());
    }

    #[test]
    fn audience_string_or_array() {
        assert_eq!(claims(json!({"aud": "x"})).audience(), ["x"]);
        assert_eq!(claims(json!({"aud": ["x", "y"]})).audience(), ["x", "y"]);
    }
}
