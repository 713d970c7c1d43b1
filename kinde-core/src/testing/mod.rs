//! A Kinde-compatible OAuth2/OIDC server for tests and demos (feature `testing`).
//!
//! [`TestKinde`] starts a real HTTP server on `127.0.0.1:<random port>` on its own
//! thread (with its own Tokio runtime), so it works from synchronous tests, from
//! `#[tokio::test]` and from blocking clients alike. It speaks Kinde's protocol:
//! discovery, JWKS, the authorization-code flow with PKCE, refresh-token rotation,
//! client credentials, logout, user profile, introspection, revocation and the
//! Account API, and it signs real RS256 tokens with the claim shapes Kinde uses.
//!
//! Knobs let a test reproduce what goes wrong in production: JWKS or discovery down,
//! token endpoint errors or slowness, signing-key rotation, revoked refresh tokens,
//! authorization errors, a paginated API whose cursor does not advance. Counters and
//! recorded requests let a test assert what the application sent.
//!
//! # Example: an application's own test
//!
//! ```
//! use kinde_core::testing::{Endpoint, MintOptions, TestKinde, TestUser};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let kinde = TestKinde::builder()
//!     .user(
//!         TestUser::new("kp_jane", "jane@example.com")
//!             .name("Jane", "Smith")
//!             .org("org_acme", "Acme")
//!             .permission("read:reports"),
//!     )
//!     .start();
//!
//! // Point the application under test at `kinde.issuer()` with `kinde.client_id()` and
//! // `kinde.client_secret()` (or `kinde.config_builder()`), and log in through
//! // `/oauth2/auth` as a browser would: the default login mode redirects straight back
//! // with a code for the first user.
//!
//! // Or skip the browser: mint a token the server's JWKS will verify.
//! let jane = kinde.users()[0].clone();
//! let token = kinde.mint_access_token(&jane, MintOptions::default());
//! let profile: serde_json::Value = reqwest::Client::new()
//!     .get(kinde.url("/oauth2/v2/user_profile"))
//!     .bearer_auth(&token)
//!     .send()
//!     .await
//!     .unwrap()
//!     .json()
//!     .await
//!     .unwrap();
//! assert_eq!(profile["email"], "jane@example.com");
//! assert_eq!(kinde.requests(Endpoint::UserProfile), 1);
//!
//! // Fault injection, effective immediately.
//! kinde.set_jwks_available(false);
//! # }
//! ```

mod account;
mod claims;
mod config_glue;
mod html;
mod http;
mod keys;
mod management;
mod redis;
mod server;
mod state;
mod users;
mod webhooks;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use url::Url;

pub use claims::MintOptions;
pub use keys::TestSigner;
pub use redis::TestRedis;
pub use users::{TestClient, TestEntitlement, TestOrg, TestPlan, TestRole, TestUser};
pub use webhooks::{TestWebhooks, WebhookDelivery};

use claims::TokenContext;
use keys::KeyMaterial;
pub use state::RECORD_LIMIT;
use state::{Shared, Ttls, lock};

/// Default client id of a [`TestKinde`].
pub const DEFAULT_CLIENT_ID: &str = "kinde-test-client";
/// Default client secret of a [`TestKinde`].
pub const DEFAULT_CLIENT_SECRET: &str = "kinde-test-secret";

/// How `GET /oauth2/auth` picks the user.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LoginMode {
    /// Redirect straight back with a code (no page). The user is the one whose email
    /// or id equals `login_hint`, else the one set with
    /// [`TestKinde::set_auto_login_user`], else the first user.
    #[default]
    Auto,
    /// Show a page where a person picks a user or denies the request (for demos and
    /// manual testing). `prompt=none` still logs in silently as in `Auto`.
    Page,
}

