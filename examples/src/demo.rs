//! Configuration shared by the example binaries: `KINDE_*` variables when set,
//! otherwise the embedded local Kinde server.
//!
//! The embedded server lets anyone who reaches it sign in as any demo user, so it only
//! ever listens on loopback, says loudly that it is a test server, and is refused
//! outright when the app itself would listen beyond this machine (`HOST` not a
//! loopback address): such an app must be configured with a real Kinde.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use kinde_core::testing::{LoginMode, MintOptions, TestKinde};
use kinde_core::{Kinde, KindeConfig, KindeError};

/// What an example runs against.
pub struct Demo {
    /// The Kinde client.
    pub kinde: Kinde,
    /// The embedded server, when no `KINDE_DOMAIN` was set (kept alive while the app runs).
    pub local: Option<TestKinde>,
    /// The address the app listens on (`HOST`, default `127.0.0.1`).
    pub host: IpAddr,
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

/// The address to listen on, from `HOST`: an IP address or `localhost` (default
/// `127.0.0.1`, this machine only; `0.0.0.0` listens on every interface).
///
/// ```
/// # use kinde_examples::demo::parse_host;
/// assert!(parse_host("localhost").unwrap().is_loopback());
/// assert!(!parse_host("0.0.0.0").unwrap().is_loopback());
/// assert!(parse_host("::1").unwrap().is_loopback());
/// assert!(parse_host("my-laptop").is_err());
/// ```
pub fn host() -> Result<IpAddr, KindeError> {
    match std::env::var("HOST") {
        Ok(h) if !h.trim().is_empty() => parse_host(&h),
        _ => Ok(IpAddr::V4(Ipv4Addr::LOCALHOST)),
    }
}

/// `HOST`'s value as an address (see [`host`]).
pub fn parse_host(value: &str) -> Result<IpAddr, KindeError> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    value.parse().map_err(|_| {
        KindeError::Config(format!(
            "HOST: `{}` is not an IP address (or `localhost`)",
            value.chars().take(64).collect::<String>()
        ))
    })
}

/// Why an app listening beyond loopback may not use the embedded server.
fn refuse_embedded(host: IpAddr) -> KindeError {
    KindeError::Config(format!(
        "HOST={host} would serve this app beyond this machine, but no KINDE_DOMAIN is set, \
         so it would use the embedded local Kinde TEST server, where anyone may sign in as \
         any demo user. Refusing to start. Set KINDE_DOMAIN, KINDE_CLIENT_ID and \
         KINDE_CLIENT_SECRET to use your Kinde business, or listen on loopback \
         (unset HOST, or HOST=127.0.0.1)."
    ))
}

/// Say, where a person starting the app cannot miss it, that the embedded server is a
/// local test server: on stderr, whatever `RUST_LOG` says.
pub fn warn_local_test_server(issuer: &str) {
    eprintln!(
        "WARNING: local Kinde TEST server at {issuer} (loopback only): anyone who can \
         reach it may sign in as any demo user. For trying the examples on this machine, \
         NOT for production: set KINDE_DOMAIN to use Kinde."
    );
}

/// Print `err` as a person reads it (not as `Debug`) and exit with status 2: the app
/// refuses to start with this configuration.
pub fn exit_with(err: KindeError) -> ! {
    eprintln!("error: {err}");
    std::process::exit(2)
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

/// Read `KINDE_*` (and `HOST`, `PORT`), or start the embedded Kinde server with the demo
/// users and a person-facing login page when `KINDE_DOMAIN` (or its aliases) is unset,
/// which is refused (an error) when `HOST` is not a loopback address.
pub fn setup() -> Result<Demo, KindeError> {
    let host = host()?;
    let port = port()?;
    // The app's own URLs: at its address, or at loopback when it listens everywhere.
    let reachable = if host.is_unspecified() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        host
    };
    let app = format!("http://{}", SocketAddr::new(reachable, port));
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
            host,
            port,
        });
    }
    if !host.is_loopback() {
        return Err(refuse_embedded(host));
    }
    // `TestKinde` itself only ever binds 127.0.0.1.
    let local = TestKinde::builder().login_mode(LoginMode::Page).start();
    warn_local_test_server(&local.issuer());
    let config = local
        .config_builder()
        .redirect_uri(format!("{app}/callback"))
        .post_logout_redirect_url(format!("{app}/"))
        .build()?;
    Ok(Demo {
        kinde: Kinde::new(config)?,
        local: Some(local),
        host,
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
    /// The address to listen on (`HOST`:`PORT`).
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }

    /// Print where things are, and the demo users (with ready bearer tokens when
    /// `with_tokens`), so a person can try the app at once.
    /// `sessions` says where the sessions are kept.
    pub fn announce(&self, name: &str, sessions: &str, with_tokens: bool) {
        println!("{name} listening on http://{} ({sessions})", self.addr());
        let Some(local) = &self.local else {
            println!("using Kinde at {}", self.kinde.config().issuer());
            return;
        };
        println!(
            "no KINDE_DOMAIN set: using the embedded local Kinde TEST server at {} \
             (not for production)",
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
                    "    curl -H 'Authorization: Bearer {token}' http://{}/api/me",
                    self.addr()
                );
            }
        }
    }
}
