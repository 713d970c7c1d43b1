//! Configuration: built in code with [`KindeConfig::builder`] or read from `KINDE_*`
//! environment variables with [`KindeConfig::from_env`].
//!
//! Validation happens once, in [`KindeConfigBuilder::build`]; a bad or missing value
//! fails there with a message that names the variable. Nothing here touches the network.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use oauth2::ClientSecret;
use url::Url;

use crate::error::{KindeError, Result};
use crate::login::{GuardedOption, LoginKind, LoginOptions, LoginPolicy};

/// The scopes requested when none are configured. `offline` makes Kinde issue a
/// refresh token (Kinde ignores `offline_access`).
pub const DEFAULT_SCOPES: &[&str] = &["openid", "profile", "email", "offline"];

/// How the `aud` claim of access tokens is checked.
///
/// Kinde puts the requested API audiences in `aud`, and sends `aud: []` when the login
/// asked for none. The default follows the configuration: with audiences configured a
/// token must name one of them; without, a token must name none (so a token minted for
/// some other API of the same tenant is refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudiencePolicy {
    /// `aud` must contain at least one of these values.
    OneOf(Vec<String>),
    /// `aud` must be absent or empty: tokens meant for an API are refused.
    NoneRequested,
    /// Do not look at `aud` at all. Only for tokens checked by other means.
    Unchecked,
}

/// Validated settings for one Kinde application (one tenant, one client).
///
/// Cheap to clone. Secrets are redacted from `Debug`.
///
/// ```
/// use kinde_core::KindeConfig;
/// let config = KindeConfig::builder()
///     .domain("myapp.kinde.com")
///     .client_id("abc123")
///     .redirect_uri("https://app.example.com/callback")
///     .build()?;
/// assert_eq!(config.issuer(), "https://myapp.kinde.com");
/// assert!(config.client_secret().is_none()); // a public PKCE client
/// # Ok::<(), kinde_core::KindeError>(())
/// ```
#[derive(Clone)]
pub struct KindeConfig {
    pub(crate) issuer: String,
    pub(crate) issuer_url: Url,
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<ClientSecret>,
    pub(crate) redirect_uri: Option<Url>,
    pub(crate) post_login_redirect: String,
    pub(crate) post_logout_redirect: Option<Url>,
    pub(crate) audiences: Vec<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) audience_policy: AudiencePolicy,
    pub(crate) leeway: Duration,
    pub(crate) refresh_margin: Duration,
    pub(crate) refresh_grace: Duration,
    pub(crate) http_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) login_ttl: Duration,
    pub(crate) jwks_min_refetch_interval: Duration,
    pub(crate) jwks_max_age: Duration,
    pub(crate) verified_token_cache: usize,
    pub(crate) verified_session_cache: usize,
    pub(crate) login_policy: LoginPolicy,
}

impl fmt::Debug for KindeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KindeConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("redirect_uri", &self.redirect_uri.as_ref().map(Url::as_str))
            .field("post_login_redirect", &self.post_login_redirect)
            .field(
                "post_logout_redirect",
                &self.post_logout_redirect.as_ref().map(Url::as_str),
            )
            .field("audiences", &self.audiences)
            .field("scopes", &self.scopes)
            .field("audience_policy", &self.audience_policy)
            .field("login_policy", &self.login_policy)
            .finish_non_exhaustive()
    }
}

impl KindeConfig {
    /// Start building a configuration in code.
    pub fn builder() -> KindeConfigBuilder {
        KindeConfigBuilder::default()
    }