/// The endpoints whose requests [`TestKinde::requests`] counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `GET /.well-known/openid-configuration`.
    Discovery,
    /// `GET /.well-known/jwks` and `/.well-known/jwks.json`.
    Jwks,
    /// `GET /oauth2/auth`.
    Authorize,
    /// `POST /oauth2/token`.
    Token,
    /// `GET /logout`.
    Logout,
    /// `GET /oauth2/v2/user_profile`.
    UserProfile,
    /// `POST /oauth2/introspect`.
    Introspect,
    /// `POST /oauth2/revoke`.
    Revoke,
    /// `GET /account_api/v1/...` (every Account API path, including `portal_link`).
    AccountApi,
    /// `/api/v1/...`: every Management API request, implemented or not.
    ManagementApi,
}

impl Endpoint {
    const COUNT: usize = 10;

    fn index(self) -> usize {
        match self {
            Endpoint::Discovery => 0,
            Endpoint::Jwks => 1,
            Endpoint::Authorize => 2,
            Endpoint::Token => 3,
            Endpoint::Logout => 4,
            Endpoint::UserProfile => 5,
            Endpoint::Introspect => 6,
            Endpoint::Revoke => 7,
            Endpoint::AccountApi => 8,
            Endpoint::ManagementApi => 9,
        }
    }
}

