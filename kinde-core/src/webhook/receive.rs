//! Receiving a webhook, the flow both adapters' `KindeWebhook` extractors run: verify
//! the body, then record its `webhook-id` so a retried delivery is acknowledged without
//! being handled twice. The adapter reads the request and copies the reply.

use std::time::Duration;

use sha2::{Digest, Sha256};
use tracing::Instrument;

use super::ReceivedWebhook;
use crate::client::Kinde;
use crate::error::KindeError;
use crate::trace::span;
use crate::web::Reply;

/// How long a `webhook-id` is remembered: Kinde retries for 36 hours.
const REMEMBER_IDS_FOR: Duration = Duration::from_secs(48 * 3600);

/// The reply to a delivery of a webhook already received: `200`, so Kinde stops
/// sending it.
fn already_received() -> Reply {
    Reply {
        status: 200,
        headers: vec![("content-type", "application/json".into())],
        body: r#"{"status":"already received"}"#.into(),
    }
}

impl Kinde {
    /// Receive a webhook: `body` as read (`None` when it could not be read within
    /// [`WebhookOptions::max_body_bytes`](super::WebhookOptions::max_body_bytes)) and
    /// the `webhook-id` header. `Ok` the first time an event arrives; otherwise the
    /// reply to send: `200` for a delivery already received, `400` for a body that is
    /// not a webhook, `401` for a forged or foreign one, `503` (with `Retry-After`) when
    /// the JWKS or the id store is unreachable, so Kinde sends it again.
    pub async fn receive_webhook(
        &self,
        webhook_id: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<ReceivedWebhook, Reply> {
        let span = span!(
            INFO,
            "kinde.webhook",
            self,
            event_type = tracing::field::Empty
        );
        let received = self
            .receive(webhook_id, body)
            .instrument(span.clone())
            .await;
        let (outcome, status) = match &received {
            Ok(hook) => {
                span.record("event_type", hook.event.event_type.as_str());
                ("ok", 200)
            }
            Err(reply) if reply.status == 200 => ("already_received", 200),
            Err(reply) => ("refused", reply.status),
        };
        span.record("outcome", outcome);
        tracing::debug!(parent: &span, status, "Kinde webhook answered");
        received
    }

    async fn receive(
        &self,
        webhook_id: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<ReceivedWebhook, Reply> {
        let refuse = |e: &KindeError| {
            if e.status() >= 500 {
                tracing::warn!(error = %e, "Kinde webhook not received");
            } else {
                tracing::info!(error = %e, "Kinde webhook refused");
            }
            Reply::for_error(e, true, None, "/")
        };
        let Some(body) = body else {
            let max = self.inner.webhook_options.max_body_bytes();
            return Err(refuse(&KindeError::BadRequest(format!(
                "the webhook body could not be read within {max} bytes"
            ))));
        };
        let event = self.verify_webhook(body).await.map_err(|e| refuse(&e))?;
        let webhook_id = webhook_id.map(str::trim).filter(|id| !id.is_empty());
        // One namespace per issuer, and a fixed-length key whatever the header holds.
        let key = webhook_id.map(|id| {
            let digest = Sha256::digest(format!("{}\n{id}", self.inner.config.issuer));
            format!("kinde:webhook:{}", hex(&digest))
        });
        let ids = self.inner.webhook_ids.clone();
        if let Some(key) = &key {
            match ids.first_receipt(key, REMEMBER_IDS_FOR).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::debug!(event_type = %event.event_type, "Kinde webhook already received");
                    return Err(already_received());
                }
                Err(e) => return Err(refuse(&e)),
            }
        }
        tracing::debug!(event_type = %event.event_type, "Kinde webhook received");
        Ok(ReceivedWebhook::new(
            event,
            webhook_id.map(str::to_string),
            key,
            ids,
        ))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
