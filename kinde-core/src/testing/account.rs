//! Account API (`/account_api/v1/...`) and the portal stand-in page.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};
use url::Url;

use super::Endpoint;
use super::html;
use super::http::{Params, absolute_http_url, bearer, bearer_error, html_response, json_response};
use super::state::{Shared, lock};
use super::users::TestUser;

/// The portal pages `subnav` may name.
pub(crate) const SUBNAV_PAGES: &[&str] = &[
    "profile",
    "organization_details",
    "organization_members",
    "organization_plan_details",
    "organization_payment_details",
    "organization_plan_selection",
    "payment_details",
    "plan_selection",
    "plan_details",
];

const DEFAULT_PAGE_SIZE: usize = 10;
const MAX_PAGE_SIZE: usize = 1000;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/account_api/v1/permissions", get(permissions))
        .route("/account_api/v1/roles", get(roles))
        .route("/account_api/v1/feature_flags", get(feature_flags))
        .route("/account_api/v1/properties", get(properties))
        .route("/account_api/v1/entitlements", get(entitlements))
        .route("/account_api/v1/entitlement/{key}", get(entitlement))
        .route("/account_api/v1/portal_link", get(portal_link))
        .route("/portal", get(portal))
}

fn api_error(status: u16, code: &str, message: &str) -> Response {
    json_response(
        status,
        &json!({
            "error": code.to_ascii_lowercase(),
            "error_description": message,
            "errors": [{"code": code, "message": message}],
        }),
    )
}

/// The calling user and the token's `org_code`.
fn caller(s: &Shared, headers: &HeaderMap) -> Result<(TestUser, Option<String>), Box<Response>> {
    s.counters.hit(Endpoint::AccountApi);
    let token = bearer(headers)
        .ok_or_else(|| Box::new(bearer_error("a Bearer access token is required")))?;
    let claims = s
        .verify_token(token)
        .map_err(|e| Box::new(bearer_error(&e)))?;
    if claims.contains_key("gty") {
        return Err(Box::new(api_error(
            403,
            "FORBIDDEN",
            "the Account API needs a user access token, not an M2M token",
        )));
    }
    let user = claims
        .get("sub")
        .and_then(Value::as_str)
        .and_then(|id| s.find_user(id))
        .ok_or_else(|| Box::new(bearer_error("the token does not belong to a known user")))?;
    let org = claims
        .get("org_code")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok((user, org))
}

/// One page of a list endpoint: `{"data": data(page), "metadata": …}`, or the
/// pagination error.
fn page_response(
    s: &Shared,
    items: Vec<(String, Value)>,
    query: Option<&str>,
    data: impl FnOnce(Vec<Value>) -> Value,
) -> Response {
    match paginate(s, items, &Params::query(query)) {
        Ok((page, meta)) => json_response(200, &json!({"data": data(page), "metadata": meta})),
        Err(r) => *r,
    }
}

/// Cursor pagination over `(id, item)` pairs.
fn paginate(
    s: &Shared,
    items: Vec<(String, Value)>,
    params: &Params,
) -> Result<(Vec<Value>, Value), Box<Response>> {
    let page_size = match params.get("page_size") {
        None => DEFAULT_PAGE_SIZE,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if n > 0 => n.min(MAX_PAGE_SIZE),
            _ => {
                return Err(Box::new(api_error(
                    400,
                    "INVALID_PAGE_SIZE",
                    "page_size must be a positive integer",
                )));
            }
        },
    };
    if s.knobs.stuck_cursor.load(Ordering::Relaxed) {
        let page: Vec<_> = items.into_iter().take(page_size).collect();
        let cursor = page
            .last()
            .map(|(id, _)| id.clone())
            .unwrap_or_else(|| "stuck_cursor".into());
        return Ok((
            page.into_iter().map(|(_, v)| v).collect(),
            json!({"has_more": true, "next_page_starting_after": cursor}),
        ));
    }
    let start = match params.get("starting_after") {
        None => 0,
        Some(cursor) => match items.iter().position(|(id, _)| id == cursor) {
            Some(i) => i + 1,
            None => {
                return Err(Box::new(api_error(
                    400,
                    "INVALID_CURSOR",
                    "starting_after does not name an item of this list",
                )));
            }
        },
    };
    let total = items.len();
    let page: Vec<(String, Value)> = items.into_iter().skip(start).take(page_size).collect();
    let has_more = start + page.len() < total;
    let next = page.last().map(|(id, _)| id.clone());
    Ok((
        page.into_iter().map(|(_, v)| v).collect(),
        json!({"has_more": has_more, "next_page_starting_after": next}),
    ))
}

