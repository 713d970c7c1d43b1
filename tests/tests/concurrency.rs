//! The concurrency rows of the performance issue, for both adapters, asserted on the
//! local Kinde server's request counters (counts, never timings):
//!
//! - the first 1,000 concurrent bearer requests after start-up → exactly 1 JWKS fetch,
//!   all 1,000 succeed;
//! - 50 concurrent requests of one session whose access token just expired → exactly 1
//!   refresh at Kinde, all 50 succeed;
//! - 10,000 forged tokens with random unknown `kid`s → JWKS refetches bounded by the
//!   rate limit (`jwks_min_refetch_interval`), all forged requests 401, valid users
//!   (during and right after the flood) unaffected.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::future::join_all;
use kinde_e2e::kinde_core::testing::{Endpoint, MintOptions, TestKinde};
use kinde_e2e::scenarios::ADA;
use kinde_e2e::{AppKind, Ctx, StartApp};
use reqwest::StatusCode;
use tokio::sync::Semaphore;

/// A client for many concurrent requests: a large idle pool, no redirects, generous
/// timeout (the assertions are on counts, not on time).
fn load_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .expect("HTTP client")
}

/// `GET url` with a bearer token and `Accept: application/json`; the status.
async fn bearer_status(client: &reqwest::Client, url: &str, token: &str) -> StatusCode {
    client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .status()
}

/// `n` distinct valid access tokens (distinct `jti`), spread over the demo users.
fn distinct_tokens(tk: &TestKinde, n: usize) -> Vec<String> {
    let users = tk.users();
    (0..n)
        .map(|i| tk.mint_access_token(&users[i % users.len()], MintOptions::default()))
        .collect()
}

fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A forged token: a real, valid payload (so only the key can give it away) under a
/// header naming a random `kid` the issuer never published, with a random signature.
fn forged_token(valid_payload: &str) -> String {
    let kid: [u8; 12] = std::array::from_fn(|_| rand_byte());
    let header = serde_json::json!({ "alg": "RS256", "typ": "JWT", "kid": b64url(&kid) });
    let sig: Vec<u8> = (0..256).map(|_| rand_byte()).collect();
    format!(
        "{}.{valid_payload}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(&sig)
    )
}

/// A cheap pseudo-random byte (xorshift seeded from the clock and a counter): forged
/// kids only need to differ, not to be unpredictable.
fn rand_byte() -> u8 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        ^ u64::from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0),
        );
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    (x >> 24) as u8
}

// ---------------------------------------------------------------------------------
// The rows
// ---------------------------------------------------------------------------------

/// The first 1,000 concurrent bearer requests after start-up (all launched at once,
/// distinct tokens of the demo users, the app's key cache still empty): exactly one JWKS
/// fetch at Kinde, and all 1,000 succeed.
async fn first_1000_bearer_requests_fetch_jwks_once(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Api);
    let tk = &ctx.kinde;
    let tokens = distinct_tokens(tk, 1000);
    assert_eq!(
        tk.requests(Endpoint::Jwks),
        0,
        "nothing fetched before the load"
    );

    let client = load_client();
    let url = ctx.url("/api/me");
    let statuses = join_all(tokens.iter().map(|t| bearer_status(&client, &url, t))).await;

    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(ok, 1000, "all 1,000 succeed: {statuses:?}");
    assert_eq!(
        tk.requests(Endpoint::Jwks),
        1,
        "exactly one JWKS fetch for the first 1,000 concurrent requests"
    );
}

/// 50 concurrent requests of one signed-in session whose access token has just expired:
/// exactly one refresh at Kinde, and all 50 succeed as the same user.
async fn expired_session_refreshes_once_for_50_concurrent_requests(start: StartApp) {
    let tk = TestKinde::builder()
        .access_token_ttl(Duration::from_secs(1))
        .start();
    let ctx = Ctx::start_with(start, AppKind::Browser, tk, |c| {
        c.refresh_margin(Duration::from_millis(500))
    });
    let tk = &ctx.kinde;
    let b = ctx.browser();
    b.sign_in(Some("/me"), ADA).await;
    assert_eq!(tk.token_requests("refresh_token"), 0);

    // Let the access token expire (its `exp` is one second after the sign-in).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Hold the refresh at Kinde so that all 50 requests have read the (expired) session
    // before the first refresh ends: they really are concurrent with it.
    tk.set_token_delay(Duration::from_millis(500));
    let resps = join_all((0..50).map(|_| b.get_json("/me"))).await;
    tk.set_token_delay(Duration::ZERO);

    for r in resps {
        assert_eq!(r.status(), StatusCode::OK, "every request succeeds");
        let v: serde_json::Value = r.json().await.expect("JSON body");
        assert_eq!(v["id"], "kp_demo_admin");
    }
    assert_eq!(
        tk.token_requests("refresh_token"),
        1,
        "exactly one refresh at Kinde for 50 concurrent requests"
    );
}

