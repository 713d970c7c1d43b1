//! `RedisSessionStore` against a real `redis-server` of the test's own: actix-session's
//! store contract (save, load, update, update_ttl, delete), Redis's expiry at the
//! session's TTL, a value that does not parse, and Redis down.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SessionStore};
use actix_web::cookie::time::Duration;
use kinde_actix::RedisSessionStore;
use kinde_core::redis::connect;
use kinde_core::testing::TestRedis;

fn state(visits: &str) -> HashMap<String, String> {
    HashMap::from([("visits".to_string(), visits.to_string())])
}

#[actix_web::test]
async fn keeps_states_for_their_ttl() {
    let redis = TestRedis::start();
    let store = RedisSessionStore::new(connect(&redis.url()).await.expect("Redis"));
    let ttl = Duration::hours(1);

    let key = store.save(state("1"), &ttl).await.expect("save");
    assert_eq!(key.as_ref().len(), 64, "a generated key");
    assert_eq!(store.load(&key).await.expect("load"), Some(state("1")));
    let redis_key = format!("kinde:session:{}", key.as_ref());
    let seconds: i64 = redis
        .command(&["TTL", &redis_key])
        .expect("TTL")
        .parse()
        .expect("seconds");
    assert!((3590..=3600).contains(&seconds), "{seconds}");

    let key = store.update(key, state("2"), &ttl).await.expect("update");
    assert_eq!(store.load(&key).await.expect("load"), Some(state("2")));
    store
        .update_ttl(&key, &Duration::minutes(5))
        .await
        .expect("update_ttl");
    let seconds: i64 = redis
        .command(&["TTL", &redis_key])
        .expect("TTL")
        .parse()
        .expect("seconds");
    assert!((290..=300).contains(&seconds), "{seconds}");

    // A session that expired meanwhile is kept under a new key.
    redis.command(&["DEL", &redis_key]).expect("DEL");
    let old = key.as_ref().to_string();
    let moved = store.update(key, state("3"), &ttl).await.expect("update");
    assert_ne!(moved.as_ref(), old);
    assert_eq!(store.load(&moved).await.expect("load"), Some(state("3")));

    store.delete(&moved).await.expect("delete");
    assert_eq!(store.load(&moved).await.expect("load"), None);
}

#[actix_web::test]
async fn a_value_that_does_not_parse_and_redis_down_are_told_apart() {
    let redis = TestRedis::start();
    let store = RedisSessionStore::new(connect(&redis.url()).await.expect("Redis"));
    let key = store
        .save(state("1"), &Duration::hours(1))
        .await
        .expect("save");
    redis
        .command(&[
            "SET",
            &format!("kinde:session:{}", key.as_ref()),
            "{not json",
        ])
        .expect("SET");
    assert!(matches!(
        store.load(&key).await,
        Err(LoadError::Deserialization(_))
    ));

    redis.stop();
    assert!(matches!(store.load(&key).await, Err(LoadError::Other(_))));
    assert!(store.save(state("1"), &Duration::hours(1)).await.is_err());
}
