//! `cargo run -p kinde-examples --bin blocking-cli -- [ACCESS_TOKEN | --demo]`
//!
//! A synchronous command-line tool on `kinde_core::blocking`: no `async`, no runtime of
//! its own. It obtains a machine-to-machine token (client credentials), verifies it and
//! prints its claims; given a user access token, it verifies that too and prints who it
//! is, or says why it is invalid and exits with status 1.
//!
//! With `KINDE_DOMAIN` (and `KINDE_CLIENT_ID`, `KINDE_CLIENT_SECRET`) set it talks to
//! your Kinde business; the machine-to-machine audience is `KINDE_M2M_AUDIENCE`
//! (default: your Management API, `https://<domain>/api`). Without them it runs against
//! the embedded local Kinde server, and `--demo` verifies a token minted for a demo user.

use std::process::ExitCode;

use kinde_core::testing::{MintOptions, TestKinde};
use kinde_core::{AudiencePolicy, KindeConfig, KindeError, blocking};

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode, KindeError> {
    let arg = std::env::args().nth(1);
    if matches!(arg.as_deref(), Some("-h" | "--help")) {
        println!("usage: blocking-cli [ACCESS_TOKEN | --demo]");
        return Ok(ExitCode::SUCCESS);
    }
    let configured = ["KINDE_DOMAIN", "KINDE_HOST", "KINDE_ISSUER_URL"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|s| !s.trim().is_empty()));
    // The embedded server lives as long as `local`.
    let (config, local) = if configured {
        (KindeConfig::from_env()?, None)
    } else {
        let local = TestKinde::start();
        eprintln!(
            "no KINDE_DOMAIN set: using the embedded local Kinde server at {}",
            local.issuer()
        );
        (local.config_builder().build()?, Some(local))
    };

    let m2m_audience =
        std::env::var("KINDE_M2M_AUDIENCE").unwrap_or_else(|_| format!("{}/api", config.issuer()));
    let users = config.clone().into_blocking_client()?;
    let machines = blocking::Kinde::new(
        config.with_audience_policy(AudiencePolicy::OneOf(vec![m2m_audience.clone()])),
    )?;

    let m2m = machines.client_credentials_token(Some(&m2m_audience))?;
    let claims = machines.verify_access_token(m2m.secret())?;
    println!("machine-to-machine token for {m2m_audience} verified; its claims:");
    println!(
        "{}",
        serde_json::to_string_pretty(claims.all()).unwrap_or_default()
    );

    let token = match (arg, &local) {
        (Some(flag), Some(local)) if flag == "--demo" => {
            let user = local
                .users()
                .into_iter()
                .next()
                .ok_or_else(|| KindeError::Config("no demo user".into()))?;
            Some(local.mint_access_token(&user, MintOptions::default()))
        }
        (Some(flag), None) if flag == "--demo" => {
            return Err(KindeError::Config(
                "--demo needs the embedded server (unset KINDE_DOMAIN)".into(),
            ));
        }
        (other, _) => other,
    };
    let Some(token) = token else {
        return Ok(ExitCode::SUCCESS);
    };
    match users.verify_access_token(token.trim()) {
        Ok(claims) => {
            println!("user access token verified:");
            println!("  user:        {}", claims.subject().unwrap_or("-"));
            println!(
                "  org:         {}",
                claims
                    .organization()
                    .map(|o| o.code)
                    .unwrap_or_else(|| "-".into())
            );
            println!("  permissions: {}", claims.permissions().keys().join(", "));
            println!(
                "  roles:       {}",
                claims.roles().keys().collect::<Vec<_>>().join(", ")
            );
            println!("  flags:       {}", claims.feature_flags().to_json());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("invalid token: {e}");
            Ok(ExitCode::from(1))
        }
    }
}
