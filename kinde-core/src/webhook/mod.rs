//! Kinde webhooks: verification of the signed body, the event typed by its `type`, and
//! the events received (Kinde retries a webhook until it gets a 2xx, for up to 36
//! hours, so each event is handled once and none is lost).
//!
//! Kinde sends a webhook as a `POST` whose body is a JWT (`Content-Type:
//! application/jwt`) signed RS256 by the business's signing keys, the same JWKS as its
//! tokens. The adapters' `KindeWebhook` extractors run [`Kinde::receive_webhook`]; without
//! a web framework, call [`Kinde::verify_webhook`] on the body.
//!
//! [`Kinde::receive_webhook`]: crate::Kinde::receive_webhook
//! [`Kinde::verify_webhook`]: crate::Kinde::verify_webhook

mod event;
mod ids;
mod receive;
mod received;
mod verify;

pub use event::{
    AccessRequest, BillingEvent, Event, Organization, Permission, Role, Subscriber, User,
    UserOrganization, WebhookEvent,
};
pub use ids::{MemoryWebhookIds, Receipt, WebhookIds};
pub use received::ReceivedWebhook;
pub use verify::WebhookOptions;
