//! Users, organisations, roles, entitlements and OAuth clients known to a [`TestKinde`](super::TestKinde).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An OAuth client registered with the test server.
///
/// A confidential client authenticates at the token endpoint with its secret
/// (`client_secret_post` or `client_secret_basic`); a public client sends no
/// secret and must use PKCE (which the test server requires of every client).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestClient {
    /// The `client_id`.
    pub id: String,
    /// The client secret; `None` for a public client.
    pub secret: Option<String>,
}

impl TestClient {
    /// A confidential client (back-end web app or M2M application).
    pub fn confidential(id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            secret: Some(secret.into()),
        }
    }

    /// A public client (SPA, mobile or CLI app): no secret, PKCE only.
    pub fn public(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            secret: None,
        }
    }

    /// Whether the client has a secret.
    pub fn is_confidential(&self) -> bool {
        self.secret.is_some()
    }
}

/// An organisation a [`TestUser`] belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestOrg {
    /// Organisation code, e.g. `org_demo` (Kinde's `org_code`).
    pub code: String,
    /// Display name (Kinde's `org_name`).
    pub name: String,
    /// Organisation properties, sent as `organization_properties` (`{"key": {"v": value}}`)
    /// in access tokens issued for this organisation.
    pub properties: BTreeMap<String, Value>,
}

impl TestOrg {
    /// An organisation with no properties.
    pub fn new(code: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            name: name.into(),
            properties: BTreeMap::new(),
        }
    }

    /// Adds an organisation property.
    pub fn property(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }
}

/// A role assigned to a [`TestUser`]: `{"id", "key", "name"}` in tokens and the Account API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestRole {
    /// Role id (Kinde uses UUID-like ids; [`TestUser::role`] derives `role_<key>`).
    pub id: String,
    /// Role key, e.g. `admin`.
    pub key: String,
    /// Display name, e.g. `Admin`.
    pub name: String,
}

impl TestRole {
    /// A role whose id is derived from its key (`role_<key>`).
    pub fn new(key: impl Into<String>, name: impl Into<String>) -> Self {
        let key = key.into();
        Self {
            id: format!("role_{key}"),
            key,
            name: name.into(),
        }
    }
}

/// A billing entitlement, as returned by the Account API `entitlements` endpoints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestEntitlement {
    /// Entitlement id (derived as `entitlement_<feature_key>` by [`TestEntitlement::new`]).
    pub id: String,
    /// Feature key, e.g. `max_todos`.
    pub feature_key: String,
    /// Feature display name.
    pub feature_name: String,
    /// Upper usage limit, if any.
    pub entitlement_limit_max: Option<i64>,
    /// Lower usage limit, if any.
    pub entitlement_limit_min: Option<i64>,
    /// Fixed charge in minor currency units, if any.
    pub fixed_charge: Option<i64>,
    /// Name of the price this entitlement comes from.
    pub price_name: String,
    /// Unit amount in minor currency units, if any.
    pub unit_amount: Option<i64>,
}

impl TestEntitlement {
    /// An entitlement with no limits or charges.
    pub fn new(feature_key: impl Into<String>, feature_name: impl Into<String>) -> Self {
        let feature_key = feature_key.into();
        Self {
            id: format!("entitlement_{feature_key}"),
            feature_name: feature_name.into(),
            price_name: String::new(),
            feature_key,
            entitlement_limit_max: None,
            entitlement_limit_min: None,
            fixed_charge: None,
            unit_amount: None,
        }
    }

    /// Sets the minimum and maximum limits.
    pub fn limits(mut self, min: Option<i64>, max: Option<i64>) -> Self {
        self.entitlement_limit_min = min;
        self.entitlement_limit_max = max;
        self
    }

    /// Sets the price name, unit amount and fixed charge.
    pub fn price(
        mut self,
        price_name: impl Into<String>,
        unit_amount: Option<i64>,
        fixed_charge: Option<i64>,
    ) -> Self {
        self.price_name = price_name.into();
        self.unit_amount = unit_amount;
        self.fixed_charge = fixed_charge;
        self
    }

    pub(crate) fn to_json(&self) -> Value {
        serde_json::json!({
            "id": self.id,
            "fixed_charge": self.fixed_charge,
            "price_name": self.price_name,
            "unit_amount": self.unit_amount,
            "feature_key": self.feature_key,
            "feature_name": self.feature_name,
            "entitlement_limit_max": self.entitlement_limit_max,
            "entitlement_limit_min": self.entitlement_limit_min,
        })
    }
}

