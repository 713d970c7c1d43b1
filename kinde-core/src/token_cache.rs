//! A bounded cache of verified tokens, so the hot path of a repeated token is a hash
//! and a map lookup instead of an RSA signature check.
//!
//! Keyed by a SHA-256 of the token (the token itself is never stored), sharded to keep
//! lock hold times short, bounded in size, and an entry is never served past the token's
//! own `exp`, and a hit counts only while the key that signed the token is still in the
//! current JWKS snapshot (so a withdrawn key stops its tokens exactly as without the
//! cache). What it trades: memory (the claims of up to `capacity` tokens), and a
//! repeated token is not re-parsed, so its claims are those seen the first time.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::claims::Claims;
use crate::tokens::now_secs;

const SHARDS: usize = 16;

pub(crate) type CacheKey = [u8; 32];

/// Verified claims, when they stop being valid, and the `kid` that signed them (a hit
/// counts only while that key is still published).
#[derive(Clone)]
pub(crate) struct Entry {
    pub(crate) claims: Claims,
    pub(crate) until: u64,
    pub(crate) kid: std::sync::Arc<str>,
}

pub(crate) struct VerifiedCache {
    shards: Vec<Mutex<HashMap<CacheKey, Entry>>>,
    per_shard: usize,
}

impl VerifiedCache {
    pub(crate) fn new(capacity: usize) -> Self {
        VerifiedCache {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard: capacity.div_ceil(SHARDS),
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.per_shard > 0
    }

    /// The key of `token` verified as `kind` (a tag, so one token verified two ways
    /// never shares an entry).
    pub(crate) fn key(kind: u8, token: &str) -> CacheKey {
        let mut h = Sha256::new();
        h.update([kind]);
        h.update(token.as_bytes());
        h.finalize().into()
    }

    fn shard(&self, key: &CacheKey) -> std::sync::MutexGuard<'_, HashMap<CacheKey, Entry>> {
        self.shards[key[0] as usize % SHARDS]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// The cached entry, if present and not yet at its `until`.
    pub(crate) fn get(&self, key: &CacheKey) -> Option<Entry> {
        if !self.enabled() {
            return None;
        }
        let now = now_secs();
        let mut shard = self.shard(key);
        match shard.get(key) {
            Some(e) if now < e.until => Some(e.clone()),
            Some(_) => {
                shard.remove(key);
                None
            }
            None => None,
        }
    }

    /// Remember verified claims until `entry.until` (Unix seconds).
    pub(crate) fn insert(&self, key: CacheKey, entry: Entry) {
        if !self.enabled() || entry.until <= now_secs() {
            return;
        }
        let mut shard = self.shard(&key);
        if shard.len() >= self.per_shard {
            let now = now_secs();
            shard.retain(|_, e| now < e.until);
            if shard.len() >= self.per_shard {
                // Still full of live entries: start this shard over rather than track
                // recency on the hot path. Evicted tokens are simply verified again.
                shard.clear();
            }
        }
        shard.insert(key, entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(until: u64) -> Entry {
        Entry {
            claims: Claims::from_value(serde_json::json!({"sub": "x"})).unwrap(),
            until,
            kid: "k".into(),
        }
    }

    #[test]
    fn never_serves_expired_and_stays_bounded() {
        let cache = VerifiedCache::new(32);
        let k = VerifiedCache::key(0, "a.b.c");
        cache.insert(k, entry(now_secs() + 60));
        assert!(cache.get(&k).is_some());
        let old = VerifiedCache::key(0, "old");
        cache.insert(old, entry(now_secs().saturating_sub(1)));
        assert!(cache.get(&old).is_none());
        for i in 0..10_000 {
            cache.insert(
                VerifiedCache::key(0, &i.to_string()),
                entry(now_secs() + 60),
            );
        }
        let total: usize = cache.shards.iter().map(|s| s.lock().unwrap().len()).sum();
        assert!(total <= 32, "{total}");
        assert_ne!(VerifiedCache::key(0, "t"), VerifiedCache::key(1, "t"));
        assert!(VerifiedCache::new(0).get(&k).is_none());
    }
}
