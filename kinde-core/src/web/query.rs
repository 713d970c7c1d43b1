//! The query strings of the built-in routes, parsed strictly enough that a malformed
//! one is a 400 and loosely enough that unknown parameters are ignored.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::routes::Route;
use crate::error::KindeError;
use crate::login::{LoginKind, LoginOptions, LoginPolicy, Prompt};
use crate::return_to::safe_return_to;

/// Parse a raw query string into `T` (a struct of optional string fields). Repeated
/// keys keep the first value; a malformed query is a 400.
///
/// ```
/// use kinde_core::web::parse_query;
/// #[derive(serde::Deserialize)]
/// struct Q { page: Option<String> }
/// let q: Q = parse_query(Some("page=2&page=3&other=x")).unwrap();
/// assert_eq!(q.page.as_deref(), Some("2"));
/// ```
pub fn parse_query<T: DeserializeOwned>(raw: Option<&str>) -> Result<T, KindeError> {
    let mut map = Map::new();
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        map.entry(k.into_owned())
            .or_insert(Value::String(v.into_owned()));
    }
    serde_json::from_value(Value::Object(map))
        .map_err(|_| KindeError::BadRequest("malformed query".into()))
}

/// The query parameters the built-in `/login`, `/register` and `/create-org` routes
/// accept from a visitor: every login option Kinde documents. Unknown parameters are
/// ignored; `audience` and `scope` only count where the app allows them
/// ([`LoginPolicy`]).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct LoginQuery {
    prompt: Option<String>,
    org_code: Option<String>,
    /// Used by `/create-org` only.
    org_name: Option<String>,
    login_hint: Option<String>,
    lang: Option<String>,
    connection_id: Option<String>,
    /// Also turns `/login` into a registration.
    invitation_code: Option<String>,
    plan_interest: Option<String>,
    pricing_table_key: Option<String>,
    has_success_page: Option<String>,
    workflow_deployment_id: Option<String>,
    /// Space separated; only where the app allows it.
    audience: Option<String>,
    /// Space separated; only where the app allows it.
    scope: Option<String>,
    /// A local path to land on after the callback.
    #[serde(rename = "returnTo", alias = "return_to")]
    return_to: Option<String>,
}

impl LoginQuery {
    /// The login options for this query on `route`: the route's defaults
    /// ([`LoginPolicy::defaults`]) with the query laid over them, `audience` and `scope`
    /// only where `policy` allows them, then what makes the route itself
    /// (`prompt=create` on `/register`, …). `returnTo` is validated
    /// ([`safe_return_to`]): anything that could leave the site is dropped. A `prompt`
    /// or `has_success_page` that Kinde would not understand is a 400.
    pub(crate) fn into_options(
        self,
        route: Route,
        policy: &LoginPolicy,
    ) -> Result<LoginOptions, KindeError> {
        let kind = route.login_kind().unwrap_or(LoginKind::Login);
        let mut o = policy.visitor_guarded(
            policy.defaults(kind),
            words(self.audience),
            words(self.scope),
        );
        if let Some(p) = self.prompt.as_deref() {
            o.prompt = Some(
                Prompt::parse(p).ok_or_else(|| KindeError::BadRequest("unknown prompt".into()))?,
            );
        }
        if let Some(b) = self.has_success_page.as_deref() {
            o.has_success_page = Some(match b {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(KindeError::BadRequest(
                        "has_success_page must be true or false".into(),
                    ));
                }
            });
        }
        let overlay = |slot: &mut Option<String>, value: Option<String>| {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                *slot = Some(v);
            }
        };
        overlay(&mut o.org_code, self.org_code);
        overlay(&mut o.login_hint, self.login_hint);
        overlay(&mut o.lang, self.lang);
        overlay(&mut o.connection_id, self.connection_id);
        overlay(&mut o.plan_interest, self.plan_interest);
        overlay(&mut o.pricing_table_key, self.pricing_table_key);
        overlay(&mut o.workflow_deployment_id, self.workflow_deployment_id);
        overlay(&mut o.invitation_code, self.invitation_code);
        if let Some(r) = self.return_to.as_deref() {
            o.return_to = safe_return_to(r).map(str::to_string);
        }
        let invited = o.invitation_code.is_some();
        Ok(match route {
            Route::Login if invited => o.prompt(Prompt::Create),
            Route::Register => o.prompt(Prompt::Create),
            Route::CreateOrg => {
                overlay(&mut o.org_name, self.org_name);
                o.prompt(Prompt::Create).create_org(true)
            }
            _ => o,
        })
    }
}

/// A space-separated list, `None` when absent or empty.
fn words(raw: Option<String>) -> Option<Vec<String>> {
    let list: Vec<String> = raw?.split_whitespace().map(str::to_string).collect();
    (!list.is_empty()).then_some(list)
}

/// The query of the `/switch-org` route: the organisation to switch to, and where to
/// land afterwards.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct SwitchOrgQuery {
    org_code: Option<String>,
    #[serde(rename = "returnTo", alias = "return_to")]
    return_to: Option<String>,
}