    /// Read the configuration from `KINDE_*` environment variables.
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `KINDE_DOMAIN` (or `KINDE_HOST`, `KINDE_ISSUER_URL`) | your Kinde domain, with or without `https://` |
    /// | `KINDE_CLIENT_ID` | the application's client id |
    /// | `KINDE_CLIENT_SECRET` | the client secret; absent for a public (PKCE-only) client |
    /// | `KINDE_REDIRECT_URI` (or `KINDE_CALLBACK_URL`) | the absolute callback URL |
    /// | `KINDE_POST_LOGIN_REDIRECT_URL` | where to land after login (default `/`) |
    /// | `KINDE_POST_LOGOUT_REDIRECT_URL` (or `LOGOUT_REDIRECT_URL`) | where Kinde sends the visitor after logout |
    /// | `KINDE_AUDIENCE` | API audiences, space separated |
    /// | `KINDE_SCOPE` | scopes, space separated (default `openid profile email offline`) |
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), but reads variables through `lookup`
    /// (handy in tests, where changing the process environment is unsafe).
    ///
    /// ```
    /// use kinde_core::KindeConfig;
    /// let vars = [("KINDE_DOMAIN", "https://myapp.kinde.com"), ("KINDE_CLIENT_ID", "abc")];
    /// let config = KindeConfig::from_lookup(|name| {
    ///     vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    /// })?;
    /// assert_eq!(config.client_id(), "abc");
    /// # Ok::<(), kinde_core::KindeError>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let first = |names: &[&'static str]| -> Option<(&'static str, String)> {
            names.iter().find_map(|n| {
                lookup(n)
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .map(|v| (*n, v))
            })
        };
        let mut b = KindeConfig::builder();
        if let Some((name, v)) = first(&["KINDE_DOMAIN", "KINDE_HOST", "KINDE_ISSUER_URL"]) {
            b.domain = Some((name, v));
        }
        if let Some((name, v)) = first(&["KINDE_CLIENT_ID"]) {
            b.client_id = Some((name, v));
        }
        if let Some((_, v)) = first(&["KINDE_CLIENT_SECRET"]) {
            b.client_secret = Some(v);
        }
        if let Some((name, v)) = first(&["KINDE_REDIRECT_URI", "KINDE_CALLBACK_URL"]) {
            b.redirect_uri = Some((name, v));
        }
        if let Some((name, v)) = first(&["KINDE_POST_LOGIN_REDIRECT_URL"]) {
            b.post_login_redirect = Some((name, v));
        }
        if let Some((name, v)) = first(&["KINDE_POST_LOGOUT_REDIRECT_URL", "LOGOUT_REDIRECT_URL"]) {
            b.post_logout_redirect = Some((name, v));
        }
        if let Some((_, v)) = first(&["KINDE_AUDIENCE"]) {
            b.audiences = v.split_whitespace().map(str::to_string).collect();
        }
        if let Some((_, v)) = first(&["KINDE_SCOPE"]) {
            b.scopes = Some(v.split_whitespace().map(str::to_string).collect());
        }
        b.build()
    }

    /// The issuer, e.g. `https://myapp.kinde.com` (no trailing slash). Tokens must carry
    /// exactly this `iss`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client secret, if this is a confidential client.
    pub fn client_secret(&self) -> Option<&ClientSecret> {
        self.client_secret.as_ref()
    }

    /// The callback URL registered with Kinde.
    pub fn redirect_uri(&self) -> Option<&Url> {
        self.redirect_uri.as_ref()
    }

    /// Where a visitor lands after login when no valid `returnTo` was given.
    pub fn post_login_redirect(&self) -> &str {
        &self.post_login_redirect
    }

    /// Where Kinde sends the visitor after logout.
    pub fn post_logout_redirect(&self) -> Option<&Url> {
        self.post_logout_redirect.as_ref()
    }

    /// The API audiences requested at login and accepted on access tokens.
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// The scopes requested at login.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The app's rules for the logins of the built-in routes: default options per
    /// route, and which options a visitor may set (see [`LoginPolicy`]).
    pub fn login_policy(&self) -> &LoginPolicy {
        &self.login_policy
    }

    /// How access-token audiences are checked.
    pub fn audience_policy(&self) -> &AudiencePolicy {
        &self.audience_policy
    }

    /// The same configuration with another audience policy (e.g. a client that checks
    /// machine-to-machine tokens minted for one API).
    ///
    /// ```
    /// use kinde_core::{AudiencePolicy, KindeConfig};
    /// let config = KindeConfig::builder().domain("x.kinde.com").client_id("c").build()?;
    /// let api = config.with_audience_policy(AudiencePolicy::OneOf(vec!["https://x.kinde.com/api".into()]));
    /// assert!(matches!(api.audience_policy(), AudiencePolicy::OneOf(_)));
    /// # Ok::<(), kinde_core::KindeError>(())
    /// ```
    pub fn with_audience_policy(mut self, policy: AudiencePolicy) -> Self {
        self.audience_policy = policy;
        self
    }

    /// Clock leeway for `exp` and `nbf`.
    pub fn leeway(&self) -> Duration {
        self.leeway
    }

    /// How long before expiry an access token is refreshed.
    pub fn refresh_margin(&self) -> Duration {
        self.refresh_margin
    }

    /// How long a pending login stays valid.
    pub fn login_ttl(&self) -> Duration {
        self.login_ttl
    }

    /// Whether the redirect URI is plain http on a loopback host (a local development
    /// setup), which adapters use to decide whether cookies can be `Secure`.
    pub fn is_local_http(&self) -> bool {
        self.redirect_uri
            .as_ref()
            .is_some_and(|u| u.scheme() == "http" && is_loopback_host(u))
    }

    /// The absolute URL of a local path on this app, on the redirect URI's origin (the
    /// portal's `return_url`, for example); a path that could leave the site becomes `/`.
    ///
    /// ```
    /// use kinde_core::KindeConfig;
    /// let config = KindeConfig::builder().domain("a.kinde.com").client_id("app")
    ///     .redirect_uri("https://app.example/callback").build()?;
    /// assert_eq!(config.app_url("/settings").unwrap().as_str(), "https://app.example/settings");
    /// assert_eq!(config.app_url("//evil.example").unwrap().as_str(), "https://app.example/");
    /// # Ok::<(), kinde_core::KindeError>(())
    /// ```
    pub fn app_url(&self, path: &str) -> Option<Url> {
        let base = self.redirect_uri.as_ref()?;
        let path = crate::return_to::safe_return_to(path).unwrap_or("/");
        base.join(path).ok()
    }

    /// `form` with this client's authentication (`client_id`, and `client_secret` for a
    /// confidential client): the body of a request to the token or revocation endpoint.
    pub(crate) fn with_client_auth<'a>(
        &'a self,
        form: &[(&'a str, &'a str)],
    ) -> Vec<(&'a str, &'a str)> {
        let mut body = form.to_vec();
        body.push(("client_id", self.client_id.as_str()));
        if let Some(secret) = &self.client_secret {
            body.push(("client_secret", secret.secret().as_str()));
        }
        body
    }

    pub(crate) fn url(&self, path: &str) -> Url {
        // The issuer URL has no path of its own (checked at build), so joining is exact.
        let mut u = self.issuer_url.clone();
        u.set_path(path);
        u
    }
}

