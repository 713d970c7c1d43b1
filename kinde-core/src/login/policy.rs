//! What the app decides about the logins its built-in routes start: default
//! [`LoginOptions`] per route, and which options that change what the tokens grant
//! (`audience`, `scope`) a visitor may choose (through a route's query, or a
//! `reauth_state` Kinde sends back).

use std::collections::{BTreeMap, BTreeSet};

use super::options::LoginOptions;

/// The logins the built-in routes start, each with defaults of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum LoginKind {
    /// `/login` (also where a `login_link_expired` restart takes its defaults from
    /// when the original login is not known to this browser).
    Login,
    /// `/register`.
    Register,
    /// `/create-org`.
    CreateOrg,
    /// `/switch-org`.
    SwitchOrg,
}

/// A login option that changes what the tokens grant: the app's configuration decides
/// it, and a visitor's value (a route's query, a `reauth_state`) is ignored unless the
/// app allows it with
/// [`KindeConfigBuilder::allow_visitor_option`](crate::KindeConfigBuilder::allow_visitor_option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum GuardedOption {
    /// `audience`: which APIs the access token is for.
    Audience,
    /// `scope`: what the tokens may be used for (`offline` gives a refresh token).
    Scope,
}

impl GuardedOption {
    /// The parameter's name.
    pub fn as_str(self) -> &'static str {
        match self {
            GuardedOption::Audience => "audience",
            GuardedOption::Scope => "scope",
        }
    }
}

/// The app's rules for the logins of the built-in routes: default [`LoginOptions`] per
/// [`LoginKind`] (what the app sets in code, trusted, `audience` and `scope` included),
/// and the [`GuardedOption`]s a visitor may set. Built with
/// [`KindeConfigBuilder::login_defaults`](crate::KindeConfigBuilder::login_defaults) and
/// [`KindeConfigBuilder::allow_visitor_option`](crate::KindeConfigBuilder::allow_visitor_option).
///
/// ```
/// use kinde_core::{GuardedOption, KindeConfig, LoginKind, LoginOptions};
/// let config = KindeConfig::builder()
///     .domain("myapp.kinde.com")
///     .client_id("abc")
///     .login_defaults(LoginKind::Register, LoginOptions::new().plan_interest("pro"))
///     .build()?;
/// let policy = config.login_policy();
/// assert_eq!(policy.defaults(LoginKind::Register).plan_interest.as_deref(), Some("pro"));
/// assert!(!policy.visitor_may_set(GuardedOption::Audience));
/// # Ok::<(), kinde_core::KindeError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginPolicy {
    defaults: BTreeMap<LoginKind, LoginOptions>,
    visitor_may_set: BTreeSet<GuardedOption>,
}

impl LoginPolicy {
    /// The default options of `kind` (empty unless the app set some).
    pub fn defaults(&self, kind: LoginKind) -> LoginOptions {
        self.defaults.get(&kind).cloned().unwrap_or_default()
    }

    /// Whether a visitor may choose `option`.
    pub fn visitor_may_set(&self, option: GuardedOption) -> bool {
        self.visitor_may_set.contains(&option)
    }

    pub(crate) fn set_defaults(&mut self, kind: LoginKind, options: LoginOptions) {
        self.defaults.insert(kind, options);
    }

    pub(crate) fn allow(&mut self, option: GuardedOption) {
        self.visitor_may_set.insert(option);
    }

    /// `base` with a visitor's `audience` and `scope` laid over it where this policy
    /// allows them; a value that is not allowed is dropped (and logged at debug level).
    pub(crate) fn visitor_guarded(
        &self,
        mut base: LoginOptions,
        audience: Option<Vec<String>>,
        scope: Option<Vec<String>>,
    ) -> LoginOptions {
        for (option, value, slot) in [
            (GuardedOption::Audience, audience, &mut base.audience),
            (GuardedOption::Scope, scope, &mut base.scope),
        ] {
            let Some(value) = value else { continue };
            if self.visitor_may_set(option) {
                *slot = Some(value);
            } else {
                tracing::debug!(
                    option = option.as_str(),
                    "ignored a visitor's login option that only the app's configuration may set"
                );
            }
        }
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guarded_options_need_the_apps_consent() {
        let mut policy = LoginPolicy::default();
        let base = LoginOptions::new().scope(["openid", "offline"]);
        let aud = Some(vec!["https://evil.example/api".to_string()]);
        let scope = Some(vec!["openid".to_string()]);
        let o = policy.visitor_guarded(base.clone(), aud.clone(), scope.clone());
        assert_eq!(o.audience, None);
        assert_eq!(o.scope, base.scope, "the app's value stays");
        policy.allow(GuardedOption::Audience);
        let o = policy.visitor_guarded(base.clone(), aud.clone(), scope);
        assert_eq!(o.audience, aud);
        assert_eq!(o.scope, base.scope);
    }
}
