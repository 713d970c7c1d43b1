//! Webhooks as Kinde sends them: a `POST` of a JWT signed by the server's current key
//! (`Content-Type: application/jwt`), a `webhook-id` header that stays the same across
//! attempts, and attempts again after a non-2xx answer or no answer.

use std::time::Duration;

use serde_json::{Value, json};

use super::{TestKinde, random_hex};

/// Kinde's retry schedule (immediately, after 5 s, 30 s, 2 min, 10 min, …) with
/// milliseconds for seconds, cut after five attempts: the same behaviour at test speed.
const RETRY_DELAYS_MS: [u64; 5] = [0, 5, 30, 120, 600];

/// Sends webhooks from a [`TestKinde`]; see [`TestKinde::webhooks`].
#[derive(Debug, Clone)]
pub struct TestWebhooks {
    kinde: TestKinde,
    delays: Vec<Duration>,
    http: reqwest::Client,
}

/// What happened to one webhook: its ids, its token, and each attempt's status (`None`:
/// no answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    /// The `webhook-id` header of every attempt.
    pub webhook_id: String,
    /// The token's `event_id`.
    pub event_id: String,
    /// The body sent.
    pub token: String,
    /// Each attempt's status, in order.
    pub attempts: Vec<Option<u16>>,
}

impl WebhookDelivery {
    /// Whether an attempt was answered with a 2xx (Kinde then stops).
    pub fn delivered(&self) -> bool {
        self.attempts
            .last()
            .is_some_and(|s| s.is_some_and(|s| (200..300).contains(&s)))
    }
}

impl TestKinde {
    /// A webhook token of `event_type` with `data`, signed like Kinde's: the claims
    /// `type`, `event_id`, `event_timestamp`, `timestamp`, `source` (`api`) and `data`.
    pub fn webhook_token(&self, event_type: &str, data: Value) -> String {
        self.webhook_claims(event_type, data).1
    }

    fn webhook_claims(&self, event_type: &str, data: Value) -> (String, String) {
        let event_id = format!("event_{}", random_hex(16));
        let now = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let token = self.sign_claims(&json!({
            "type": event_type,
            "event_id": event_id,
            "event_timestamp": now,
            "timestamp": now,
            "source": "api",
            "data": data,
        }));
        (event_id, token)
    }

    /// A sender of webhooks, with Kinde's retry behaviour at test speed (see
    /// [`TestWebhooks::retry_delays`]).
    ///
    /// ```no_run
    /// # async fn run(url: &str) {
    /// use kinde_core::testing::TestKinde;
    /// use serde_json::json;
    /// let kinde = TestKinde::start();
    /// let delivery = kinde
    ///     .webhooks()
    ///     .send(url, "user.created", json!({"user": {"id": "kp_1"}}))
    ///     .await;
    /// assert!(delivery.delivered());
    /// # }
    /// ```
    pub fn webhooks(&self) -> TestWebhooks {
        TestWebhooks {
            kinde: self.clone(),
            delays: RETRY_DELAYS_MS
                .iter()
                .map(|ms| Duration::from_millis(*ms))
                .collect(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
        }
    }
}

impl TestWebhooks {
    /// The wait before each attempt (the first is usually zero); as many attempts as
    /// delays. Default: Kinde's schedule in milliseconds, five attempts.
    pub fn retry_delays(mut self, delays: impl IntoIterator<Item = Duration>) -> Self {
        self.delays = delays.into_iter().collect();
        self
    }

    /// Send a new event of `event_type` with `data` to `url`, attempting again while
    /// the answer is not a 2xx.
    pub async fn send(&self, url: &str, event_type: &str, data: Value) -> WebhookDelivery {
        let (event_id, token) = self.kinde.webhook_claims(event_type, data);
        let webhook_id = format!("msg_{}", random_hex(16));
        self.deliver(url, webhook_id, event_id, token).await
    }

    /// Send `delivery`'s webhook again, as Kinde does when it did not see a 2xx (the
    /// same `webhook-id` and body).
    pub async fn resend(&self, url: &str, delivery: &WebhookDelivery) -> WebhookDelivery {
        let d = delivery.clone();
        self.deliver(url, d.webhook_id, d.event_id, d.token).await
    }

    /// Post `body` to `url` once, with Kinde's headers: the status, if answered.
    pub async fn post_once(
        &self,
        url: &str,
        webhook_id: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Option<u16> {
        self.http
            .post(url)
            .header("content-type", content_type)
            .header("webhook-id", webhook_id)
            .body(body)
            .send()
            .await
            .ok()
            .map(|r| r.status().as_u16())
    }

    async fn deliver(
        &self,
        url: &str,
        webhook_id: String,
        event_id: String,
        token: String,
    ) -> WebhookDelivery {
        let mut attempts = Vec::new();
        for delay in &self.delays {
            tokio::time::sleep(*delay).await;
            let status = self
                .post_once(url, &webhook_id, "application/jwt", token.clone())
                .await;
            attempts.push(status);
            if status.is_some_and(|s| (200..300).contains(&s)) {
                break;
            }
        }
        WebhookDelivery {
            webhook_id,
            event_id,
            token,
            attempts,
        }
    }
}
