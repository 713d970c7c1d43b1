//! `RedisSessionStore` against a real `redis-server` of the test's own: tower-sessions'
//! store contract (create, save, load, delete), Redis's expiry at the record's, ids
//! never reused, a value that does not parse, and Redis down.

use std::collections::HashMap;

use kinde_axum::RedisSessionStore;
use kinde_core::redis::connect;
use kinde_core::testing::TestRedis;
use tower_sessions::SessionStore;
use tower_sessions::cookie::time::{Duration, OffsetDateTime};
use tower_sessions::session::{Id, Record};

fn record(expires_in: Duration) -> Record {
    Record {
        id: Id::default(),
        data: HashMap::from([("visits".to_string(), serde_json::json!(1))]),
        expiry_date: OffsetDateTime::now_utc() + expires_in,
    }
}

#[tokio::test]
async fn keeps_records_until_their_expiry() {
    let redis = TestRedis::start();
    let store = RedisSessionStore::new(connect(&redis.url()).await.expect("Redis"));

    let mut created = record(Duration::hours(1));
    store.create(&mut created).await.expect("create");
    assert_eq!(
        store.load(&created.id).await.expect("load"),
        Some(created.clone())
    );
    let key = format!("kinde:session:{}", created.id);
    let ttl: i64 = redis
        .command(&["TTL", &key])
        .expect("TTL")
        .parse()
        .expect("seconds");
    assert!(
        (3590..=3600).contains(&ttl),
        "Redis expires it with the record: {ttl}"
    );

    let mut changed = created.clone();
    changed.data.insert("visits".into(), serde_json::json!(2));
    store.save(&changed).await.expect("save");
    assert_eq!(store.load(&created.id).await.expect("load"), Some(changed));

    store.delete(&created.id).await.expect("delete");
    assert_eq!(store.load(&created.id).await.expect("load"), None);

    // An id already taken is never reused: `create` picks another.
    let mut first = record(Duration::hours(1));
    store.create(&mut first).await.expect("create");
    let mut second = record(Duration::hours(1));
    second.id = first.id;
    store.create(&mut second).await.expect("create");
    assert_ne!(second.id, first.id);
    assert_eq!(store.load(&first.id).await.expect("load"), Some(first));

    // Another prefix, another namespace.
    let other =
        RedisSessionStore::new(connect(&redis.url()).await.expect("Redis")).with_prefix("app2:");
    assert_eq!(other.load(&second.id).await.expect("load"), None);
}

#[tokio::test]
async fn a_value_that_does_not_parse_is_no_session_and_redis_down_is_an_error() {
    let redis = TestRedis::start();
    let store = RedisSessionStore::new(connect(&redis.url()).await.expect("Redis"));
    let id = Id::default();
    redis
        .command(&["SET", &format!("kinde:session:{id}"), "{not json"])
        .expect("SET");
    assert_eq!(store.load(&id).await.expect("a clean miss"), None);

    redis.stop();
    assert!(
        store.load(&id).await.is_err(),
        "Redis down is an error, not a miss"
    );
    assert!(store.save(&record(Duration::hours(1))).await.is_err());
}
