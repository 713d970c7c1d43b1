//! The bench routers of both adapters driven in-process (no sockets): one request per
//! call, through the whole router and its middleware, with the same headers for every
//! route. Shared by `benches/requests.rs` (criterion) and `examples/request_cost.rs`
//! (a fixed number of requests, for an instruction count under callgrind).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::{Service, ServiceResponse};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use kinde_core::testing::{MintOptions, TestKinde};
use kinde_core::{Kinde, KindeConfig};
use kinde_examples::bench;
use tower::ServiceExt;

/// The routes compared, in the order they are reported.
pub const ROUTES: [&str; 4] = ["/plain", "/bearer", "/session-plain", "/session"];

const APP: &str = "http://127.0.0.1:3000";

fn config(local: &TestKinde) -> KindeConfig {
    local
        .config_builder()
        .redirect_uri(format!("{APP}/callback"))
        .post_logout_redirect_url(format!("{APP}/"))
        .build()
        .expect("bench config")
}

/// The `name=value` of a response's `Set-Cookie`.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_string()
}

/// Follow the local Kinde's automatic login: the `/callback?…` query it redirects to.
async fn authorize(location: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let at_kinde = client.get(location).send().await.expect("local Kinde");
    let back = at_kinde.headers()[header::LOCATION.as_str()]
        .to_str()
        .expect("location");
    url::Url::parse(back)
        .expect("callback url")
        .query()
        .expect("callback query")
        .to_string()
}

/// A request in flight, to its status.
pub type Pending = Pin<Box<dyn Future<Output = StatusCode>>>;

/// One adapter's bench app, signed in once, ready to take requests.
pub struct App {
    /// Sends one request for a path (with the bearer token, the session cookie and
    /// `Accept: application/json`) and returns its status.
    pub send: Box<dyn Fn(&'static str) -> Pending>,
}

/// The axum bench router against `local`, signed in.
pub async fn axum_app(local: &TestKinde) -> App {
    let router = bench::axum_router(kinde_axum::KindeAuth::new(
        Kinde::new(config(local)).expect("client"),
    ));
    let get = |path: String, cookie: Option<&str>| {
        let mut req = Request::get(path);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        req.body(Body::empty()).expect("request")
    };
    let login = router
        .clone()
        .oneshot(get("/login".into(), None))
        .await
        .expect("login");
    let pending = cookie_pair(
        login.headers()[header::SET_COOKIE]
            .to_str()
            .expect("cookie"),
    );
    let query = authorize(
        login.headers()[header::LOCATION]
            .to_str()
            .expect("location"),
    )
    .await;
    let back = router
        .clone()
        .oneshot(get(format!("/callback?{query}"), Some(&pending)))
        .await
        .expect("callback");
    assert_eq!(back.status(), StatusCode::SEE_OTHER, "sign-in");
    let cookie = cookie_pair(back.headers()[header::SET_COOKIE].to_str().expect("cookie"));
    let bearer = bearer(local);
    App {
        send: Box::new(move |path| {
            let req = Request::get(path)
                .header(header::AUTHORIZATION, &bearer)
                .header(header::COOKIE, &cookie)
                .header(header::ACCEPT, "application/json")
                .body(Body::empty())
                .expect("request");
            let router = router.clone();
            Box::pin(async move { router.oneshot(req).await.expect("infallible").status() })
        }),
    }
}

fn bearer(local: &TestKinde) -> String {
    let token = local.mint_access_token(&local.users()[0], MintOptions::default());
    format!("Bearer {token}")
}

/// The actix bench app against `local`, signed in. Must run inside an actix system.
pub async fn actix_app(local: &TestKinde) -> App {
    use actix_web::test;
    let auth = kinde_actix::KindeAuth::new(Kinde::new(config(local)).expect("client"));
    let service = std::rc::Rc::new(
        test::init_service(actix_web::App::new().configure(bench::actix_routes(auth))).await,
    );
    let set_cookie = |resp: &ServiceResponse| {
        cookie_pair(
            resp.headers()
                .get(header::SET_COOKIE.as_str())
                .expect("set-cookie")
                .to_str()
                .expect("cookie"),
        )
    };
    let login = test::call_service(
        &service,
        test::TestRequest::get().uri("/login").to_request(),
    )
    .await;
    let pending = set_cookie(&login);
    let query = authorize(
        login
            .headers()
            .get(header::LOCATION.as_str())
            .expect("location")
            .to_str()
            .expect("location"),
    )
    .await;
    let back = test::call_service(
        &service,
        test::TestRequest::get()
            .uri(&format!("/callback?{query}"))
            .insert_header((header::COOKIE.as_str(), pending))
            .to_request(),
    )
    .await;
    assert_eq!(back.status().as_u16(), 303, "sign-in");
    let cookie = set_cookie(&back);
    let bearer = bearer(local);
    App {
        send: Box::new(move |path| {
            let req = test::TestRequest::get()
                .uri(path)
                .insert_header((header::AUTHORIZATION.as_str(), bearer.as_str()))
                .insert_header((header::COOKIE.as_str(), cookie.as_str()))
                .insert_header((header::ACCEPT.as_str(), "application/json"))
                .to_request();
            let service = service.clone();
            Box::pin(async move {
                let resp = service.call(req).await.expect("actix service");
                StatusCode::from_u16(resp.status().as_u16()).expect("status")
            })
        }),
    }
}
