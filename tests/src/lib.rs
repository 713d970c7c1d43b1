//! End-to-end suites of kinde-rs.
//!
//! One adapter-neutral table of scenarios ([`scenarios`](mod@scenarios)) drives apps
//! over real HTTP on a loopback port, against a local Kinde server ([`TestKinde`]), with
//! a cookie-keeping client that does not follow redirects ([`Browser`]). Each adapter
//! plugs in with one function that serves the app a scenario asks for on a listener
//! ([`StartApp`], see [`starters`]) and one line that turns the table into tests:
//!
//! ```ignore
//! // tests/tests/actix.rs
//! kinde_e2e::e2e_suite!(kinde_e2e::starters::actix_start);
//! ```
//!
//! A starter serves every [`AppKind`]: the example apps (`kinde-examples`'
//! `axum_app::router` and `axum_api::router`, or the adapter's twins with the same
//! routes and demo data), and two small apps of its own built from the adapter's API
//! ([`TestApp`], [`TwoTenants`]), whose routes and answers are specified here so that
//! the scenarios can assert them once for every adapter.

use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use kinde_core::testing::{MintOptions, TestKinde};
use kinde_core::web::RoutePaths;
use kinde_core::{Kinde, KindeConfig, KindeConfigBuilder};
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Response, StatusCode};
use url::Url;

pub mod instances;
pub mod interop;
pub mod scenarios;
pub mod starters;

pub use kinde_core;
pub use scenarios::scenarios;

/// Which app a scenario needs (and what it is built with).
#[derive(Debug, Clone)]
pub enum AppKind {
    /// The server-rendered app with browser sessions (`axum-app`): `/`, `/dashboard`,
    /// `/me`, `/todos`, `/admin` and Kinde's routes at the root; token source "both".
    Browser,
    /// The bearer-only JSON API (`axum-api`): `/api/me`, `/api/todos`, `/api/admin`.
    Api,
    /// The starter's test app: every extractor and guard on a route of its own (see
    /// [`TestApp`]).
    Test(TestApp),
    /// Two tenants (two Kinde clients) in one app (see [`TwoTenants`]).
    TwoTenants(TwoTenants),
}

/// The test app a starter builds from its adapter's API, with sessions (cookie
/// [`SESSION_COOKIE`]) and Kinde's routes at [`paths`](Self::paths). Its routes answer
/// the same for every adapter (JSON unless said otherwise; "the guard" of a route
/// rejects as the adapter's extractors do: login redirect, 401, 403 or 503):
///
/// | route | takes | answers |
/// |---|---|---|
/// | `/me` | the user and the claims | `{"id", "iss"}` (`iss` of the access token) |
/// | `/page` | the user | text `hello <display name>` |
/// | `/optional` | the optional user (axum: `Option<KindeUser>`, actix: `MaybeKindeUser`) | `{"user": id or null}` |
/// | `/token` | `AccessToken` | `{"token": the secret, "debug": its Debug text}` |
/// | `/claims` | `KindeClaims` | `{"org_code", "sub"` (access token)`, "has_id"` (ID token claims present)`}` |
/// | `/permissions` | `Permissions` | `{"keys", "write"` (`write:todos` granted)`}` |
/// | `/roles` | `Roles` | `{"keys", "admin"` (has role `admin`)`}` |
/// | `/flags` | `FeatureFlags` | `{"theme", "dark_mode", "todo_limit"` (null when absent)`, "missing"` (`bool_or("missing_flag", true)`)`, "wrong_type"` (`integer("theme")` is an error)`}` |
/// | `/org` | `CurrentOrganization` and the user | `{"code", "name", "all"` (the codes of the user's organisations, `KindeUser::organizations`)`}` |
/// | `/five` | user, permissions, roles, flags, organisation | `{"id", "write", "admin", "theme", "org"}` |
/// | `/ext/write`, `/ext/admin` | guard extractor `RequirePermission` `write:todos` / `RequireRole` `admin` | text `write ok` / `admin ok` |
/// | `/group/write/x`, `/group/admin/x` | nothing: the same guards on the group of routes (axum: `from_extractor_with_state` as a route layer of a nested router; actix: `require_permission` / `require_role` as scope middleware) | text `write ok` / `admin ok` |
/// | `/admin` | `RequireRole` `admin` | text `admin` |
/// | `/admin-default`, `/me-default` | the guard / the user as a `Result` with the rejection | text `admin` / `{"id"}`, or the rejection's default rendering |
/// | `/store` | nothing | `{"passed": live sessions in the store passed to the session layer (null without one), "handle": live sessions in the handle's own memory store}` |
#[derive(Debug, Clone, Default)]
pub struct TestApp {
    /// Where Kinde's routes are (default: at the root).
    pub paths: RoutePaths,
    /// Render every rejection with the app's renderer (`render_rejections_with`): the
    /// default rendering's status, header `x-custom-rejection: 1`, text body
    /// `custom <status> api=<whether the request wants API answers>`, nothing else.
    pub custom_rejections: bool,
    /// Keep sessions in a store the app passes to the session layer (axum:
    /// tower-sessions' `MemoryStore`; actix: a `MemorySessionStore` of its own) instead
    /// of the handle's own memory store.
    pub passed_store: bool,
}

