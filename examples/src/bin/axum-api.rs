//! `cargo run -p kinde-examples --bin axum-api`: the bearer-token API demo.
//! `HOST`/`PORT` say where it listens (default `127.0.0.1:3000`). With no
//! `KINDE_DOMAIN`, it runs against the embedded local Kinde TEST server (refused unless
//! `HOST` is loopback) and prints a ready token for each demo user.

use kinde_axum::KindeAuth;
use kinde_examples::{axum_api, demo};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    demo::init_tracing();
    let demo = demo::setup().unwrap_or_else(|e| demo::exit_with(e));
    let app = axum_api::router(KindeAuth::new(demo.kinde.clone()));
    let listener = tokio::net::TcpListener::bind(demo.addr()).await?;
    demo.announce("axum-api", "no sessions: bearer tokens only", true);
    axum::serve(listener, app).await?;
    Ok(())
}
