//! Several instances of each adapter's example app behind one Redis and one local Kinde
//! server, over real HTTP: sessions shared and kept across a restart, sign-out ending
//! them everywhere, one refresh for 50 concurrent requests over three instances, a
//! refresh completed by another instance when its holder dies, and Redis outages that
//! are 503s with `Retry-After` and lose nothing. Real `redis-server`s, started by the
//! tests on free ports (`TestRedis`); no mock.

use std::time::{Duration, Instant};

use futures::future::join_all;
use kinde_core::redis::{ClientSideCache, RedisOptions};
use kinde_core::testing::{TestKinde, TestRedis};
use kinde_e2e::instances::{Adapter, instance, instance_with};
use kinde_e2e::scenarios::ADA;
use kinde_e2e::{Browser, SESSION_COOKIE, assert_redirect, eventually, status_body};
use reqwest::header;

const ADA_ID: &str = "kp_demo_admin";

/// `/me` on `base` as JSON: the status and the user's id, if any.
async fn me(b: &Browser, base: &str) -> (u16, String) {
    let (status, body) = status_body(b.get_json(&format!("{base}/me")).await).await;
    let id = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_string))
        .unwrap_or(body);
    (status, id)
}

async fn shared_sessions_survive_a_restart_and_end_everywhere(adapter: Adapter) {
    let tk = TestKinde::start();
    let redis = TestRedis::start();
    let a = instance(adapter, &tk, &redis, |c| c);
    let b_instance = instance(adapter, &tk, &redis, |c| c);
    let browser = Browser::new(&a.base);
    browser.sign_in(None, ADA).await;

    // The same cookie is signed in on the other instance.
    assert_eq!(me(&browser, &b_instance.base).await, (200, ADA_ID.into()));
    // A restarted instance (a new process: nothing in memory) still knows the session.
    a.stop();
    let a = instance(adapter, &tk, &redis, |c| c);
    assert_eq!(me(&browser, &a.base).await, (200, ADA_ID.into()));

    // Signing out on one instance ends the session on every instance at once: the old
    // cookie, replayed, is signed in nowhere.
    let replay = Browser::new(&a.base);
    replay.set_cookie(
        SESSION_COOKIE,
        &browser.cookie(SESSION_COOKIE).expect("cookie"),
    );
    let out = browser.get(&b_instance.url("/logout")).await;
    assert!(assert_redirect(&out).starts_with(&tk.issuer()));
    assert_eq!(me(&browser, &a.base).await.0, 401);
    assert_eq!(me(&replay, &a.base).await.0, 401);
    assert_eq!(me(&replay, &b_instance.base).await.0, 401);
}

async fn fifty_requests_over_three_instances_refresh_once(adapter: Adapter) {
    let tk = TestKinde::builder()
        .access_token_ttl(Duration::from_secs(3))
        .start();
    let redis = TestRedis::start();
    // Refreshed a second before expiry: the rotated tokens are fresh for two seconds.
    let margin = |c: kinde_core::KindeConfigBuilder| c.refresh_margin(Duration::from_secs(1));
    let instances = [
        instance(adapter, &tk, &redis, margin),
        instance(adapter, &tk, &redis, margin),
        instance(adapter, &tk, &redis, margin),
    ];
    let browser = Browser::new(&instances[0].base);
    browser.sign_in(None, ADA).await;
    assert_eq!(tk.token_requests("refresh_token"), 0);

    // Let the access token enter its refresh margin, and hold the refresh at Kinde so
    // that every request meets it in flight, on whichever instance.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    tk.set_token_delay(Duration::from_millis(500));
    let requests = (0..50).map(|i| me(&browser, &instances[i % 3].base));
    let answers = join_all(requests).await;
    tk.set_token_delay(Duration::ZERO);
    for answer in answers {
        assert_eq!(answer, (200, ADA_ID.into()));
    }
    assert_eq!(tk.token_requests("refresh_token"), 1, "one refresh grant");
    // Every instance serves the rotated set now: no second refresh.
    for instance in &instances {
        assert_eq!(me(&browser, &instance.base).await, (200, ADA_ID.into()));
    }
    assert_eq!(tk.token_requests("refresh_token"), 1);
}

