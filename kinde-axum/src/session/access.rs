//! tower-sessions' [`Session`] as kinde-core's [`SessionAccess`]: kinde's values are
//! kept as JSON strings in the session's JSON map.

use axum::http::Extensions;
use kinde_core::{KindeError, SessionAccess};
use serde_json::Value;
use tower_sessions::Session;
use tower_sessions::session::Error;

/// The request's session, as kinde reads and writes it.
pub(crate) struct KindeSession(pub(crate) Session);

/// The session the layer gave this request.
pub(crate) fn of(extensions: &Extensions) -> Result<KindeSession, KindeError> {
    extensions
        .get::<Session>()
        .cloned()
        .map(KindeSession)
        .ok_or_else(|| {
            KindeError::Config(
                "the kinde-axum session layer is missing: add `.layer(kinde.session_layer())`"
                    .into(),
            )
        })
}

impl SessionAccess for KindeSession {
    type Error = Error;

    async fn read(&self, key: &str) -> Result<Option<String>, Error> {
        Ok(self.0.get_value(key).await?.map(|value| match value {
            Value::String(text) => text,
            // Kept as a JSON object or array by an earlier version: the same JSON, as text.
            other => other.to_string(),
        }))
    }

    async fn set(&self, key: &str, value: String) -> Result<(), Error> {
        self.0
            .insert_value(key, Value::String(value))
            .await
            .map(drop)
    }

    async fn remove(&self, key: &str) -> Result<(), Error> {
        self.0.remove_value(key).await.map(drop)
    }

    async fn cycle_id(&self) -> Result<(), Error> {
        self.0.cycle_id().await
    }

    async fn clear(&self) -> Result<(), Error> {
        self.0.flush().await
    }
}
