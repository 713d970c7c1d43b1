//! `cargo run -p kinde-examples --bin local-kinde`: the embedded local Kinde server on
//! its own, at a fixed address (`KINDE_LOCAL_PORT`, default 4000), for several app
//! instances to share (the README's "Running several instances"). Prints the
//! `KINDE_*` variables to start the apps with; runs until stopped.

use kinde_core::testing::{LoginMode, TestKinde};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = match std::env::var("KINDE_LOCAL_PORT") {
        Ok(p) => p
            .parse()
            .map_err(|_| format!("KINDE_LOCAL_PORT: `{p}` is not a port"))?,
        Err(_) => 4000,
    };
    let local = TestKinde::builder()
        .login_mode(LoginMode::Page)
        .port(port)
        .start();
    println!("local Kinde server at {}", local.issuer());
    kinde_examples::demo::warn_local_test_server(&local.issuer());
    println!("start each app instance with:");
    println!("  KINDE_DOMAIN={}", local.issuer());
    println!("  KINDE_CLIENT_ID={}", local.client_id());
    if let Some(secret) = local.client_secret() {
        // A demo secret of this local server, printed so that a person can copy it.
        println!("  KINDE_CLIENT_SECRET={secret}");
    }
    println!("demo users (pick one on the sign-in page):");
    for user in local.users() {
        println!("  {}", user.email);
    }
    loop {
        std::thread::park();
    }
}
