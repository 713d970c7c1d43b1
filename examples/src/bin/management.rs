//! `cargo run -p kinde-examples --bin management`
//!
//! The Management API from a back-end job: every user (all pages, as a stream), the
//! organisations, and what a missing user looks like (a typed 404, not a panic).
//!
//! With `KINDE_DOMAIN` set it talks to your Kinde business with the M2M application of
//! `KINDE_MANAGEMENT_CLIENT_ID` and `KINDE_MANAGEMENT_CLIENT_SECRET` (or
//! `KINDE_CLIENT_ID` and `KINDE_CLIENT_SECRET`); it only reads. Without it, it starts the
//! embedded local Kinde server, whose Management API subset serves its demo users.

use std::process::ExitCode;

use futures::TryStreamExt;
use kinde_core::testing::TestKinde;
use kinde_management::{Client, ManagementError, Paginated};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let configured = ["KINDE_DOMAIN", "KINDE_HOST", "KINDE_ISSUER_URL"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|s| !s.trim().is_empty()));
    // The embedded server lives as long as `_local`.
    let (client, _local) = if configured {
        (Client::from_env()?, None)
    } else {
        let local = TestKinde::start();
        eprintln!(
            "no KINDE_DOMAIN set: using the embedded local Kinde server at {}",
            local.issuer()
        );
        let kinde = kinde_core::Kinde::new(local.config_builder().build()?)?;
        (Client::from_kinde(&kinde)?, Some(local))
    };

    println!("users:");
    let mut users = client.get_users().page_size(2).into_stream();
    let mut count = 0;
    while let Some(user) = users.try_next().await? {
        count += 1;
        println!(
            "  {:<24} {}",
            user.id.as_deref().unwrap_or("?"),
            user.email.as_deref().unwrap_or("(no email)")
        );
    }
    println!("  {count} in all, fetched two to a page");

    println!("organisations:");
    let orgs = client.get_organizations().into_stream();
    let orgs: Vec<_> = orgs.try_collect().await?;
    for org in &orgs {
        println!(
            "  {:<24} {}",
            org.code.as_deref().unwrap_or("?"),
            org.name.as_deref().unwrap_or("")
        );
    }

    let missing = client.get_user_data().id("kp_no_such_user").send().await;
    match missing.map_err(ManagementError::from) {
        Err(e) if e.is_not_found() => println!("kp_no_such_user: not found ({e})"),
        Err(e) => return Err(e.into()),
        Ok(user) => println!("kp_no_such_user exists: {:?}", user.id),
    }
    Ok(())
}
