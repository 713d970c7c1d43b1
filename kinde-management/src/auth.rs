//! How every request of the client is authenticated and retried: the M2M token of the
//! `client_credentials` grant (kinde-core caches it per audience until a minute before
//! `exp`, and concurrent callers share one fetch), fetched again once when the API
//! answers 401, and a 429 waited out as `Retry-After` says, a bounded number of times.

use std::time::Duration;

use kinde_core::Kinde;
use progenitor_client::{ClientHooks, Error, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use reqwest::{Request, Response, StatusCode};
use tracing::Instrument;

use crate::Client;

/// How a [`Client`] retries a request that Kinde throttled (429).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// How many times a throttled request is sent again (default 3); after that, the
    /// 429 is the answer.
    pub max_retries: u32,
    /// The longest wait before one retry (default 10 s): a `Retry-After` asking for
    /// longer ends the retries, and the 429 is the answer.
    pub max_wait: Duration,
    /// The wait when a 429 has no `Retry-After` (default 1 s).
    pub default_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            max_wait: Duration::from_secs(10),
            default_wait: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// No retries: a 429 is returned at once.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// This policy with `max_retries` retries.
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// This policy with waits of at most `max_wait`.
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// This policy waiting `default_wait` when a 429 has no `Retry-After`.
    pub fn with_default_wait(mut self, default_wait: Duration) -> Self {
        self.default_wait = default_wait;
        self
    }
}

/// What the generated client carries besides its base URL and HTTP client: the Kinde
/// client that fetches its tokens, the token audience and the retry policy.
#[derive(Clone)]
pub struct Auth {
    pub(crate) kinde: Kinde,
    pub(crate) audience: String,
    pub(crate) retry: RetryPolicy,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("kinde", &self.kinde)
            .field("audience", &self.audience)
            .field("retry", &self.retry)
            .finish()
    }
}

impl Auth {
    async fn bearer(&self) -> kinde_core::Result<HeaderValue> {
        let token = self
            .kinde
            .client_credentials_token(Some(&self.audience))
            .await?;
        let mut value =
            HeaderValue::try_from(format!("Bearer {}", token.secret())).map_err(|_| {
                kinde_core::KindeError::Provider("an M2M token that is not a header value".into())
            })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

/// The token sent with `request`, without its `Bearer ` prefix.
fn sent_token(request: &Request) -> Option<String> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(str::to_string)
}

/// How long a 429 asks to wait: `Retry-After` in seconds (an HTTP date is taken as the
/// default wait).
fn retry_after(response: &Response, policy: &RetryPolicy) -> Duration {
    response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(policy.default_wait, Duration::from_secs)
}

impl ClientHooks<Auth> for Client {
    async fn pre<E>(&self, request: &mut Request, _info: &OperationInfo) -> Result<(), Error<E>> {
        let bearer = self
            .inner
            .bearer()
            .await
            .map_err(|e| Error::Custom(format!("no token for Kinde's Management API: {e}")))?;
        request.headers_mut().insert(AUTHORIZATION, bearer);
        Ok(())
    }

    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        // One span per operation, retries included: what ran, against which issuer, how
        // it ended and how long it took (never the token or the body).
        let span = tracing::info_span!(
            "kinde.management",
            issuer = self.inner.kinde.config().issuer(),
            operation = info.operation_id,
            method = %request.method(),
            path = request.url().path(),
            outcome = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let started = std::time::Instant::now();
        let response = self
            .send_with_retries(request, info)
            .instrument(span.clone())
            .await;
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        span.record("duration_ms", ms);
        match &response {
            Ok(r) => span.record("outcome", r.status().as_u16()),
            Err(_) => span.record("outcome", "unreachable"),
        };
        response
    }
}

impl Client {
    async fn send_with_retries(
        &self,
        request: Request,
        info: &OperationInfo,
    ) -> reqwest::Result<Response> {
        let auth = &self.inner;
        let mut request = request;
        let mut renewed = false;
        let mut retries = 0;
        loop {
            // A body that streams cannot be sent twice; such a request gets no retry.
            let again = request.try_clone();
            let response = self.client.execute(request).await?;
            let Some(mut next) = again else {
                return Ok(response);
            };
            match response.status() {
                StatusCode::UNAUTHORIZED if !renewed => {
                    renewed = true;
                    if let Some(rejected) = sent_token(&next) {
                        let _ = auth
                            .kinde
                            .forget_client_credentials_token(Some(&auth.audience), &rejected)
                            .await;
                    }
                    match auth.bearer().await {
                        Ok(bearer) => {
                            tracing::debug!(
                                operation = info.operation_id,
                                "401: a new M2M token, once"
                            );
                            next.headers_mut().insert(AUTHORIZATION, bearer);
                        }
                        Err(_) => return Ok(response),
                    }
                }
                StatusCode::TOO_MANY_REQUESTS if retries < auth.retry.max_retries => {
                    let wait = retry_after(&response, &auth.retry);
                    if wait > auth.retry.max_wait {
                        return Ok(response);
                    }
                    retries += 1;
                    tracing::debug!(
                        operation = info.operation_id,
                        ?wait,
                        retries,
                        "429: waiting as asked"
                    );
                    tokio::time::sleep(wait).await;
                }
                _ => return Ok(response),
            }
            request = next;
        }
    }
}
