//! A bounded cache of verified tokens, so the hot path of a repeated token is a map
//! lookup and a byte comparison instead of an RSA signature check.
//!
//! An entry keeps the exact token it was verified for, and a hit requires the presented
//! token to equal it byte for byte (compared in fixed time); the map is indexed by a
//! cheap fingerprint of the token's tail (the signature), which only picks the candidate.
//! Hashing the whole token (SHA-256 of ~1.3 KB) was the largest cost of a warm request.
//! Sharded to keep lock hold times short, bounded in size, and an entry is never served
//! past the token's own `exp`, and a hit counts only while the key that signed the token
//! is still in the current JWKS snapshot (so a withdrawn key stops its tokens exactly as
//! without the cache). What it trades: memory (the token and its claims, for up to
//! `capacity` tokens), and a repeated token is not re-parsed, so its claims are those
//! seen the first time.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::claims::Claims;
use crate::tokens::now_secs;

const SHARDS: usize = 16;

/// Where a token's entry lives: its kind, its length and the last bytes of the token
/// (for a JWT, part of its signature). Only an index: a hit also needs the whole token
/// to match the entry's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey([u8; 32]);

const TAIL: usize = 24;

/// Verified claims, when they stop being valid, and the `kid` that signed them (a hit
/// counts only while that key is still published).
#[derive(Clone)]
pub(crate) struct Entry {
    pub(crate) claims: Claims,
    pub(crate) until: u64,
    pub(crate) kid: std::sync::Arc<str>,
}

/// An entry with the exact token it was verified for.
struct Stored {
    token: Box<[u8]>,
    entry: Entry,
}

/// `a == b` without an early exit on the first differing byte (word by word).
fn fixed_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u64;
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    for (x, y) in ac.remainder().iter().zip(bc.remainder()) {
        diff |= u64::from(x ^ y);
    }
    for (x, y) in ac.zip(bc) {
        let x = u64::from_ne_bytes(x.try_into().unwrap_or([0; 8]));
        let y = u64::from_ne_bytes(y.try_into().unwrap_or([0; 8]));
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

pub(crate) struct VerifiedCache {
    shards: Vec<Mutex<HashMap<CacheKey, Stored>>>,
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

    /// The index of `token` verified as `kind` (a tag, so one token verified two ways
    /// never shares an entry).
    pub(crate) fn key(kind: u8, token: &str) -> CacheKey {
        let bytes = token.as_bytes();
        let mut k = [0u8; 32];
        k[0] = kind;
        k[1..8].copy_from_slice(&(bytes.len() as u64).to_le_bytes()[..7]);
        let tail = &bytes[bytes.len().saturating_sub(TAIL)..];
        k[8..8 + tail.len()].copy_from_slice(tail);
        CacheKey(k)
    }

    fn shard(&self, key: &CacheKey) -> std::sync::MutexGuard<'_, HashMap<CacheKey, Stored>> {
        // The last byte of the token: spread like its signature.
        self.shards[key.0[31] as usize % SHARDS]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// The cached entry of exactly `token`, if present and not yet at its `until`.
    pub(crate) fn get(&self, key: &CacheKey, token: &str) -> Option<Entry> {
        if !self.enabled() {
            return None;
        }
        let now = now_secs();
        let mut shard = self.shard(key);
        match shard.get(key) {
            Some(s) if !fixed_time_eq(&s.token, token.as_bytes()) => None,
            Some(s) if now < s.entry.until => Some(s.entry.clone()),
            Some(_) => {
                shard.remove(key);
                None
            }
            None => None,
        }
    }

    /// Remember the verified claims of `token` until `entry.until` (Unix seconds).
    pub(crate) fn insert(&self, key: CacheKey, token: &str, entry: Entry) {
        if !self.enabled() || entry.until <= now_secs() {
            return;
        }
        let mut shard = self.shard(&key);
        if shard.len() >= self.per_shard {
            let now = now_secs();
            shard.retain(|_, s| now < s.entry.until);
            if shard.len() >= self.per_shard {
                // Still full of live entries: start this shard over rather than track
                // recency on the hot path. Evicted tokens are simply verified again.
                shard.clear();
            }
        }
        shard.insert(
            key,
            Stored {
                token: token.as_bytes().into(),
                entry,
            },
        );
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
        cache.insert(k, "a.b.c", entry(now_secs() + 60));
        assert!(cache.get(&k, "a.b.c").is_some());
        let old = VerifiedCache::key(0, "old");
        cache.insert(old, "old", entry(now_secs().saturating_sub(1)));
        assert!(cache.get(&old, "old").is_none());
        for i in 0..10_000 {
            let t = i.to_string();
            cache.insert(VerifiedCache::key(0, &t), &t, entry(now_secs() + 60));
        }
        let total: usize = cache.shards.iter().map(|s| s.lock().unwrap().len()).sum();
        assert!(total <= 32, "{total}");
        assert_ne!(VerifiedCache::key(0, "t"), VerifiedCache::key(1, "t"));
        assert!(VerifiedCache::new(0).get(&k, "a.b.c").is_none());
    }

    #[test]
    fn a_hit_needs_the_exact_token() {
        let cache = VerifiedCache::new(32);
        // Same kind, length and tail (same index), different bytes before the tail.
        let genuine = format!("header.payload-A.{}", "s".repeat(40));
        let forged = format!("header.payload-B.{}", "s".repeat(40));
        let k = VerifiedCache::key(0, &genuine);
        assert!(
            k == VerifiedCache::key(0, &forged),
            "same index by construction"
        );
        cache.insert(k, &genuine, entry(now_secs() + 60));
        assert!(cache.get(&k, &genuine).is_some());
        assert!(cache.get(&k, &forged).is_none(), "a lookalike is not a hit");
        assert!(fixed_time_eq(b"0123456789abc", b"0123456789abc"));
        assert!(!fixed_time_eq(b"0123456789abc", b"0123456789abd"));
        assert!(!fixed_time_eq(b"0123456789abc", b"1123456789abc"));
        assert!(!fixed_time_eq(b"abc", b"abcd"));
    }
}
