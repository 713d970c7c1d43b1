//! `cargo run -p kinde-examples --bin axum-app`: the server-rendered demo.
//! `HOST`/`PORT` say where it listens (default `127.0.0.1:3000`). With no
//! `KINDE_DOMAIN`, it runs against the embedded local Kinde TEST server (refused unless
//! `HOST` is loopback); with `REDIS_URL`, its sessions (and refreshes) are shared with
//! other instances in Redis.

use kinde_axum::{KindeAuth, RedisSessionStore};
use kinde_core::redis::{RedisRefreshStore, RedisWebhookIds, connect, listen_for_forced_refreshes};
use kinde_examples::{axum_app, demo};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    demo::init_tracing();
    let demo = demo::setup().unwrap_or_else(|e| demo::exit_with(e));
    let (app, sessions) = match demo::redis_url() {
        Some(url) => {
            let redis = connect(&url).await?;
            // Refreshes, forced refreshes and webhook ids shared with the other instances.
            let kinde = demo
                .kinde
                .with_refresh_store(RedisRefreshStore::new(redis.clone()))
                .with_webhook_ids(RedisWebhookIds::new(redis.clone()));
            listen_for_forced_refreshes(&kinde, &url).await?;
            let app =
                axum_app::router_with_store(KindeAuth::new(kinde), RedisSessionStore::new(redis));
            (app, demo::redis_sessions(&url))
        }
        None => (
            axum_app::router(KindeAuth::new(demo.kinde.clone())),
            demo::MEMORY_SESSIONS.to_string(),
        ),
    };
    let listener = tokio::net::TcpListener::bind(demo.addr()).await?;
    demo.announce("axum-app", &sessions, false);
    axum::serve(listener, app).await?;
    Ok(())
}