/// Two tenants in one app. The starter's `kinde` is tenant A's client, [`b`](Self::b)
/// tenant B's. Tenant `x` (`a` or `b`) has the pages `/x/me` and `/x/page` (as in
/// [`TestApp`], answered with its own client) and Kinde's routes under `/x/auth`
/// (`/x/auth/login`, callback `/x/auth/callback`, …); a page's login redirect names
/// its tenant's login route.
#[derive(Debug, Clone)]
pub struct TwoTenants {
    /// Tenant B's client.
    pub b: Kinde,
    /// How the tenants keep their sessions.
    pub sessions: TenantSessions,
}

/// How the two tenants of [`TwoTenants`] keep their sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantSessions {
    /// Each tenant its own session layer (its handle's store) and its own cookie:
    /// `kinde_session_a`, `kinde_session_b`.
    OwnCookies,
    /// Each tenant its own session layer (its handle's store), both with the cookie
    /// [`SESSION_COOKIE`].
    OneCookieName,
    /// One session layer (tenant A's store, cookie [`SESSION_COOKIE`]) around both.
    OneSession,
}

/// Starts the app of `kind` with the client `kinde` on `listener` (already bound to
/// `127.0.0.1:0`) and returns what keeps it alive. It must return promptly (serve on a
/// thread of its own, with its own runtime); connections made before the server accepts
/// simply wait in the listener's backlog. Dropping the [`RunningApp`] must stop the
/// server. See [`starters`].
pub type StartApp = fn(AppKind, Kinde, TcpListener) -> RunningApp;

/// Keeps a started app alive; dropping it stops the app.
pub struct RunningApp {
    stop: std::sync::Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl std::fmt::Debug for RunningApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RunningApp")
    }
}

impl RunningApp {
    /// A guard that runs `stop` when dropped (stop the server, join its thread).
    pub fn new(stop: impl FnOnce() + Send + 'static) -> Self {
        RunningApp {
            stop: std::sync::Mutex::new(Some(Box::new(stop))),
        }
    }

    /// Serve on a new thread with its own multi-thread Tokio runtime (2 workers):
    /// `serve` gets the listener (made non-blocking) inside that runtime and runs until
    /// the guard is dropped, which then shuts the runtime down and joins the thread.
    ///
    /// # Panics
    /// If no runtime or thread can be started.
    pub fn tokio_thread<F, Fut>(listener: TcpListener, serve: F) -> Self
    where
        F: FnOnce(TcpListener) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        listener
            .set_nonblocking(true)
            .expect("make the app listener non-blocking");
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("e2e-app".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("app runtime");
                rt.block_on(async move {
                    tokio::select! {
                        () = serve(listener) => {}
                        _ = stop_rx => {}
                    }
                });
                rt.shutdown_timeout(Duration::from_secs(2));
            })
            .expect("app thread");
        RunningApp::new(move || {
            let _ = stop_tx.send(());
            let _ = thread.join();
        })
    }
}

impl Drop for RunningApp {
    fn drop(&mut self) {
        let stop = self
            .stop
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(stop) = stop {
            stop();
        }
    }
}

/// An app under test, on `127.0.0.1:port`.
pub struct App {
    // Declared first: the app stops before anything it talks to.
    running: RunningApp,
    /// Its port.
    pub port: u16,
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub base: String,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("base", &self.base).finish()
    }
}

