//! The browser login flow: authorization URLs with PKCE, `state` and `nonce`; pending
//! logins kept by the adapter; callback completion and re-authentication.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use oauth2::{CsrfToken, PkceCodeChallenge};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use url::Url;

use crate::Kinde;
use crate::VerifiedSession;
use crate::client::safe_code;
use crate::error::{CallbackError, KindeError, Result};
use crate::tokens::now_secs;

/// Kinde's `prompt` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    /// Always show the sign-in screen.
    Login,
    /// Show the sign-up screen (register).
    Create,
    /// No UI: succeed silently or come back with `error=login_required`.
    None,
    /// Let the user pick an account.
    SelectAccount,
    /// Ask for consent again.
    Consent,
}

impl Prompt {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Prompt::Login => "login",
            Prompt::Create => "create",
            Prompt::None => "none",
            Prompt::SelectAccount => "select_account",
            Prompt::Consent => "consent",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "login" => Prompt::Login,
            "create" => Prompt::Create,
            "none" => Prompt::None,
            "select_account" => Prompt::SelectAccount,
            "consent" => Prompt::Consent,
            _ => return None,
        })
    }
}

/// Options of one login, register or create-organisation request. Every field is
/// optional; unset fields are not sent.
///
/// ```
/// use kinde_core::{LoginOptions, Prompt};
/// let opts = LoginOptions::new()
///     .org_code("org_123")
///     .login_hint("jane@example.com")
///     .lang("fr")
///     .return_to("/dashboard");
/// assert_eq!(opts.org_code.as_deref(), Some("org_123"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LoginOptions {
    /// `prompt`.
    pub prompt: Option<Prompt>,
    /// `org_code`: sign in to this organisation.
    pub org_code: Option<String>,
    /// `org_name`: the name of an organisation being created.
    pub org_name: Option<String>,
    /// `is_create_org=true`: create an organisation while registering.
    pub is_create_org: bool,
    /// `login_hint`: pre-fill the email or phone.
    pub login_hint: Option<String>,
    /// `connection_id`: go straight to one connection (e.g. a social provider).
    pub connection_id: Option<String>,
    /// `lang`: the UI language.
    pub lang: Option<String>,
    /// `invitation_code` (also sends `is_invitation=true`).
    pub invitation_code: Option<String>,
    /// `plan_interest`: pre-select a billing plan.
    pub plan_interest: Option<String>,
    /// `pricing_table_key`: which pricing table to show.
    pub pricing_table_key: Option<String>,
    /// `has_success_page`.
    pub has_success_page: Option<bool>,
    /// `workflow_deployment_id`.
    pub workflow_deployment_id: Option<String>,
    /// `audience`: overrides the configured API audiences for this login.
    pub audience: Option<Vec<String>>,
    /// `scope`: overrides the configured scopes for this login.
    pub scope: Option<Vec<String>>,
    /// Any other parameter. Protocol parameters (`state`, `client_id`, PKCE…) cannot be
    /// overridden this way and are ignored.
    pub extra: BTreeMap<String, String>,
    /// Where to send the visitor after the callback. Must be a local path; anything
    /// else is dropped (see [`safe_return_to`]).
    pub return_to: Option<String>,
}

macro_rules! string_option {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub fn $name(mut self, value: impl Into<String>) -> Self {
            self.$name = Some(value.into());
            self
        }
    };
}

impl LoginOptions {
    /// Empty options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set `prompt`.
    pub fn prompt(mut self, prompt: Prompt) -> Self {
        self.prompt = Some(prompt);
        self
    }

    string_option!(
        /// Set `org_code`.
        org_code
    );
    string_option!(
        /// Set `org_name`.
        org_name
    );
    string_option!(
        /// Set `login_hint`.
        login_hint
    );
    string_option!(
        /// Set `connection_id`.
        connection_id
    );
    string_option!(
        /// Set `lang`.
        lang
    );
    string_option!(
        /// Set `invitation_code` (sends `is_invitation=true` as well).
        invitation_code
    );
    string_option!(
        /// Set `plan_interest`.
        plan_interest
    );
    string_option!(
        /// Set `pricing_table_key`.
        pricing_table_key
    );
    string_option!(
        /// Set `workflow_deployment_id`.
        workflow_deployment_id
    );