/// A billing plan the user is subscribed to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestPlan {
    /// Plan key, e.g. `pro`.
    pub key: String,
    /// Subscription date (RFC 3339 text, as Kinde sends it).
    pub subscribed_on: String,
}

/// A user who can sign in at the test server.
///
/// Every field is public; the chainable methods are shorthands:
///
/// ```
/// use kinde_core::testing::TestUser;
///
/// let user = TestUser::new("kp_jane", "jane@example.com")
///     .name("Jane", "Smith")
///     .org("org_acme", "Acme")
///     .permission("read:reports")
///     .role("manager", "Manager")
///     .bool_flag("beta", true)
///     .int_flag("seats", 5);
/// assert_eq!(user.full_name(), "Jane Smith");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestUser {
    /// User id (`sub`), e.g. `kp_0123456789abcdef`.
    pub id: String,
    /// Email address (`email` claim).
    pub email: String,
    /// Whether the email is verified (`email_verified`; default `true`).
    pub email_verified: bool,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Avatar URL.
    pub picture: Option<String>,
    /// Organisations; the first is used when a login does not ask for one.
    pub organizations: Vec<TestOrg>,
    /// Permission keys (`permissions` claim).
    pub permissions: Vec<String>,
    /// Roles (`roles` claim).
    pub roles: Vec<TestRole>,
    /// Feature flags in Kinde's token shape: `{"key": {"t": "b", "v": true}}`.
    pub feature_flags: Map<String, Value>,
    /// User properties (`user_properties` claim as `{"key": {"v": value}}`, and the
    /// Account API `properties` endpoint).
    pub properties: BTreeMap<String, Value>,
    /// Billing entitlements (Account API).
    pub entitlements: Vec<TestEntitlement>,
    /// Billing plans (Account API).
    pub plans: Vec<TestPlan>,
    /// Extra claims merged into every access token (they override standard ones).
    pub extra_access_claims: Map<String, Value>,
    /// Extra claims merged into every ID token (they override standard ones).
    pub extra_id_claims: Map<String, Value>,
}