impl App {
    /// Bind `127.0.0.1:0`, build the Kinde client from `config(port)` and start the app.
    ///
    /// # Panics
    /// If the port cannot be bound or the configuration is invalid.
    pub fn start(start: StartApp, kind: AppKind, config: impl FnOnce(u16) -> KindeConfig) -> App {
        App::launch(start, |port| {
            (kind, Kinde::new(config(port)).expect("Kinde client"))
        })
    }

    /// Bind `127.0.0.1:0` and start the app of the kind and with the client that
    /// `app(port)` gives.
    ///
    /// # Panics
    /// If the port cannot be bound.
    pub fn launch(start: StartApp, app: impl FnOnce(u16) -> (AppKind, Kinde)) -> App {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let (kind, kinde) = app(port);
        let running = start(kind, kinde, listener);
        App {
            running,
            port,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// The app that `running` serves on `127.0.0.1:port`.
    pub fn running_on(port: u16, running: RunningApp) -> App {
        App {
            running,
            port,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// An absolute URL on the app.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A fresh browser (empty cookie jar) for this app.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    /// Stop the app now.
    pub fn stop(self) {
        drop(self.running);
    }
}

/// The `(Kinde, app)` pair of one scenario.
pub struct Ctx {
    /// The app (dropped first).
    pub app: App,
    /// The local Kinde server the app talks to.
    pub kinde: TestKinde,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("app", &self.app)
            .field("kinde", &self.kinde)
            .finish()
    }
}

/// The Kinde configuration of an app on `port` against `kinde`: the default client,
/// `redirect_uri = http://127.0.0.1:PORT/callback`, post-logout URL `http://127.0.0.1:PORT/`.
pub fn app_config(kinde: &TestKinde, port: u16) -> KindeConfigBuilder {
    app_config_at(kinde, port, "/callback")
}

/// [`app_config`] for an app whose callback route is `callback_path`.
pub fn app_config_at(kinde: &TestKinde, port: u16, callback_path: &str) -> KindeConfigBuilder {
    kinde
        .config_builder()
        .redirect_uri(format!("http://127.0.0.1:{port}{callback_path}"))
        .post_logout_redirect_url(format!("http://127.0.0.1:{port}/"))
}

/// The client of an app on `port` against `kinde` whose callback route is
/// `callback_path`, its configuration adjusted by `tweak`.
///
/// # Panics
/// If the configuration is invalid.
pub fn client_at(
    kinde: &TestKinde,
    port: u16,
    callback_path: &str,
    tweak: impl FnOnce(KindeConfigBuilder) -> KindeConfigBuilder,
) -> Kinde {
    let config = tweak(app_config_at(kinde, port, callback_path))
        .build()
        .expect("valid Kinde configuration");
    Kinde::new(config).expect("Kinde client")
}

/// An access token of `kinde` for the demo user with this email (default options).
///
/// # Panics
/// If there is no such user.
pub fn token_for(kinde: &TestKinde, email: &str) -> String {
    let user = kinde
        .users()
        .into_iter()
        .find(|u| u.email == email)
        .unwrap_or_else(|| panic!("no test user {email}"));
    kinde.mint_access_token(&user, MintOptions::default())
}

impl Ctx {
    /// A fresh `TestKinde` (demo users, automatic login) and the app of `kind` against it.
    pub fn start(start: StartApp, kind: AppKind) -> Ctx {
        Ctx::start_with(start, kind, TestKinde::builder().start(), |b| b)
    }

    /// The app of `kind` against `kinde`, its configuration adjusted by `tweak`.
    pub fn start_with(
        start: StartApp,
        kind: AppKind,
        kinde: TestKinde,
        tweak: impl FnOnce(KindeConfigBuilder) -> KindeConfigBuilder,
    ) -> Ctx {
        Ctx::launch(start, kinde, |port, tk| {
            (kind, client_at(tk, port, "/callback", tweak))
        })
    }

    /// The app against `kinde` of the kind and with the client that `app(port, &kinde)`
    /// gives (e.g. a client from [`client_at`] for another callback path).
    pub fn launch(
        start: StartApp,
        kinde: TestKinde,
        app: impl FnOnce(u16, &TestKinde) -> (AppKind, Kinde),
    ) -> Ctx {
        let app = App::launch(start, |port| app(port, &kinde));
        Ctx { app, kinde }
    }

    /// The [`TwoTenants`] app keeping sessions as `sessions`, with tenant A against `a`
    /// (the context's Kinde) and tenant B against `b` (callbacks `/a/auth/callback` and
    /// `/b/auth/callback`).
    pub fn two_tenants(
        start: StartApp,
        a: TestKinde,
        b: &TestKinde,
        sessions: TenantSessions,
    ) -> Ctx {
        Ctx::launch(start, a, |port, a| {
            let two = TwoTenants {
                b: client_at(b, port, "/b/auth/callback", |c| c),
                sessions,
            };
            (
                AppKind::TwoTenants(two),
                client_at(a, port, "/a/auth/callback", |c| c),
            )
        })
    }

    /// A fresh browser (empty cookie jar) for the app.
    pub fn browser(&self) -> Browser {
        self.app.browser()
    }

    /// An absolute URL on the app.
    pub fn url(&self, path: &str) -> String {
        self.app.url(path)
    }

    /// Strings an error page must never contain: internals of the stack plus where
    /// Kinde lives.
    pub fn internals(&self) -> Vec<String> {
        let mut v: Vec<String> = INTERNALS.iter().map(|s| s.to_string()).collect();
        v.push(self.kinde.issuer());
        v.push(format!("127.0.0.1:{}", self.kinde.port()));
        v
    }
}

/// What a browser sends as `Accept` when it navigates to a page.
pub const HTML_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "kinde_session";

/// A cookie-keeping HTTP client that never follows redirects, sending `Accept` like a
/// browser navigating (unless a request says otherwise).
#[derive(Clone, Debug)]
pub struct Browser {
    /// The client.
    pub client: reqwest::Client,
    /// Its cookie jar (shared by every origin on 127.0.0.1, as in a browser).
    pub jar: Arc<Jar>,
    /// The app's base URL.
    pub base: String,
}

/// The steps of one sign-in through the app.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// Where `/login` sent the browser (Kinde's authorize URL).
    pub authorize_url: Url,
    /// Where Kinde sent the browser back (the app's callback URL).
    pub callback_url: Url,
    /// The `Location` of the callback's redirect.
    pub landed: String,
    /// The session cookie `/login` set, if it set one.
    pub login_cookie: Option<SetCookie>,
    /// The session cookie the callback set, if it set one.
    pub callback_cookie: Option<SetCookie>,
}

impl Browser {
    /// A browser with an empty cookie jar for the app at `base`.
    ///
    /// # Panics
    /// If the client cannot be built.
    pub fn new(base: &str) -> Browser {
        let jar = Arc::new(Jar::default());
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(HTML_ACCEPT));
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .timeout(Duration::from_secs(30))
            .build()
            .expect("HTTP client");
        Browser {
            client,
            jar,
            base: base.trim_end_matches('/').to_string(),
        }
    }

    /// Absolute URL for a path on the app (absolute URLs pass through).
    pub fn url(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http://") || path_or_url.starts_with("https://") {
            path_or_url.to_string()
        } else {
            format!("{}{path_or_url}", self.base)
        }
    }

