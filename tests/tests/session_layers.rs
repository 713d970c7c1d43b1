//! The session layers themselves (kinde-axum's `SessionLayer` over tower-sessions'
//! `Session`, kinde-actix's `SessionMiddleware` and `Session`), holding an app's own
//! data: the same scenarios against both, over real HTTP on loopback. When a cookie is
//! set and with which attributes, that an unchanged session sets none, that a renewed
//! session's old key stops working, that forged, malformed and oversized cookies give a
//! fresh session, that an ended session's cookie is removed, that a failing store is a
//! 503 that shows nothing of the failure, and that the layers' setters (cookie name,
//! `Secure`, `SameSite`, path, domain, TTL) set what the cookie says.

mod common;

use std::time::Duration;

use common::{bind, kinde_for, serve_actix, serve_axum};
use kinde_core::testing::TestKinde;
use kinde_e2e::{Browser, RunningApp, SESSION_COOKIE, session_cookie, set_cookies};
use reqwest::StatusCode;

const VISITS: &str = "visits";

/// What a failing store says; it must never reach a visitor.
const FAILURE: &str = "disk on fire 7f3a";

/// Which session layer an app gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    /// kinde's defaults over the handle's memory store.
    Default,
    /// kinde's defaults over a store that fails.
    Failing,
    /// Every cookie setting changed: name `app_session`, `Secure`, `SameSite=Strict`,
    /// path `/`, domain `127.0.0.1`, one hour.
    Configured,
}

/// The cookie name of [`Layer::Configured`].
const CONFIGURED_COOKIE: &str = "app_session";

// ---------------------------------------------------------------------------------
// The two apps: /visit counts, /peek reads, /renew moves the session to a new key,
// /end ends it.
// ---------------------------------------------------------------------------------

mod axum_app {
    use super::*;
    use axum::Router;
    use axum::http::StatusCode;
    use axum::routing::get;
    use tower_sessions::session::{Id, Record};
    use tower_sessions::{Session, SessionStore, session_store};

    type Answer = Result<String, StatusCode>;

    fn unavailable(_: tower_sessions::session::Error) -> StatusCode {
        StatusCode::SERVICE_UNAVAILABLE
    }

    async fn visits(s: &Session) -> Result<u32, StatusCode> {
        Ok(s.get::<u32>(VISITS)
            .await
            .map_err(unavailable)?
            .unwrap_or(0))
    }

    async fn visit(s: Session) -> Answer {
        let n = visits(&s).await? + 1;
        s.insert(VISITS, n).await.map_err(unavailable)?;
        Ok(n.to_string())
    }

    async fn peek(s: Session) -> Answer {
        Ok(visits(&s).await?.to_string())
    }

    async fn renew(s: Session) -> Answer {
        s.cycle_id().await.map_err(unavailable)?;
        Ok(visits(&s).await?.to_string())
    }

    async fn end(s: Session) -> Answer {
        s.flush().await.map_err(unavailable)?;
        Ok("ended".into())
    }

    /// A store that loads nothing and cannot save.
    #[derive(Debug, Clone)]
    struct FailingStore;

    #[async_trait::async_trait]
    impl SessionStore for FailingStore {
        async fn save(&self, _: &Record) -> session_store::Result<()> {
            Err(session_store::Error::Backend(FAILURE.into()))
        }
        async fn load(&self, _: &Id) -> session_store::Result<Option<Record>> {
            Ok(None)
        }
        async fn delete(&self, _: &Id) -> session_store::Result<()> {
            Err(session_store::Error::Backend(FAILURE.into()))
        }
    }

    pub fn start(tk: &TestKinde, layer: Layer) -> (RunningApp, String) {
        let (listener, _, base) = bind();
        let auth = kinde_axum::KindeAuth::new(kinde_for(tk, &base, "/callback"));
        let routes = Router::new()
            .route("/visit", get(visit))
            .route("/peek", get(peek))
            .route("/renew", get(renew))
            .route("/end", get(end));
        let app = match layer {
            Layer::Default => routes.layer(auth.session_layer()),
            Layer::Failing => routes.layer(auth.session_layer_with(FailingStore)),
            Layer::Configured => routes.layer(
                auth.session_layer()
                    .with_cookie_name(CONFIGURED_COOKIE)
                    .with_secure(true)
                    .with_same_site(kinde_axum::SameSite::Strict)
                    .with_path("/")
                    .with_domain("127.0.0.1")
                    .with_ttl(Duration::from_secs(3600)),
            ),
        };
        (serve_axum(listener, app), base)
    }
}

mod actix_app {
    use super::*;
    use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
    use actix_web::cookie::time::Duration;
    use actix_web::{App, web};
    use kinde_actix::{Session, SessionError};
    use std::collections::HashMap;

    type Answer = Result<String, SessionError>;

