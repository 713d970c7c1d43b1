//! [`KindeWebhook`]: a Kinde webhook received by a handler, verified and new. The body
//! is read up to the client's limit and handed to kinde-core's `receive_webhook`, which
//! verifies it and records its event; its refusals are [`WebhookRejection`]s.

use std::fmt;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use kinde_core::web::Reply;

use crate::auth::KindeAuth;

kinde_core::__declare_webhook! {
    /// A webhook from Kinde, verified (signed by a key of your business's JWKS, carrying an
    /// event) and received for the first time. Dereferences to
    /// [`ReceivedWebhook`](kinde_core::webhook::ReceivedWebhook): `event` is the typed
    /// event, `release()` forgets it when handling failed so Kinde's retry is handled.
    ///
    /// A body that is not a webhook is a `400`, a forged or foreign one `401`, a
    /// delivery of an event already handled a `200` without calling the handler, one
    /// that arrives while the event is being handled a `409`, and an unreachable JWKS or
    /// event store a `503` (Kinde sends it again). Answer `200` once the event is
    /// handled; when handling fails, `release()` it and answer an error.
    ///
    /// ```no_run
    /// use actix_web::{HttpResponse, post};
    /// use kinde_actix::KindeWebhook;
    /// use kinde_core::webhook::Event;
    ///
    /// #[post("/webhooks/kinde")]
    /// async fn webhook(hook: KindeWebhook) -> HttpResponse {
    ///     if let Event::UserCreated(user) = &hook.event.event {
    ///         println!("welcome {:?}", user.email);
    ///     }
    ///     HttpResponse::Ok().finish()
    /// }
    /// ```
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kinde webhook not handled ({})", self.0.status)
    }
}

impl ResponseError for WebhookRejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        crate::reply::response(self.0.clone())
    }
}

impl FromRequest for KindeWebhook {
    type Error = WebhookRejection;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let auth = KindeAuth::of(&req)
                .map_err(|e| WebhookRejection(Reply::for_error(&e, true, None, "/")))?;
            let kinde = auth.kinde();
            let limit = kinde.webhook_options().max_body_bytes();
            // The body up to the limit; `None` past it or when the stream fails.
            let mut body = Some(BytesMut::new());
            while let Some(chunk) = payload.next().await {
                match (chunk, body.as_mut()) {
                    (Ok(chunk), Some(read)) if read.len() + chunk.len() <= limit => {
                        read.extend_from_slice(&chunk)
                    }
                    _ => {
                        body = None;
                        break;
                    }
                }
            }
            let webhook_id = req
                .headers()
                .get("webhook-id")
                .and_then(|v| v.to_str().ok());
            kinde
                .receive_webhook(webhook_id, body.as_deref())
                .await
                .map(KindeWebhook)
                .map_err(WebhookRejection)
        })
    }
}
