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
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::tokens::now_secs;

const SHARDS: usize = 16;

/// Where a token's entry lives: its kind, its length and the last bytes of the token
/// (for a JWT, part of its signature). Only an index: a hit also needs the whole token
/// to match the entry's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CacheKey([u8; 32]);

impl CacheKey {
    /// The key's bytes folded into one word, high bits included (the map uses them).
    /// Not a keyed hash, and it needs none: only verified tokens are ever inserted, so
    /// nobody can fill a bucket with chosen keys; a lookup of a forged key only probes.
    fn mix(&self) -> u64 {
        let w = |i: usize| word(&self.0, i);
        let folded = w(0) ^ w(1).rotate_left(16) ^ w(2).rotate_left(32) ^ w(3).rotate_left(48);
        let m = folded.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        m ^ (m >> 29)
    }
}

impl Hash for CacheKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.mix());
    }
}

/// The `i`-th 8-byte word of `bytes` (which holds at least `8 * (i + 1)` bytes).
fn word(bytes: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]))
}

/// Passes [`CacheKey::mix`] through: SipHash of the key was a fifth of a warm request's
/// cache lookup.
#[derive(Default)]
struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used (by `CacheKey`); anything else still hashes.
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x100_0000_01B3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Shard<V> = HashMap<CacheKey, Stored<V>, BuildHasherDefault<MixHasher>>;

/// The signing keys a hit is checked against (the current JWKS snapshot).
pub(crate) trait Published {
    /// A number that changes whenever the published keys may have changed.
    fn generation(&self) -> u64;
    /// Whether the key `kid` is published.
    fn has(&self, kid: &str) -> bool;
}

const TAIL: usize = 24;

impl CacheKey {
    /// The index of the token `bytes` verified as `kind` (a tag, so one token verified two ways
    /// never shares an entry).
    pub(crate) fn of(kind: u8, bytes: &[u8]) -> CacheKey {
        let mut k = [0u8; 32];
        k[0] = kind;
        k[1..8].copy_from_slice(&(bytes.len() as u64).to_le_bytes()[..7]);
        let tail = &bytes[bytes.len().saturating_sub(TAIL)..];
        k[8..8 + tail.len()].copy_from_slice(tail);
        CacheKey(k)
    }
}

/// A verified value (a token's claims, or a whole session), when it stops being valid,
/// and the `kid`s that signed it (a hit counts only while they are all still published).
pub(crate) struct Entry<V> {
    pub(crate) value: V,
    pub(crate) until: u64,
    pub(crate) kids: Box<[Arc<str>]>,
}

/// No key generation: the `kid`s of a new entry are checked on its first hit.
const UNCONFIRMED: u64 = u64::MAX;

/// An entry with the exact bytes it was verified for (shared: a hit hands them out
/// instead of copying the presented token).
struct Stored<V> {
    token: Arc<str>,
    entry: Entry<V>,
    /// The key generation in which all `kids` were last seen published: a hit in the
    /// same generation needs no lookup of its keys.
    confirmed: AtomicU64,
}

/// `a == b` without an early exit on the first differing byte. 32 bytes a step in four
/// independent words, which the compiler turns into vector instructions: a stored
/// session is ~2.5 KB and is compared on every request.
fn fixed_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = [0u64; 4];
    let (ac, bc) = (a.chunks_exact(32), b.chunks_exact(32));
    for (x, y) in ac.remainder().iter().zip(bc.remainder()) {
        diff[0] |= u64::from(x ^ y);
    }
    for (x, y) in ac.zip(bc) {
        for (i, d) in diff.iter_mut().enumerate() {
            *d |= word(x, i) ^ word(y, i);
        }
    }
    std::hint::black_box(diff[0] | diff[1] | diff[2] | diff[3]) == 0
}

/// The cache, for any cheaply cloned value: token claims, or `Arc`ed sessions.
pub(crate) struct VerifiedCache<V> {
    /// Read-locked on the hot path: concurrent requests of one session (one shard)
    /// must not queue behind each other.
    shards: Vec<RwLock<Shard<V>>>,
    per_shard: usize,
}

impl<V: Clone> VerifiedCache<V> {
    pub(crate) fn new(capacity: usize) -> Self {
        VerifiedCache {
            shards: (0..SHARDS).map(|_| RwLock::new(Shard::default())).collect(),
            per_shard: capacity.div_ceil(SHARDS),
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.per_shard > 0
    }

    fn shard_index(key: &CacheKey) -> usize {
        // The top bits: the map picks buckets with the low ones and tags with bits 57–63.
        (key.mix() >> 52) as usize % SHARDS
    }

    fn read(&self, key: &CacheKey) -> RwLockReadGuard<'_, Shard<V>> {
        self.shards[Self::shard_index(key)]
            .read()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self, key: &CacheKey) -> RwLockWriteGuard<'_, Shard<V>> {
        self.shards[Self::shard_index(key)]
            .write()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// The cached value of exactly `token`, if present, not yet at its `until`, and
    /// every key that signed it is still `published`.
    pub(crate) fn get(
        &self,
        key: &CacheKey,
        token: &[u8],
        published: &impl Published,
    ) -> Option<V> {
        self.get_shared(key, token, published)
            .map(|(value, _)| value)
    }