    async fn visits(s: &Session) -> Result<u32, SessionError> {
        Ok(s.get::<u32>(VISITS).await?.unwrap_or(0))
    }

    async fn visit(s: Session) -> Answer {
        let n = visits(&s).await? + 1;
        s.insert(VISITS, n).await?;
        Ok(n.to_string())
    }

    async fn peek(s: Session) -> Answer {
        Ok(visits(&s).await?.to_string())
    }

    async fn renew(s: Session) -> Answer {
        s.renew().await?;
        Ok(visits(&s).await?.to_string())
    }

    async fn end(s: Session) -> Answer {
        s.purge();
        Ok("ended".into())
    }

    /// A store that loads nothing and cannot save.
    struct FailingStore;

    fn failure() -> anyhow::Error {
        anyhow::anyhow!(FAILURE)
    }

    impl SessionStore for FailingStore {
        async fn load(&self, _: &SessionKey) -> Result<Option<HashMap<String, String>>, LoadError> {
            Ok(None)
        }
        async fn save(
            &self,
            _: HashMap<String, String>,
            _: &Duration,
        ) -> Result<SessionKey, SaveError> {
            Err(SaveError::Other(failure()))
        }
        async fn update(
            &self,
            _: SessionKey,
            _: HashMap<String, String>,
            _: &Duration,
        ) -> Result<SessionKey, UpdateError> {
            Err(UpdateError::Other(failure()))
        }
        async fn update_ttl(&self, _: &SessionKey, _: &Duration) -> Result<(), anyhow::Error> {
            Err(failure())
        }
        async fn delete(&self, _: &SessionKey) -> Result<(), anyhow::Error> {
            Err(failure())
        }
    }

    pub fn start(tk: &TestKinde, layer: Layer) -> (RunningApp, String) {
        let (listener, _, base) = bind();
        let auth = kinde_actix::KindeAuth::new(kinde_for(tk, &base, "/callback"));
        let app = serve_actix!(listener, move || {
            let routes = web::scope("")
                .route("/visit", web::get().to(visit))
                .route("/peek", web::get().to(peek))
                .route("/renew", web::get().to(renew))
                .route("/end", web::get().to(end));
            match layer {
                Layer::Default => App::new().service(routes.wrap(auth.session_middleware())),
                Layer::Failing => {
                    App::new().service(routes.wrap(auth.session_middleware_with(FailingStore)))
                }
                Layer::Configured => App::new().service(
                    routes.wrap(
                        auth.session_middleware()
                            .with_cookie_name(CONFIGURED_COOKIE)
                            .with_secure(true)
                            .with_same_site(kinde_actix::SameSite::Strict)
                            .with_path("/")
                            .with_domain("127.0.0.1")
                            .with_ttl(std::time::Duration::from_secs(3600)),
                    ),
                ),
            }
        });
        (app, base)
    }
}

// ---------------------------------------------------------------------------------
// The scenarios
// ---------------------------------------------------------------------------------

async fn text(resp: reqwest::Response) -> (StatusCode, String) {
    let status = resp.status();
    (status, resp.text().await.expect("body"))
}

/// A request with exactly this `Cookie` header (no jar).
async fn with_cookie(base: &str, path: &str, cookie: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{base}{path}"))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .expect("request")
}

async fn keeps_the_apps_data(base: &str) {
    let b = Browser::new(base);
    let first = b.get("/visit").await;
    let cookie = session_cookie(&first).expect("a new session sets its cookie");
    assert!(cookie.http_only, "HttpOnly: {}", cookie.raw);
    assert!(cookie.same_site_lax, "SameSite=Lax: {}", cookie.raw);
    assert!(
        !cookie.secure,
        "not Secure on http loopback: {}",
        cookie.raw
    );
    assert_eq!(cookie.path.as_deref(), Some("/"), "{}", cookie.raw);
    assert_eq!(cookie.max_age, Some(Duration::from_secs(14 * 24 * 3600)));
    assert_eq!(text(first).await, (StatusCode::OK, "1".into()));
    assert_eq!(
        text(b.get("/visit").await).await,
        (StatusCode::OK, "2".into())
    );

    // Reading an unchanged session sets no cookie (and costs the store no write).
    let peek = b.get("/peek").await;
    assert!(set_cookies(&peek).is_empty(), "{:?}", set_cookies(&peek));
    assert_eq!(text(peek).await, (StatusCode::OK, "2".into()));

    // A renewed session keeps its data under a new key; the old key opens nothing.
    let old = b.cookie(SESSION_COOKIE).expect("cookie");
    let renewed = b.get("/renew").await;
    let new = session_cookie(&renewed).expect("a renewed session sets a new cookie");
    assert_ne!(new.value, old);
    assert_eq!(text(renewed).await, (StatusCode::OK, "2".into()));
    assert_eq!(
        text(b.get("/peek").await).await,
        (StatusCode::OK, "2".into())
    );
    let replay = with_cookie(base, "/peek", &format!("{SESSION_COOKIE}={old}")).await;
    assert_eq!(text(replay).await, (StatusCode::OK, "0".into()));

    // Ending it removes the cookie, and its key opens nothing afterwards.
    let current = b.cookie(SESSION_COOKIE).expect("cookie");
    let ended = b.get("/end").await;
    let removal = session_cookie(&ended).expect("an ended session's cookie is removed");
    assert!(
        removal.value.is_empty() && removal.max_age == Some(Duration::ZERO),
        "a removal cookie: {}",
        removal.raw
    );
    assert_eq!(text(ended).await, (StatusCode::OK, "ended".into()));
    let replay = with_cookie(base, "/peek", &format!("{SESSION_COOKIE}={current}")).await;
    assert_eq!(text(replay).await, (StatusCode::OK, "0".into()));
}

