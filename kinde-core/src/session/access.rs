//! An adapter's session as kinde sees it ([`SessionAccess`]): values read as JSON text,
//! and the changes a flow makes ([`SessionWrite`]), applied in order.

use std::fmt;
use std::future::Future;

use super::keys::SessionSlot;
use crate::client::Kinde;
use crate::error::{KindeError, Result};

/// One change to the visitor's session, in the order a flow lists them.
#[derive(Clone, PartialEq, Eq)]
pub enum SessionWrite {
    /// Keep `value`, JSON text in kinde's session format, under the slot's key.
    Set {
        /// Which value.
        slot: SessionSlot,
        /// Its JSON text. Treat it as a secret: it holds tokens or PKCE verifiers.
        value: String,
    },
    /// Remove the slot's value.
    Remove(SessionSlot),
    /// Move the session to a new id, keeping its data: done at sign-in, so an id a
    /// visitor had before signing in (perhaps planted by someone else) is worthless.
    CycleId,
    /// End the session: all its data, its record in the store, and its cookie.
    Clear,
}

impl fmt::Debug for SessionWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionWrite::Set { slot, .. } => f
                .debug_struct("Set")
                .field("slot", slot)
                .field("value", &"[redacted]")
                .finish(),
            SessionWrite::Remove(slot) => f.debug_tuple("Remove").field(slot).finish(),
            SessionWrite::CycleId => f.write_str("CycleId"),
            SessionWrite::Clear => f.write_str("Clear"),
        }
    }
}

/// An adapter's session type as kinde uses it: read a value's JSON text, and what to do
/// for each [`SessionWrite`]. Pure translation to the framework's session API: the
/// flows decide what to read and write, and in which order. Implement it for your
/// framework's session to serve the flows of [`kinde_core::flow`](crate::flow) with it.
///
/// The futures need not be `Send` (actix-web's sessions are not); where the session
/// type's are, so are the flows'.
///
/// ```
/// use std::cell::RefCell;
/// use std::collections::HashMap;
/// use kinde_core::SessionAccess;
///
/// /// A session kept in a map, as a test double would.
/// #[derive(Default)]
/// struct MapSession(RefCell<HashMap<String, String>>);
///
/// impl SessionAccess for MapSession {
///     type Error = std::convert::Infallible;
///     async fn read(&self, key: &str) -> Result<Option<String>, Self::Error> {
///         Ok(self.0.borrow().get(key).cloned())
///     }
///     async fn set(&self, key: &str, value: String) -> Result<(), Self::Error> {
///         self.0.borrow_mut().insert(key.to_string(), value);
///         Ok(())
///     }
///     async fn remove(&self, key: &str) -> Result<(), Self::Error> {
///         self.0.borrow_mut().remove(key);
///         Ok(())
///     }
///     async fn cycle_id(&self) -> Result<(), Self::Error> {
///         Ok(()) // a map has no id
///     }
///     async fn clear(&self) -> Result<(), Self::Error> {
///         self.0.borrow_mut().clear();
///         Ok(())
///     }
/// }
/// ```
pub trait SessionAccess {
    /// The session store's error; shown to nobody, logged.
    type Error: fmt::Display;

    /// The JSON text of the value under `key`, if any. A store that keeps JSON values
    /// may give a string value's contents instead (kinde-core reads both).
    fn read(&self, key: &str) -> impl Future<Output = Result<Option<String>, Self::Error>>;

    /// Keep `value` (JSON text) under `key`. A session that stores JSON values keeps it
    /// as a JSON string; one that stores JSON text keeps the text as it is.
    fn set(&self, key: &str, value: String) -> impl Future<Output = Result<(), Self::Error>>;

    /// Remove the value under `key`.
    fn remove(&self, key: &str) -> impl Future<Output = Result<(), Self::Error>>;

    /// Give the session a new id, keeping its data.
    fn cycle_id(&self) -> impl Future<Output = Result<(), Self::Error>>;

    /// End the session: its data, its record and its cookie.
    fn clear(&self) -> impl Future<Output = Result<(), Self::Error>>;
}

/// The contents of a value kept as a JSON string, or the JSON text as it is: kinde's
/// values are JSON objects and arrays, so a string holds one as text.
fn unquoted(text: String) -> String {
    if text.starts_with('"') {
        serde_json::from_str(&text).unwrap_or(text)
    } else {
        text
    }
}

impl Kinde {
    /// Read the value of `slot` from `session`. A store that fails is
    /// [`KindeError::session_store`] (503, logged, never shown).
    pub async fn read_session(
        &self,
        slot: SessionSlot,
        session: &impl SessionAccess,
    ) -> Result<Option<String>> {
        let text = session
            .read(self.session_keys().key(slot))
            .await
            .map_err(|e| KindeError::session_store(&e))?;
        Ok(text.map(unquoted))
    }

    /// Apply `writes` to `session` in order. The first failure stops: it is
    /// [`KindeError::session_store`] (503, logged, never shown).
    pub async fn write_session(
        &self,
        writes: impl IntoIterator<Item = SessionWrite>,
        session: &impl SessionAccess,
    ) -> Result<()> {
        let keys = self.session_keys();
        for write in writes {
            let done = match write {
                SessionWrite::Set { slot, value } => session.set(keys.key(slot), value).await,
                SessionWrite::Remove(slot) => session.remove(keys.key(slot)).await,
                SessionWrite::CycleId => session.cycle_id().await,
                SessionWrite::Clear => session.clear().await,
            };
            done.map_err(|e| KindeError::session_store(&e))?;
        }
        Ok(())
    }
}
