//! Webhooks: what makes a body a webhook of this business (an RS256 JWT signed by a key
//! of its JWKS, carrying an event), typed events for every type Kinde sends, and the
//! `webhook-id`s received (memory and Redis).

use std::time::Duration;

use kinde_core::testing::{MintOptions, TestKinde, TestRedis, TestSigner};
use kinde_core::webhook::{BillingEvent, Event, WebhookOptions};
use kinde_core::{KindeError, TokenRejection};
use serde_json::json;

use crate::support::{admin, client};

fn status(err: &KindeError) -> u16 {
    err.status()
}

#[tokio::test]
async fn a_webhook_of_this_business_verifies_and_its_event_is_typed() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let data = json!({"user": {
        "id": "kp_1", "email": "ada@example.com", "first_name": "Ada", "last_name": "",
        "is_suspended": false, "is_password_reset_requested": false, "phone": null,
        "username": null,
        "organizations": [{"code": "org_1", "permissions": null, "roles": null}],
    }});
    let token = server.webhook_token("user.created", data.clone());
    let hook = kinde.verify_webhook(token.as_bytes()).await.unwrap();
    assert_eq!(hook.event_type, "user.created");
    assert!(hook.event_id.starts_with("event_"));
    assert_eq!(hook.source.as_deref(), Some("api"));
    assert!(hook.timestamp.is_some() && hook.event_timestamp.is_some());
    assert_eq!(hook.data, data);
    let Event::UserCreated(user) = &hook.event else {
        panic!("{:?}", hook.event)
    };
    assert_eq!(user.email.as_deref(), Some("ada@example.com"));
    assert_eq!(user.organizations[0].code.as_deref(), Some("org_1"));
    assert!(user.organizations[0].roles.is_empty());

    // Endpoints from before `application/jwt` saw the token as a JSON string.
    let quoted = serde_json::to_vec(&token).unwrap();
    assert_eq!(kinde.verify_webhook(&quoted).await.unwrap(), hook);
}

#[tokio::test]
async fn every_event_type_kinde_sends_is_typed_and_a_new_one_is_kept_raw() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let user = json!({"user": {"id": "kp_1"}});
    let org = json!({"organization": {"code": "org_1"}});
    let role = json!({"role": {"id": "r1", "key": "admin"}});
    let permission = json!({"permission": {"id": "p1", "key": "read:todos"}});
    let cases = [
        ("user.created", user.clone()),
        ("user.updated", user.clone()),
        ("user.deleted", user.clone()),
        ("user.authenticated", user.clone()),
        ("user.authentication_failed", user.clone()),
        ("organization.created", org.clone()),
        ("organization.updated", org.clone()),
        ("organization.deleted", org.clone()),
        ("role.created", role.clone()),
        ("role.updated", role.clone()),
        ("role.deleted", role.clone()),
        ("permission.created", permission.clone()),
        ("permission.updated", permission.clone()),
        ("permission.deleted", permission.clone()),
        (
            "subscriber.created",
            json!({"subscriber": {"id": "s1", "email": "s@x.y"}}),
        ),
        (
            "access_request.created",
            json!({"access_request": {"user_id": "kp_1"}}),
        ),
    ];
    for (event_type, data) in cases {
        let token = server.webhook_token(event_type, data);
        let hook = kinde.verify_webhook(token.as_bytes()).await.unwrap();
        assert!(
            !matches!(hook.event, Event::Unknown { .. } | Event::Billing { .. }),
            "{event_type}: {:?}",
            hook.event
        );
    }
    for billing in [
        "customer.agreement_cancelled",
        "customer.agreement_created",
        "customer.invoice_overdue",
        "customer.meter_usage_updated",
        "customer.payment_failed",
        "customer.payment_succeeded",
        "customer.plan_assigned",
        "customer.plan_changed",
        "customer.plan_created",
    ] {
        let token = server.webhook_token(billing, json!({"customer_id": "c1"}));
        let hook = kinde.verify_webhook(token.as_bytes()).await.unwrap();
        let Event::Billing { kind, data } = hook.event else {
            panic!("{billing}: {:?}", hook.event)
        };
        assert_eq!(Some(kind), BillingEvent::of(billing));
        assert_eq!(data["customer_id"], "c1");
    }
    // A type this version does not know, and a known one with data of another shape.
    let token = server.webhook_token("user.teleported", json!({"to": "mars"}));
    let hook = kinde.verify_webhook(token.as_bytes()).await.unwrap();
    assert_eq!(
        hook.event,
        Event::Unknown {
            event_type: "user.teleported".into(),
            data: json!({"to": "mars"})
        }
    );
    let token = server.webhook_token("user.created", json!({"user": "kp_1"}));
    let hook = kinde.verify_webhook(token.as_bytes()).await.unwrap();
    assert!(matches!(hook.event, Event::Unknown { .. }));
}

