//! Kinde's Account API, called with the signed-in user's access token: profile,
//! entitlements, permissions, roles, feature flags, properties and portal links.
//!
//! List endpoints are paginated at Kinde; every method here asks for pages of
//! `PAGE_SIZE` (100) items (Kinde's default is 10), follows them to the end, and stops with
//! an error if Kinde's cursor does not advance. A field that does not have the shape
//! Kinde documents is an error naming it ([`KindeError::Provider`]), never a silent
//! default.

use std::collections::HashSet;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

use crate::client::Kinde;
use crate::config::is_loopback_host;
use crate::error::{KindeError, Result};
use crate::http::{get_json, get_json_opt};
use crate::tokens::AccessToken;

/// The user profile from `/oauth2/v2/user_profile`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserProfile {
    /// Kinde user id.
    pub id: String,
    /// Same as `id` (OIDC `sub`).
    #[serde(default)]
    pub sub: Option<String>,
    /// The id in your own system, if you set one.
    #[serde(default)]
    pub provided_id: Option<String>,
    /// Full name.
    #[serde(default)]
    pub name: Option<String>,
    /// Given name.
    #[serde(default)]
    pub given_name: Option<String>,
    /// Family name.
    #[serde(default)]
    pub family_name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether the email is verified.
    #[serde(default)]
    pub email_verified: Option<bool>,
    /// Picture URL.
    #[serde(default)]
    pub picture: Option<String>,
    /// Last update (Kinde sends a number or a string).
    #[serde(default)]
    pub updated_at: Option<Value>,
    /// Preferred username.
    #[serde(default)]
    pub preferred_username: Option<String>,
}

/// A billing plan the organisation is subscribed to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Plan key.
    pub key: String,
    /// When the subscription started.
    #[serde(default)]
    pub subscribed_on: Option<String>,
}

/// One entitlement (a feature granted by a plan, with its limits).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entitlement {
    /// Entitlement id.
    pub id: String,
    /// The feature key.
    #[serde(alias = "feature_code")]
    pub feature_key: String,
    /// The feature's name.
    #[serde(default)]
    pub feature_name: Option<String>,
    /// Upper limit, if metered.
    #[serde(default)]
    pub entitlement_limit_max: Option<i64>,
    /// Lower limit, if metered.
    #[serde(default)]
    pub entitlement_limit_min: Option<i64>,
    /// Fixed charge.
    #[serde(default)]
    pub fixed_charge: Option<f64>,
    /// Price name.
    #[serde(default)]
    pub price_name: Option<String>,
    /// Unit amount.
    #[serde(default)]
    pub unit_amount: Option<f64>,
}

/// All entitlements of the current organisation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entitlements {
    /// The organisation.
    pub org_code: Option<String>,
    /// Plans subscribed to (empty when Kinde sends none or `null`; a `plans` of any
    /// other shape makes [`Kinde::entitlements`] fail rather than look empty).
    pub plans: Vec<Plan>,
    /// Entitlements, across every page.
    pub entitlements: Vec<Entitlement>,
}

impl Entitlements {
    /// The entitlement for `feature_key`, if any.
    pub fn get(&self, feature_key: &str) -> Option<&Entitlement> {
        self.entitlements
            .iter()
            .find(|e| e.feature_key == feature_key)
    }
}

/// A permission or role as the Account API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountItem {
    /// Kinde id.
    pub id: String,
    /// Key, e.g. `read:todos` or `admin`.
    pub key: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
}

/// Permissions or roles from the Account API, with the organisation they apply to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountList {
    /// The organisation.
    pub org_code: Option<String>,
    /// Items, across every page.
    pub items: Vec<AccountItem>,
}

impl AccountList {
    /// Whether an item with `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.items.iter().any(|i| i.key == key)
    }
}

/// A feature flag as the Account API lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountFeatureFlag {
    /// Kinde id.
    #[serde(default)]
    pub id: Option<String>,
    /// Flag key.
    pub key: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// `boolean`, `string`, `integer` or `json`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The value.
    #[serde(default)]
    pub value: Value,
}

/// A user or organisation property.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountProperty {
    /// Kinde id.
    #[serde(default)]
    pub id: Option<String>,
    /// Property key.
    pub key: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The value.
    #[serde(default)]
    pub value: Value,
}

/// The pages of Kinde's self-serve portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortalPage {
    /// `profile`.
    Profile,
    /// `organization_details`.
    OrganizationDetails,
    /// `organization_members`.
    OrganizationMembers,
    /// `organization_plan_details`.
    OrganizationPlanDetails,
    /// `organization_payment_details`.
    OrganizationPaymentDetails,
    /// `organization_plan_selection`.
    OrganizationPlanSelection,
    /// `payment_details`.
    PaymentDetails,
    /// `plan_selection`.
    PlanSelection,
    /// `plan_details`.
    PlanDetails,
}