/// Builder for [`KindeConfig`]. Values are checked in [`build`](Self::build).
#[derive(Default, Clone)]
pub struct KindeConfigBuilder {
    // (source name, raw value): the source is the env var or setter name used in errors.
    domain: Option<(&'static str, String)>,
    client_id: Option<(&'static str, String)>,
    client_secret: Option<String>,
    redirect_uri: Option<(&'static str, String)>,
    post_login_redirect: Option<(&'static str, String)>,
    post_logout_redirect: Option<(&'static str, String)>,
    audiences: Vec<String>,
    scopes: Option<Vec<String>>,
    audience_policy: Option<AudiencePolicy>,
    leeway: Option<Duration>,
    refresh_margin: Option<Duration>,
    refresh_grace: Option<Duration>,
    http_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    login_ttl: Option<Duration>,
    jwks_min_refetch_interval: Option<Duration>,
    jwks_max_age: Option<Duration>,
    verified_token_cache: Option<usize>,
    verified_session_cache: Option<usize>,
    login_policy: LoginPolicy,
}

impl fmt::Debug for KindeConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KindeConfigBuilder")
            .field("domain", &self.domain.as_ref().map(|d| &d.1))
            .field("client_id", &self.client_id.as_ref().map(|d| &d.1))
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

macro_rules! duration_setter {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub fn $name(mut self, value: Duration) -> Self {
            self.$name = Some(value);
            self
        }
    };
}

impl KindeConfigBuilder {
    /// Your Kinde domain: `myapp.kinde.com`, `https://myapp.kinde.com` or a custom domain.
    /// Plain `http://` is accepted only for loopback hosts (local test servers).
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(("domain", domain.into()));
        self
    }

    /// The application's client id.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(("client_id", client_id.into()));
        self
    }

    /// The client secret (back-end apps). Leave unset for a public PKCE client.
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// The absolute callback URL registered with Kinde, e.g. `https://app.example.com/callback`.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(("redirect_uri", uri.into()));
        self
    }

    /// Where to land after login when no `returnTo` was given: a local path or an
    /// absolute URL (default `/`).
    pub fn post_login_redirect_url(mut self, url: impl Into<String>) -> Self {
        self.post_login_redirect = Some(("post_login_redirect_url", url.into()));
        self
    }

    /// The absolute URL Kinde sends the visitor to after logout.
    pub fn post_logout_redirect_url(mut self, url: impl Into<String>) -> Self {
        self.post_logout_redirect = Some(("post_logout_redirect_url", url.into()));
        self
    }

    /// Add an API audience (requested at login, required on access tokens).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Replace the requested scopes (default `openid profile email offline`).
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// Override the audience policy (see [`AudiencePolicy`]).
    pub fn audience_policy(mut self, policy: AudiencePolicy) -> Self {
        self.audience_policy = Some(policy);
        self
    }

    duration_setter!(
        /// Clock leeway for `exp`/`nbf` (default 30 s).
        leeway
    );
    duration_setter!(
        /// Refresh an access token this long before it expires (default 60 s).
        refresh_margin
    );
    duration_setter!(
        /// How long a just-rotated refresh token still maps to its replacement, so a
        /// request that read the session before the rotation succeeds (default 30 s).
        refresh_grace
    );
    duration_setter!(
        /// Total timeout of one request to Kinde (default 10 s).
        http_timeout
    );
    duration_setter!(
        /// Connect timeout for requests to Kinde (default 5 s).
        connect_timeout
    );
    duration_setter!(
        /// How long a pending login may wait for its callback (default 10 min).
        login_ttl
    );
    duration_setter!(
        /// Minimum time between two JWKS fetches caused by unknown `kid`s (default 10 s).
        /// This is what stops a flood of forged tokens from hammering Kinde.
        jwks_min_refetch_interval
    );
    duration_setter!(
        /// Refetch the JWKS when the cached copy is older than this (default 1 h).
        jwks_max_age
    );

    /// How many verified tokens to remember (default 10 000; 0 turns the cache off).
    ///
    /// A repeated token is then checked with a map lookup and a byte-for-byte comparison
    /// with the token that was verified, instead of an RSA signature check; an entry is
    /// never used past the token's `exp`, and only while the key that signed it is still
    /// in the cached JWKS (so a withdrawn key stops its tokens as it would without the
    /// cache). The trade: memory, roughly the size of the token plus its claims per
    /// entry, and a repeated token's claims are the ones parsed the first time.
    pub fn verified_token_cache(mut self, entries: usize) -> Self {
        self.verified_token_cache = Some(entries);
        self
    }

    /// How many verified browser sessions to remember (default 10 000; 0 turns the
    /// cache off).
    ///
    /// A session whose stored form (see [`TokenSet::to_json`](crate::TokenSet::to_json))
    /// is byte-for-byte the one verified before is then resumed with a map lookup and a
    /// comparison, without parsing the tokens or building the user again. An entry is
    /// used only until the access token enters the refresh margin (then the session is
    /// refreshed as usual) and only while the keys that signed its tokens are still
    /// published. The trade: memory, about twice the stored session (~5 KB) per entry,
    /// and the stored form is trusted only once it was verified in full.
    pub fn verified_session_cache(mut self, entries: usize) -> Self {
        self.verified_session_cache = Some(entries);
        self
    }

    /// Default options of the logins of one built-in route (`kind`): the route's query
    /// is laid over them (a visitor's `lang` replaces the default one), then the route
    /// sets what makes it that route (`prompt=create` on `/register`, …). Set by the app,
    /// so trusted: `audience` and `scope` here apply whatever a visitor may set. Calling
    /// it again for the same route replaces its defaults.
    ///
    /// ```
    /// use kinde_core::{KindeConfig, LoginKind, LoginOptions};
    /// let config = KindeConfig::builder()
    ///     .domain("myapp.kinde.com")
    ///     .client_id("abc")
    ///     .login_defaults(LoginKind::Login, LoginOptions::new().lang("fr"))
    ///     .login_defaults(LoginKind::CreateOrg, LoginOptions::new().audience(["https://api.example.com"]))
    ///     .build()?;
    /// assert_eq!(config.login_policy().defaults(LoginKind::Login).lang.as_deref(), Some("fr"));
    /// # Ok::<(), kinde_core::KindeError>(())
    /// ```
    pub fn login_defaults(mut self, kind: LoginKind, options: LoginOptions) -> Self {
        self.login_policy.set_defaults(kind, options);
        self
    }

    /// Let visitors choose `option` (`audience` or `scope`) in the query of the login
    /// routes and through a `reauth_state`. By default they cannot: these options change
    /// what the tokens grant, so only the configuration (and
    /// [`login_defaults`](Self::login_defaults)) sets them, and a visitor's value is
    /// ignored. Allow one only if every value is acceptable (the access tokens are
    /// still checked against the [`AudiencePolicy`]).
    ///
    /// ```
    /// use kinde_core::{GuardedOption, KindeConfig};
    /// let config = KindeConfig::builder()
    ///     .domain("myapp.kinde.com")
    ///     .client_id("abc")
    ///     .allow_visitor_option(GuardedOption::Scope)
    ///     .build()?;
    /// assert!(config.login_policy().visitor_may_set(GuardedOption::Scope));
    /// # Ok::<(), kinde_core::KindeError>(())
    /// ```
    pub fn allow_visitor_option(mut self, option: GuardedOption) -> Self {
        self.login_policy.allow(option);
        self
    }

    /// Validate and build the configuration.
    pub fn build(self) -> Result<KindeConfig> {
        let (domain_src, domain) = self.domain.ok_or_else(|| {
            KindeError::config(
                "KINDE_DOMAIN",
                "missing: set it to your Kinde domain, e.g. myapp.kinde.com",
            )
        })?;
        let issuer_url = parse_domain(domain_src, &domain)?;
        let issuer = issuer_url.as_str().trim_end_matches('/').to_string();

        let (_, client_id) = self.client_id.ok_or_else(|| {
            KindeError::config(
                "KINDE_CLIENT_ID",
                "missing: set it to your application's client id",
            )
        })?;
        if client_id.trim().is_empty() || client_id.chars().any(char::is_whitespace) {
            return Err(KindeError::config(
                "KINDE_CLIENT_ID",
                "must be a non-empty value without spaces",
            ));
        }
        let client_secret = self
            .client_secret
            .filter(|s| !s.is_empty())
            .map(ClientSecret::new);

        let redirect_uri = match self.redirect_uri {
            Some((src, raw)) => Some(parse_app_url(src, &raw)?),
            None => None,
        };
        let post_logout_redirect = match self.post_logout_redirect {
            Some((src, raw)) => Some(parse_app_url(src, &raw)?),
            None => None,
        };
        let post_login_redirect = match self.post_login_redirect {
            Some((src, raw)) => {
                if raw.starts_with('/') && !raw.starts_with("//") && !raw.starts_with("/\\") {
                    raw
                } else {
                    parse_app_url(src, &raw)?.to_string()
                }
            }
            None => "/".to_string(),
        };
        for aud in &self.audiences {
            if aud.is_empty() || aud.chars().any(char::is_whitespace) {
                return Err(KindeError::config(
                    "KINDE_AUDIENCE",
                    "audiences are separated by spaces and cannot be empty",
                ));
            }
        }
        let scopes = self
            .scopes
            .unwrap_or_else(|| DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect());
        if !scopes.iter().any(|s| s == "openid") {
            return Err(KindeError::config("KINDE_SCOPE", "must include `openid`"));
        }
        let audience_policy = self.audience_policy.unwrap_or_else(|| {
            if self.audiences.is_empty() {
                AudiencePolicy::NoneRequested
            } else {
                AudiencePolicy::OneOf(self.audiences.clone())
            }
        });

        Ok(KindeConfig {
            issuer,
            issuer_url,
            client_id,
            client_secret,
            redirect_uri,
            post_login_redirect,
            post_logout_redirect,
            audiences: self.audiences,
            scopes,
            audience_policy,
            leeway: self.leeway.unwrap_or(Duration::from_secs(30)),
            refresh_margin: self.refresh_margin.unwrap_or(Duration::from_secs(60)),
            refresh_grace: self.refresh_grace.unwrap_or(Duration::from_secs(30)),
            http_timeout: self.http_timeout.unwrap_or(Duration::from_secs(10)),
            connect_timeout: self.connect_timeout.unwrap_or(Duration::from_secs(5)),
            login_ttl: self.login_ttl.unwrap_or(Duration::from_secs(600)),
            jwks_min_refetch_interval: self
                .jwks_min_refetch_interval
                .unwrap_or(Duration::from_secs(10)),
            jwks_max_age: self.jwks_max_age.unwrap_or(Duration::from_secs(3600)),
            verified_token_cache: self.verified_token_cache.unwrap_or(10_000),
            verified_session_cache: self.verified_session_cache.unwrap_or(10_000),
            login_policy: self.login_policy,
        })
    }
}

fn env_name(src: &str) -> &str {
    match src {
        "domain" => "KINDE_DOMAIN",
        "redirect_uri" => "KINDE_REDIRECT_URI",
        "post_login_redirect_url" => "KINDE_POST_LOGIN_REDIRECT_URL",
        "post_logout_redirect_url" => "KINDE_POST_LOGOUT_REDIRECT_URL",
        other => other,
    }
}

pub(crate) fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

fn parse_domain(src: &str, raw: &str) -> Result<Url> {
    let var = env_name(src);
    let raw = raw.trim();
    let with_scheme = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("https://{raw}")
    };
    let url = Url::parse(&with_scheme)
        .map_err(|e| KindeError::config(var, format!("`{raw}` is not a valid domain ({e})")))?;
    check_scheme(var, &url)?;
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(KindeError::config(
            var,
            format!("`{raw}` must be a bare domain, without a path or query"),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(KindeError::config(var, "must not contain credentials"));
    }
    Ok(url)
}

fn parse_app_url(src: &str, raw: &str) -> Result<Url> {
    let var = env_name(src);
    let url = Url::parse(raw.trim())
        .map_err(|e| KindeError::config(var, format!("`{raw}` is not an absolute URL ({e})")))?;
    check_scheme(var, &url)?;
    Ok(url)
}

fn check_scheme(var: &str, url: &Url) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(url) => Ok(()),
        "http" => Err(KindeError::config(
            var,
            "plain http is only allowed for localhost/127.0.0.1; use https",
        )),
        other => Err(KindeError::config(
            var,
            format!("unsupported scheme `{other}`"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn domain_with_or_without_scheme() {
        for d in [
            "myapp.kinde.com",
            "https://myapp.kinde.com",
            "https://myapp.kinde.com/",
        ] {
            let c = KindeConfig::builder()
                .domain(d)
                .client_id("c")
                .build()
                .unwrap();
            assert_eq!(c.issuer(), "https://myapp.kinde.com");
            assert_eq!(
                c.url("/oauth2/token").as_str(),
                "https://myapp.kinde.com/oauth2/token"
            );
        }
    }

    #[test]
    fn http_only_on_loopback() {
        assert!(
            KindeConfig::builder()
                .domain("http://127.0.0.1:8080")
                .client_id("c")
                .build()
                .is_ok()
        );
        assert!(
            KindeConfig::builder()
                .domain("http://localhost:8080")
                .client_id("c")
                .build()
                .is_ok()
        );
        assert!(
            KindeConfig::builder()
                .domain("http://[::1]:8080")
                .client_id("c")
                .build()
                .is_ok()
        );
        let err = KindeConfig::builder()
            .domain("http://myapp.kinde.com")
            .client_id("c")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("KINDE_DOMAIN"), "{err}");
        let err = KindeConfig::builder()
            .domain("myapp.kinde.com")
            .client_id("c")
            .redirect_uri("http://app.example.com/cb")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("KINDE_REDIRECT_URI"), "{err}");
    }

    #[test]
    fn missing_values_name_the_variable() {
        let err = KindeConfig::from_lookup(lookup(&[])).unwrap_err();
        assert!(err.to_string().contains("KINDE_DOMAIN"), "{err}");
        let err = KindeConfig::from_lookup(lookup(&[("KINDE_DOMAIN", "x.kinde.com")])).unwrap_err();
        assert!(err.to_string().contains("KINDE_CLIENT_ID"), "{err}");
        let err = KindeConfig::from_lookup(lookup(&[
            ("KINDE_DOMAIN", "x.kinde.com"),
            ("KINDE_CLIENT_ID", "c"),
            ("KINDE_CALLBACK_URL", "not a url"),
        ]))
        .unwrap_err();
        assert!(
            err.to_string().contains("KINDE_CALLBACK_URL")
                || err.to_string().contains("KINDE_REDIRECT_URI"),
            "{err}"
        );
    }

    #[test]
    fn env_aliases_and_defaults() {
        let c = KindeConfig::from_lookup(lookup(&[
            ("KINDE_HOST", "https://x.kinde.com"),
            ("KINDE_CLIENT_ID", "cid"),
            ("KINDE_CLIENT_SECRET", "s3cret"),
            ("KINDE_CALLBACK_URL", "https://app.example.com/callback"),
            ("LOGOUT_REDIRECT_URL", "https://app.example.com/"),
            ("KINDE_AUDIENCE", "api-one  api-two"),
        ]))
        .unwrap();
        assert_eq!(c.issuer(), "https://x.kinde.com");
        assert_eq!(
            c.redirect_uri().unwrap().as_str(),
            "https://app.example.com/callback"
        );
        assert_eq!(
            c.post_logout_redirect().unwrap().as_str(),
            "https://app.example.com/"
        );
        assert_eq!(c.audiences(), ["api-one", "api-two"]);
        assert_eq!(c.scopes(), ["openid", "profile", "email", "offline"]);
        assert_eq!(
            c.audience_policy(),
            &AudiencePolicy::OneOf(vec!["api-one".into(), "api-two".into()])
        );
        assert_eq!(c.post_login_redirect(), "/");
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn issuer_url_alias_and_no_audience_policy() {
        let c = KindeConfig::from_lookup(lookup(&[
            ("KINDE_ISSUER_URL", "https://auth.example.com"),
            ("KINDE_CLIENT_ID", "cid"),
            ("KINDE_SCOPE", "openid email"),
        ]))
        .unwrap();
        assert_eq!(c.issuer(), "https://auth.example.com");
        assert_eq!(c.scopes(), ["openid", "email"]);
        assert_eq!(c.audience_policy(), &AudiencePolicy::NoneRequested);
    }

    #[test]
    fn rejects_domain_with_path() {
        let err = KindeConfig::builder()
            .domain("https://x.kinde.com/oauth2")
            .client_id("c")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("bare domain"), "{err}");
    }
}