/// `n` random bytes, base64url without padding.
pub(crate) fn random_token(n: usize) -> String {
    let bytes: Vec<u8> = (0..n).map(|_| rand::random::<u8>()).collect();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `n` random bytes as lowercase hex.
pub(crate) fn random_hex(n: usize) -> String {
    (0..n)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

/// The PKCE S256 challenge of `verifier`.
pub(crate) fn pkce_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Configures a [`TestKinde`] before starting it; see [`TestKinde::builder`].
#[derive(Clone, Debug)]
#[must_use = "call .start() to run the server"]
pub struct TestKindeBuilder {
    users: Vec<TestUser>,
    clients: Vec<TestClient>,
    custom_clients: bool,
    ttl: Ttls,
    login_mode: LoginMode,
    auto_login_user: Option<String>,
    port: u16,
}

impl Default for TestKindeBuilder {
    fn default() -> Self {
        Self {
            users: Vec::new(),
            clients: vec![TestClient::confidential(
                DEFAULT_CLIENT_ID,
                DEFAULT_CLIENT_SECRET,
            )],
            custom_clients: false,
            ttl: Ttls {
                access: Duration::from_secs(60 * 60),
                id: Duration::from_secs(60 * 60),
                refresh: Duration::from_secs(15 * 24 * 60 * 60),
                refresh_grace: Duration::ZERO,
                code: Duration::from_secs(5 * 60),
            },
            login_mode: LoginMode::Auto,
            auto_login_user: None,
            port: 0,
        }
    }
}

impl TestKindeBuilder {
    /// Adds a user. The first user added is the default login; once any user is
    /// added, the demo users are not.
    pub fn user(mut self, user: TestUser) -> Self {
        self.users.push(user);
        self
    }

    /// Adds a client. The first call replaces the default client
    /// (`kinde-test-client`), and that first client becomes the default one that
    /// [`TestKinde::client_id`] reports; later calls add more.
    pub fn client(mut self, client: TestClient) -> Self {
        if !self.custom_clients {
            self.clients.clear();
            self.custom_clients = true;
        }
        self.clients.push(client);
        self
    }

    /// Access token lifetime (default 1 hour); also the `expires_in` of token responses.
    pub fn access_token_ttl(mut self, ttl: Duration) -> Self {
        self.ttl.access = ttl;
        self
    }

    /// ID token lifetime (default 1 hour).
    pub fn id_token_ttl(mut self, ttl: Duration) -> Self {
        self.ttl.id = ttl;
        self
    }

    /// Refresh token lifetime (default 15 days).
    pub fn refresh_token_ttl(mut self, ttl: Duration) -> Self {
        self.ttl.refresh = ttl;
        self
    }

    /// How long a rotated-out refresh token keeps working (default zero: the old token
    /// dies as soon as it has been used). Using it after the grace is treated as reuse
    /// and revokes the whole token family.
    pub fn refresh_grace(mut self, grace: Duration) -> Self {
        self.ttl.refresh_grace = grace;
        self
    }

    /// Authorization code lifetime (default 5 minutes).
    pub fn authorization_code_ttl(mut self, ttl: Duration) -> Self {
        self.ttl.code = ttl;
        self
    }

    /// How `/oauth2/auth` picks the user (default [`LoginMode::Auto`]).
    pub fn login_mode(mut self, mode: LoginMode) -> Self {
        self.login_mode = mode;
        self
    }

    /// The user [`LoginMode::Auto`] logs in when there is no `login_hint`
    /// (default: the first user). See [`TestKinde::set_auto_login_user`].
    pub fn auto_login_user(mut self, id: impl Into<String>) -> Self {
        self.auto_login_user = Some(id.into());
        self
    }

    /// Serve on this loopback port instead of a free one (e.g. a local Kinde that
    /// several app instances share, at an address they can be configured with).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Generates a signing key, binds `127.0.0.1` (on a free port unless
    /// [`port`](Self::port) says otherwise) and starts serving on a dedicated thread.
    /// Returns once the server accepts connections.
    ///
    /// # Panics
    /// If no key can be generated, no loopback port can be bound or no thread started:
    /// a test cannot proceed without its identity provider.
    pub fn start(self) -> TestKinde {
        let key = KeyMaterial::generate()
            .unwrap_or_else(|e| panic!("TestKinde: cannot generate a signing key: {e}"));
        let listener = std::net::TcpListener::bind(("127.0.0.1", self.port))
            .unwrap_or_else(|e| panic!("TestKinde: cannot bind 127.0.0.1:{}: {e}", self.port));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("TestKinde: no local address: {e}"))
            .port();
        listener
            .set_nonblocking(true)
            .unwrap_or_else(|e| panic!("TestKinde: cannot make the listener non-blocking: {e}"));
        let users = if self.users.is_empty() {
            TestUser::demo_users()
        } else {
            self.users
        };
        let shared = Arc::new(Shared::new(
            format!("http://127.0.0.1:{port}"),
            self.clients,
            users,
            self.login_mode,
            self.ttl,
            key,
        ));
        *lock(&shared.auto_login_user) = self.auto_login_user;

        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let app = server::router(shared.clone());
        let router = app.clone();
        let thread = std::thread::Builder::new()
            .name(format!("kinde-test-{port}"))
            .spawn(move || serve(listener, app, stop_rx, ready_tx))
            .unwrap_or_else(|e| panic!("TestKinde: cannot start the server thread: {e}"));
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("TestKinde: server failed to start: {e}"),
            Err(_) => panic!("TestKinde: server thread exited during start-up"),
        }
        tracing::debug!(issuer = %shared.issuer, "Kinde test server started");
        TestKinde {
            inner: Arc::new(Handle {
                shared,
                router,
                stop: Mutex::new(Some(stop_tx)),
                thread: Mutex::new(Some(thread)),
            }),
        }
    }
}

/// The server thread: its own runtime, serving until told to stop (or the handle is gone).
fn serve(
    listener: std::net::TcpListener,
    app: axum::Router,
    stop: tokio::sync::oneshot::Receiver<()>,
    ready: std::sync::mpsc::Sender<Result<(), String>>,
) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(e.to_string()));
            return;
        }
    };
    rt.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => {
                let _ = ready.send(Err(e.to_string()));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        let server = std::future::IntoFuture::into_future(axum::serve(listener, app));
        tokio::select! {
            result = server => {
                if let Err(e) = result {
                    tracing::warn!(error = %e, "Kinde test server stopped");
                }
            }
            _ = stop => {}
        }
    });
    rt.shutdown_timeout(Duration::from_secs(1));
}

