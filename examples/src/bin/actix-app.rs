//! `cargo run -p kinde-examples --bin actix-app`: the server-rendered demo on actix-web.
//! With no `KINDE_DOMAIN`, it runs against the embedded local Kinde server.

use kinde_actix::KindeAuth;
use kinde_examples::{actix_app, demo};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    demo::init_tracing();
    let demo = demo::setup()?;
    let listener = std::net::TcpListener::bind(("127.0.0.1", demo.port))?;
    demo.announce("actix-app", false);
    let server = actix_app::serve(KindeAuth::new(demo.kinde.clone()), listener)?;
    actix_web::rt::System::new().block_on(server)?;
    Ok(())
}