fn humanize(key: &str) -> String {
    let spaced = key.replace(['_', '-'], " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

async fn permissions(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let (user, org) = match caller(&s, &headers) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let items = user
        .permissions
        .iter()
        .map(|p| {
            let id = format!("perm_{p}");
            let item = json!({"id": id, "name": p, "key": p});
            (id, item)
        })
        .collect();
    page_response(
        &s,
        items,
        q.as_deref(),
        |page| json!({"org_code": org, "permissions": page}),
    )
}

async fn roles(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let (user, org) = match caller(&s, &headers) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let items = user
        .roles
        .iter()
        .map(|r| {
            (
                r.id.clone(),
                json!({"id": r.id, "name": r.name, "key": r.key}),
            )
        })
        .collect();
    page_response(
        &s,
        items,
        q.as_deref(),
        |page| json!({"org_code": org, "roles": page}),
    )
}

async fn feature_flags(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let (user, _) = match caller(&s, &headers) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let items = user
        .feature_flags
        .iter()
        .map(|(key, flag)| {
            let code = flag.get("t").and_then(Value::as_str);
            let kind = match code {
                Some("b") => "boolean",
                Some("s") => "string",
                Some("i") => "integer",
                _ => "json",
            };
            let value = flag.get("v").cloned().unwrap_or_else(|| flag.clone());
            let id = format!("flag_{key}");
            let item =
                json!({"id": id, "name": humanize(key), "key": key, "type": kind, "value": value});
            (id, item)
        })
        .collect();
    page_response(
        &s,
        items,
        q.as_deref(),
        |page| json!({"feature_flags": page}),
    )
}

async fn properties(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let (user, _) = match caller(&s, &headers) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let items = user
        .properties
        .iter()
        .map(|(key, value)| {
            let id = format!("prop_{key}");
            let item = json!({"id": id, "name": humanize(key), "key": key, "value": value});
            (id, item)
        })
        .collect();
    page_response(&s, items, q.as_deref(), |page| json!({"properties": page}))
}

async fn entitlements(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let (user, org) = match caller(&s, &headers) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let items = user
        .entitlements
        .iter()
        .map(|e| (e.id.clone(), e.to_json()))
        .collect();
    let plans = match lock(&s.knobs.entitlement_plans).clone() {
        Some(plans) => plans,
        None => user
            .plans
            .iter()
            .map(|p| json!({"key": p.key, "subscribed_on": p.subscribed_on}))
            .collect(),
    };
    page_response(
        &s,
        items,
        q.as_deref(),
        |page| json!({"org_code": org, "plans": plans, "entitlements": page}),
    )
}

async fn entitlement(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Response {
    let (user, org) = match caller(&s, &headers) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    match user.entitlements.iter().find(|e| e.feature_key == key) {
        Some(e) => json_response(
            200,
            &json!({"data": {"org_code": org, "entitlement": e.to_json()}, "metadata": {}}),
        ),
        None => api_error(
            404,
            "ENTITLEMENT_NOT_FOUND",
            "the user has no entitlement with this feature key",
        ),
    }
}

async fn portal_link(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if let Err(r) = caller(&s, &headers) {
        return *r;
    }
    let params = Params::query(q.as_deref());
    if params.has("sub_nav") {
        return api_error(
            400,
            "INVALID_REQUEST",
            "unknown parameter sub_nav: the portal page parameter is subnav",
        );
    }
    let Some(return_url) = params.get("return_url").and_then(absolute_http_url) else {
        return api_error(
            400,
            "INVALID_RETURN_URL",
            "return_url must be an absolute http(s) URL",
        );
    };
    let subnav = params.get("subnav");
    if let Some(page) = subnav
        && !SUBNAV_PAGES.contains(&page)
    {
        return api_error(400, "INVALID_SUBNAV", "subnav names no portal page");
    }
    let Ok(mut url) = Url::parse(&s.url("/portal")) else {
        return api_error(500, "SERVER_ERROR", "cannot build the portal URL");
    };
    if let Some(page) = subnav {
        url.query_pairs_mut().append_pair("subnav", page);
    }
    url.query_pairs_mut()
        .append_pair("return_url", return_url.as_str());
    json_response(200, &json!({"url": url.as_str()}))
}

async fn portal(RawQuery(q): RawQuery) -> Response {
    let params = Params::query(q.as_deref());
    let subnav = params.get("subnav").filter(|p| SUBNAV_PAGES.contains(p));
    let return_url = params
        .get("return_url")
        .and_then(absolute_http_url)
        .map(|u| u.to_string());
    html_response(200, html::portal_page(subnav, return_url.as_deref()))
}