    /// Set `is_create_org`.
    pub fn create_org(mut self, yes: bool) -> Self {
        self.is_create_org = yes;
        self
    }

    /// Set `has_success_page`.
    pub fn has_success_page(mut self, yes: bool) -> Self {
        self.has_success_page = Some(yes);
        self
    }

    /// Request these API audiences instead of the configured ones.
    pub fn audience<I: IntoIterator<Item = S>, S: Into<String>>(mut self, aud: I) -> Self {
        self.audience = Some(aud.into_iter().map(Into::into).collect());
        self
    }

    /// Request these scopes instead of the configured ones.
    pub fn scope<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scope: I) -> Self {
        self.scope = Some(scope.into_iter().map(Into::into).collect());
        self
    }

    /// Add any other authorization parameter.
    pub fn extra(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.insert(name.into(), value.into());
        self
    }

    /// Where to land after login (a local path; validated with [`safe_return_to`]).
    pub fn return_to(mut self, path: impl Into<String>) -> Self {
        self.return_to = Some(path.into());
        self
    }

    /// The Kinde-specific parameters these options add to the authorization URL.
    fn params(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut push = |k: &str, v: Option<&str>| {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                out.push((k.to_string(), v.to_string()));
            }
        };
        push("prompt", self.prompt.map(Prompt::as_str));
        push("org_code", self.org_code.as_deref());
        push("org_name", self.org_name.as_deref());
        push("is_create_org", self.is_create_org.then_some("true"));
        push("login_hint", self.login_hint.as_deref());
        push("connection_id", self.connection_id.as_deref());
        push("lang", self.lang.as_deref());
        push("invitation_code", self.invitation_code.as_deref());
        push(
            "is_invitation",
            self.invitation_code.as_ref().map(|_| "true"),
        );
        push("plan_interest", self.plan_interest.as_deref());
        push("pricing_table_key", self.pricing_table_key.as_deref());
        push(
            "has_success_page",
            self.has_success_page
                .map(|b| if b { "true" } else { "false" }),
        );
        push(
            "workflow_deployment_id",
            self.workflow_deployment_id.as_deref(),
        );
        for (k, v) in &self.extra {
            if !RESERVED.contains(&k.as_str()) && !KNOWN.contains(&k.as_str()) {
                push(k, Some(v));
            }
        }
        out
    }

    /// Merge parameters from Kinde's `reauth_state` back into options.
    fn merge_params(mut self, params: &BTreeMap<String, String>) -> Self {
        for (k, v) in params {
            let v = v.clone();
            match k.as_str() {
                "prompt" => self.prompt = Prompt::parse(&v).or(self.prompt),
                "org_code" => self.org_code = Some(v),
                "org_name" => self.org_name = Some(v),
                "is_create_org" => self.is_create_org = v == "true",
                "login_hint" => self.login_hint = Some(v),
                "connection_id" => self.connection_id = Some(v),
                "lang" => self.lang = Some(v),
                "invitation_code" => self.invitation_code = Some(v),
                "plan_interest" => self.plan_interest = Some(v),
                "pricing_table_key" => self.pricing_table_key = Some(v),
                "has_success_page" => self.has_success_page = Some(v == "true"),
                "workflow_deployment_id" => self.workflow_deployment_id = Some(v),
                "audience" => {
                    self.audience = Some(v.split_whitespace().map(str::to_string).collect())
                }
                "scope" => self.scope = Some(v.split_whitespace().map(str::to_string).collect()),
                k if RESERVED.contains(&k) || k == "is_invitation" => {}
                k => {
                    self.extra.insert(k.to_string(), v);
                }
            }
        }
        self
    }
}

/// Parameters the SDK sets itself; never taken from options or `reauth_state`.
const RESERVED: &[&str] = &[
    "client_id",
    "response_type",
    "redirect_uri",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "scope",
    "audience",
    "supports_reauth",
    "client_secret",
];
const KNOWN: &[&str] = &[
    "prompt",
    "org_code",
    "org_name",
    "is_create_org",
    "login_hint",
    "connection_id",
    "lang",
    "invitation_code",
    "is_invitation",
    "plan_interest",
    "pricing_table_key",
    "has_success_page",
    "workflow_deployment_id",
];

