//! Several instances of an example app sharing one Redis and one local Kinde server, as
//! an app behind a load balancer runs: each instance has its own Kinde client (its own
//! caches and refreshes in flight, as a separate process has), its sessions in the
//! shared Redis and its refreshes coordinated there.

use std::net::TcpListener;

use kinde_core::KindeConfigBuilder;
use kinde_core::redis::redis;
use kinde_core::redis::{
    RedisOptions, RedisRefreshStore, RedisWebhookIds, connect_with, listen_for_forced_refreshes,
};
use kinde_core::testing::{TestKinde, TestRedis};
use kinde_examples::{actix_app, axum_app};

use crate::starters::actix::run_async;
use crate::{App, RunningApp, client_at};

/// Which adapter's example app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adapter {
    /// `axum-app` with `kinde_axum::RedisSessionStore`.
    Axum,
    /// `actix-app` with `kinde_actix::RedisSessionStore` under kinde-actix's middleware.
    Actix,
}

/// Start an instance of `adapter`'s example app against `kinde` and `redis`, its client
/// configured by `tweak`.
///
/// # Panics
/// If it cannot start (no port, Redis unreachable).
pub fn instance(
    adapter: Adapter,
    kinde: &TestKinde,
    redis: &TestRedis,
    tweak: impl FnOnce(KindeConfigBuilder) -> KindeConfigBuilder,
) -> App {
    instance_with(adapter, kinde, redis, RedisOptions::default(), tweak)
}

/// [`instance`] with its Redis connection made with `options` (client-side caching).
///
/// # Panics
/// If it cannot start (no port, Redis unreachable).
pub fn instance_with(
    adapter: Adapter,
    kinde: &TestKinde,
    redis: &TestRedis,
    options: RedisOptions,
    tweak: impl FnOnce(KindeConfigBuilder) -> KindeConfigBuilder,
) -> App {
    let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local address").port();
    let client = client_at(kinde, port, "/callback", tweak);
    App::running_on(port, serve(adapter, client, redis.url(), options, listener))
}

/// Serve `adapter`'s app with `kinde` on `listener`, its sessions in the Redis at `url`.
fn serve(
    adapter: Adapter,
    kinde: kinde_core::Kinde,
    url: String,
    options: RedisOptions,
    listener: TcpListener,
) -> RunningApp {
    match adapter {
        Adapter::Axum => RunningApp::tokio_thread(listener, move |listener| async move {
            let redis = connect_with(&url, options).await.expect("Redis");
            let kinde = shared_in(kinde, &redis, &url).await;
            let router = axum_app::router_with_store(
                kinde_axum::KindeAuth::new(kinde),
                kinde_axum::RedisSessionStore::new(redis),
            );
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            axum::serve(listener, router).await.expect("axum server");
        }),
        Adapter::Actix => run_async(listener, move |listener| async move {
            let redis = connect_with(&url, options).await.expect("Redis");
            let kinde = shared_in(kinde, &redis, &url).await;
            let store = kinde_actix::RedisSessionStore::new(redis);
            actix_app::serve_with_store(kinde_actix::KindeAuth::new(kinde), store, listener)
        }),
    }
}

/// `kinde` sharing with the other instances, in the Redis at `url`: refreshes, forced
/// refreshes (announced and listened for) and webhook ids, as the example apps do.
async fn shared_in(
    kinde: kinde_core::Kinde,
    redis: &redis::aio::ConnectionManager,
    url: &str,
) -> kinde_core::Kinde {
    let kinde = kinde
        .with_refresh_store(RedisRefreshStore::new(redis.clone()))
        .with_webhook_ids(RedisWebhookIds::new(redis.clone()));
    // The listener lives as long as the instance's runtime.
    listen_for_forced_refreshes(&kinde, url)
        .await
        .expect("listen for forced refreshes");
    kinde
}
