//! A verified webhook's event: the fields every Kinde webhook carries, the raw `data`,
//! and the event typed by its `type`.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// One event Kinde sent, from a verified webhook body.
///
/// `event` is typed by the event's `type`: an event type this version does not know,
/// or a known one whose `data` has an unexpected shape, is [`Event::Unknown`] and keeps
/// the raw JSON, so a new event type never fails a webhook. `data` is always the raw
/// `data` object.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WebhookEvent {
    /// Kinde's id of the event (`event_…`): `GET /api/v1/events/{event_id}` returns it.
    pub event_id: String,
    /// The event type, for example `user.created`.
    pub event_type: String,
    /// What caused it: `admin`, `api` or `user`.
    pub source: Option<String>,
    /// When the webhook was sent (RFC 3339).
    pub timestamp: Option<String>,
    /// When the event happened (RFC 3339).
    pub event_timestamp: Option<String>,
    /// The raw `data` object.
    pub data: Value,
    /// The event, typed.
    pub event: Event,
}

/// A Kinde event by type, with its `data` typed. Every field of the data is optional:
/// Kinde sends fewer fields on some events (a deletion names only the id).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// `user.created`.
    UserCreated(User),
    /// `user.updated`.
    UserUpdated(User),
    /// `user.deleted` (the id only).
    UserDeleted(User),
    /// `user.authenticated`.
    UserAuthenticated(User),
    /// `user.authentication_failed`.
    UserAuthenticationFailed(User),
    /// `organization.created`.
    OrganizationCreated(Organization),
    /// `organization.updated`.
    OrganizationUpdated(Organization),
    /// `organization.deleted` (the code only).
    OrganizationDeleted(Organization),
    /// `role.created`.
    RoleCreated(Role),
    /// `role.updated`.
    RoleUpdated(Role),
    /// `role.deleted` (the id only).
    RoleDeleted(Role),
    /// `permission.created`.
    PermissionCreated(Permission),
    /// `permission.updated`.
    PermissionUpdated(Permission),
    /// `permission.deleted` (the id only).
    PermissionDeleted(Permission),
    /// `subscriber.created`.
    SubscriberCreated(Subscriber),
    /// `access_request.created`.
    AccessRequestCreated(AccessRequest),
    /// One of the nine `customer.*` billing events; Kinde does not publish their data's
    /// shape, so it stays raw JSON.
    Billing {
        /// Which billing event.
        kind: BillingEvent,
        /// The event's `data`.
        data: Value,
    },
    /// An event type this version does not know, or a known one whose data did not
    /// have the expected shape.
    Unknown {
        /// Its `type`.
        event_type: String,
        /// Its `data`.
        data: Value,
    },
}

/// The `customer.*` billing events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BillingEvent {
    /// `customer.agreement_cancelled`: a subscription was cancelled.
    AgreementCancelled,
    /// `customer.agreement_created`: a customer signed up to or changed a plan.
    AgreementCreated,
    /// `customer.invoice_overdue`.
    InvoiceOverdue,
    /// `customer.meter_usage_updated`.
    MeterUsageUpdated,
    /// `customer.payment_failed`.
    PaymentFailed,
    /// `customer.payment_succeeded`.
    PaymentSucceeded,
    /// `customer.plan_assigned`.
    PlanAssigned,
    /// `customer.plan_changed`.
    PlanChanged,
    /// `customer.plan_created`.
    PlanCreated,
}

impl BillingEvent {
    /// The billing event of `event_type`, if it is one.
    ///
    /// ```
    /// use kinde_core::webhook::BillingEvent;
    /// assert_eq!(BillingEvent::of("customer.plan_changed"), Some(BillingEvent::PlanChanged));
    /// assert_eq!(BillingEvent::of("user.created"), None);
    /// ```
    pub fn of(event_type: &str) -> Option<Self> {
        Some(match event_type.strip_prefix("customer.")? {
            "agreement_cancelled" => BillingEvent::AgreementCancelled,
            "agreement_created" => BillingEvent::AgreementCreated,
            "invoice_overdue" => BillingEvent::InvoiceOverdue,
            "meter_usage_updated" => BillingEvent::MeterUsageUpdated,
            "payment_failed" => BillingEvent::PaymentFailed,
            "payment_succeeded" => BillingEvent::PaymentSucceeded,
            "plan_assigned" => BillingEvent::PlanAssigned,
            "plan_changed" => BillingEvent::PlanChanged,
            "plan_created" => BillingEvent::PlanCreated,
            _ => return None,
        })
    }
}

/// A user in a `user.*` event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct User {
    /// Kinde's user id (`kp_…`).
    pub id: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Username.
    pub username: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Whether the user is suspended.
    pub is_suspended: Option<bool>,
    /// Whether a password reset was requested.
    pub is_password_reset_requested: Option<bool>,
    /// The user's organisations, with their roles and permissions there.
    pub organizations: Vec<UserOrganization>,
}