/// A PKCE code verifier, kept until the callback. Never printed.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
struct CodeVerifier(String);

/// One login waiting for its callback: what the adapter stores (in the server-side
/// session) between the redirect to Kinde and the callback. `Debug` hides the secrets.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    state: String,
    nonce: String,
    verifier: CodeVerifier,
    redirect_uri: String,
    return_to: Option<String>,
    created_at: u64,
    /// The Kinde parameters sent, to restart this login after `login_link_expired`.
    params: BTreeMap<String, String>,
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLogin")
            .field("return_to", &self.return_to)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

impl PendingLogin {
    /// The `state` value this login is keyed by.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The validated post-login path, if one was requested.
    pub fn return_to(&self) -> Option<&str> {
        self.return_to.as_deref()
    }
}

/// The logins of one browser that are waiting for their callbacks, keyed by `state`.
/// Several can be pending at once (tabs); each expires after the configured login TTL;
/// at most [`PendingLogins::MAX`] are kept (the oldest is dropped).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PendingLogins(Vec<PendingLogin>);

impl PendingLogins {
    /// How many pending logins one session keeps.
    pub const MAX: usize = 8;

    /// Add a pending login, dropping expired and excess ones.
    pub fn insert(&mut self, login: PendingLogin, ttl: std::time::Duration) {
        self.prune(ttl);
        self.0.push(login);
        if self.0.len() > Self::MAX {
            let excess = self.0.len() - Self::MAX;
            self.0.drain(..excess);
        }
    }

