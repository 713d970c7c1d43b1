//! The webhook ids already received: Kinde retries a webhook (same `webhook-id`) until it
//! gets a 2xx, for up to 36 hours, so a handler must not act twice on one event.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::session::StoreFuture;

/// Where the `webhook-id`s received are kept, shared by the instances of an app when it
/// runs several (Redis: `kinde_core::redis::RedisWebhookIds`, feature `redis`). The
/// default is [`MemoryWebhookIds`]. Errors are
/// [`KindeError::session_store`](crate::KindeError::session_store): the webhook is then
/// answered `503`, and Kinde sends it again later.
///
/// Set one on a client with [`Kinde::with_webhook_ids`](crate::Kinde::with_webhook_ids).
pub trait WebhookIds: Send + Sync + 'static {
    /// Record `key` as received, for `ttl`: `true` if it was not already (Redis:
    /// `SET key 1 NX PX ttl`). Atomic: of two deliveries at once, one gets `true`.
    fn first_receipt<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, bool>;

    /// Forget `key`, so that the next delivery of it is handled (its handling failed).
    fn forget<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()>;
}

/// [`WebhookIds`] in this process's memory: right for one instance. Holds at most
/// `capacity` ids (the oldest go first) and each for its `ttl`.
#[derive(Debug)]
pub struct MemoryWebhookIds {
    capacity: usize,
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    until: HashMap<String, Instant>,
    order: VecDeque<String>,
}

impl MemoryWebhookIds {
    /// A store of at most `capacity` ids.
    pub fn new(capacity: usize) -> Self {
        MemoryWebhookIds {
            capacity: capacity.max(1),
            seen: Mutex::new(Seen::default()),
        }
    }
}

impl Default for MemoryWebhookIds {
    /// 100,000 ids: more than a busy business's webhooks over Kinde's 36 hours of retries.
    fn default() -> Self {
        MemoryWebhookIds::new(100_000)
    }
}

impl WebhookIds for MemoryWebhookIds {
    fn first_receipt<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, bool> {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let first = match seen.until.get(key) {
            Some(until) if *until > now => false,
            Some(_) => {
                seen.until.insert(key.to_string(), now + ttl);
                true
            }
            None => {
                while seen.until.len() >= self.capacity {
                    let Some(oldest) = seen.order.pop_front() else {
                        break;
                    };
                    seen.until.remove(&oldest);
                }
                seen.until.insert(key.to_string(), now + ttl);
                seen.order.push_back(key.to_string());
                true
            }
        };
        Box::pin(async move { Ok(first) })
    }

    fn forget<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.until.remove(key);
        seen.order.retain(|k| k != key);
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_id_is_new_once_until_forgotten_or_expired() {
        let ids = MemoryWebhookIds::new(2);
        let day = Duration::from_secs(86_400);
        assert!(ids.first_receipt("a", day).await.unwrap());
        assert!(!ids.first_receipt("a", day).await.unwrap());
        ids.forget("a").await.unwrap();
        assert!(ids.first_receipt("a", day).await.unwrap());
        assert!(ids.first_receipt("b", Duration::ZERO).await.unwrap());
        assert!(ids.first_receipt("b", day).await.unwrap(), "expired");
        // Capacity 2: a third id pushes out the oldest.
        assert!(ids.first_receipt("c", day).await.unwrap());
        assert!(ids.first_receipt("a", day).await.unwrap());
    }
}
