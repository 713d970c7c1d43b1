//! [`KindeWebhook`]: a Kinde webhook received by a handler, verified and new. The body
//! is read up to the client's limit and handed to kinde-core's `receive_webhook`, which
//! verifies it and records its event; its refusals are [`WebhookRejection`]s.

use axum::extract::{FromRef, FromRequest, Request};
use axum::response::{IntoResponse, Response};

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
    /// use axum::{Router, http::StatusCode, routing::post};
    /// use kinde_axum::{KindeAuth, KindeWebhook};
    /// use kinde_core::webhook::Event;
    ///
    /// async fn webhook(hook: KindeWebhook) -> StatusCode {
    ///     match &hook.event.event {
    ///         Event::UserCreated(user) => println!("welcome {:?}", user.email),
    ///         Event::Unknown { event_type, .. } => println!("not handled: {event_type}"),
    ///         _ => {}
    ///     }
    ///     StatusCode::OK
    /// }
    ///
    /// # fn app(auth: KindeAuth) -> Router {
    /// Router::new().route("/webhooks/kinde", post(webhook)).with_state(auth)
    /// # }
    /// ```
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        crate::reply::response(self.0)
    }
}

impl<S> FromRequest<S> for KindeWebhook
where
    S: Send + Sync,
    KindeAuth: FromRef<S>,
{
    type Rejection = WebhookRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, WebhookRejection> {
        let auth = KindeAuth::from_ref(state);
        let kinde = auth.kinde();
        let webhook_id = req
            .headers()
            .get("webhook-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let limit = kinde.webhook_options().max_body_bytes();
        let body = axum::body::to_bytes(req.into_body(), limit).await.ok();
        kinde
            .receive_webhook(webhook_id.as_deref(), body.as_deref())
            .await
            .map(KindeWebhook)
            .map_err(WebhookRejection)
    }
}
