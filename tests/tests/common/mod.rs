//! Helpers shared by the adapter-specific suites: loopback apps of our own, Kinde
//! configurations for custom callback paths, sign-in through custom login routes.

#![allow(dead_code, unused_macros, unused_imports)]

use std::net::TcpListener;

use kinde_core::Kinde;
use kinde_core::testing::{MintOptions, TestKinde};
use kinde_e2e::{Browser, RunningApp, location};
use reqwest::StatusCode;
use serde_json::Value;

/// Ada: admin, `read:todos` + `write:todos`, flags, org `org_demo`.
pub const ADA: &str = "ada.lovelace@example.com";
/// Grace: member, `read:todos` only.
pub const GRACE: &str = "grace.hopper@example.com";
/// Alan: no permissions, no roles.
pub const ALAN: &str = "alan.turing@example.com";

/// A listener on `127.0.0.1:0`, its port and `http://127.0.0.1:PORT`.
pub fn bind() -> (TcpListener, u16, String) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local address").port();
    (listener, port, format!("http://127.0.0.1:{port}"))
}

/// A client of `tk` for an app on `base` whose callback route is `callback_path`.
pub fn kinde_for(tk: &TestKinde, base: &str, callback_path: &str) -> Kinde {
    kinde_with(tk, base, callback_path, |b| b)
}

/// [`kinde_for`] with the configuration adjusted by `tweak`.
pub fn kinde_with(
    tk: &TestKinde,
    base: &str,
    callback_path: &str,
    tweak: impl FnOnce(kinde_core::KindeConfigBuilder) -> kinde_core::KindeConfigBuilder,
) -> Kinde {
    let config = tweak(
        tk.config_builder()
            .redirect_uri(format!("{base}{callback_path}"))
            .post_logout_redirect_url(format!("{base}/")),
    )
    .build()
    .expect("valid Kinde configuration");
    Kinde::new(config).expect("Kinde client")
}

/// An access token of `tk` for the user with this email (default options).
pub fn token_for(tk: &TestKinde, email: &str) -> String {
    let user = tk
        .users()
        .into_iter()
        .find(|u| u.email == email)
        .unwrap_or_else(|| panic!("no test user {email}"));
    tk.mint_access_token(&user, MintOptions::default())
}

/// Serve an axum router on `listener` (own thread and runtime; dropping the guard stops it).
pub fn serve_axum(listener: TcpListener, router: axum::Router) -> RunningApp {
    RunningApp::tokio_thread(listener, move |listener| async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        axum::serve(listener, router).await.expect("axum server");
    })
}

/// Serve an actix app factory on a listener, in an actix `System` on a thread of its
/// own; evaluates to a [`RunningApp`] whose drop stops the server.
macro_rules! serve_actix {
    ($listener:expr, $factory:expr) => {{
        let listener: std::net::TcpListener = $listener;
        let factory = $factory;
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("e2e-actix-specific".into())
            .spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let server = actix_web::HttpServer::new(factory)
                        .workers(2)
                        .listen(listener)
                        .expect("listen")
                        .run();
                    handle_tx
                        .send(server.handle())
                        .expect("hand over the handle");
                    server.await.expect("actix server ran");
                })
            })
            .expect("actix thread");
        let handle = handle_rx.recv().expect("actix server started");
        kinde_e2e::RunningApp::new(move || {
            std::thread::spawn(move || futures::executor::block_on(handle.stop(false)))
                .join()
                .ok();
            thread.join().ok();
        })
    }};
}
pub(crate) use serve_actix;

/// Sign in through a login route at a custom path: `login` (path and query) → Kinde
/// (automatic login) → the callback at `callback_path`. Returns where the callback
/// redirected.
pub async fn sign_in_at(b: &Browser, login: &str, callback_path: &str) -> String {
    let (authorize, _) = b.start_login(login).await;
    let callback = b.follow_until(&authorize, &b.url(callback_path)).await;
    let resp = b.client.get(callback).send().await.expect("GET callback");
    let status = resp.status();
    if status != StatusCode::SEE_OTHER {
        let body = resp.text().await.unwrap_or_default();
        panic!("the callback answered {status} instead of a redirect: {body}");
    }
    location(&resp)
}

/// `login` with `login_hint=email` (and `returnTo` when given) appended.
pub fn login_as(login: &str, email: &str, return_to: Option<&str>) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("login_hint", email);
    if let Some(r) = return_to {
        q.append_pair("returnTo", r);
    }
    format!("{login}?{}", q.finish())
}

/// Assert 200 and JSON; return the body.
pub async fn ok_json(resp: reqwest::Response) -> Value {
    let path = resp.url().path().to_string();
    let status = resp.status();
    let body = resp.text().await.expect("body");
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {body}"))
}

/// The status and body of a response.
pub async fn status_body(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

/// A `GET` with `Accept: application/json` and no credentials, from a fresh client.
pub async fn get_anonymous_json(url: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
}
