//! Configuration shared by the example binaries: `KINDE_*` variables when set,
//! otherwise the embedded local Kinde server.

use kinde_core::testing::{LoginMode, MintOptions, TestKinde};
use kinde_core::{Kinde, KindeConfig, KindeError};

/// What an example runs against.
pub struct Demo {
    /// The Kinde client.
    pub kinde: Kinde,
    /// The embedded server, when no `KINDE_DOMAIN` was set (kept alive while the app runs).
    pub local: Option<TestKinde>,
    /// The port the app listens on (`PORT`, default 3000).
    pub port: u16,
}

/// Log to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
}

/// The port from `PORT` (default 3000).
pub fn port() -> Result<u16, KindeError> {
    match std::env::var("PORT") {
        Ok(p) => p
            .parse()
            .map_err(|_| KindeError::Config(format!("PORT: `{p}` is not a port number"))),
        Err(_) => Ok(3000),
    }
}

/// The Redis to keep sessions in, from `REDIS_URL` (`None`: in this process's memory).
pub fn redis_url() -> Option<String> {
    std::env::var("REDIS_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// `url` with its password, if any, blanked out: what a start-up line may print.
///
/// ```
/// use kinde_examples::demo::redacted_url;
/// assert_eq!(redacted_url("redis://:s3cret@10.0.0.5:6379/2"), "redis://:***@10.0.0.5:6379/2");
/// assert_eq!(redacted_url("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
/// ```
pub fn redacted_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "(a Redis URL that does not parse)".into(),
    }
}

/// Read `KINDE_*` (and `PORT`), or start the embedded Kinde server with the demo users
/// and a person-facing login page when `KINDE_DOMAIN` (or its aliases) is unset.
pub fn setup() -> Result<Demo, KindeError> {
    let port = port()?;
    let app = format!("http://127.0.0.1:{port}");
    let configured = ["KINDE_DOMAIN", "KINDE_HOST", "KINDE_ISSUER_URL"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|s| !s.trim().is_empty()));
    if configured {
        let kinde = Kinde::new(KindeConfig::from_lookup(|name| {
            std::env::var(name).ok().or_else(|| match name {
                // Sensible local defaults for the two URLs of the demo itself.
                "KINDE_REDIRECT_URI" => Some(format!("{app}/callback")),
                "KINDE_POST_LOGOUT_REDIRECT_URL" => Some(format!("{app}/")),
                _ => None,
            })
        })?)?;
        return Ok(Demo {
            kinde,
            local: None,
            port,
        });
    }
    let local = TestKinde::builder().login_mode(LoginMode::Page).start();
    let config = local
        .config_builder()
        .redirect_uri(format!("{app}/callback"))
        .post_logout_redirect_url(format!("{app}/"))
        .build()?;
    Ok(Demo {
        kinde: Kinde::new(config)?,
        local: Some(local),
        port,
    })
}

/// Where the sessions of an app without `REDIS_URL` are kept.
pub const MEMORY_SESSIONS: &str =
    "sessions in this process's memory; set REDIS_URL to share them between instances";

/// Where the sessions of an app with `REDIS_URL` are kept.
pub fn redis_sessions(url: &str) -> String {
    format!("sessions in Redis at {}", redacted_url(url))
}

impl Demo {
    /// Print where things are, and the demo users (with ready bearer tokens when
    /// `with_tokens`), so a person can try the app at once.
    /// `sessions` says where the sessions are kept.
    pub fn announce(&self, name: &str, sessions: &str, with_tokens: bool) {
        println!(
            "{name} listening on http://127.0.0.1:{} ({sessions})",
            self.port
        );
        let Some(local) = &self.local else {
            println!("using Kinde at {}", self.kinde.config().issuer());
            return;
        };
        println!(
            "no KINDE_DOMAIN set: using the embedded local Kinde server at {}",
            local.issuer()
        );
        println!("demo users (pick one on the sign-in page):");
        for user in local.users() {
            println!(
                "  {:<28} permissions: [{}]  roles: [{}]",
                user.email,
                user.permissions.join(", "),
                user.roles
                    .iter()
                    .map(|r| r.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if with_tokens {
                let token = local.mint_access_token(&user, MintOptions::default());
                println!(
                    "    curl -H 'Authorization: Bearer {token}' http://127.0.0.1:{}/api/me",
                    self.port
                );
            }
        }
    }
}