async fn a_holder_that_dies_mid_refresh_leaves_it_to_another_instance(adapter: Adapter) {
    let tk = TestKinde::builder()
        .access_token_ttl(Duration::from_secs(1))
        .start();
    let redis = TestRedis::start();
    // A 1 s timeout towards Kinde: a refresh lock of 2 s.
    let tweak = |c: kinde_core::KindeConfigBuilder| {
        c.refresh_margin(Duration::from_millis(500))
            .http_timeout(Duration::from_secs(1))
    };
    let holder = instance(adapter, &tk, &redis, tweak);
    let survivor = instance(adapter, &tk, &redis, tweak);
    let browser = Browser::new(&holder.base);
    browser.sign_in(None, ADA).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // The holder's refresh hangs at Kinde; then the holder dies.
    tk.set_token_delay(Duration::from_secs(30));
    let hanging = {
        let (b, base) = (Browser::new(&holder.base), holder.base.clone());
        b.set_cookie(
            SESSION_COOKIE,
            &browser.cookie(SESSION_COOKIE).expect("cookie"),
        );
        tokio::spawn(async move {
            let _ = b.get_json(&format!("{base}/me")).await;
        })
    };
    eventually(10, "the holder's refresh reaches Kinde", || {
        tk.token_requests("refresh_token") == 1
    })
    .await;
    holder.stop();
    tk.set_token_delay(Duration::ZERO);
    hanging.abort();

    // Another instance waits for the dead holder's lock to expire, then refreshes.
    let started = Instant::now();
    assert_eq!(me(&browser, &survivor.base).await, (200, ADA_ID.into()));
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(5),
        "within the lock's expiry and one refresh: {waited:?}"
    );
    assert_eq!(
        tk.token_requests("refresh_token"),
        2,
        "the survivor's refresh"
    );
}