#[tokio::test]
async fn tokens_of_the_business_that_are_not_webhooks_are_refused() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let user = admin(&server);
    let access = server.mint_access_token(&user, MintOptions::default());
    let id = server.mint_id_token(&user, MintOptions::default());
    for token in [access, id] {
        let err = kinde.verify_webhook(token.as_bytes()).await.unwrap_err();
        assert_eq!(status(&err), 400, "{err}");
    }
    // An event without an id is not a webhook either.
    let token = server.sign_claims(&json!({"type": "user.created", "data": {}}));
    let err = kinde.verify_webhook(token.as_bytes()).await.unwrap_err();
    assert_eq!(status(&err), 400, "{err}");
}

#[tokio::test]
async fn forged_foreign_tampered_and_malformed_bodies_are_refused() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let event = json!({"type": "user.created", "event_id": "event_1", "data": {}});

    // Signed by a key the business does not publish, even under its kid.
    let forged = TestSigner::generate().sign_with_kid(&event, &server.signing_key_kid());
    let err = kinde.verify_webhook(forged.as_bytes()).await.unwrap_err();
    assert!(
        matches!(err, KindeError::InvalidToken(TokenRejection::BadSignature)),
        "{err}"
    );
    // Another business's webhook.
    let other = TestKinde::start();
    let foreign = other.webhook_token("user.created", json!({}));
    let err = kinde.verify_webhook(foreign.as_bytes()).await.unwrap_err();
    assert_eq!(status(&err), 401, "{err}");
    // A claim changed after signing.
    let token = server.webhook_token("user.created", json!({"user": {"id": "kp_1"}}));
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: serde_json::Value =
        serde_json::from_slice(&b64.decode(&parts[1]).unwrap()).unwrap();
    claims["data"]["user"]["id"] = json!("kp_admin");
    parts[1] = b64.encode(serde_json::to_vec(&claims).unwrap());
    let err = kinde
        .verify_webhook(parts.join(".").as_bytes())
        .await
        .unwrap_err();
    assert!(
        matches!(err, KindeError::InvalidToken(TokenRejection::BadSignature)),
        "{err}"
    );
    // The issuer, when the token names one, must be this business.
    let wrong_iss = server.sign_claims(&json!({
        "type": "user.created", "event_id": "event_2", "data": {}, "iss": other.issuer(),
    }));
    let err = kinde
        .verify_webhook(wrong_iss.as_bytes())
        .await
        .unwrap_err();
    assert!(
        matches!(err, KindeError::InvalidToken(TokenRejection::WrongIssuer)),
        "{err}"
    );
    // Expired, when the token says when it expires.
    let expired = server.sign_claims(&json!({
        "type": "user.created", "event_id": "event_3", "data": {}, "exp": 1_000_000_000,
    }));
    let err = kinde.verify_webhook(expired.as_bytes()).await.unwrap_err();
    assert!(
        matches!(err, KindeError::InvalidToken(TokenRejection::Expired)),
        "{err}"
    );
    // Signed by the business's real key, but requiring a header extension nobody
    // implements (RFC 7515 §4.1.11).
    let crit = server.sign_claims_with_header(
        &event,
        json!({"crit": ["exp-ext"], "exp-ext": 1})
            .as_object()
            .unwrap(),
    );
    let err = kinde.verify_webhook(crit.as_bytes()).await.unwrap_err();
    assert!(
        matches!(
            err,
            KindeError::InvalidToken(TokenRejection::UnsupportedCritical)
        ),
        "{err}"
    );
    // `alg: none`, HMAC, JSON, nothing, garbage: never a panic, a 400 or a 401.
    let none = format!(
        "{}.{}.",
        b64.encode(br#"{"alg":"none"}"#),
        b64.encode(serde_json::to_vec(&event).unwrap())
    );
    for body in [
        none.as_bytes(),
        br#"{"type":"user.created","event_id":"event_1"}"#,
        b"",
        b"\xff\xfe\x00",
        b"a.b.c",
    ] {
        let err = kinde.verify_webhook(body).await.unwrap_err();
        assert!(matches!(status(&err), 400 | 401), "{err}");
    }
}

#[tokio::test]
async fn the_body_size_is_bounded_and_an_age_limit_is_opt_in() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let big = server.webhook_token("user.created", json!({"blob": "x".repeat(300_000)}));
    let err = kinde.verify_webhook(big.as_bytes()).await.unwrap_err();
    assert_eq!(status(&err), 400, "{err}");
    let roomy = kinde.with_webhook_options(WebhookOptions::default().max_body(1 << 20));
    roomy.verify_webhook(big.as_bytes()).await.unwrap();

    // Sent two days ago (a retry can be 36 hours late): accepted unless the app limits age.
    let old = server.sign_claims(&json!({
        "type": "user.created", "event_id": "event_9", "data": {},
        "timestamp": "2020-01-01T00:00:00Z",
    }));
    kinde.verify_webhook(old.as_bytes()).await.unwrap();
    let strict =
        kinde.with_webhook_options(WebhookOptions::default().max_age(Duration::from_secs(3600)));
    let err = strict.verify_webhook(old.as_bytes()).await.unwrap_err();
    assert!(
        matches!(err, KindeError::InvalidToken(TokenRejection::Expired)),
        "{err}"
    );
    let fresh = server.webhook_token("user.created", json!({}));
    strict.verify_webhook(fresh.as_bytes()).await.unwrap();
}