    /// Remove and return the pending login for `state` (constant-time comparison), if
    /// it exists and has not expired. A state can be taken once: replays find nothing.
    pub fn take(&mut self, state: &str, ttl: std::time::Duration) -> Option<PendingLogin> {
        self.prune(ttl);
        let mut found = None;
        for (i, p) in self.0.iter().enumerate() {
            if bool::from(p.state.as_bytes().ct_eq(state.as_bytes())) {
                found = Some(i);
            }
        }
        found.map(|i| self.0.remove(i))
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many logins are pending.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    fn prune(&mut self, ttl: std::time::Duration) {
        let now = now_secs();
        self.0
            .retain(|p| now.saturating_sub(p.created_at) < ttl.as_secs());
    }
}

/// A login ready to start: send the visitor to `url`, keep `pending` for the callback.
#[derive(Debug, Clone)]
pub struct LoginRequest {
    /// The authorization URL at Kinde.
    pub url: Url,
    /// What to store until the callback.
    pub pending: PendingLogin,
}

/// The query of a callback request. `Debug` hides the code.
#[derive(Clone, Default, Deserialize)]
pub struct CallbackParams {
    /// `code`.
    #[serde(default)]
    pub code: Option<String>,
    /// `state`.
    #[serde(default)]
    pub state: Option<String>,
    /// `error`.
    #[serde(default)]
    pub error: Option<String>,
    /// `error_description`.
    #[serde(default)]
    pub error_description: Option<String>,
    /// `reauth_state` (with `error=login_link_expired`).
    #[serde(default)]
    pub reauth_state: Option<String>,
}

impl fmt::Debug for CallbackParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackParams")
            .field("code", &self.code.as_ref().map(|_| "[redacted]"))
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// The result of a callback.
#[derive(Debug)]
pub enum CallbackOutcome {
    /// Signed in: store `session.tokens` (after cycling the session id) and redirect to
    /// `return_to` (already validated) or the configured post-login URL.
    SignedIn {
        /// The verified session.
        session: Box<VerifiedSession>,
        /// Where to go next.
        return_to: String,
    },
    /// Kinde asked to start over (`login_link_expired`): store the new pending login and
    /// redirect to its URL.
    Restart(Box<LoginRequest>),
}

/// Accept `return_to` only if it is a local path that cannot leave the site: it must
/// start with a single `/`, contain no backslash or control character (raw or
/// percent-encoded), and be at most 2 KiB.
///
/// ```
/// use kinde_core::safe_return_to;
/// assert_eq!(safe_return_to("/dashboard?tab=1"), Some("/dashboard?tab=1"));
/// for bad in ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)",
///             "/%0d%0aSet-Cookie:x", "/%2F%2Fevil.example", "dashboard"] {
///     assert_eq!(safe_return_to(bad), None, "{bad}");
/// }
/// ```
pub fn safe_return_to(raw: &str) -> Option<&str> {
    if raw.len() > 2048 || !raw.starts_with('/') {
        return None;
    }
    let decoded: Vec<u8> = percent_decode(raw.as_bytes());
    let bad_char = |b: &u8| *b == b'\\' || b.is_ascii_control();
    if raw.as_bytes().iter().any(bad_char) || decoded.iter().any(bad_char) {
        return None;
    }
    if raw.starts_with("//") || decoded.starts_with(b"//") {
        return None;
    }
    Some(raw)
}

fn percent_decode(input: &[u8]) -> Vec<u8> {
    // Decode repeatedly so double-encoding (`%252F`) cannot smuggle anything past.
    let mut current = input.to_vec();
    for _ in 0..3 {
        let decoded = percent_decode_once(&current);
        if decoded == current {
            break;
        }
        current = decoded;
    }
    current
}

fn percent_decode_once(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'%'
            && i + 2 < input.len()
            && let (Some(h), Some(l)) = (hex(input[i + 1]), hex(input[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(input[i]);
        i += 1;
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

impl Kinde {
    /// Start a login: the authorization URL (PKCE S256, `state`, `nonce`) and the
    /// pending login to store until the callback.
    ///
    /// ```no_run
    /// # async fn run(kinde: kinde_core::Kinde) -> kinde_core::Result<()> {
    /// use kinde_core::LoginOptions;
    /// let login = kinde.login_url(LoginOptions::new().return_to("/dashboard")).await?;
    /// // store `login.pending` in the visitor's session, then redirect to `login.url`
    /// # Ok(()) }
    /// ```
    pub async fn login_url(&self, options: LoginOptions) -> Result<LoginRequest> {
        let config = &self.inner.config;
        let redirect_uri = config.redirect_uri.as_ref().ok_or_else(|| {
            KindeError::config("KINDE_REDIRECT_URI", "missing: required for browser logins")
        })?;
        let endpoints = self.resolved_endpoints().await;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = CsrfToken::new_random_len(24).into_secret();
        let nonce = CsrfToken::new_random_len(24).into_secret();
        let scopes = options
            .scope
            .clone()
            .unwrap_or_else(|| config.scopes.clone());
        let audiences = options
            .audience
            .clone()
            .unwrap_or_else(|| config.audiences.clone());
        let params = options.params();

        let mut url = endpoints.authorization.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &config.client_id)
                .append_pair("response_type", "code")
                .append_pair("redirect_uri", redirect_uri.as_str())
                .append_pair("scope", &scopes.join(" "))
                .append_pair("state", &state)
                .append_pair("nonce", &nonce)
                .append_pair("code_challenge", challenge.as_str())
                .append_pair("code_challenge_method", "S256")
                .append_pair("supports_reauth", "true");
            if !audiences.is_empty() {
                q.append_pair("audience", &audiences.join(" "));
            }
            for (k, v) in &params {
                q.append_pair(k, v);
            }
        }
        let mut kept: BTreeMap<String, String> = params.into_iter().collect();
        if let Some(a) = &options.audience {
            kept.insert("audience".into(), a.join(" "));
        }
        if let Some(s) = &options.scope {
            kept.insert("scope".into(), s.join(" "));
        }
        Ok(LoginRequest {
            url,
            pending: PendingLogin {
                state,
                nonce,
                verifier: CodeVerifier(verifier.into_secret()),
                redirect_uri: redirect_uri.to_string(),
                return_to: options
                    .return_to
                    .as_deref()
                    .and_then(safe_return_to)
                    .map(str::to_string),
                created_at: now_secs(),
                params: kept,
            },
        })
    }

    /// Start a registration (`prompt=create`).
    pub async fn register_url(&self, options: LoginOptions) -> Result<LoginRequest> {
        self.login_url(options.prompt(Prompt::Create)).await
    }

    /// Start a registration that also creates an organisation named `org_name`
    /// (`is_create_org=true`, `prompt=create`).
    pub async fn create_org_url(
        &self,
        org_name: Option<&str>,
        options: LoginOptions,
    ) -> Result<LoginRequest> {
        let mut options = options.prompt(Prompt::Create).create_org(true);
        if let Some(name) = org_name {
            options = options.org_name(name);
        }
        self.login_url(options).await
    }

    /// Switch the signed-in user to another organisation without a sign-in screen
    /// (`prompt=none` + `org_code`).
    pub async fn switch_org_url(
        &self,
        org_code: &str,
        options: LoginOptions,
    ) -> Result<LoginRequest> {
        self.login_url(options.prompt(Prompt::None).org_code(org_code))
            .await
    }

    /// Complete a login callback.
    ///
    /// The `state` must match one of `pending` (it is removed, so a replay fails); the
    /// code is exchanged with that login's PKCE verifier; both tokens are verified
    /// (signature, issuer, audience, expiry, nonce). `error=…` becomes
    /// [`CallbackError::Denied`], except `login_link_expired` with `reauth_state`, which
    /// yields [`CallbackOutcome::Restart`] with the original parameters merged back in.
    pub async fn complete_login(
        &self,
        params: &CallbackParams,
        pending: &mut PendingLogins,
    ) -> Result<CallbackOutcome> {
        let ttl = self.inner.config.login_ttl;
        if let Some(error) = params.error.as_deref() {
            let original = params.state.as_deref().and_then(|s| pending.take(s, ttl));
            if error == "login_link_expired"
                && let Some(reauth) = params.reauth_state.as_deref()
            {
                let reauth_params = decode_reauth_state(reauth)?;
                let base = match &original {
                    Some(p) => LoginOptions::new().merge_params(&p.params),
                    None => LoginOptions::new(),
                };
                let mut options = base.merge_params(&reauth_params);
                options.return_to = original.and_then(|p| p.return_to);
                return Ok(CallbackOutcome::Restart(Box::new(
                    self.login_url(options).await?,
                )));
            }
            let description = params
                .error_description
                .as_deref()
                .map(|d| d.chars().filter(|c| !c.is_control()).take(200).collect());
            return Err(CallbackError::Denied {
                error: safe_code(error),
                description,
            }
            .into());
        }
        let state = params
            .state
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or(CallbackError::MissingState)?;
        let login = pending
            .take(state, ttl)
            .ok_or(CallbackError::UnknownState)?;
        let code = params
            .code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or(CallbackError::MissingCode)?;

        let exchanged = self
            .token_request(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &login.redirect_uri),
                ("code_verifier", login.verifier.0.as_str()),
            ])
            .await
            .map_err(|e| match e {
                KindeError::SessionEnded => CallbackError::CodeRejected.into(),
                other => other,
            });
        let raw = match exchanged {
            Ok(raw) => raw,
            // Kinde could not be reached, so the code was not used: keep the pending
            // login, and reloading the callback once Kinde is back completes it.
            Err(e @ KindeError::Unavailable(_)) => {
                pending.insert(login, ttl);
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let session = self
            .verified_token_set(raw, Some(&login.nonce), None)
            .await
            .map_err(|e| match e {
                KindeError::InvalidToken(r) => CallbackError::TokenRejected(r).into(),
                other => other,
            })?;
        if session.id.is_none() {
            return Err(KindeError::Provider(
                "the token response has no ID token".into(),
            ));
        }
        let return_to = login
            .return_to
            .unwrap_or_else(|| self.inner.config.post_login_redirect.clone());
        Ok(CallbackOutcome::SignedIn {
            session: Box::new(session),
            return_to,
        })
    }
}

fn decode_reauth_state(raw: &str) -> Result<BTreeMap<String, String>> {
    let bad = || {
        KindeError::from(CallbackError::Denied {
            error: "login_link_expired".into(),
            description: Some("the sign-in link expired and could not be restarted".into()),
        })
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(raw.trim_end_matches('='))
        .or_else(|_| URL_SAFE.decode(raw))
        .or_else(|_| base64::engine::general_purpose::STANDARD.decode(raw))
        .map_err(|_| bad())?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let obj = value.as_object().ok_or_else(bad)?;
    Ok(obj
        .iter()
        .filter_map(|(k, v)| {
            let s = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                _ => return None,
            };
            Some((k.clone(), s))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn options_encode_every_parameter() {
        let opts = LoginOptions::new()
            .prompt(Prompt::Create)
            .org_code("org_1")
            .org_name("Acme")
            .create_org(true)
            .login_hint("a@b.c")
            .connection_id("conn_1")
            .lang("fr")
            .invitation_code("inv_1")
            .plan_interest("pro")
            .pricing_table_key("tbl")
            .has_success_page(false)
            .workflow_deployment_id("wf_1")
            .extra("custom", "x")
            .extra("state", "attacker")
            .extra("client_id", "attacker");
        let params: BTreeMap<String, String> = opts.params().into_iter().collect();
        assert_eq!(params["prompt"], "create");
        assert_eq!(params["org_code"], "org_1");
        assert_eq!(params["org_name"], "Acme");
        assert_eq!(params["is_create_org"], "true");
        assert_eq!(params["login_hint"], "a@b.c");
        assert_eq!(params["connection_id"], "conn_1");
        assert_eq!(params["lang"], "fr");
        assert_eq!(params["invitation_code"], "inv_1");
        assert_eq!(params["is_invitation"], "true");
        assert_eq!(params["plan_interest"], "pro");
        assert_eq!(params["pricing_table_key"], "tbl");
        assert_eq!(params["has_success_page"], "false");
        assert_eq!(params["workflow_deployment_id"], "wf_1");
        assert_eq!(params["custom"], "x");
        assert!(!params.contains_key("state") && !params.contains_key("client_id"));
    }

    fn pending(state: &str, age: u64) -> PendingLogin {
        PendingLogin {
            state: state.into(),
            nonce: "n".into(),
            verifier: CodeVerifier("v".repeat(43)),
            redirect_uri: "http://127.0.0.1/cb".into(),
            return_to: None,
            created_at: now_secs() - age,
            params: BTreeMap::new(),
        }
    }

    #[test]
    fn pending_logins_are_single_use_and_expire() {
        let ttl = Duration::from_secs(600);
        let mut p = PendingLogins::default();
        p.insert(pending("a", 0), ttl);
        p.insert(pending("b", 0), ttl);
        p.insert(pending("old", 601), ttl);
        assert!(p.take("b", ttl).is_some());
        assert!(p.take("b", ttl).is_none(), "replay");
        assert!(p.take("old", ttl).is_none(), "expired");
        assert!(p.take("a", ttl).is_some());
        for i in 0..20 {
            p.insert(pending(&i.to_string(), 0), ttl);
        }
        assert_eq!(p.len(), PendingLogins::MAX);
        assert!(p.take("0", ttl).is_none(), "oldest dropped");
        assert!(p.take("19", ttl).is_some());
        let json = serde_json::to_string(&p).unwrap();
        let _: PendingLogins = serde_json::from_str(&json).unwrap();
        assert!(!format!("{p:?}").contains("vvvv"));
    }

    #[test]
    fn return_to_rules() {
        assert_eq!(safe_return_to("/"), Some("/"));
        assert_eq!(safe_return_to("/a/b?c=d#e"), Some("/a/b?c=d#e"));
        for bad in [
            "",
            "//evil",
            "/\\evil",
            "\\\\evil",
            "https://evil",
            "http:/evil",
            "javascript:x",
            "/%0aX",
            "/%0D%0AX",
            "/a\r\nb",
            "/%5Cevil",
            "/%2f%2fevil",
            "/%252F%252Fevil",
            "/\tx",
        ] {
            assert_eq!(safe_return_to(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn reauth_state_decodes_and_merges_without_protocol_params() {
        let raw = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&serde_json::json!({
                "org_code": "org_9", "login_hint": "x@y.z", "state": "evil", "redirect_uri": "https://evil",
                "is_create_org": true
            }))
            .unwrap(),
        );
        let params = decode_reauth_state(&raw).unwrap();
        let opts = LoginOptions::new().lang("de").merge_params(&params);
        assert_eq!(opts.org_code.as_deref(), Some("org_9"));
        assert_eq!(opts.login_hint.as_deref(), Some("x@y.z"));
        assert_eq!(opts.lang.as_deref(), Some("de"));
        assert!(opts.is_create_org);
        let encoded: BTreeMap<String, String> = opts.params().into_iter().collect();
        assert!(!encoded.contains_key("state") && !encoded.contains_key("redirect_uri"));
        assert!(decode_reauth_state("%%%").is_err());
    }
}