async fn redis_outages_are_503s_that_lose_nothing(adapter: Adapter) {
    let tk = TestKinde::start();
    let redis = TestRedis::start();
    let app = instance(adapter, &tk, &redis, |c| c);
    let browser = Browser::new(&app.base);
    browser.sign_in(None, ADA).await;
    let unavailable = |resp: reqwest::Response| async move {
        let retry = resp
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let (status, body) = status_body(resp).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(retry.as_deref(), Some("5"), "a 503 says when to retry");
    };

    // Stopped, paused (`CLIENT PAUSE`), slow (`DEBUG SLEEP`): signed-in routes are 503s
    // (a page, not a login redirect: nobody is signed out), public ones keep working.
    for outage in ["stopped", "paused", "slow"] {
        let slow = match outage {
            "stopped" => {
                redis.stop();
                None
            }
            "paused" => {
                redis.pause(Duration::from_secs(4));
                None
            }
            _ => Some(redis.sleep_in_background(Duration::from_secs(4))),
        };
        unavailable(browser.get_json(&app.url("/me")).await).await;
        unavailable(browser.get(&app.url("/dashboard")).await).await;
        let (status, body) = status_body(browser.get(&app.url("/health")).await).await;
        assert_eq!(
            (status, body.as_str()),
            (200, "ok"),
            "{outage}: public route"
        );
        match outage {
            "stopped" => redis.restart(),
            "paused" => tokio::time::sleep(Duration::from_secs(4)).await,
            _ => {
                if let Some(slow) = slow {
                    let _ = tokio::task::spawn_blocking(move || slow.join()).await;
                }
            }
        }
        // Back: the same cookie, the same session.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let answer = me(&browser, &app.base).await;
            if answer == (200, ADA_ID.into()) {
                break;
            }
            assert_eq!(answer.0, 503, "{outage}: recovering, never signed out");
            assert!(Instant::now() < deadline, "{outage}: recovered");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // A session value that does not parse is a clean sign-in, not a 500.
    let cookie = browser.cookie(SESSION_COOKIE).expect("cookie");
    let key = match adapter {
        Adapter::Axum => format!("kinde:session:{cookie}"),
        Adapter::Actix => format!("kinde:session:{cookie}"),
    };
    assert_eq!(
        redis.command(&["SET", &key, "{not json"]).expect("SET"),
        "OK"
    );
    assert_eq!(me(&browser, &app.base).await.0, 401);
    let page = browser.get(&app.url("/dashboard")).await;
    assert!(assert_redirect(&page).starts_with("/login"));
}

/// `/me` on `base` until it answers `status` (an invalidation from Redis is a push on
/// the instance's connection: it lands within moments, not necessarily before the
/// next request).
async fn me_until(b: &Browser, base: &str, status: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        if me(b, base).await.0 == status {
            return;
        }
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn client_side_caching_answers_from_memory_and_sees_changes(adapter: Adapter) {
    let tk = TestKinde::start();
    let redis = TestRedis::start();
    let cached = RedisOptions {
        client_side_cache: Some(ClientSideCache::default()),
        ..RedisOptions::default()
    };
    let a = instance_with(adapter, &tk, &redis, cached, |c| c);
    let b = instance_with(adapter, &tk, &redis, cached, |c| c);
    let browser = Browser::new(&a.base);
    browser.sign_in(None, ADA).await;
    assert_eq!(me(&browser, &b.base).await, (200, ADA_ID.into()));

    // Warm requests on either instance are answered from memory: Redis sees no `GET`.
    let gets = || {
        redis
            .command_calls()
            .into_iter()
            .find_map(|(name, calls)| (name == "get").then_some(calls))
            .unwrap_or(0)
    };
    assert_eq!(me(&browser, &a.base).await, (200, ADA_ID.into()));
    let before = gets();
    for base in [&a.base, &b.base].repeat(10) {
        assert_eq!(me(&browser, base).await, (200, ADA_ID.into()));
    }
    assert_eq!(gets(), before, "20 warm requests, no GET");

    // Signing out on one instance ends the session on the other, which had it in memory:
    // the old cookie, replayed, is signed in nowhere.
    let cookie = browser.cookie(SESSION_COOKIE).expect("cookie");
    let replay = Browser::new(&b.base);
    replay.set_cookie(SESSION_COOKIE, &cookie);
    assert_eq!(me(&replay, &b.base).await, (200, ADA_ID.into()));
    let out = browser.get(&a.url("/logout")).await;
    assert!(assert_redirect(&out).starts_with(&tk.issuer()));
    me_until(&replay, &b.base, 401, "signed out on b").await;
    assert_eq!(me(&replay, &a.base).await.0, 401);

    // A record changed behind the instances' backs (here by redis-cli) is seen too:
    // Redis invalidates it in both instances' memories.
    browser.sign_in(None, ADA).await;
    for base in [&a.base, &b.base] {
        assert_eq!(me(&browser, base).await, (200, ADA_ID.into()));
    }
    let key = format!(
        "kinde:session:{}",
        browser.cookie(SESSION_COOKIE).expect("cookie")
    );
    assert_eq!(
        redis.command(&["SET", &key, "{not json"]).expect("SET"),
        "OK"
    );
    let replay = Browser::new(&b.base);
    replay.set_cookie(
        SESSION_COOKIE,
        &browser.cookie(SESSION_COOKIE).expect("cookie"),
    );
    me_until(&replay, &b.base, 401, "b sees the changed record").await;
    me_until(&replay, &a.base, 401, "a sees the changed record").await;
}

macro_rules! for_both_adapters {
    ($($name:ident),* $(,)?) => {
        mod axum {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(Adapter::Axum).await;
                }
            )*
        }
        mod actix {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(Adapter::Actix).await;
                }
            )*
        }
    };
}

for_both_adapters!(
    shared_sessions_survive_a_restart_and_end_everywhere,
    fifty_requests_over_three_instances_refresh_once,
    a_holder_that_dies_mid_refresh_leaves_it_to_another_instance,
    redis_outages_are_503s_that_lose_nothing,
    client_side_caching_answers_from_memory_and_sees_changes,
);