/// `receive_webhook` until it answers `status` (a handled record is written by a task
/// when the handler's `ReceivedWebhook` is dropped), bounded.
async fn receive_until(kinde: &kinde_core::Kinde, token: &str, status: u16) {
    for _ in 0..200 {
        match kinde.receive_webhook(None, Some(token.as_bytes())).await {
            Err(reply) if reply.status == status => return,
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    panic!("never answered {status}");
}

#[tokio::test]
async fn an_event_is_handled_once_and_never_lost() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let token = server.webhook_token("role.created", json!({"role": {"id": "r1"}}));

    let first = kinde
        .receive_webhook(Some("msg_1"), Some(token.as_bytes()))
        .await
        .unwrap();
    assert!(matches!(first.event.event, Event::RoleCreated(_)));
    // Kinde retries while the first delivery is being handled: not yet.
    let busy = kinde
        .receive_webhook(Some("msg_1"), Some(token.as_bytes()))
        .await
        .unwrap_err();
    assert_eq!((busy.status, busy.header("retry-after")), (409, Some("30")));
    // The same signed event replayed under another webhook-id, or none, is the same event.
    let replay = kinde
        .receive_webhook(Some("msg_forged"), Some(token.as_bytes()))
        .await
        .unwrap_err();
    assert_eq!(replay.status, 409);
    // Its handling failed: the next delivery is handled.
    first.release().await.unwrap();
    drop(first);
    let second = kinde
        .receive_webhook(Some("msg_1"), Some(token.as_bytes()))
        .await
        .expect("handled again after its handling failed");
    // Handled: from now on acknowledged without calling the handler.
    drop(second);
    receive_until(&kinde, &token, 200).await;
    let done = kinde
        .receive_webhook(Some("msg_2"), Some(token.as_bytes()))
        .await
        .unwrap_err();
    assert_eq!(done.body, r#"{"status":"already received"}"#);

    // A handler that panics does not lose the event.
    let other = server.webhook_token("role.deleted", json!({"role": {"id": "r1"}}));
    let handler = {
        let kinde = kinde.clone();
        let other = other.clone();
        tokio::spawn(async move {
            let _hook = kinde
                .receive_webhook(None, Some(other.as_bytes()))
                .await
                .unwrap();
            panic!("the handler failed");
        })
    };
    assert!(handler.await.is_err());
    let mut handled_again = false;
    for _ in 0..200 {
        if kinde
            .receive_webhook(None, Some(other.as_bytes()))
            .await
            .is_ok()
        {
            handled_again = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        handled_again,
        "the event of a panicked handler is handled again"
    );

    // Unreadable bodies are 400, forged ones 401.
    assert_eq!(
        kinde
            .receive_webhook(Some("msg_3"), None)
            .await
            .unwrap_err()
            .status,
        400
    );
    let forged = TestSigner::generate().sign(&json!({"type": "user.created", "event_id": "e"}));
    let refused = kinde
        .receive_webhook(Some("msg_4"), Some(forged.as_bytes()))
        .await
        .unwrap_err();
    assert_eq!(refused.status, 401);
    assert!(!refused.body.contains("eyJ"), "{}", refused.body);
}

#[tokio::test]
async fn events_in_redis_are_shared_by_instances_and_an_outage_is_a_503() {
    let redis = TestRedis::start();
    let server = TestKinde::start();
    let connection = kinde_core::redis::connect(&redis.url()).await.unwrap();
    let ids = kinde_core::redis::RedisWebhookIds::new(connection);
    let a = client(&server).with_webhook_ids(ids.clone());
    let b = client(&server).with_webhook_ids(ids);
    let token = server.webhook_token("user.deleted", json!({"user": {"id": "kp_1"}}));

    let hook = a
        .receive_webhook(Some("msg_r"), Some(token.as_bytes()))
        .await
        .unwrap();
    let busy = b
        .receive_webhook(Some("msg_r"), Some(token.as_bytes()))
        .await
        .unwrap_err();
    assert_eq!(
        busy.status, 409,
        "the other instance knows it is being handled"
    );
    drop(hook);
    receive_until(&b, &token, 200).await;

    redis.stop();
    let other = server.webhook_token("user.created", json!({}));
    let down = b
        .receive_webhook(Some("msg_s"), Some(other.as_bytes()))
        .await
        .unwrap_err();
    assert_eq!(down.status, 503, "Kinde sends it again later");
    assert_eq!(down.header("retry-after"), Some("5"));
}