    /// `GET` a page as a browser navigation (`Accept: text/html…`).
    ///
    /// # Panics
    /// If the request fails at the transport level.
    pub async fn get(&self, path: &str) -> Response {
        let url = self.url(path);
        self.client
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"))
    }

    /// `GET` with `Accept: application/json`.
    ///
    /// # Panics
    /// If the request fails at the transport level.
    pub async fn get_json(&self, path: &str) -> Response {
        let url = self.url(path);
        self.client
            .get(&url)
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"))
    }

    /// `GET` with `Authorization: Bearer <token>` and `Accept: application/json`.
    ///
    /// # Panics
    /// If the request fails at the transport level.
    pub async fn get_bearer(&self, path: &str, token: &str) -> Response {
        let url = self.url(path);
        self.client
            .get(&url)
            .header(header::ACCEPT, "application/json")
            .bearer_auth(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"))
    }

    /// `POST` a JSON body (optionally with a bearer token).
    ///
    /// # Panics
    /// If the request fails at the transport level.
    pub async fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
        bearer: Option<&str>,
    ) -> Response {
        let url = self.url(path);
        let mut req = self
            .client
            .post(&url)
            .header(header::ACCEPT, "application/json")
            .json(body);
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        req.send()
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}"))
    }

    /// The value of cookie `name` the jar would send to the app, if any.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = Url::parse(&self.base).expect("base URL");
        let header = self.jar.cookies(&url)?;
        let text = header.to_str().ok()?.to_string();
        text.split(';').find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
    }

    /// Put `name=value` into the jar for the app (e.g. to replay an old session cookie).
    pub fn set_cookie(&self, name: &str, value: &str) {
        let url = Url::parse(&self.base).expect("base URL");
        self.jar
            .add_cookie_str(&format!("{name}={value}; Path=/; HttpOnly"), &url);
    }

    /// `GET path_and_query` on the app (a login route) and return Kinde's authorize URL
    /// it redirects to, with the session cookie it set.
    ///
    /// # Panics
    /// If the answer is not a redirect.
    pub async fn start_login(&self, path_and_query: &str) -> (Url, Option<SetCookie>) {
        let resp = self.get(path_and_query).await;
        assert_eq!(
            resp.status(),
            StatusCode::SEE_OTHER,
            "{path_and_query} should redirect to Kinde"
        );
        assert_no_store(&resp);
        let cookie = session_cookie(&resp);
        let url = Url::parse(&location(&resp))
            .unwrap_or_else(|e| panic!("{path_and_query}: Location is not absolute: {e}"));
        (url, cookie)
    }

    /// Follow redirects from `url` (typically Kinde's authorize URL) with this jar until
    /// one points at `target_prefix` (typically the app's callback URL); return that URL.
    /// Handles providers whose login is a chain of redirects with cookies of their own.
    ///
    /// # Panics
    /// If a hop is not a redirect, or after 10 hops.
    pub async fn follow_until(&self, url: &Url, target_prefix: &str) -> Url {
        let mut next = url.clone();
        for _ in 0..10 {
            let resp = self
                .client
                .get(next.clone())
                .send()
                .await
                .unwrap_or_else(|e| panic!("GET {}: {e}", next.path()));
            let status = resp.status();
            let Some(loc) = resp.headers().get(header::LOCATION) else {
                let body = resp.text().await.unwrap_or_default();
                panic!(
                    "no redirect from {} ({status}): {}",
                    next.path(),
                    body.chars().take(500).collect::<String>()
                );
            };
            let loc = loc.to_str().expect("ASCII Location").to_string();
            next = next
                .join(&loc)
                .unwrap_or_else(|e| panic!("bad Location {loc}: {e}"));
            if next.as_str().starts_with(target_prefix) {
                return next;
            }
        }
        panic!("the redirect chain did not reach {target_prefix}");
    }

    /// Complete a sign-in started by `path_and_query` (`/login?…`, `/register?…`,
    /// `/create-org?…`): app → Kinde (automatic login) → app callback. Returns the steps;
    /// the callback must redirect (`landed` is its `Location`).
    ///
    /// # Panics
    /// If any step does not redirect as expected.
    pub async fn sign_in_via(&self, path_and_query: &str) -> SignIn {
        self.sign_in_through(path_and_query, "/callback").await
    }

    /// [`sign_in_via`](Self::sign_in_via) for an app whose callback route is
    /// `callback_path` (Kinde's routes under a prefix, or one tenant's of several).
    ///
    /// # Panics
    /// If any step does not redirect as expected.
    pub async fn sign_in_through(&self, path_and_query: &str, callback_path: &str) -> SignIn {
        let (authorize_url, login_cookie) = self.start_login(path_and_query).await;
        let callback_prefix = format!("{}{callback_path}", self.base);
        let callback_url = self.follow_until(&authorize_url, &callback_prefix).await;
        let resp = self
            .client
            .get(callback_url.clone())
            .send()
            .await
            .expect("GET /callback");
        let status = resp.status();
        if status != StatusCode::SEE_OTHER {
            let body = resp.text().await.unwrap_or_default();
            panic!("the callback answered {status} instead of a redirect: {body}");
        }
        assert_no_store(&resp);
        let callback_cookie = session_cookie(&resp);
        SignIn {
            authorize_url,
            callback_url,
            landed: location(&resp),
            login_cookie,
            callback_cookie,
        }
    }

    /// Sign in as the user with `email` (sent as `login_hint`, which the login route
    /// forwards to Kinde), with `returnTo` when given. Returns the steps.
    pub async fn sign_in(&self, return_to: Option<&str>, email: &str) -> SignIn {
        self.sign_in_via(&login_as("/login", email, return_to))
            .await
    }

    /// Sign in to tenant `tenant` (`"a"` or `"b"`) of a [`TwoTenants`] app as the user
    /// with `email`, through the tenant's routes, landing on its `/me`.
    ///
    /// # Panics
    /// If any step does not redirect as expected, or the sign-in lands elsewhere.
    pub async fn sign_in_to_tenant(&self, tenant: &str, email: &str) -> SignIn {
        let me = format!("/{tenant}/me");
        let login = login_as(&format!("/{tenant}/auth/login"), email, Some(&me));
        let s = self
            .sign_in_through(&login, &format!("/{tenant}/auth/callback"))
            .await;
        assert_eq!(s.landed, me, "a sign-in to tenant {tenant}");
        s
    }
}