/// An organisation of a user in a `user.*` event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UserOrganization {
    /// The organisation's code (`org_…`).
    pub code: Option<String>,
    /// The user's role keys there (Kinde sends `null` for none).
    #[serde(deserialize_with = "null_as_empty")]
    pub roles: Vec<String>,
    /// The user's permissions there.
    #[serde(deserialize_with = "null_as_empty")]
    pub permissions: Vec<Permission>,
}

/// An organisation in an `organization.*` event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Organization {
    /// The organisation's code (`org_…`).
    pub code: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// Its handle.
    pub handle: Option<String>,
    /// Your id for it.
    pub external_id: Option<String>,
    /// Whether anyone may register into it.
    pub is_allow_registrations: Option<bool>,
}

/// A role in a `role.*` event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Role {
    /// Kinde's id of the role.
    pub id: Option<String>,
    /// Its key (what tokens carry).
    pub key: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// Its description.
    pub description: Option<String>,
    /// Whether new users get it.
    pub is_default_role: Option<bool>,
}

/// A permission in a `permission.*` event (or of a user's organisation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Permission {
    /// Kinde's id of the permission.
    pub id: Option<String>,
    /// Its key (what tokens carry).
    pub key: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// Its description.
    pub description: Option<String>,
}

/// A subscriber in a `subscriber.created` event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Subscriber {
    /// Kinde's id of the subscriber.
    pub id: Option<String>,
    /// The user it belongs to.
    pub user_id: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
}

/// A request for access in an `access_request.created` event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AccessRequest {
    /// The user who asked.
    pub user_id: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

impl Event {
    /// The event of type `event_type` with `data`.
    ///
    /// ```
    /// use kinde_core::webhook::Event;
    /// use serde_json::json;
    /// let created = Event::of("user.created", &json!({"user": {"id": "kp_1", "email": "a@b.c"}}));
    /// let Event::UserCreated(user) = created else { panic!() };
    /// assert_eq!(user.email.as_deref(), Some("a@b.c"));
    /// let new = Event::of("user.teleported", &json!({"where": "mars"}));
    /// assert!(matches!(new, Event::Unknown { .. }));
    /// ```
    pub fn of(event_type: &str, data: &Value) -> Event {
        fn part<T: DeserializeOwned>(data: &Value, name: &str) -> Option<T> {
            serde_json::from_value(data.get(name)?.clone()).ok()
        }
        let typed = match event_type {
            "user.created" => part(data, "user").map(Event::UserCreated),
            "user.updated" => part(data, "user").map(Event::UserUpdated),
            "user.deleted" => part(data, "user").map(Event::UserDeleted),
            "user.authenticated" => part(data, "user").map(Event::UserAuthenticated),
            "user.authentication_failed" => part(data, "user").map(Event::UserAuthenticationFailed),
            "organization.created" => part(data, "organization").map(Event::OrganizationCreated),
            "organization.updated" => part(data, "organization").map(Event::OrganizationUpdated),
            "organization.deleted" => part(data, "organization").map(Event::OrganizationDeleted),
            "role.created" => part(data, "role").map(Event::RoleCreated),
            "role.updated" => part(data, "role").map(Event::RoleUpdated),
            "role.deleted" => part(data, "role").map(Event::RoleDeleted),
            "permission.created" => part(data, "permission").map(Event::PermissionCreated),
            "permission.updated" => part(data, "permission").map(Event::PermissionUpdated),
            "permission.deleted" => part(data, "permission").map(Event::PermissionDeleted),
            "subscriber.created" => part(data, "subscriber").map(Event::SubscriberCreated),
            "access_request.created" => {
                part(data, "access_request").map(Event::AccessRequestCreated)
            }
            other => BillingEvent::of(other).map(|kind| Event::Billing {
                kind,
                data: data.clone(),
            }),
        };
        typed.unwrap_or_else(|| Event::Unknown {
            event_type: event_type.to_string(),
            data: data.clone(),
        })
    }
}

impl WebhookEvent {
    /// The event of a verified webhook's claims; `None` when they lack what every
    /// webhook carries (a non-empty `type` and `event_id`).
    pub(crate) fn from_claims(mut claims: Map<String, Value>) -> Option<WebhookEvent> {
        let mut text = |name: &str| match claims.remove(name) {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            _ => None,
        };
        let event_type = text("type")?;
        let event_id = text("event_id")?;
        let source = text("source");
        let timestamp = text("timestamp");
        let event_timestamp = text("event_timestamp");
        let data = match claims.remove("data") {
            Some(v @ Value::Object(_)) => v,
            _ => Value::Object(Map::new()),
        };
        Some(WebhookEvent {
            event: Event::of(&event_type, &data),
            event_id,
            event_type,
            source,
            timestamp,
            event_timestamp,
            data,
        })
    }
}
