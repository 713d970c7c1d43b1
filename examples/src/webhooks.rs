//! What the example apps do with a Kinde webhook: log it and say what they received.
//! Both apps mount it at `POST /webhooks/kinde` through their adapter's `KindeWebhook`
//! extractor (verified, typed, each `webhook-id` handled once).

use kinde_core::webhook::{Event, ReceivedWebhook};
use serde_json::{Value, json};

/// Log `hook`'s event and return the JSON the app answers with.
pub fn received(hook: &ReceivedWebhook) -> Value {
    let event = &hook.event;
    let subject = match &event.event {
        Event::UserCreated(u) | Event::UserUpdated(u) | Event::UserDeleted(u) => u.id.clone(),
        Event::OrganizationCreated(o)
        | Event::OrganizationUpdated(o)
        | Event::OrganizationDeleted(o) => o.code.clone(),
        Event::RoleCreated(r) | Event::RoleUpdated(r) | Event::RoleDeleted(r) => r.key.clone(),
        Event::PermissionCreated(p) | Event::PermissionUpdated(p) | Event::PermissionDeleted(p) => {
            p.key.clone()
        }
        _ => None,
    };
    tracing::info!(
        event_type = %event.event_type,
        event_id = %event.event_id,
        subject = subject.as_deref().unwrap_or("-"),
        "Kinde webhook received"
    );
    json!({
        "received": event.event_type,
        "event_id": event.event_id,
        "subject": subject,
    })
}
