//! Kinde webhooks through both adapters over real HTTP, sent by the local Kinde server
//! as Kinde sends them (a signed JWT, `Content-Type: application/jwt`, a `webhook-id`
//! that stays the same across attempts, attempts again after a non-2xx):
//!
//! - the example apps' `POST /webhooks/kinde`: an event is answered `200` with what was
//!   received; the same delivery again is acknowledged `200` without being handled; a
//!   forged, foreign, tampered or non-webhook body is a `400`/`401`, never a `500`;
//! - a handler that fails the first time (and releases the event) sees Kinde's retry,
//!   handles it, and is never called again for it; of deliveries that arrive while an
//!   event is being handled, none is handled and each is told to come back (409).

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use kinde_core::Kinde;
use kinde_core::testing::{MintOptions, TestKinde};
use kinde_e2e::{App, AppKind, RunningApp, StartApp, app_config, starters};
use serde_json::{Value, json};

const ROUTE: &str = "/webhooks/kinde";

async fn example_app_receives_webhooks(start: StartApp) {
    let tk = TestKinde::start();
    let app = App::start(start, AppKind::Browser, |port| {
        app_config(&tk, port).build().unwrap()
    });
    let url = app.url(ROUTE);
    let sender = tk.webhooks();

    let delivery = sender
        .send(
            &url,
            "user.created",
            json!({"user": {"id": "kp_new", "email": "new@example.com"}}),
        )
        .await;
    assert_eq!(
        delivery.attempts,
        [Some(200)],
        "handled at the first attempt"
    );
    let http = reqwest::Client::new();
    let answer: Value = http
        .post(&url)
        .header("content-type", "application/jwt")
        .header("webhook-id", "msg_fresh")
        .body(tk.webhook_token(
            "organization.created",
            json!({"organization": {"code": "org_x"}}),
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["received"], "organization.created");
    assert_eq!(answer["subject"], "org_x");

    // Kinde sends it again (it saw no 2xx): acknowledged, not handled again.
    let again = http
        .post(&url)
        .header("content-type", "application/jwt")
        .header("webhook-id", &delivery.webhook_id)
        .body(delivery.token.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(
        again.text().await.unwrap(),
        r#"{"status":"already received"}"#
    );

    // What is not a webhook of this business never reaches the handler.
    let other = TestKinde::start();
    let user = &tk.users()[0];
    let forged = other.webhook_token("user.created", json!({}));
    let access = tk.mint_access_token(user, MintOptions::default());
    let mut tampered: Vec<&str> = delivery.token.split('.').collect();
    tampered[1] = "eyJ0eXBlIjoidXNlci5kZWxldGVkIiwiZXZlbnRfaWQiOiJldmVudF94In0";
    let tampered = tampered.join(".");
    let cases: [(&str, String, u16); 6] = [
        ("another business's webhook", forged, 401),
        ("a tampered webhook", tampered, 401),
        ("an access token", access, 400),
        (
            "JSON",
            r#"{"type":"user.created","event_id":"e"}"#.into(),
            400,
        ),
        ("nothing", String::new(), 400),
        ("a body over the limit", "a".repeat(300 * 1024), 400),
    ];
    for (what, body, status) in cases {
        let got = sender
            .post_once(
                &url,
                &format!("msg_{status}_{}", body.len()),
                "application/jwt",
                body,
            )
            .await;
        assert_eq!(got, Some(status), "{what}");
    }
    // The body as a JSON string, as endpoints saw it before `application/jwt`.
    let quoted = serde_json::to_string(&tk.webhook_token("role.created", json!({}))).unwrap();
    assert_eq!(
        sender
            .post_once(&url, "msg_json", "application/json", quoted)
            .await,
        Some(200)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_example_app_receives_webhooks() {
    example_app_receives_webhooks(starters::axum::start).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_example_app_receives_webhooks() {
    example_app_receives_webhooks(starters::actix::start).await;
}

/// How often the test app's handler ran, and how often it fails before it succeeds.
#[derive(Clone, Default)]
struct Handled {
    calls: Arc<AtomicUsize>,
    fail_first: Arc<AtomicUsize>,
}

impl Handled {
    /// One call: `true` if it succeeds.
    fn call(&self) -> bool {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.fail_first
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_err()
    }
}

fn axum_app(kinde: Kinde, handled: Handled, listener: TcpListener) -> RunningApp {
    use axum::http::StatusCode;
    use kinde_axum::{KindeAuth, KindeWebhook};
    let router = axum::Router::new()
        .route(
            ROUTE,
            axum::routing::post(move |hook: KindeWebhook| async move {
                // Slow enough that concurrent deliveries overlap.
                tokio::time::sleep(Duration::from_millis(50)).await;
                if handled.call() {
                    StatusCode::OK
                } else {
                    hook.release().await.unwrap();
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            }),
        )
        .with_state(KindeAuth::new(kinde));
    starters::axum::serve(listener, router)
}

fn actix_app(kinde: Kinde, handled: Handled, listener: TcpListener) -> RunningApp {
    use actix_web::{App, HttpResponse, HttpServer, web};
    use kinde_actix::{KindeAuth, KindeWebhook};
    let auth = KindeAuth::new(kinde);
    starters::actix::run(listener, move |listener| {
        Ok(HttpServer::new(move || {
            let handled = handled.clone();
            App::new().configure(auth.configure()).route(
                ROUTE,
                web::post().to(move |hook: KindeWebhook| {
                    let handled = handled.clone();
                    async move {
                        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
                        if handled.call() {
                            HttpResponse::Ok().finish()
                        } else {
                            hook.release().await.unwrap();
                            HttpResponse::InternalServerError().finish()
                        }
                    }
                }),
            )
        })
        .workers(2)
        .listen(listener)?
        .run())
    })
}

type StartHandler = fn(Kinde, Handled, TcpListener) -> RunningApp;

async fn a_failed_event_is_retried_and_each_is_handled_once(start: StartHandler) {
    let tk = TestKinde::start();
    let handled = Handled::default();
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let kinde = Kinde::new(app_config(&tk, port).build().unwrap()).unwrap();
    let app = App::running_on(port, start(kinde, handled.clone(), listener));
    let url = app.url(ROUTE);

    // The handler fails once: Kinde's next attempt is handled.
    handled.fail_first.store(1, Ordering::SeqCst);
    let delivery = tk
        .webhooks()
        .send(&url, "user.updated", json!({"user": {"id": "kp_1"}}))
        .await;
    assert_eq!(delivery.attempts, [Some(500), Some(200)]);
    assert_eq!(handled.calls.load(Ordering::SeqCst), 2);
    // Once handled, never again.
    let again = tk.webhooks().resend(&url, &delivery).await;
    assert_eq!(again.attempts, [Some(200)]);
    assert_eq!(handled.calls.load(Ordering::SeqCst), 2);

    // Ten deliveries of one new event at once: one is handled; the others, arriving
    // while it is, are told to come back later (409), and once it is handled a delivery
    // is acknowledged without calling the handler.
    let token = tk.webhook_token("user.deleted", json!({"user": {"id": "kp_2"}}));
    let sender = tk.webhooks();
    let answers = futures::future::join_all(
        (0..10).map(|_| sender.post_once(&url, "msg_at_once", "application/jwt", token.clone())),
    )
    .await;
    assert_eq!(
        answers.iter().filter(|a| **a == Some(200)).count(),
        1,
        "{answers:?}"
    );
    assert!(
        answers.iter().all(|a| matches!(a, Some(200 | 409))),
        "{answers:?}"
    );
    assert_eq!(handled.calls.load(Ordering::SeqCst), 3);
    let mut later = None;
    for _ in 0..100 {
        later = sender
            .post_once(&url, "msg_at_once", "application/jwt", token.clone())
            .await;
        if later == Some(200) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(later, Some(200));
    assert_eq!(
        handled.calls.load(Ordering::SeqCst),
        3,
        "never handled twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_handler_sees_a_retry_once() {
    a_failed_event_is_retried_and_each_is_handled_once(axum_app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_handler_sees_a_retry_once() {
    a_failed_event_is_retried_and_each_is_handled_once(actix_app).await;
}
