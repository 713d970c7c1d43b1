//! What one login asks Kinde for: [`LoginOptions`] and [`Prompt`], and how they become
//! authorization parameters (protocol parameters can never be set through them).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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

    pub(crate) fn parse(s: &str) -> Option<Self> {
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
    /// else is dropped (see [`safe_return_to`](crate::safe_return_to)).
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

    /// Where to land after login (a local path; validated with [`safe_return_to`](crate::safe_return_to)).
    pub fn return_to(mut self, path: impl Into<String>) -> Self {
        self.return_to = Some(path.into());
        self
    }

    /// The Kinde-specific parameters these options add to the authorization URL.
    pub(crate) fn params(&self) -> Vec<(String, String)> {
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
    pub(crate) fn merge_params(mut self, params: &BTreeMap<String, String>) -> Self {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
