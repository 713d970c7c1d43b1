//! What an operator sees: the whole log, at `TRACE` and with every span's fields, of
//! signing in, using the session until it refreshes, calling the Management API and
//! signing out through both example apps. It has kinde's spans (so an operator can see
//! what happened and how long it took) and none of the secrets the local Kinde server
//! handed out or received: authorization codes, PKCE verifiers, the client secret,
//! access, ID and refresh tokens, M2M tokens, and the session cookies.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kinde_core::testing::TestKinde;
use kinde_e2e::{App, AppKind, StartApp, app_config, starters, status_body};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Every line the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// Sign in, wait for a refresh, call the Management API, sign out; the session cookies
/// seen on the way.
async fn sign_in_refresh_and_out(tk: &TestKinde, start: StartApp) -> Vec<String> {
    let app = App::start(start, AppKind::Browser, |port| {
        app_config(tk, port)
            .refresh_margin(Duration::from_secs(1))
            .build()
            .unwrap()
    });
    let browser = app.browser();
    let mut cookies = Vec::new();
    let signed_in = browser.sign_in(None, "ada.lovelace@example.com").await;
    cookies.extend(signed_in.callback_cookie.map(|c| c.value));
    let refreshes = tk.token_requests("refresh_token");
    let deadline = Instant::now() + Duration::from_secs(10);
    while tk.token_requests("refresh_token") == refreshes {
        assert!(Instant::now() < deadline, "no refresh");
        assert_eq!(status_body(browser.get_json("/me").await).await.0, 200);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    cookies.extend(browser.cookie("kinde_session"));

    let m2m = kinde_core::Kinde::new(tk.config_builder().build().unwrap()).unwrap();
    let api = kinde_management::Client::from_kinde(&m2m).unwrap();
    api.get_users().send().await.unwrap();

    let out = browser.get("/logout").await;
    assert!(out.status().is_redirection());
    cookies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trace_of_a_whole_session_has_spans_and_no_secret() {
    let captured = Captured::default();
    // Everything at TRACE, but for the test's own browser's cookie jar (which logs the
    // cookies it stores: that is the visitor's side, not the app's).
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace,cookie_store=off"))
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(captured.clone())
        .init();

    let tk = TestKinde::builder()
        .access_token_ttl(Duration::from_secs(3))
        .start();
    let mut cookies = sign_in_refresh_and_out(&tk, starters::axum::start).await;
    cookies.extend(sign_in_refresh_and_out(&tk, starters::actix::start).await);

    let log = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    if let Ok(path) = std::env::var("KINDE_TRACE_LOG") {
        std::fs::write(path, &log).unwrap();
    }
    for span in [
        "kinde.login",
        "kinde.callback",
        "kinde.code_exchange",
        "kinde.verify",
        "kinde.jwks",
        "kinde.refresh",
        "kinde.client_credentials",
        "kinde.management",
        "kinde.logout",
    ] {
        assert!(log.contains(span), "no {span} span in the trace");
    }
    for field in ["issuer=", "kid=", "outcome=", "duration_ms="] {
        assert!(log.contains(field), "no span has {field}");
    }

    let mut secrets = tk.secrets_exchanged();
    secrets.extend(tk.client_secret());
    secrets.extend(cookies);
    assert!(secrets.len() >= 10, "{} secrets", secrets.len());
    for secret in &secrets {
        assert!(secret.len() >= 8, "a secret too short to look for");
        // Tokens are long: a JWT's signature alone is as secret as the whole.
        let needle = secret.rsplit('.').next().unwrap_or(secret);
        let line = log.lines().find(|l| l.contains(needle));
        assert!(
            line.is_none(),
            "a secret is in the log: {}",
            line.unwrap_or_default().replace(needle, "<SECRET>")
        );
    }
}
