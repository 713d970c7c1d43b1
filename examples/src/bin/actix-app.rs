//! `cargo run -p kinde-examples --bin actix-app`: the server-rendered demo on actix-web.
//! `HOST`/`PORT` say where it listens (default `127.0.0.1:3000`). With no
//! `KINDE_DOMAIN`, it runs against the embedded local Kinde TEST server (refused unless
//! `HOST` is loopback); with `REDIS_URL`, its sessions (and refreshes) are shared with
//! other instances in Redis.

use kinde_actix::{KindeAuth, RedisSessionStore};
use kinde_core::redis::{RedisRefreshStore, RedisWebhookIds, connect, listen_for_forced_refreshes};
use kinde_examples::{actix_app, demo};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    demo::init_tracing();
    let demo = demo::setup().unwrap_or_else(|e| demo::exit_with(e));
    let listener = std::net::TcpListener::bind(demo.addr())?;
    actix_web::rt::System::new().block_on(async {
        let server = match demo::redis_url() {
            Some(url) => {
                let redis = connect(&url).await?;
                // Refreshes, forced refreshes and webhook ids shared with the other
                // instances.
                let kinde = demo
                    .kinde
                    .with_refresh_store(RedisRefreshStore::new(redis.clone()))
                    .with_webhook_ids(RedisWebhookIds::new(redis.clone()));
                listen_for_forced_refreshes(&kinde, &url).await?;
                let store = RedisSessionStore::new(redis);
                demo.announce("actix-app", &demo::redis_sessions(&url), false);
                actix_app::serve_with_store(KindeAuth::new(kinde), store, listener)?
            }
            None => {
                demo.announce("actix-app", demo::MEMORY_SESSIONS, false);
                actix_app::serve(KindeAuth::new(demo.kinde.clone()), listener)?
            }
        };
        server.await?;
        Ok(())
    })
}