impl SwitchOrgQuery {
    /// The organisation code, and the options of the switch: the route's defaults with
    /// `returnTo` (validated) laid over them. A missing or malformed `org_code` is a 400
    /// (Kinde's codes are short, of ASCII letters, digits, `_` and `-`).
    pub(crate) fn into_switch(
        self,
        policy: &LoginPolicy,
    ) -> Result<(String, LoginOptions), KindeError> {
        let code = self
            .org_code
            .filter(|c| {
                !c.is_empty()
                    && c.len() <= 64
                    && c.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            })
            .ok_or_else(|| KindeError::BadRequest("org_code is missing or malformed".into()))?;
        let mut o = policy.defaults(LoginKind::SwitchOrg);
        if let Some(r) = self.return_to.as_deref() {
            o.return_to = safe_return_to(r).map(str::to_string);
        }
        Ok((code, o))
    }
}

/// The query of the `/portal` route.
#[derive(Deserialize)]
pub(crate) struct PortalQuery {
    pub(crate) subnav: Option<String>,
    #[serde(rename = "returnTo", alias = "return_to")]
    pub(crate) return_to: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_query_maps_to_options() {
        let policy = LoginPolicy::default();
        let q: LoginQuery = parse_query(Some(
            "org_code=org_1&login_hint=a%40b.c&lang=fr&returnTo=%2Fdash&connection_id=c&plan_interest=p&pricing_table_key=t",
        ))
        .unwrap();
        let o = q.into_options(Route::Login, &policy).unwrap();
        assert_eq!(o.org_code.as_deref(), Some("org_1"));
        assert_eq!(o.login_hint.as_deref(), Some("a@b.c"));
        assert_eq!(o.return_to.as_deref(), Some("/dash"));
        assert_eq!(o.prompt, None);

        let q: LoginQuery = parse_query(Some("invitation_code=inv&returnTo=https://evil")).unwrap();
        let o = q.into_options(Route::Login, &policy).unwrap();
        assert_eq!(o.prompt, Some(Prompt::Create));
        assert_eq!(o.return_to, None);

        let q: LoginQuery = parse_query(Some("org_name=Acme")).unwrap();
        let o = q.into_options(Route::CreateOrg, &policy).unwrap();
        assert!(o.is_create_org);
        assert_eq!(o.org_name.as_deref(), Some("Acme"));

        let q: LoginQuery = parse_query(Some("org_name=Acme")).unwrap();
        assert_eq!(
            q.into_options(Route::Register, &policy).unwrap().org_name,
            None
        );

        // Every option, from the query; audience and scope only where allowed.
        let all = "prompt=select_account&has_success_page=false&workflow_deployment_id=wf&audience=https%3A%2F%2Fapi&scope=openid%20x";
        let q: LoginQuery = parse_query(Some(all)).unwrap();
        let o = q.into_options(Route::Login, &policy).unwrap();
        assert_eq!(o.prompt, Some(Prompt::SelectAccount));
        assert_eq!(o.has_success_page, Some(false));
        assert_eq!(o.workflow_deployment_id.as_deref(), Some("wf"));
        assert_eq!((o.audience, o.scope), (None, None));
        let mut allowed = LoginPolicy::default();
        allowed.allow(crate::GuardedOption::Scope);
        let q: LoginQuery = parse_query(Some(all)).unwrap();
        let o = q.into_options(Route::Login, &allowed).unwrap();
        assert_eq!(o.audience, None);
        assert_eq!(o.scope, Some(vec!["openid".into(), "x".into()]));
        for bad in ["prompt=sometimes", "has_success_page=yes"] {
            let q: LoginQuery = parse_query(Some(bad)).unwrap();
            assert!(q.into_options(Route::Login, &policy).is_err(), "{bad}");
        }

        // Defaults per route, under the query.
        let mut defaults = LoginPolicy::default();
        defaults.set_defaults(
            LoginKind::Register,
            LoginOptions::new().lang("fr").plan_interest("pro"),
        );
        let q: LoginQuery = parse_query(Some("lang=de")).unwrap();
        let o = q.into_options(Route::Register, &defaults).unwrap();
        assert_eq!(
            (o.lang.as_deref(), o.plan_interest.as_deref()),
            (Some("de"), Some("pro"))
        );
        let q: LoginQuery = parse_query(None).unwrap();
        assert_eq!(q.into_options(Route::Login, &defaults).unwrap().lang, None);

        // The switch: a valid org_code, or 400.
        for bad in ["", "org_code=", "org_code=a%20b", "org_code=%3Cx%3E"] {
            let q: SwitchOrgQuery = parse_query(Some(bad)).unwrap();
            assert!(q.into_switch(&policy).is_err(), "{bad:?}");
        }
        let q: SwitchOrgQuery = parse_query(Some("org_code=org_1&returnTo=//evil")).unwrap();
        let (code, o) = q.into_switch(&policy).unwrap();
        assert_eq!((code.as_str(), o.return_to), ("org_1", None));
    }
}