/// The login route `login` with `login_hint=email` (and `returnTo` when given).
pub fn login_as(login: &str, email: &str, return_to: Option<&str>) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("login_hint", email);
    if let Some(r) = return_to {
        q.append_pair("returnTo", r);
    }
    format!("{login}?{}", q.finish())
}

/// The status and text body of a response.
///
/// # Panics
/// If the body cannot be read.
pub async fn status_body(resp: Response) -> (u16, String) {
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

/// A `GET` with `Accept: application/json` and no credentials at all (a fresh client
/// with no cookies).
///
/// # Panics
/// If the request fails at the transport level.
pub async fn get_anonymous_json(url: &str) -> Response {
    reqwest::Client::new()
        .get(url)
        .header(header::ACCEPT, "application/json")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

/// The attributes of one `Set-Cookie`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCookie {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
    /// `HttpOnly`.
    pub http_only: bool,
    /// `Secure`.
    pub secure: bool,
    /// `SameSite=Lax`.
    pub same_site_lax: bool,
    /// `Path`.
    pub path: Option<String>,
    /// `Max-Age`.
    pub max_age: Option<Duration>,
    /// The raw header value.
    pub raw: String,
}

/// Every `Set-Cookie` of a response.
pub fn set_cookies(resp: &Response) -> Vec<SetCookie> {
    let raws: Vec<String> = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    resp.cookies()
        .zip(raws)
        .map(|(c, raw)| SetCookie {
            name: c.name().to_string(),
            value: c.value().to_string(),
            http_only: c.http_only(),
            secure: c.secure(),
            same_site_lax: c.same_site_lax(),
            path: c.path().map(str::to_string),
            max_age: c.max_age(),
            raw,
        })
        .collect()
}

/// The session cookie a response sets, if any.
pub fn session_cookie(resp: &Response) -> Option<SetCookie> {
    set_cookies(resp)
        .into_iter()
        .find(|c| c.name == SESSION_COOKIE)
}

/// The `Location` header.
///
/// # Panics
/// If there is none.
pub fn location(resp: &Response) -> String {
    resp.headers()
        .get(header::LOCATION)
        .unwrap_or_else(|| panic!("{} {} has no Location", resp.status(), resp.url().path()))
        .to_str()
        .expect("ASCII Location")
        .to_string()
}

/// A header as text (`""` when absent).
pub fn header_str(resp: &Response, name: header::HeaderName) -> String {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// Assert `Cache-Control: no-store` (redirects and pages of the auth routes).
pub fn assert_no_store(resp: &Response) {
    assert!(
        header_str(resp, header::CACHE_CONTROL).contains("no-store"),
        "{} should be Cache-Control: no-store",
        resp.url().path()
    );
}

/// Assert a redirect (`303 See Other`) and return its `Location`.
pub fn assert_redirect(resp: &Response) -> String {
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "{} should redirect",
        resp.url().path()
    );
    location(resp)
}

/// Query parameters of a URL as a map (first value wins).
pub fn query_map(url: &Url) -> std::collections::BTreeMap<String, String> {
    let mut m = std::collections::BTreeMap::new();
    for (k, v) in url.query_pairs() {
        m.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    m
}

/// Strings that betray internals; no error page or JSON error may contain them.
pub const INTERNALS: &[&str] = &[
    "reqwest",
    "hyper",
    "tokio",
    "panicked",
    "backtrace",
    ".rs:",
    "eyJ",
    "kinde-test-secret",
    "invalid_grant",
    "error sending request",
    "os error",
    "onnection refused",
    "connection failed",
    "Kinde is unavailable:",
    "unexpected answer from Kinde",
    "configuration error",
    "simulated by TestKinde",
    "code_verifier",
    "refresh_token",
];

/// The human message of an error response: the JSON `message`, or the visible text
/// of an HTML page.
pub fn error_message(body: &str, is_json: bool) -> String {
    if is_json {
        let v: serde_json::Value = serde_json::from_str(body)
            .unwrap_or_else(|e| panic!("error body is not JSON ({e}): {body}"));
        let code = v["error"].as_str().unwrap_or_default();
        assert!(
            !code.is_empty() && code.len() <= 40,
            "JSON error needs a short `error` code: {body}"
        );
        v["message"]
            .as_str()
            .unwrap_or_else(|| panic!("JSON error without `message`: {body}"))
            .to_string()
    } else {
        visible_text(body)
    }
}

/// The visible text of an HTML page (tags, `<style>` and `<title>` removed).
pub fn visible_text(html: &str) -> String {
    let mut s = html.to_string();
    for tag in ["style", "title", "script"] {
        while let Some(start) = s.find(&format!("<{tag}")) {
            let end_tag = format!("</{tag}>");
            let end = s[start..]
                .find(&end_tag)
                .map(|e| start + e + end_tag.len())
                .unwrap_or(s.len());
            s.replace_range(start..end, " ");
        }
    }
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Assert that `resp` is a clean error: status `status`, JSON (`{"error","message"}`)
/// or an HTML page, a short human message, and none of the strings in `internals`.
/// Returns the message. (Whether a session was established is checked separately.)
///
/// # Panics
/// When any of that does not hold.
pub async fn assert_clean_error(resp: Response, status: u16, internals: &[String]) -> String {
    let path = resp.url().path().to_string();
    assert_eq!(resp.status().as_u16(), status, "{path}: unexpected status");
    let content_type = header_str(&resp, header::CONTENT_TYPE);
    let is_json = content_type.starts_with("application/json");
    assert!(
        is_json || content_type.starts_with("text/html"),
        "{path}: error content type {content_type:?}"
    );
    let body = resp.text().await.expect("error body");
    assert!(body.len() < 4096, "{path}: error body too long: {body}");
    for bad in internals {
        assert!(
            !body.contains(bad.as_str()),
            "{path}: error body leaks {bad:?}: {body}"
        );
    }
    let message = error_message(&body, is_json);
    assert!(
        !message.is_empty() && message.len() <= 300,
        "{path}: error message should be short and human: {message:?}"
    );
    message
}

/// A scenario of the end-to-end table.
#[derive(Clone, Copy)]
pub struct Scenario {
    /// Its name (also the test function's name in [`e2e_suite!`]).
    pub name: &'static str,
    /// Runs it against the adapter that `StartApp` starts.
    pub run: fn(StartApp) -> BoxFuture<'static, ()>,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .finish()
    }
}

/// Poll `cond` every 20 ms until it holds (or panic after `secs` seconds with `what`).
/// For effects that happen in the background (best-effort revocation), never to
/// measure time.
pub async fn eventually(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Expands into one `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]` per
/// scenario of [`scenarios()`], each running against the adapter started by `$start`
/// (a [`StartApp`]), plus a test that the expansion covers the whole table.
///
/// ```ignore
/// kinde_e2e::e2e_suite!(actix_start);
/// ```
#[macro_export]
macro_rules! e2e_suite {
    ($start:path) => {
        $crate::__with_scenario_names!(tests $start);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __e2e_tests {
    ($start:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $crate::scenarios::$name($start).await;
            }
        )*

        #[test]
        fn e2e_suite_covers_every_scenario() {
            let expanded: Vec<&str> = vec![$(stringify!($name)),*];
            let table: Vec<&str> = $crate::scenarios().iter().map(|s| s.name).collect();
            assert_eq!(expanded, table);
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __scenario_table {
    ($($name:ident),* $(,)?) => {
        vec![$(
            $crate::Scenario {
                name: stringify!($name),
                run: |start| ::std::boxed::Box::pin($crate::scenarios::$name(start)),
            }
        ),*]
    };
}
