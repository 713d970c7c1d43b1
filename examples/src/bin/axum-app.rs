//! `cargo run -p kinde-examples --bin axum-app`: the server-rendered demo.
//! With no `KINDE_DOMAIN`, it runs against the embedded local Kinde server.

use kinde_axum::KindeAuth;
use kinde_examples::{axum_app, demo};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    demo::init_tracing();
    let demo = demo::setup()?;
    let app = axum_app::router(KindeAuth::new(demo.kinde.clone()));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", demo.port)).await?;
    demo.announce("axum-app", false);
    axum::serve(listener, app).await?;
    Ok(())
}
