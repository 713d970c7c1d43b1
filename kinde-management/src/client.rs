//! Making a [`Client`]: from a `kinde_core::Kinde` client, whose credentials, token
//! cache and HTTP connections it shares.

use kinde_core::{Kinde, KindeError};

use crate::config::config_from_env;

use crate::Client;
use crate::auth::{Auth, RetryPolicy};

/// How to make a [`Client`] other than [`Client::from_kinde`]'s way.
///
/// ```
/// use kinde_management::{Client, RetryPolicy};
/// # fn run(kinde: &kinde_core::Kinde) -> Result<(), kinde_core::KindeError> {
/// let client = Client::builder(kinde)
///     .base_url("https://myapp.kinde.com")
///     .retry(RetryPolicy::default().with_max_retries(5))
///     .build()?;
/// # let _ = client; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    kinde: Kinde,
    base_url: Option<String>,
    audience: Option<String>,
    retry: RetryPolicy,
}

impl ClientBuilder {
    /// Where the API is (default: the issuer, `https://<your>.kinde.com`). With a custom
    /// domain for sign-in, the Management API is still on your `kinde.com` subdomain.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// The audience of the M2M token (default: the base URL followed by `/api`).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// How a throttled request (429) is retried (default [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The client. Fails if the Kinde client has no client secret (the M2M token is a
    /// `client_credentials` grant) or the base URL is not an absolute `http(s)` URL.
    pub fn build(self) -> Result<Client, KindeError> {
        if self.kinde.config().client_secret().is_none() {
            return Err(KindeError::Config(
                "KINDE_CLIENT_SECRET: the Management API's token is a client_credentials \
                 grant, which needs a client secret (an M2M application's)"
                    .into(),
            ));
        }
        let base = self
            .base_url
            .unwrap_or_else(|| self.kinde.config().issuer().to_string());
        let base = base.trim_end_matches('/').to_string();
        match url::Url::parse(&base) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => {
                return Err(KindeError::Config(format!(
                    "the Management API's base URL is not an absolute http(s) URL: {base:?}"
                )));
            }
        }
        let audience = self.audience.unwrap_or_else(|| format!("{base}/api"));
        let http = self.kinde.http_client().clone();
        Ok(Client::new_with_client(
            &base,
            http,
            Auth {
                kinde: self.kinde,
                audience,
                retry: self.retry,
            },
        ))
    }
}

impl Client {
    /// The Management API of `kinde`'s business (`https://<your>.kinde.com/api/v1/…`),
    /// authenticated with the M2M token of `kinde`'s client credentials (audience
    /// `https://<your>.kinde.com/api`), over `kinde`'s HTTP connections.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// // KINDE_DOMAIN, KINDE_CLIENT_ID and KINDE_CLIENT_SECRET of an M2M application.
    /// let kinde = kinde_core::Kinde::from_env()?;
    /// let client = kinde_management::Client::from_kinde(&kinde)?;
    /// let users = client.get_users().page_size(10).send().await?;
    /// for user in &users.users {
    ///     println!("{:?} {:?}", user.id, user.email);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn from_kinde(kinde: &Kinde) -> Result<Client, KindeError> {
        Self::builder(kinde).build()
    }

    /// The Management API of the business the environment names, with its own HTTP
    /// connections and token cache: [`config_from_env`](crate::config_from_env) says which
    /// variables (`KINDE_DOMAIN`, `KINDE_MANAGEMENT_CLIENT_ID`,
    /// `KINDE_MANAGEMENT_CLIENT_SECRET`). An app that also signs users in shares one
    /// `kinde_core::Kinde` through [`Client::from_kinde`] where both use one application.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = kinde_management::Client::from_env()?;
    /// let orgs = client.get_organizations().send().await?;
    /// println!("{} organisations on the first page", orgs.organizations.len());
    /// # Ok(()) }
    /// ```
    pub fn from_env() -> Result<Client, KindeError> {
        Self::from_kinde(&Kinde::new(config_from_env()?)?)
    }

    /// A [`ClientBuilder`] for `kinde`: another base URL, audience or retry policy.
    pub fn builder(kinde: &Kinde) -> ClientBuilder {
        ClientBuilder {
            kinde: kinde.clone(),
            base_url: None,
            audience: None,
            retry: RetryPolicy::default(),
        }
    }

    /// The Kinde client whose credentials this client uses.
    pub fn kinde(&self) -> &Kinde {
        &self.inner.kinde
    }
}
