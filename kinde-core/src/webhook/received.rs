//! A webhook received for the first time, as the handler gets it, and what happens to
//! its record when the handler is done with it.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{WebhookEvent, WebhookIds};

/// How long a handled event is remembered: Kinde retries for 36 hours.
const REMEMBER_HANDLED_FOR: Duration = Duration::from_secs(48 * 3600);

/// A webhook received for the first time: its event, for the handler.
///
/// While it lives, its event is recorded as being handled, and another delivery of it
/// is answered `409` (Kinde tries again later). When the handler drops it, the event is
/// recorded as handled (a later delivery is answered `200` without calling the handler);
/// unless the handler [released](Self::release) it because handling failed, or panicked,
/// in which case Kinde's next delivery is handled like the first. Clones share the
/// record: it is updated when the last one is dropped.
#[derive(Clone)]
pub struct ReceivedWebhook {
    /// The verified event.
    pub event: WebhookEvent,
    /// The `webhook-id` header, for logs (the record is keyed by the signed `event_id`).
    pub webhook_id: Option<String>,
    record: Arc<Record>,
}

/// The store's record of one event, updated when the last handle of it goes.
struct Record {
    key: String,
    ids: Arc<dyn WebhookIds>,
    released: AtomicBool,
}

impl Drop for Record {
    fn drop(&mut self) {
        if self.released.load(Ordering::Acquire) {
            return;
        }
        let (ids, key) = (self.ids.clone(), std::mem::take(&mut self.key));
        let panicking = std::thread::panicking();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime to update the store on: the "being handled" record expires
            // in a few minutes.
            return;
        };
        runtime.spawn(async move {
            let done = if panicking {
                ids.forget(&key).await
            } else {
                ids.finish(&key, REMEMBER_HANDLED_FOR).await
            };
            if let Err(e) = done {
                tracing::warn!(error = %e, "could not record a Kinde webhook as handled");
            }
        });
    }
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
        key: String,
        ids: Arc<dyn WebhookIds>,
    ) -> Self {
        ReceivedWebhook {
            event,
            webhook_id,
            record: Arc::new(Record {
                key,
                ids,
                released: AtomicBool::new(false),
            }),
        }
    }

    /// Forget that this webhook was received, when handling it failed: answer with an
    /// error status too, and Kinde's next delivery of it is handled like the first.
    pub async fn release(&self) -> crate::Result<()> {
        self.record.released.store(true, Ordering::Release);
        self.record.ids.forget(&self.record.key).await
    }
}
