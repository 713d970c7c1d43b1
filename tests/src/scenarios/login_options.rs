//! The login options the routes take from the query, the app's per-route defaults, and
//! the options only the app may set (`audience`, `scope`), from a query or from a
//! `reauth_state`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kinde_core::{AudiencePolicy, GuardedOption, LoginKind, LoginOptions};

use super::*;

const FOREIGN_AUDIENCE: &str = "https://evil.example/api";
const FOREIGN_SCOPE: &str = "openid profile email offline admin:everything";

/// The scopes the apps of these scenarios are configured with (the default).
const CONFIGURED_SCOPE: &str = "openid profile email offline";

/// Kinde's authorize URL that `path_and_query` redirects to, as a map.
async fn authorize_query(
    b: &Browser,
    path_and_query: &str,
) -> std::collections::BTreeMap<String, String> {
    query_map(&b.start_login(path_and_query).await.0)
}

/// Every option Kinde documents that a visitor may choose reaches Kinde from the
/// query of `/login` (`prompt`, `org_code`, `login_hint`, `lang`, `connection_id`,
/// `plan_interest`, `pricing_table_key`, `has_success_page`, `workflow_deployment_id`);
/// `/register` and `/create-org` keep what makes them (`prompt=create`,
/// `is_create_org`); a visitor's `audience` and `scope` are ignored (the configured
/// ones are sent); an unknown `prompt` or a `has_success_page` that is not a boolean is
/// a 400.
pub async fn every_login_option_from_the_query(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let b = ctx.browser();
    let options = [
        ("prompt", "login"),
        ("org_code", "org_demo_labs"),
        ("login_hint", ADA),
        ("lang", "fr"),
        ("connection_id", "conn_0123"),
        ("plan_interest", "pro"),
        ("pricing_table_key", "tbl_1"),
        ("has_success_page", "true"),
        ("workflow_deployment_id", "wf_1"),
    ];
    let mut all: Vec<(&str, &str)> = options.to_vec();
    all.extend([("audience", FOREIGN_AUDIENCE), ("scope", FOREIGN_SCOPE)]);
    let q = authorize_query(&b, &login_path(&all)).await;
    for (k, v) in options {
        assert_eq!(q.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert_eq!(q.get("audience"), None, "a visitor's audience is ignored");
    assert_eq!(q["scope"], CONFIGURED_SCOPE, "a visitor's scope is ignored");

    let reg = login_path(&all).replacen("/login", "/register", 1);
    let q = authorize_query(&b, &reg).await;
    assert_eq!(q["prompt"], "create", "/register stays a registration");
    assert_eq!(q["lang"], "fr");
    let q = authorize_query(
        &b,
        "/create-org?org_name=Acme&prompt=login&has_success_page=false",
    )
    .await;
    assert_eq!(
        (
            q["prompt"].as_str(),
            q["is_create_org"].as_str(),
            q["org_name"].as_str()
        ),
        ("create", "true", "Acme")
    );
    assert_eq!(q["has_success_page"], "false");
    let q = authorize_query(&b, "/login?prompt=none").await;
    assert_eq!(q["prompt"], "none");

    let before = ctx.kinde.authorize_requests().len();
    for bad in ["/login?prompt=sometimes", "/login?has_success_page=yes"] {
        assert_clean_error(b.get(bad).await, 400, &ctx.internals()).await;
    }
    assert_eq!(ctx.kinde.authorize_requests().len(), before);
}

/// Default options per route, set by the app in code: under the visitor's query (a
/// query `lang` replaces the default), each route its own; the defaults' `audience`
/// and `scope` are the app's and reach Kinde, while a visitor's are still ignored.
/// With the app's consent (`allow_visitor_option`), a visitor's `audience` and `scope`
/// reach Kinde.
pub async fn login_defaults_per_route_and_allowed_visitor_options(start: StartApp) {
    let ctx = Ctx::start_with(start, AppKind::Browser, TestKinde::start(), |c| {
        // Tokens of `/login` are for the default audience.
        c.audience_policy(AudiencePolicy::OneOf(vec![
            "https://api.example.com".into(),
        ]))
        .login_defaults(
            LoginKind::Login,
            LoginOptions::new()
                .lang("fr")
                .audience(["https://api.example.com"])
                .scope(["openid", "profile", "offline"]),
        )
        .login_defaults(
            LoginKind::Register,
            LoginOptions::new()
                .plan_interest("pro")
                .pricing_table_key("tbl"),
        )
        .login_defaults(LoginKind::SwitchOrg, LoginOptions::new().lang("de"))
    });
    let b = ctx.browser();
    let q = authorize_query(&b, "/login").await;
    assert_eq!(q["lang"], "fr");
    assert_eq!(q["audience"], "https://api.example.com");
    assert_eq!(q["scope"], "openid profile offline");
    let q = authorize_query(
        &b,
        &login_path(&[
            ("lang", "it"),
            ("audience", FOREIGN_AUDIENCE),
            ("scope", FOREIGN_SCOPE),
        ]),
    )
    .await;
    assert_eq!(q["lang"], "it", "the query over the defaults");
    assert_eq!(
        q["audience"], "https://api.example.com",
        "the app's audience"
    );
    assert_eq!(q["scope"], "openid profile offline", "the app's scope");
    let q = authorize_query(&b, "/register").await;
    assert_eq!(
        (q["plan_interest"].as_str(), q["pricing_table_key"].as_str()),
        ("pro", "tbl")
    );
    assert_eq!(q.get("lang"), None, "another route's defaults");
    assert_eq!(q.get("audience"), None);
    assert_eq!(q["scope"], CONFIGURED_SCOPE);

    // The switch takes its own defaults.
    b.sign_in(None, ADA).await;
    let q = authorize_query(&b, "/switch-org?org_code=org_demo_labs").await;
    assert_eq!((q["lang"].as_str(), q["prompt"].as_str()), ("de", "none"));

    let allowed = Ctx::start_with(start, AppKind::Browser, TestKinde::start(), |c| {
        c.allow_visitor_option(GuardedOption::Audience)
            .allow_visitor_option(GuardedOption::Scope)
    });
    let q = authorize_query(
        &allowed.browser(),
        &login_path(&[("audience", FOREIGN_AUDIENCE), ("scope", FOREIGN_SCOPE)]),
    )
    .await;
    assert_eq!(q["audience"], FOREIGN_AUDIENCE);
    assert_eq!(q["scope"], FOREIGN_SCOPE);
}

/// A `reauth_state` as Kinde would send it, carrying `params`.
fn reauth_state(params: Value) -> String {
    URL_SAFE_NO_PAD.encode(params.to_string())
}

/// A `login_link_expired` link whose `reauth_state` someone wrote: its `audience` and
/// `scope` do not reach Kinde (the configured ones do), while the options a visitor may
/// choose (`org_code`, `login_hint`, `connection_id`) do, as from a query; for a login
/// this browser started, its own options are kept under the `reauth_state`'s. With the
/// app's consent, the `reauth_state`'s `audience` and `scope` count.
pub async fn reauth_state_cannot_choose_audience_or_scope(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let b = ctx.browser();
    let foreign = json!({
        "audience": FOREIGN_AUDIENCE,
        "scope": FOREIGN_SCOPE,
        "org_code": "org_demo_labs",
        "connection_id": "conn_0123",
        "login_hint": ADA,
        "client_id": "someone-else",
        "redirect_uri": "https://evil.example/callback",
    });
    let link = format!(
        "/callback?error=login_link_expired&reauth_state={}",
        reauth_state(foreign.clone())
    );
    let r = b.get(&link).await;
    let restart = Url::parse(&assert_redirect(&r)).expect("absolute authorize URL");
    assert!(restart.as_str().starts_with(&ctx.kinde.url("/oauth2/auth")));
    let q = query_map(&restart);
    assert_eq!(q.get("audience"), None, "{restart}");
    assert_eq!(q["scope"], CONFIGURED_SCOPE);
    assert_eq!(q["client_id"], ctx.kinde.client_id());
    assert_eq!(q["redirect_uri"], ctx.url("/callback"));
    for (k, v) in [
        ("org_code", "org_demo_labs"),
        ("connection_id", "conn_0123"),
        ("login_hint", ADA),
    ] {
        assert_eq!(q[k], v, "{k}");
    }
    // The restarted login completes as Ada.
    let cb = b.follow_until(&restart, &callback_prefix(&ctx)).await;
    assert_eq!(assert_redirect(&b.get(cb.as_str()).await), "/");
    assert_eq!(
        ok_json(b.get_json("/me").await).await["id"],
        "kp_demo_admin"
    );

    // A login this browser started: its options stay, the foreign ones do not come in.
    let b = ctx.browser();
    let (auth, _) = b
        .start_login(&login_path(&[("lang", "fr"), ("returnTo", "/dashboard")]))
        .await;
    let state = query_map(&auth)["state"].clone();
    let link = format!(
        "/callback?error=login_link_expired&state={state}&reauth_state={}",
        reauth_state(foreign.clone())
    );
    let restart = Url::parse(&assert_redirect(&b.get(&link).await)).unwrap();
    let q = query_map(&restart);
    assert_eq!(q["lang"], "fr");
    assert_eq!(q.get("audience"), None);
    assert_eq!(q["scope"], CONFIGURED_SCOPE);
    let cb = b.follow_until(&restart, &callback_prefix(&ctx)).await;
    assert_eq!(assert_redirect(&b.get(cb.as_str()).await), "/dashboard");

    // Allowed by the app: the reauth_state's audience and scope are honoured.
    let allowed = Ctx::start_with(start, AppKind::Browser, TestKinde::start(), |c| {
        c.allow_visitor_option(GuardedOption::Audience)
            .allow_visitor_option(GuardedOption::Scope)
    });
    let link = format!(
        "/callback?error=login_link_expired&reauth_state={}",
        reauth_state(foreign)
    );
    let restart = Url::parse(&assert_redirect(&allowed.browser().get(&link).await)).unwrap();
    let q = query_map(&restart);
    assert_eq!(q["audience"], FOREIGN_AUDIENCE);
    assert_eq!(q["scope"], FOREIGN_SCOPE);
    assert_eq!(q["client_id"], allowed.kinde.client_id());
}