async fn forged_cookies_get_a_fresh_session(base: &str) {
    let unknown = "A".repeat(64);
    let oversized = "B".repeat(5000);
    for cookie in [
        format!("{SESSION_COOKIE}={unknown}"),
        format!("{SESSION_COOKIE}=\"{unknown}\""),
        format!("{SESSION_COOKIE}=!!not-a-key!!"),
        format!("{SESSION_COOKIE}={oversized}"),
        format!("{SESSION_COOKIE}="),
        format!("other=1; {SESSION_COOKIE}={unknown}; more=2"),
    ] {
        let short = &cookie[..cookie.len().min(60)];
        let peek = with_cookie(base, "/peek", &cookie).await;
        assert_eq!(text(peek).await, (StatusCode::OK, "0".into()), "{short}");
        let visit = with_cookie(base, "/visit", &cookie).await;
        let set = session_cookie(&visit).unwrap_or_else(|| panic!("{short}: a new cookie"));
        assert!(
            !set.value.is_empty() && !cookie.contains(&set.value),
            "{short}: {}",
            set.raw
        );
        assert_eq!(text(visit).await, (StatusCode::OK, "1".into()), "{short}");
    }
}

async fn a_failing_store_is_a_clean_503(base: &str) {
    let failed = with_cookie(base, "/visit", "a=1").await;
    assert_eq!(
        failed
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()),
        Some("5"),
        "a 503 says when to retry"
    );
    let (status, body) = text(failed).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(!body.contains(FAILURE), "the store's error leaked: {body}");
    // A request that changes nothing never touches the failing save.
    let (status, body) = text(with_cookie(base, "/peek", "a=1").await).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "0"));
}

async fn the_cookie_follows_the_settings(base: &str) {
    let first = with_cookie(base, "/visit", "a=1").await;
    let set = set_cookies(&first);
    let cookie = set
        .iter()
        .find(|c| c.name == CONFIGURED_COOKIE)
        .unwrap_or_else(|| panic!("a cookie named {CONFIGURED_COOKIE}: {set:?}"));
    assert!(
        !set.iter().any(|c| c.name == SESSION_COOKIE),
        "no default-named cookie: {set:?}"
    );
    let raw = &cookie.raw;
    for part in [
        "HttpOnly",
        "SameSite=Strict",
        "Secure",
        "Path=/",
        "Domain=127.0.0.1",
        "Max-Age=3600",
    ] {
        assert!(raw.contains(part), "{raw} lacks {part}");
    }
    assert_eq!(text(first).await, (StatusCode::OK, "1".into()));
    let value = cookie.value.clone();
    // The session answers to its own cookie name only.
    let own = with_cookie(base, "/peek", &format!("{CONFIGURED_COOKIE}={value}")).await;
    assert_eq!(text(own).await, (StatusCode::OK, "1".into()));
    let other = with_cookie(base, "/peek", &format!("{SESSION_COOKIE}={value}")).await;
    assert_eq!(text(other).await, (StatusCode::OK, "0".into()));
}

/// Every scenario against the apps that `start` serves (with a working store, with a
/// failing one, and with every cookie setting changed).
async fn every_scenario(start: fn(&TestKinde, Layer) -> (RunningApp, String)) {
    let tk = TestKinde::start();
    let (_app, base) = start(&tk, Layer::Default);
    keeps_the_apps_data(&base).await;
    forged_cookies_get_a_fresh_session(&base).await;
    let (_failing, base) = start(&tk, Layer::Failing);
    a_failing_store_is_a_clean_503(&base).await;
    let (_configured, base) = start(&tk, Layer::Configured);
    the_cookie_follows_the_settings(&base).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_session_layer() {
    every_scenario(axum_app::start).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_session_middleware() {
    every_scenario(actix_app::start).await;
}