impl TestUser {
    /// A user with only an id and an email; the given name is taken from the email.
    pub fn new(id: impl Into<String>, email: impl Into<String>) -> Self {
        let email = email.into();
        let local = email.split('@').next().unwrap_or_default();
        let mut chars = local.chars();
        let given_name = match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => String::new(),
        };
        Self {
            id: id.into(),
            email,
            email_verified: true,
            given_name,
            family_name: String::new(),
            picture: None,
            organizations: Vec::new(),
            permissions: Vec::new(),
            roles: Vec::new(),
            feature_flags: Map::new(),
            properties: BTreeMap::new(),
            entitlements: Vec::new(),
            plans: Vec::new(),
            extra_access_claims: Map::new(),
            extra_id_claims: Map::new(),
        }
    }

    /// Sets given and family name.
    pub fn name(mut self, given: impl Into<String>, family: impl Into<String>) -> Self {
        self.given_name = given.into();
        self.family_name = family.into();
        self
    }

    /// Sets the avatar URL.
    pub fn picture(mut self, url: impl Into<String>) -> Self {
        self.picture = Some(url.into());
        self
    }

    /// Sets `email_verified`.
    pub fn email_verified(mut self, verified: bool) -> Self {
        self.email_verified = verified;
        self
    }

    /// Adds an organisation membership.
    pub fn org(self, code: impl Into<String>, name: impl Into<String>) -> Self {
        self.org_with(TestOrg::new(code, name))
    }

    /// Adds an organisation membership with properties.
    pub fn org_with(mut self, org: TestOrg) -> Self {
        self.organizations.push(org);
        self
    }

    /// Adds a permission key.
    pub fn permission(mut self, permission: impl Into<String>) -> Self {
        self.permissions.push(permission.into());
        self
    }

    /// Adds a role with id `role_<key>`.
    pub fn role(self, key: impl Into<String>, name: impl Into<String>) -> Self {
        self.role_with(TestRole::new(key, name))
    }

    /// Adds a role with an explicit id.
    pub fn role_with(mut self, role: TestRole) -> Self {
        self.roles.push(role);
        self
    }

    /// Adds a boolean feature flag (`{"t": "b", "v": value}`).
    pub fn bool_flag(self, key: impl Into<String>, value: bool) -> Self {
        self.json_flag(key, "b", value)
    }

    /// Adds a string feature flag (`{"t": "s", "v": value}`).
    pub fn string_flag(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.json_flag(key, "s", value.into())
    }

    /// Adds an integer feature flag (`{"t": "i", "v": value}`).
    pub fn int_flag(self, key: impl Into<String>, value: i64) -> Self {
        self.json_flag(key, "i", value)
    }

    /// Adds a feature flag with any type code and value (`{"t": code, "v": value}`),
    /// e.g. JSON flags, whose code Kinde does not document, or deliberately malformed ones.
    pub fn json_flag(
        mut self,
        key: impl Into<String>,
        code: impl Into<String>,
        value: impl Into<Value>,
    ) -> Self {
        let mut flag = Map::new();
        flag.insert("t".into(), Value::String(code.into()));
        flag.insert("v".into(), value.into());
        self.feature_flags.insert(key.into(), Value::Object(flag));
        self
    }

    /// Adds a user property.
    pub fn property(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }

    /// Adds a billing entitlement.
    pub fn entitlement(mut self, entitlement: TestEntitlement) -> Self {
        self.entitlements.push(entitlement);
        self
    }

    /// Adds a billing plan subscription.
    pub fn plan(mut self, key: impl Into<String>, subscribed_on: impl Into<String>) -> Self {
        self.plans.push(TestPlan {
            key: key.into(),
            subscribed_on: subscribed_on.into(),
        });
        self
    }

    /// Adds a claim to every access token issued for this user.
    pub fn access_claim(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra_access_claims.insert(key.into(), value.into());
        self
    }

    /// Adds a claim to every ID token issued for this user.
    pub fn id_claim(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra_id_claims.insert(key.into(), value.into());
        self
    }

    /// `"given family"`, trimmed (the ID token's `name`).
    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
            .trim()
            .to_string()
    }

    /// The organisation with this code, if the user belongs to it.
    pub fn organization(&self, code: &str) -> Option<&TestOrg> {
        self.organizations.iter().find(|o| o.code == code)
    }

    /// The three demo users a default server knows:
    ///
    /// * `kp_demo_admin` — Ada Lovelace, `ada.lovelace@example.com`: permissions
    ///   `read:todos` and `write:todos`, role `admin`, org `org_demo` ("Demo Org"),
    ///   flags `dark_mode` (bool), `theme` (string), `todo_limit` (integer),
    ///   `onboarding` (JSON, code `j`), an entitlement `max_todos`, plan `pro`, and a
    ///   property `kp_usr_city`.
    /// * `kp_demo_reader` — Grace Hopper, `grace.hopper@example.com`: `read:todos`,
    ///   role `member`, org `org_demo`.
    /// * `kp_demo_basic` — Alan Turing, `alan.turing@example.com`: no permissions or
    ///   roles, org `org_demo`.
    pub fn demo_users() -> Vec<TestUser> {
        let demo_org = TestOrg::new("org_demo", "Demo Org").property("kp_org_city", "Sydney");
        vec![
            TestUser::new("kp_demo_admin", "ada.lovelace@example.com")
                .name("Ada", "Lovelace")
                .org_with(demo_org.clone())
                .org("org_demo_labs", "Demo Labs")
                .permission("read:todos")
                .permission("write:todos")
                .role("admin", "Admin")
                .bool_flag("dark_mode", true)
                .string_flag("theme", "ocean")
                .int_flag("todo_limit", 100)
                .json_flag(
                    "onboarding",
                    "j",
                    serde_json::json!({"steps": ["welcome", "import"], "skippable": true}),
                )
                .property("kp_usr_city", "London")
                .plan("pro", "2024-01-15T09:30:00Z")
                .entitlement(
                    TestEntitlement::new("max_todos", "Maximum todos")
                        .limits(Some(0), Some(1000))
                        .price("Pro monthly", Some(1500), Some(0)),
                ),
            TestUser::new("kp_demo_reader", "grace.hopper@example.com")
                .name("Grace", "Hopper")
                .org_with(demo_org.clone())
                .permission("read:todos")
                .role("member", "Member")
                .bool_flag("dark_mode", false)
                .int_flag("todo_limit", 10),
            TestUser::new("kp_demo_basic", "alan.turing@example.com")
                .name("Alan", "Turing")
                .org_with(demo_org),
        ]
    }
}