/// 10,000 forged tokens with random unknown `kid`s (64 in flight), interleaved with
/// requests of valid users: JWKS fetches stay within the rate limit, every forged token
/// is refused with 401, every valid request succeeds, and so does one right after.
async fn forged_kid_flood_is_rate_limited(start: StartApp) {
    const FORGED: usize = 10_000;
    const VALID_EVERY: usize = 100;
    const IN_FLIGHT: usize = 64;
    // Shorter than the default 10 s so that the run spans several intervals and the
    // bound below is exercised, not trivially met.
    let interval = Duration::from_millis(500);
    let ctx = Ctx::start_with(start, AppKind::Api, TestKinde::builder().start(), |c| {
        c.jwks_min_refetch_interval(interval)
    });
    let tk = &ctx.kinde;
    let client = load_client();
    let url = Arc::new(ctx.url("/api/me"));
    let users = tk.users();
    let valid = tk.mint_access_token(&users[0], MintOptions::default());
    assert_eq!(bearer_status(&client, &url, &valid).await, StatusCode::OK);
    assert_eq!(tk.requests(Endpoint::Jwks), 1, "the start-up fetch");

    let payload = valid.split('.').nth(1).expect("JWT payload").to_string();
    let valid_tokens = Arc::new(distinct_tokens(tk, FORGED / VALID_EVERY));
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(FORGED + FORGED / VALID_EVERY);
    for i in 0..FORGED {
        let jobs: Vec<(String, StatusCode)> = if i % VALID_EVERY == 0 {
            vec![
                (forged_token(&payload), StatusCode::UNAUTHORIZED),
                (valid_tokens[i / VALID_EVERY].clone(), StatusCode::OK),
            ]
        } else {
            vec![(forged_token(&payload), StatusCode::UNAUTHORIZED)]
        };
        for (token, expected) in jobs {
            let (client, url, gate) = (client.clone(), url.clone(), gate.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = gate.acquire_owned().await.expect("semaphore");
                (expected, bearer_status(&client, &url, &token).await)
            }));
        }
    }
    let mut forged_refused = 0;
    let mut valid_ok = 0;
    for t in tasks {
        let (expected, got) = t.await.expect("request task");
        assert_eq!(
            got, expected,
            "a forged token is refused, a valid one accepted"
        );
        if expected == StatusCode::OK {
            valid_ok += 1;
        } else {
            forged_refused += 1;
        }
    }
    let elapsed = started.elapsed();
    assert_eq!(forged_refused, FORGED);
    assert_eq!(valid_ok, FORGED / VALID_EVERY);

    // A valid user right after the flood.
    let fresh = tk.mint_access_token(&users[1], MintOptions::default());
    assert_eq!(bearer_status(&client, &url, &fresh).await, StatusCode::OK);

    let fetches = tk.requests(Endpoint::Jwks);
    let intervals = u64::try_from(elapsed.as_millis() / interval.as_millis()).unwrap_or(u64::MAX);
    let bound = 1 + intervals + 1;
    eprintln!(
        "{FORGED} forged + {valid_ok} valid requests in {elapsed:?}: {fetches} JWKS fetches \
         (bound {bound} at one per {interval:?})"
    );
    assert!(
        fetches <= bound,
        "{fetches} JWKS fetches for {FORGED} forged tokens in {elapsed:?}: more than the \
         rate limit allows (1 at start-up + one per {interval:?} + 1 = {bound})"
    );
}

macro_rules! concurrency_suite {
    ($adapter:ident, $start:path) => {
        mod $adapter {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn first_1000_bearer_requests_fetch_jwks_once() {
                super::first_1000_bearer_requests_fetch_jwks_once($start).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn expired_session_refreshes_once_for_50_concurrent_requests() {
                super::expired_session_refreshes_once_for_50_concurrent_requests($start).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn forged_kid_flood_is_rate_limited() {
                super::forged_kid_flood_is_rate_limited($start).await;
            }
        }
    };
}

concurrency_suite!(axum, kinde_e2e::starters::axum_start);
concurrency_suite!(actix, kinde_e2e::starters::actix_start);
