//! `bench-app`: the app `scripts/bench-http.sh` load-tests (see BENCHMARKS.md).
//!
//! ```text
//! bench-app [--axum-port P] [--actix-port P] [--out DIR] [--cold-tokens N] [--workers N]
//! ```
//!
//! Starts the embedded local Kinde server (automatic login), serves the bench routes of
//! [`kinde_examples::bench`] on `127.0.0.1` with axum and/or actix-web (one process, one
//! Kinde server, one `Kinde` client per adapter so their caches are independent), and
//! writes into `DIR` (default `.`):
//!
//! - `token`: a valid access token of the first demo user (the warm bearer row);
//! - `cold-tokens`: `N` distinct valid access tokens, one per line (the cold row);
//! - `ready`: written last, once the servers accept connections.
//!
//! With `REDIS_URL` set, the session routes keep their sessions in that Redis (and the
//! clients coordinate refreshes there), as several instances would: what
//! `scripts/bench-http.sh`'s Redis mode measures. With `REDIS_CLIENT_CACHE=1` as well,
//! the connections keep what they read in memory until Redis invalidates it
//! ([`kinde_core::redis::ClientSideCache`]).
//!
//! Loopback only; runs until killed.

use std::net::TcpListener;
use std::path::PathBuf;

use kinde_core::redis::{ClientSideCache, RedisOptions, RedisRefreshStore, connect_with};
use kinde_core::testing::{MintOptions, TestKinde};
use kinde_core::{Kinde, KindeConfig};
use kinde_examples::{bench, demo};

/// The Redis connections' options: `REDIS_CLIENT_CACHE=1` turns on client-side caching.
fn redis_options() -> RedisOptions {
    let cache = std::env::var("REDIS_CLIENT_CACHE").is_ok_and(|v| v == "1");
    RedisOptions {
        client_side_cache: cache.then(ClientSideCache::default),
        ..RedisOptions::default()
    }
}

struct Args {
    axum_port: Option<u16>,
    actix_port: Option<u16>,
    out: PathBuf,
    cold_tokens: usize,
    workers: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        axum_port: None,
        actix_port: None,
        out: PathBuf::from("."),
        cold_tokens: 0,
        workers: std::thread::available_parallelism().map_or(2, usize::from),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let port = |v: String| v.parse::<u16>().map_err(|_| format!("bad port `{v}`"));
        match flag.as_str() {
            "--axum-port" => args.axum_port = Some(port(value()?)?),
            "--actix-port" => args.actix_port = Some(port(value()?)?),
            "--out" => args.out = PathBuf::from(value()?),
            "--cold-tokens" => {
                let v = value()?;
                args.cold_tokens = v.parse().map_err(|_| format!("bad count `{v}`"))?;
            }
            "--workers" => {
                let v = value()?;
                args.workers = v.parse().map_err(|_| format!("bad count `{v}`"))?;
            }
            "-h" | "--help" => {
                return Err(
                    "usage: bench-app [--axum-port P] [--actix-port P] [--out DIR] \
                            [--cold-tokens N] [--workers N]"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if args.axum_port.is_none() && args.actix_port.is_none() {
        return Err("give --axum-port and/or --actix-port".into());
    }
    Ok(args)
}

fn config(local: &TestKinde, port: u16) -> Result<KindeConfig, kinde_core::KindeError> {
    let app = format!("http://127.0.0.1:{port}");
    local
        .config_builder()
        .redirect_uri(format!("{app}/callback"))
        .post_logout_redirect_url(format!("{app}/"))
        .build()
}

/// `n` distinct valid access tokens (distinct `jti`), minted on every core.
fn mint_many(local: &TestKinde, n: usize) -> Vec<String> {
    let user = local.users()[0].clone();
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let per = n.div_ceil(threads.max(1));
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let user = user.clone();
                let count = per.min(n.saturating_sub(t * per));
                s.spawn(move || {
                    (0..count)
                        .map(|_| local.mint_access_token(&user, MintOptions::default()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("minting thread"))
            .collect()
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args().map_err(|e| {
        eprintln!("{e}");
        e
    })?;
    std::fs::create_dir_all(&args.out)?;
    let local = TestKinde::builder().start();
    demo::warn_local_test_server(&local.issuer());

    let user = local.users()[0].clone();
    std::fs::write(
        args.out.join("token"),
        local.mint_access_token(&user, MintOptions::default()),
    )?;
    if args.cold_tokens > 0 {
        let started = std::time::Instant::now();
        let tokens = mint_many(&local, args.cold_tokens);
        let mut text = tokens.join("\n");
        text.push('\n');
        std::fs::write(args.out.join("cold-tokens"), text)?;
        eprintln!(
            "minted {} distinct tokens in {:.1?}",
            tokens.len(),
            started.elapsed()
        );
    }

    let redis_url = demo::redis_url();
    let sessions = match &redis_url {
        Some(url) => demo::redis_sessions(url),
        None => demo::MEMORY_SESSIONS.to_string(),
    };
    let mut threads = Vec::new();
    if let Some(port) = args.axum_port {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let kinde = Kinde::new(config(&local, port)?)?;
        let workers = args.workers;
        let redis = redis_url.clone();
        threads.push(std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .build()
                .expect("axum runtime");
            rt.block_on(async move {
                let router = match redis {
                    Some(url) => {
                        let redis = connect_with(&url, redis_options()).await.expect("Redis");
                        let kinde = kinde.with_refresh_store(RedisRefreshStore::new(redis.clone()));
                        bench::axum_router_with_store(
                            kinde_axum::KindeAuth::new(kinde),
                            kinde_axum::RedisSessionStore::new(redis),
                        )
                    }
                    None => bench::axum_router(kinde_axum::KindeAuth::new(kinde)),
                };
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                axum::serve(listener, router).await.expect("axum server");
            });
        }));
        println!("axum bench app on http://127.0.0.1:{port} ({sessions})");
    }
    if let Some(port) = args.actix_port {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let kinde = Kinde::new(config(&local, port)?)?;
        let workers = args.workers;
        let redis = redis_url.clone();
        threads.push(std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = match redis {
                    Some(url) => {
                        let connection = connect_with(&url, redis_options()).await.expect("Redis");
                        let kinde =
                            kinde.with_refresh_store(RedisRefreshStore::new(connection.clone()));
                        let store = kinde_actix::RedisSessionStore::new(connection);
                        bench::actix_serve_with_store(
                            kinde_actix::KindeAuth::new(kinde),
                            store,
                            listener,
                            workers,
                        )
                    }
                    None => {
                        bench::actix_serve(kinde_actix::KindeAuth::new(kinde), listener, workers)
                    }
                };
                server
                    .expect("actix server")
                    .await
                    .expect("actix server ran");
            });
        }));
        println!("actix bench app on http://127.0.0.1:{port} ({sessions})");
    }
    std::fs::write(args.out.join("ready"), "ready\n")?;
    for t in threads {
        let _ = t.join();
    }
    drop(local);
    Ok(())
}
