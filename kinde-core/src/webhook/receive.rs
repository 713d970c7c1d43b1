//! Receiving a webhook, the flow both adapters' `KindeWebhook` extractors run: verify
//! the body, then record its event as being handled, so that a retried delivery is
//! neither handled twice nor lost. The adapter reads the request and copies the reply.

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tracing::Instrument;

use super::{Receipt, ReceivedWebhook};
use crate::client::Kinde;
use crate::error::KindeError;
use crate::trace::span;
use crate::web::Reply;

/// How long an event is recorded as being handled before a delivery of it may be
/// handled again (a handler that never finished: its process died).
const HANDLING_FOR: Duration = Duration::from_secs(5 * 60);

/// The JSON answer `{"status": status}` with `code`.
fn answer(code: u16, status: &str) -> Reply {
    Reply {
        status: code,
        headers: vec![("content-type", "application/json".into())],
        body: serde_json::json!({ "status": status }).to_string(),
    }
}

impl Kinde {
    /// Receive a webhook: `body` as read (`None` when it could not be read within
    /// [`WebhookOptions::max_body_bytes`](super::WebhookOptions::max_body_bytes)) and
    /// the `webhook-id` header (for logs). `Ok` the first time an event arrives (by its
    /// signed `event_id`); otherwise the reply to send: `200` for an event already
    /// handled, `409` (with `Retry-After`) while another delivery of it is being
    /// handled, `400` for a body that is not a webhook, `401` for a forged, foreign or
    /// malformed token, `503` (with `Retry-After`) when the JWKS or the store of events
    /// is unreachable, so Kinde sends it again.
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
        let started = Instant::now();
        let received = self
            .receive(webhook_id, body)
            .instrument(span.clone())
            .await;
        let outcome = match &received {
            Ok(hook) => {
                span.record("event_type", hook.event.event_type.as_str());
                "ok"
            }
            Err(reply) => match reply.status {
                200 => "already_handled",
                409 => "being_handled",
                400 => "bad_request",
                401 => "unauthenticated",
                503 => "unavailable",
                _ => "error",
            },
        };
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        span.record("duration_ms", ms);
        span.record("outcome", outcome);
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
        // Keyed by what Kinde signed (the `webhook-id` header is not: a replayed body
        // with a new header must not pass as new), per issuer and client (two apps of
        // one business sharing a Redis each handle the event), fixed-length.
        let config = &self.inner.config;
        let digest = Sha256::digest(format!(
            "{}\n{}\n{}",
            config.issuer, config.client_id, event.event_id
        ));
        let key = format!("kinde:webhook:{}", hex(&digest));
        let ids = self.inner.webhook_ids.clone();
        match ids.begin(&key, HANDLING_FOR).await {
            Ok(Receipt::First) => {}
            Ok(Receipt::Handled) => {
                tracing::debug!(event_type = %event.event_type, "Kinde webhook already handled");
                return Err(answer(200, "already received"));
            }
            Ok(Receipt::InProgress) => {
                tracing::debug!(event_type = %event.event_type, "Kinde webhook being handled");
                let mut busy = answer(409, "being handled");
                busy.headers.push(("retry-after", "30".into()));
                return Err(busy);
            }
            Err(e) => return Err(refuse(&e)),
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