impl PortalPage {
    /// Every page, in Kinde's order.
    pub const ALL: [PortalPage; 9] = [
        PortalPage::Profile,
        PortalPage::OrganizationDetails,
        PortalPage::OrganizationMembers,
        PortalPage::OrganizationPlanDetails,
        PortalPage::OrganizationPaymentDetails,
        PortalPage::OrganizationPlanSelection,
        PortalPage::PaymentDetails,
        PortalPage::PlanSelection,
        PortalPage::PlanDetails,
    ];

    /// The wire value (`subnav`).
    pub fn as_str(self) -> &'static str {
        match self {
            PortalPage::Profile => "profile",
            PortalPage::OrganizationDetails => "organization_details",
            PortalPage::OrganizationMembers => "organization_members",
            PortalPage::OrganizationPlanDetails => "organization_plan_details",
            PortalPage::OrganizationPaymentDetails => "organization_payment_details",
            PortalPage::OrganizationPlanSelection => "organization_plan_selection",
            PortalPage::PaymentDetails => "payment_details",
            PortalPage::PlanSelection => "plan_selection",
            PortalPage::PlanDetails => "plan_details",
        }
    }
}

impl std::str::FromStr for PortalPage {
    type Err = KindeError;
    fn from_str(s: &str) -> Result<Self> {
        PortalPage::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                KindeError::BadRequest(format!(
                    "unknown portal page `{}`",
                    s.chars().take(40).collect::<String>()
                ))
            })
    }
}

const MAX_PAGES: usize = 1000;

/// Items asked for per page of an Account API list (`page_size`): ten times Kinde's
/// default of 10, so a long list takes a tenth of the round trips.
pub(crate) const PAGE_SIZE: u32 = 100;

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    data: Map<String, Value>,
    #[serde(default)]
    metadata: Option<PageMeta>,
}

#[derive(Deserialize)]
struct PageMeta {
    #[serde(default)]
    has_more: bool,
    #[serde(default)]
    next_page_starting_after: Option<String>,
}

fn parse_list<T: DeserializeOwned>(items: Vec<Value>, what: &str) -> Result<Vec<T>> {
    items
        .into_iter()
        .map(|v| {
            serde_json::from_value(v)
                .map_err(|_| KindeError::Provider(format!("{what}: unexpected item shape")))
        })
        .collect()
}

impl Kinde {
    /// Fetch every page of an Account API list. Returns the first page's `data` (minus
    /// the list) and all items.
    async fn account_pages(
        &self,
        access_token: &AccessToken,
        path: &str,
        list_key: &str,
    ) -> Result<(Map<String, Value>, Vec<Value>)> {
        let mut first: Option<Map<String, Value>> = None;
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        let mut seen = HashSet::new();
        for _ in 0..MAX_PAGES {
            let mut url = self.inner.config.url(path);
            {
                let mut query = url.query_pairs_mut();
                query.append_pair("page_size", &PAGE_SIZE.to_string());
                if let Some(c) = &cursor {
                    query.append_pair("starting_after", c);
                }
            }
            let mut page: Page =
                get_json(&self.inner.http, path, url, Some(access_token.secret())).await?;
            if let Some(Value::Array(list)) = page.data.remove(list_key) {
                items.extend(list);
            }
            if first.is_none() {
                first = Some(page.data);
            }
            match page.metadata {
                Some(PageMeta {
                    has_more: true,
                    next_page_starting_after: Some(next),
                }) => {
                    if !seen.insert(next.clone()) {
                        return Err(KindeError::Provider(format!(
                            "{path}: pagination cursor did not advance"
                        )));
                    }
                    cursor = Some(next);
                }
                Some(PageMeta {
                    has_more: true,
                    next_page_starting_after: None,
                }) => {
                    return Err(KindeError::Provider(format!(
                        "{path}: more pages but no cursor"
                    )));
                }
                _ => return Ok((first.unwrap_or_default(), items)),
            }
        }
        Err(KindeError::Provider(format!(
            "{path}: more than {MAX_PAGES} pages"
        )))
    }

    /// The signed-in user's profile (`/oauth2/v2/user_profile`).
    pub async fn user_profile(&self, access_token: &AccessToken) -> Result<UserProfile> {
        let url = self.resolved_endpoints().await.user_profile.clone();
        get_json(
            &self.inner.http,
            "user profile",
            url,
            Some(access_token.secret()),
        )
        .await
    }

