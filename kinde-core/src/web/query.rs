//! The query strings of the built-in routes, parsed strictly enough that a malformed
//! one is a 400 and loosely enough that unknown parameters are ignored.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::routes::Route;
use crate::error::KindeError;
use crate::login::{LoginOptions, Prompt};
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
/// accept from a visitor. Unknown parameters are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct LoginQuery {
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
    /// A local path to land on after the callback.
    #[serde(rename = "returnTo", alias = "return_to")]
    return_to: Option<String>,
}

impl LoginQuery {
    /// The login options for this query on `route`. `returnTo` is validated
    /// ([`safe_return_to`]): anything that could leave the site is dropped.
    pub(crate) fn into_options(self, route: Route) -> LoginOptions {
        let mut o = LoginOptions::new();
        o.org_code = self.org_code;
        o.login_hint = self.login_hint;
        o.lang = self.lang;
        o.connection_id = self.connection_id;
        o.plan_interest = self.plan_interest;
        o.pricing_table_key = self.pricing_table_key;
        o.return_to = self
            .return_to
            .as_deref()
            .and_then(safe_return_to)
            .map(str::to_string);
        let invited = self.invitation_code.is_some();
        o.invitation_code = self.invitation_code;
        match route {
            Route::Login if invited => o.prompt(Prompt::Create),
            Route::Register => o.prompt(Prompt::Create),
            Route::CreateOrg => {
                o.org_name = self.org_name;
                o.prompt(Prompt::Create).create_org(true)
            }
            _ => o,
        }
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
        let q: LoginQuery = parse_query(Some(
            "org_code=org_1&login_hint=a%40b.c&lang=fr&returnTo=%2Fdash&connection_id=c&plan_interest=p&pricing_table_key=t",
        ))
        .unwrap();
        let o = q.into_options(Route::Login);
        assert_eq!(o.org_code.as_deref(), Some("org_1"));
        assert_eq!(o.login_hint.as_deref(), Some("a@b.c"));
        assert_eq!(o.return_to.as_deref(), Some("/dash"));
        assert_eq!(o.prompt, None);

        let q: LoginQuery = parse_query(Some("invitation_code=inv&returnTo=https://evil")).unwrap();
        let o = q.into_options(Route::Login);
        assert_eq!(o.prompt, Some(Prompt::Create));
        assert_eq!(o.return_to, None);

        let q: LoginQuery = parse_query(Some("org_name=Acme")).unwrap();
        let o = q.into_options(Route::CreateOrg);
        assert!(o.is_create_org);
        assert_eq!(o.org_name.as_deref(), Some("Acme"));

        let q: LoginQuery = parse_query(Some("org_name=Acme")).unwrap();
        assert_eq!(q.into_options(Route::Register).org_name, None);
    }
}
