//! The scenario table: each scenario is an `async fn(StartApp)` that starts its own
//! local Kinde server and app, so scenarios are independent and can run in parallel.
//!
//! Users are the [demo users](kinde_core::testing::TestUser::demo_users): Ada (admin,
//! `read:todos` + `write:todos`), Grace (member, `read:todos`), Alan (no permissions).
//!
//! The scenarios live in one module per concept; `__with_scenario_names!` is the one
//! list of them all, and each is re-exported here (`scenarios::NAME`), where the suite
//! macros find it.

mod access;
mod bearer;
mod callback;
mod extractors;
mod login_options;
mod logout;
mod organizations;
mod portal;
mod refresh;
mod routes;
mod sessions;
mod sign_in;
mod tenants;

pub use access::*;
pub use bearer::*;
pub use callback::*;
pub use extractors::*;
pub use login_options::*;
pub use logout::*;
pub use organizations::*;
pub use portal::*;
pub use refresh::*;
pub use routes::*;
pub use sessions::*;
pub use sign_in::*;
pub use tenants::*;

// What the scenario modules share (each has `use super::*`).
use std::time::Duration;

use kinde_core::testing::{Endpoint, MintOptions, TestKinde};
use kinde_core::web::RoutePaths;
use reqwest::StatusCode;
use reqwest::header;
use serde_json::{Value, json};
use url::Url;

use crate::{
    AppKind, Browser, Ctx, SESSION_COOKIE, Scenario, StartApp, TenantSessions, TestApp,
    assert_clean_error, assert_no_store, assert_redirect, client_at, eventually,
    get_anonymous_json, header_str, location, login_as, query_map, set_cookies, status_body,
    token_for,
};

/// Ada Lovelace: admin, `read:todos`, `write:todos`.
pub const ADA: &str = "ada.lovelace@example.com";
/// Grace Hopper: member, `read:todos`.
pub const GRACE: &str = "grace.hopper@example.com";
/// Alan Turing: no permissions, no roles.
pub const ALAN: &str = "alan.turing@example.com";

/// The single list of scenario names: `e2e_suite!` and [`scenarios()`] both expand it.
#[doc(hidden)]
#[macro_export]
macro_rules! __with_scenario_names {
    (@go [tests $start:path] $($name:ident),* $(,)?) => {
        $crate::__e2e_tests!($start; $($name),*);
    };
    (@go [table] $($name:ident),* $(,)?) => {
        $crate::__scenario_table!($($name),*)
    };
    ($($mode:tt)*) => {
        $crate::__with_scenario_names! {@go [$($mode)*]
            session_cookie_is_safe_and_cycled_at_login,
            sign_in_with_return_to,
            signed_in_pages_are_not_stored,
            open_redirect_attempts_land_on_post_login_url,
            browser_page_without_session_redirects_to_login,
            api_request_without_session_gets_401,
            two_tabs_sign_in_at_once,
            register_and_create_org_parameters_reach_kinde,
            me_contents,
            missing_permission_or_role_is_403,
            bearer_tokens_on_the_api,
            bearer_token_on_the_browser_app_never_touches_the_session,
            refresh_after_expiry_once_for_20_concurrent_requests,
            refused_refresh_ends_the_session,
            a_refused_request_keeps_the_tokens_it_refreshed,
            kinde_unreachable_is_503_and_keeps_the_session,
            bearer_with_kinde_unreachable_is_503,
            logout_ends_the_session_and_redirects_to_kinde,
            callback_missing_state,
            callback_unknown_or_replayed_state,
            callback_access_denied,
            callback_code_rejected_by_kinde,
            callback_token_fails_verification,
            callback_kinde_unreachable,
            callback_login_link_expired_restarts_the_login,
            extractors_with_a_bearer_token,
            session_identity_is_resolved_once_per_request,
            optional_user_is_none_only_when_nobody_is_signed_in,
            guards_as_extractors_and_on_groups_of_routes,
            custom_rejection_rendering,
            sessions_in_a_store_passed_by_the_app,
            route_paths_with_prefix_and_a_route_switched_off,
            two_tenants_side_by_side,
            two_tenants_with_one_cookie_name_sign_in_one_at_a_time,
            two_tenants_share_one_session,
            switch_organization,
            every_login_option_from_the_query,
            login_defaults_per_route_and_allowed_visitor_options,
            reauth_state_cannot_choose_audience_or_scope,
            portal_route,
        }
    };
}

/// Every scenario, in order.
pub fn scenarios() -> Vec<Scenario> {
    __with_scenario_names!(table)
}

// ---------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------

async fn body_json(resp: reqwest::Response) -> Value {
    let path = resp.url().path().to_string();
    let ct = header_str(&resp, header::CONTENT_TYPE);
    assert!(
        ct.starts_with("application/json"),
        "{path}: expected JSON, got {ct:?}"
    );
    resp.json()
        .await
        .unwrap_or_else(|e| panic!("{path}: bad JSON: {e}"))
}

async fn ok_json(resp: reqwest::Response) -> Value {
    let status = resp.status();
    if status != StatusCode::OK {
        let path = resp.url().path().to_string();
        let body = resp.text().await.unwrap_or_default();
        panic!("{path}: expected 200 OK, got {status}: {body}");
    }
    body_json(resp).await
}

async fn ok_text(resp: reqwest::Response) -> String {
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.url().path());
    resp.text().await.expect("body")
}

fn callback_prefix(ctx: &Ctx) -> String {
    ctx.url("/callback")
}

/// `url` with query parameter `key` replaced by `value` (other parameters kept in order).
fn with_param(url: &Url, key: &str, value: &str) -> Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == key {
                value.to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    let mut out = url.clone();
    out.query_pairs_mut().clear().extend_pairs(pairs);
    out
}

fn login_path(params: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        q.append_pair(k, v);
    }
    format!("/login?{}", q.finish())
}

/// Start a login and stop at the callback URL Kinde sends back (not yet visited).
async fn callback_url_for(ctx: &Ctx, b: &Browser, path_and_query: &str) -> Url {
    let (auth, _) = b.start_login(path_and_query).await;
    b.follow_until(&auth, &callback_prefix(ctx)).await
}

/// Nobody is signed in in this browser (checked without needing Kinde).
async fn assert_signed_out(ctx: &Ctx, b: &Browser) {
    let r = b.get_json("/me").await;
    assert_eq!(
        header_str(&r, header::WWW_AUTHENTICATE),
        "Bearer",
        "a signed-out API request gets a plain Bearer challenge"
    );
    assert_clean_error(r, 401, &ctx.internals()).await;
}

fn access_ttl_1s() -> TestKinde {
    TestKinde::builder()
        .access_token_ttl(Duration::from_secs(1))
        .start()
}