    /// Every entitlement (and plan) of the user's current organisation.
    ///
    /// # Errors
    /// [`KindeError::Provider`], naming the field, when Kinde's `plans` or an
    /// entitlement does not have the documented shape; transport and HTTP errors as
    /// for every Account API call.
    pub async fn entitlements(&self, access_token: &AccessToken) -> Result<Entitlements> {
        let (data, items) = self
            .account_pages(access_token, "/account_api/v1/entitlements", "entitlements")
            .await?;
        let data = Value::Object(data);
        Ok(Entitlements {
            org_code: data
                .get("org_code")
                .and_then(Value::as_str)
                .map(str::to_string),
            plans: match data.get("plans") {
                None | Some(Value::Null) => Vec::new(),
                Some(plans) => serde_json::from_value(plans.clone()).map_err(|_| {
                    KindeError::Provider("entitlements: `plans` has an unexpected shape".into())
                })?,
            },
            entitlements: parse_list(items, "entitlements")?,
        })
    }

    /// One entitlement by feature key; `Ok(None)` when the organisation has none.
    pub async fn entitlement(
        &self,
        access_token: &AccessToken,
        feature_key: &str,
    ) -> Result<Option<Entitlement>> {
        let mut url = self.inner.config.url("/account_api/v1/entitlement/");
        url.path_segments_mut()
            .map_err(|_| KindeError::Config("KINDE_DOMAIN: cannot hold a path".into()))?
            .pop_if_empty()
            .push(feature_key);
        let Some(page) = get_json_opt::<Page>(
            &self.inner.http,
            "entitlement",
            url,
            Some(access_token.secret()),
        )
        .await?
        else {
            return Ok(None);
        };
        match page.data.get("entitlement") {
            Some(Value::Null) | None => Ok(None),
            Some(v) => serde_json::from_value(v.clone())
                .map(Some)
                .map_err(|_| KindeError::Provider("entitlement: unexpected shape".into())),
        }
    }

    /// The user's permissions from the Account API (useful when they are too many to
    /// fit in the token).
    pub async fn account_permissions(&self, access_token: &AccessToken) -> Result<AccountList> {
        self.account_list(access_token, "/account_api/v1/permissions", "permissions")
            .await
    }

    /// The user's roles from the Account API.
    pub async fn account_roles(&self, access_token: &AccessToken) -> Result<AccountList> {
        self.account_list(access_token, "/account_api/v1/roles", "roles")
            .await
    }

    async fn account_list(
        &self,
        access_token: &AccessToken,
        path: &str,
        key: &str,
    ) -> Result<AccountList> {
        let (data, items) = self.account_pages(access_token, path, key).await?;
        Ok(AccountList {
            org_code: data
                .get("org_code")
                .and_then(Value::as_str)
                .map(str::to_string),
            items: parse_list(items, key)?,
        })
    }

    /// The user's feature flags from the Account API.
    pub async fn account_feature_flags(
        &self,
        access_token: &AccessToken,
    ) -> Result<Vec<AccountFeatureFlag>> {
        let (_, items) = self
            .account_pages(
                access_token,
                "/account_api/v1/feature_flags",
                "feature_flags",
            )
            .await?;
        parse_list(items, "feature_flags")
    }

    /// The user's (and organisation's) properties from the Account API.
    pub async fn account_properties(
        &self,
        access_token: &AccessToken,
    ) -> Result<Vec<AccountProperty>> {
        let (_, items) = self
            .account_pages(access_token, "/account_api/v1/properties", "properties")
            .await?;
        parse_list(items, "properties")
    }

    /// A one-time link into Kinde's self-serve portal, returning to `return_url` (an
    /// absolute URL) afterwards, opened at `page` (default: the profile).
    pub async fn portal_link(
        &self,
        access_token: &AccessToken,
        return_url: &str,
        page: Option<PortalPage>,
    ) -> Result<Url> {
        let ret = Url::parse(return_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                KindeError::BadRequest("return_url must be an absolute http(s) URL".into())
            })?;
        let mut url = self.inner.config.url("/account_api/v1/portal_link");
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("return_url", ret.as_str());
            if let Some(p) = page {
                q.append_pair("subnav", p.as_str());
            }
        }
        #[derive(Deserialize)]
        struct Link {
            url: String,
        }
        let link: Link = get_json(
            &self.inner.http,
            "portal link",
            url,
            Some(access_token.secret()),
        )
        .await?;
        Url::parse(&link.url)
            .ok()
            .filter(|u| u.scheme() == "https" || (u.scheme() == "http" && is_loopback_host(u)))
            .ok_or_else(|| KindeError::Provider("portal link: not a usable URL".into()))
    }
}
