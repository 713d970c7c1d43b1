//! A webhook received for the first time, as the handler gets it.

use std::fmt;
use std::sync::Arc;

use super::{WebhookEvent, WebhookIds};

/// A webhook received for the first time: its event, for the handler.
#[derive(Clone)]
pub struct ReceivedWebhook {
    /// The verified event.
    pub event: WebhookEvent,
    /// The `webhook-id` header: the same on every delivery of this event.
    pub webhook_id: Option<String>,
    key: Option<String>,
    ids: Arc<dyn WebhookIds>,
}

impl fmt::Debug for ReceivedWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceivedWebhook")
            .field("event", &self.event)
            .field("webhook_id", &self.webhook_id)
            .finish_non_exhaustive()
    }
}

impl ReceivedWebhook {
    pub(crate) fn new(
        event: WebhookEvent,
        webhook_id: Option<String>,
        key: Option<String>,
        ids: Arc<dyn WebhookIds>,
    ) -> Self {
        ReceivedWebhook {
            event,
            webhook_id,
            key,
            ids,
        }
    }

    /// Forget that this webhook was received, when handling it failed: answer with an
    /// error status too, and Kinde's next delivery of it is handled like the first.
    /// (Without this, the id is recorded on receipt, and a retry is acknowledged
    /// unhandled.)
    pub async fn release(&self) -> crate::Result<()> {
        match &self.key {
            Some(key) => self.ids.forget(key).await,
            None => Ok(()),
        }
    }
}