/// Owns the server thread; dropping it stops the server.
struct Handle {
    shared: Arc<Shared>,
    /// The server's routes, for answering in process (`__answer`).
    router: axum::Router,
    stop: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Handle {
    fn stop(&self) {
        if let Some(tx) = lock(&self.stop).take() {
            let _ = tx.send(());
        }
        if let Some(thread) = lock(&self.thread).take()
            && thread.thread().id() != std::thread::current().id()
        {
            let _ = thread.join();
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A running Kinde-compatible test server. Cheap to clone; the server stops when the
/// last clone is dropped or on [`shutdown`](Self::shutdown).
///
/// Instances are fully independent: each has its own port, keys, users and state.
#[derive(Clone)]
pub struct TestKinde {
    inner: Arc<Handle>,
}

impl std::fmt::Debug for TestKinde {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestKinde")
            .field("issuer", &self.inner.shared.issuer)
            .finish_non_exhaustive()
    }
}

impl TestKinde {
    /// Starts a server with the [demo users](TestUser::demo_users), the confidential
    /// client `kinde-test-client` / `kinde-test-secret` and automatic login.
    ///
    /// # Panics
    /// See [`TestKindeBuilder::start`].
    pub fn start() -> TestKinde {
        Self::builder().start()
    }

    /// A builder for a customised server.
    pub fn builder() -> TestKindeBuilder {
        TestKindeBuilder::default()
    }

    fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    /// Answer one request to `path` in this process, without a socket, and return its
    /// status: how the fuzz targets (`fuzz/`, a crate outside the workspace) feed the
    /// server's form and query parsing at the speed a fuzzer needs. `method` `GET`
    /// sends `body` as the query string; any other sends it as a `POST` form body.
    /// `basic` adds the `Authorization: Basic` header of [`Self::client_id`] and
    /// [`Self::client_secret`]. Not part of the API.
    #[doc(hidden)]
    pub async fn __answer(&self, method: &str, path: &str, body: &[u8], basic: bool) -> u16 {
        use axum::body::Body;
        use axum::http::{Method, Request, header};
        use tower::ServiceExt;

        let get = method.eq_ignore_ascii_case("GET");
        let uri = if get {
            format!("{path}?{}", String::from_utf8_lossy(body))
        } else {
            path.to_string()
        };
        let mut request = Request::builder()
            .method(if get { Method::GET } else { Method::POST })
            .uri(uri.as_str())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if basic {
            use base64::Engine;
            let pair = format!(
                "{}:{}",
                self.client_id(),
                self.client_secret().unwrap_or_default()
            );
            let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
            request = request.header(header::AUTHORIZATION, format!("Basic {encoded}"));
        }
        let Ok(request) = request.body(Body::from(if get { Vec::new() } else { body.to_vec() }))
        else {
            // A query that is no URI never reaches a server either.
            return 400;
        };
        match self.inner.router.clone().oneshot(request).await {
            Ok(response) => response.status().as_u16(),
            Err(never) => match never {},
        }
    }

    /// Stops the server now (other clones then see connection errors).
    pub fn shutdown(&self) {
        self.inner.stop();
    }

    // ----- addresses and registration -----

    /// The issuer, `http://127.0.0.1:PORT` (no trailing slash): use it as the Kinde domain.
    pub fn issuer(&self) -> String {
        self.shared().issuer.clone()
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        Url::parse(&self.shared().issuer)
            .ok()
            .and_then(|u| u.port())
            .unwrap_or_default()
    }

    /// An absolute URL on the server: `url("/oauth2/token")`.
    pub fn url(&self, path: &str) -> String {
        self.shared().url(path)
    }

    /// The default client's id (`kinde-test-client` unless the builder replaced it).
    pub fn client_id(&self) -> String {
        self.shared().default_client().id.clone()
    }

    /// The default client's secret (`None` for a public client).
    pub fn client_secret(&self) -> Option<String> {
        self.shared().default_client().secret.clone()
    }

    /// Every registered client.
    pub fn clients(&self) -> Vec<TestClient> {
        self.shared().clients.clone()
    }

    /// The discovery document as served at `/.well-known/openid-configuration`.
    pub fn discovery_document(&self) -> Value {
        server::discovery_document(self.shared())
    }

    // ----- users -----

    /// The users, default first.
    pub fn users(&self) -> Vec<TestUser> {
        lock(&self.shared().users).clone()
    }

    /// The user with this id.
    pub fn user(&self, id: &str) -> Option<TestUser> {
        self.shared().find_user(id)
    }

    /// Adds a user, or replaces the user with the same id. Tokens issued later
    /// (including by a refresh) reflect the change.
    pub fn add_user(&self, user: TestUser) {
        let mut users = lock(&self.shared().users);
        match users.iter_mut().find(|u| u.id == user.id) {
            Some(existing) => *existing = user,
            None => users.push(user),
        }
    }

    /// Removes the user with this id; returns whether there was one. Refresh tokens
    /// already issued keep working with the user's last known data.
    pub fn remove_user(&self, id: &str) -> bool {
        let mut users = lock(&self.shared().users);
        let before = users.len();
        users.retain(|u| u.id != id);
        users.len() != before
    }

    /// The user [`LoginMode::Auto`] logs in when the request has no matching
    /// `login_hint` (an id that matches no user falls back to the first user).
    pub fn set_auto_login_user(&self, id: impl Into<String>) {
        *lock(&self.shared().auto_login_user) = Some(id.into());
    }

    /// Back to logging in the first user automatically.
    pub fn clear_auto_login_user(&self) {
        *lock(&self.shared().auto_login_user) = None;
    }

    // ----- recorded requests and counters -----

    /// Every `/oauth2/auth` request so far, as full URLs as received, oldest first (the
    /// latest [`RECORD_LIMIT`] at most, as for every record of the server).
    pub fn authorize_requests(&self) -> Vec<Url> {
        lock(&self.shared().authorize_requests).clone()
    }

    /// The latest `/oauth2/auth` request.
    pub fn last_authorize_request(&self) -> Option<Url> {
        lock(&self.shared().authorize_requests).last().cloned()
    }

    /// Every `/logout` request so far, as full URLs as received, oldest first.
    pub fn logouts(&self) -> Vec<Url> {
        lock(&self.shared().logouts).clone()
    }

    /// Forgets the recorded authorize and logout requests.
    pub fn clear_history(&self) {
        lock(&self.shared().authorize_requests).clear();
        lock(&self.shared().logouts).clear();
    }

    /// Every secret the token endpoint received or issued so far: authorization codes,
    /// PKCE verifiers, client secrets, access, ID and refresh tokens. A test can check
    /// that none of them shows up in logs, pages or error bodies. The latest
    /// [`RECORD_LIMIT`] at most.
    pub fn secrets_exchanged(&self) -> Vec<String> {
        lock(&self.shared().secrets).clone()
    }

    /// How many requests an endpoint has received (including failed ones).
    pub fn requests(&self, endpoint: Endpoint) -> u64 {
        self.shared().counters.get(endpoint)
    }

    /// How many token requests had this `grant_type` (`""` counts requests without one).
    pub fn token_requests(&self, grant: &str) -> u64 {
        self.shared().counters.grant(grant)
    }

    /// Sets every counter back to zero (recorded requests stay; see
    /// [`clear_history`](Self::clear_history)).
    pub fn reset_counters(&self) {
        self.shared().counters.reset();
    }

    // ----- fault knobs -----

    /// `false`: the JWKS endpoints answer 503.
    pub fn set_jwks_available(&self, available: bool) {
        self.shared()
            .knobs
            .jwks_available
            .store(available, Ordering::Relaxed);
    }

    /// `false`: the discovery endpoint answers 503.
    pub fn set_discovery_available(&self, available: bool) {
        self.shared()
            .knobs
            .discovery_available
            .store(available, Ordering::Relaxed);
    }

    /// `Some(status)`: every token request answers that status with a JSON error
    /// (`temporarily_unavailable` for 503, `server_error` for other 5xx,
    /// `invalid_request` for 4xx). `None` restores normal service.
    pub fn set_token_endpoint_failure(&self, status: Option<u16>) {
        *lock(&self.shared().knobs.token_failure) = status;
    }

    /// Sleeps this long before answering each token request (zero: no delay).
    pub fn set_token_delay(&self, delay: Duration) {
        *lock(&self.shared().knobs.token_delay) = delay;
    }

    /// `Some(error)`: `/oauth2/auth` redirects back with `error` (and `state`) instead
    /// of a code, e.g. `access_denied` or `login_required`. For `login_link_expired` it
    /// also sends `reauth_state` (base64url JSON of the request's parameters), as Kinde does.
    pub fn set_authorize_error(&self, error: Option<String>) {
        *lock(&self.shared().knobs.authorize_error) = error;
    }

    /// Signs with a new key and `kid` from now on and returns the new `kid`. With
    /// `keep_old` the previously published keys stay in the JWKS (a graceful rotation);
    /// without it only the new key is published, so tokens signed before no longer verify.
    ///
    /// # Panics
    /// If no key can be generated.
    pub fn rotate_signing_key(&self, keep_old: bool) -> String {
        let key = KeyMaterial::generate()
            .unwrap_or_else(|e| panic!("TestKinde: cannot generate a signing key: {e}"));
        let kid = key.kid().to_string();
        let mut keys = lock(&self.shared().keys);
        let old = std::mem::replace(&mut keys.current, Arc::new(key));
        if keep_old {
            keys.retired.insert(0, old);
        } else {
            keys.retired.clear();
        }
        kid
    }

    /// Invalidates every refresh token issued so far.
    pub fn revoke_refresh_tokens(&self) {
        self.shared().revoke_all_refresh_tokens();
    }

    /// `true`: the paginated Account API endpoints always answer the first page with
    /// `has_more: true` and the same `next_page_starting_after`, to test a client's
    /// guard against a cursor that does not advance.
    pub fn set_account_api_stuck_cursor(&self, stuck: bool) {
        self.shared()
            .knobs
            .stuck_cursor
            .store(stuck, Ordering::Relaxed);
    }

    /// `Some(value)`: `/account_api/v1/entitlements` answers `plans` with exactly this
    /// JSON instead of the user's plans (e.g. `json!("pro")`, a shape Kinde does not
    /// send), to test what a client does with a malformed field. `None` restores them.
    pub fn set_entitlement_plans_override(&self, plans: Option<Value>) {
        *lock(&self.shared().knobs.entitlement_plans) = plans;
    }

    /// Answer the next `n` Management API requests `429 Too Many Requests` with
    /// `Retry-After: 1`, to test a client's retries.
    pub fn throttle_management_api(&self, n: u32) {
        self.shared()
            .knobs
            .management_throttle
            .store(n, Ordering::SeqCst);
    }

    /// Answer the next `n` Management API requests `401` whatever their token, as Kinde
    /// does for a revoked M2M token, to test a client's one new token on a 401.
    pub fn reject_management_tokens(&self, n: u32) {
        self.shared()
            .knobs
            .management_reject
            .store(n, Ordering::SeqCst);
    }

    // ----- keys and minting -----

    /// The JWKS as served (current key first, then any kept after rotation).
    pub fn jwks(&self) -> Value {
        self.shared().jwks()
    }

    /// The `kid` of the current signing key.
    pub fn signing_key_kid(&self) -> String {
        self.shared().current_key().kid().to_string()
    }

    /// The current public key as PKCS#1 `RSAPublicKey` DER, e.g. to try the
    /// "HS256 signed with the public key" attack against a verifier.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.shared().current_key().public_der().to_vec()
    }

    /// Signs arbitrary claims with the current key (header `{alg: RS256, typ: JWT, kid}`).
    pub fn sign_claims(&self, claims: &Value) -> String {
        let key = self.shared().current_key();
        key.sign(claims, key.kid())
    }

    /// Signs with the current key but puts `kid` in the header.
    pub fn sign_claims_with_kid(&self, claims: &Value, kid: &str) -> String {
        self.shared().current_key().sign(claims, kid)
    }

    /// Signs with the current key (so the signature verifies) a header of
    /// `{alg: RS256, typ: JWT, kid}` with `header` merged over it, to check that a
    /// verifier refuses what the header says even when the signature is genuine.
    ///
    /// ```
    /// use kinde_core::testing::TestKinde;
    /// use serde_json::json;
    ///
    /// let kinde = TestKinde::start();
    /// let claims = kinde.access_claims(&kinde.users()[0], &[]);
    /// let header = json!({"crit": ["exp-ext"], "exp-ext": true});
    /// let token = kinde.sign_claims_with_header(&claims, header.as_object().unwrap());
    /// assert_eq!(token.split('.').count(), 3);
    /// ```
    pub fn sign_claims_with_header(&self, claims: &Value, header: &Map<String, Value>) -> String {
        let key = self.shared().current_key();
        key.sign_with_header(claims, key.kid(), header)
    }

    fn mint_claims(
        &self,
        user: &TestUser,
        opts: &MintOptions,
        id_token: bool,
    ) -> Map<String, Value> {
        let s = self.shared();
        let ttl = opts
            .ttl
            .unwrap_or(if id_token { s.ttl.id } else { s.ttl.access });
        let ttl = claims::secs(ttl);
        let now = claims::now_secs();
        let (iat, exp) = if opts.expired {
            (now - ttl - 600, now - 600)
        } else {
            (now, now.saturating_add(ttl))
        };
        let default_client = s.default_client().id.clone();
        let client_id = opts.client_id.as_deref().unwrap_or(&default_client);
        let scopes = opts.scopes.clone().unwrap_or_else(claims::default_scopes);
        let org = Shared::resolve_org(user, opts.org_code.as_deref());
        let ctx = TokenContext {
            issuer: &s.issuer,
            client_id,
            audience: &opts.audience,
            scopes: &scopes,
            org: org.as_ref(),
            iat,
            exp,
        };
        let mut c = if id_token {
            claims::id_claims(user, &ctx, iat, opts.nonce.as_deref(), None, s.started_at)
        } else {
            claims::access_claims(user, &ctx)
        };
        if let Some(nbf) = opts.not_before {
            c.insert("nbf".into(), Value::from(now.saturating_add(nbf)));
        }
        for (k, v) in &opts.extra_claims {
            c.insert(k.clone(), v.clone());
        }
        c
    }

    /// A signed access token for `user`, as the token endpoint would issue it (for the
    /// default client, the user's first organisation, scopes `openid profile email offline`,
    /// unless `opts` says otherwise).
    pub fn mint_access_token(&self, user: &TestUser, opts: MintOptions) -> String {
        self.sign_claims(&Value::Object(self.mint_claims(user, &opts, false)))
    }

    /// A signed ID token for `user` (`aud: [client_id]` unless `opts.audience` is set).
    pub fn mint_id_token(&self, user: &TestUser, opts: MintOptions) -> String {
        self.sign_claims(&Value::Object(self.mint_claims(user, &opts, true)))
    }

    /// The claims of an access token for `user` with this `aud`, ready to edit and
    /// [`sign_claims`](Self::sign_claims).
    pub fn access_claims(&self, user: &TestUser, audience: &[&str]) -> Value {
        let opts = MintOptions {
            audience: audience.iter().map(|a| a.to_string()).collect(),
            ..MintOptions::default()
        };
        Value::Object(self.mint_claims(user, &opts, false))
    }

    /// The claims of an ID token for `user` (for the default client), with `nonce` if given.
    pub fn id_claims(&self, user: &TestUser, nonce: Option<&str>) -> Value {
        let opts = MintOptions {
            nonce: nonce.map(str::to_string),
            ..MintOptions::default()
        };
        Value::Object(self.mint_claims(user, &opts, true))
    }
}
