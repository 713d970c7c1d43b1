//! The webhooks received: Kinde retries a webhook until it gets a 2xx, for up to 36
//! hours, and it may retry while the first delivery is still being handled (its request
//! timed out), so a handler must neither act twice on one event nor lose it.
//!
//! An event is recorded as *being handled* when it arrives (for a few minutes), and as
//! *handled* once its handler is done with it (for two days); a handler that fails
//! forgets it, so that Kinde's next delivery is handled.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::session::StoreFuture;

/// What the store knew of an event when a delivery of it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    /// Not seen before (or forgotten): it is now recorded as being handled.
    First,
    /// Another delivery of it is being handled right now.
    InProgress,
    /// It was handled.
    Handled,
}

/// Where the webhooks received are recorded, shared by the instances of an app when it
/// runs several (Redis: `kinde_core::redis::RedisWebhookIds`, feature `redis`). The
/// default is [`MemoryWebhookIds`]. Keys come from kinde-core (the issuer, the client and
/// the event's signed `event_id`, hashed). Errors are
/// [`KindeError::session_store`](crate::KindeError::session_store): the webhook is then
/// answered `503`, and Kinde sends it again later.
///
/// Set one on a client with [`Kinde::with_webhook_ids`](crate::Kinde::with_webhook_ids).
pub trait WebhookIds: Send + Sync + 'static {
    /// Record `key` as being handled for `ttl`, unless the store knows it, atomically
    /// (of two deliveries at once, on any instances, one is [`Receipt::First`]). Redis:
    /// `SET key handling NX GET PX ttl`.
    fn begin<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, Receipt>;

    /// Record `key` as handled, for `ttl`.
    fn finish<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, ()>;

    /// Forget `key`, so that the next delivery of it is handled (its handling failed).
    fn forget<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()>;
}

/// [`WebhookIds`] in this process's memory: right for one instance. Holds at most
/// `capacity` events (the oldest go first), each for its time.
#[derive(Debug)]
pub struct MemoryWebhookIds {
    capacity: usize,
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    /// Whether each key is handled (else being handled), and until when.
    entries: HashMap<String, (bool, Instant)>,
    order: VecDeque<String>,
}

impl MemoryWebhookIds {
    /// A store of at most `capacity` events.
    pub fn new(capacity: usize) -> Self {
        MemoryWebhookIds {
            capacity: capacity.max(1),
            seen: Mutex::new(Seen::default()),
        }
    }

    fn set(&self, seen: &mut Seen, key: &str, handled: bool, ttl: Duration) {
        if !seen.entries.contains_key(key) {
            while seen.entries.len() >= self.capacity {
                let Some(oldest) = seen.order.pop_front() else {
                    break;
                };
                seen.entries.remove(&oldest);
            }
            seen.order.push_back(key.to_string());
        }
        seen.entries
            .insert(key.to_string(), (handled, Instant::now() + ttl));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Default for MemoryWebhookIds {
    /// 100,000 events: more than a busy business's webhooks over Kinde's 36 hours of
    /// retries.
    fn default() -> Self {
        MemoryWebhookIds::new(100_000)
    }
}

impl WebhookIds for MemoryWebhookIds {
    fn begin<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, Receipt> {
        // Looked up and recorded under one lock: of two deliveries at once, one is first.
        let mut seen = self.lock();
        let receipt = match seen.entries.get(key) {
            Some((true, until)) if *until > Instant::now() => Receipt::Handled,
            Some((false, until)) if *until > Instant::now() => Receipt::InProgress,
            _ => {
                self.set(&mut seen, key, false, ttl);
                Receipt::First
            }
        };
        Box::pin(async move { Ok(receipt) })
    }

    fn finish<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, ()> {
        self.set(&mut self.lock(), key, true, ttl);
        Box::pin(async { Ok(()) })
    }

    fn forget<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        let mut seen = self.lock();
        seen.entries.remove(key);
        seen.order.retain(|k| k != key);
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_event_is_first_once_then_in_progress_then_handled() {
        let ids = MemoryWebhookIds::new(2);
        let minute = Duration::from_secs(60);
        assert_eq!(ids.begin("a", minute).await.unwrap(), Receipt::First);
        assert_eq!(ids.begin("a", minute).await.unwrap(), Receipt::InProgress);
        ids.forget("a").await.unwrap();
        assert_eq!(ids.begin("a", minute).await.unwrap(), Receipt::First);
        ids.finish("a", minute).await.unwrap();
        assert_eq!(ids.begin("a", minute).await.unwrap(), Receipt::Handled);
        // Being handled, but for no time at all: a delivery after that is first again.
        assert_eq!(
            ids.begin("b", Duration::ZERO).await.unwrap(),
            Receipt::First
        );
        assert_eq!(ids.begin("b", minute).await.unwrap(), Receipt::First);
        // Capacity 2: a third event pushes out the oldest.
        assert_eq!(ids.begin("c", minute).await.unwrap(), Receipt::First);
        assert_eq!(ids.begin("a", minute).await.unwrap(), Receipt::First);
    }
}