    /// [`get`](Self::get), with the cache's own copy of the token.
    pub(crate) fn get_shared(
        &self,
        key: &CacheKey,
        token: &[u8],
        published: &impl Published,
    ) -> Option<(V, Arc<str>)> {
        if !self.enabled() {
            return None;
        }
        let now = now_secs();
        // An entry past its `until` is left for `insert` to sweep out.
        let shard = self.read(key);
        let stored = shard.get(key)?;
        let hit = now < stored.entry.until
            && fixed_time_eq(stored.token.as_bytes(), token)
            && Self::keys_published(stored, published);
        hit.then(|| (stored.entry.value.clone(), stored.token.clone()))
    }

    fn keys_published(stored: &Stored<V>, published: &impl Published) -> bool {
        let generation = published.generation();
        if stored.confirmed.load(Ordering::Relaxed) == generation {
            return true;
        }
        let all = stored.entry.kids.iter().all(|kid| published.has(kid));
        if all {
            stored.confirmed.store(generation, Ordering::Relaxed);
        }
        all
    }

    /// Remember the verified value of `token` until `entry.until` (Unix seconds).
    pub(crate) fn insert(&self, key: CacheKey, token: Arc<str>, entry: Entry<V>) {
        if !self.enabled() || entry.until <= now_secs() {
            return;
        }
        let mut shard = self.write(&key);
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
                token,
                entry,
                confirmed: AtomicU64::new(UNCONFIRMED),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Claims;

    fn entry(until: u64) -> Entry<Claims> {
        Entry {
            value: Claims::from_value(serde_json::json!({"sub": "x"})).unwrap(),
            until,
            kids: Box::new(["k".into()]),
        }
    }

    /// Every key published, in one generation.
    struct Any;
    impl Published for Any {
        fn generation(&self) -> u64 {
            0
        }
        fn has(&self, _: &str) -> bool {
            true
        }
    }
    const ANY: &Any = &Any;

    #[test]
    fn never_serves_expired_and_stays_bounded() {
        let cache = VerifiedCache::<Claims>::new(32);
        let k = CacheKey::of(0, b"a.b.c");
        cache.insert(k, "a.b.c".into(), entry(now_secs() + 60));
        assert!(cache.get(&k, b"a.b.c", ANY).is_some());
        let old = CacheKey::of(0, b"old");
        cache.insert(old, "old".into(), entry(now_secs().saturating_sub(1)));
        assert!(cache.get(&old, b"old", ANY).is_none());
        for i in 0..10_000 {
            let t = i.to_string();
            cache.insert(
                CacheKey::of(0, t.as_bytes()),
                t.as_str().into(),
                entry(now_secs() + 60),
            );
        }
        let total: usize = cache.shards.iter().map(|s| s.read().unwrap().len()).sum();
        assert!(total <= 32, "{total}");
        assert_ne!(CacheKey::of(0, b"t"), CacheKey::of(1, b"t"));
        assert!(
            VerifiedCache::<Claims>::new(0)
                .get(&k, b"a.b.c", ANY)
                .is_none()
        );
    }

    #[test]
    fn a_hit_needs_the_exact_token() {
        let cache = VerifiedCache::<Claims>::new(32);
        // Same kind, length and tail (same index), different bytes before the tail.
        let genuine = format!("header.payload-A.{}", "s".repeat(40));
        let forged = format!("header.payload-B.{}", "s".repeat(40));
        let k = CacheKey::of(0, genuine.as_bytes());
        assert!(
            k == CacheKey::of(0, forged.as_bytes()),
            "same index by construction"
        );
        cache.insert(k, genuine.as_str().into(), entry(now_secs() + 60));
        assert!(cache.get(&k, genuine.as_bytes(), ANY).is_some());
        assert!(
            cache.get(&k, forged.as_bytes(), ANY).is_none(),
            "a lookalike is not a hit"
        );
        assert!(fixed_time_eq(b"0123456789abc", b"0123456789abc"));
        assert!(!fixed_time_eq(b"0123456789abc", b"0123456789abd"));
        assert!(!fixed_time_eq(b"0123456789abc", b"1123456789abc"));
        assert!(!fixed_time_eq(b"abc", b"abcd"));
        // Every position of a long input counts, in the 32-byte steps and the tail.
        let long: Vec<u8> = (0..2_531u32).map(|i| (i % 251) as u8).collect();
        assert!(fixed_time_eq(&long, &long.clone()));
        for at in [0, 7, 31, 32, 1_000, 2_495, 2_496, 2_530] {
            let mut other = long.clone();
            other[at] ^= 0x40;
            assert!(!fixed_time_eq(&long, &other), "difference at {at}");
        }
    }

    /// The published keys of a test: a generation and a set of kids.
    struct Keys(u64, &'static [&'static str]);
    impl Published for Keys {
        fn generation(&self) -> u64 {
            self.0
        }
        fn has(&self, kid: &str) -> bool {
            self.1.contains(&kid)
        }
    }

    #[test]
    fn a_hit_counts_only_while_its_keys_are_published() {
        let cache = VerifiedCache::<Claims>::new(32);
        let k = CacheKey::of(0, b"a.b.c");
        cache.insert(k, "a.b.c".into(), entry(now_secs() + 60));
        // Checked on the first hit, then trusted for the rest of that generation.
        assert!(cache.get(&k, b"a.b.c", &Keys(1, &["k"])).is_some());
        assert!(cache.get(&k, b"a.b.c", &Keys(1, &[])).is_some());
        // A new snapshot without the key: no hit, in that generation and the next.
        assert!(cache.get(&k, b"a.b.c", &Keys(2, &["other"])).is_none());
        assert!(cache.get(&k, b"a.b.c", &Keys(2, &["other"])).is_none());
        assert!(cache.get(&k, b"a.b.c", &Keys(3, &["k", "other"])).is_some());
    }
}
