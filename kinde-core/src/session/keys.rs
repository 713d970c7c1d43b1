//! Where in a session an adapter keeps one client's data.

/// The two values kinde keeps in a visitor's session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionSlot {
    /// The signed-in visitor's tokens, in the session format
    /// ([`TokenSet::to_json`](crate::TokenSet::to_json)).
    Tokens,
    /// The logins waiting for their callbacks ([`PendingLogins`](crate::PendingLogins)).
    PendingLogins,
}

/// The session keys under which an adapter stores one client's data: the visitor's
/// [`TokenSet`](crate::TokenSet) and their [`PendingLogins`](crate::PendingLogins).
/// Namespaced by issuer and client id, so two tenants sharing one session never
/// overwrite each other.
///
/// ```
/// use kinde_core::{Kinde, KindeConfig, SessionSlot};
/// let kinde = Kinde::new(KindeConfig::builder().domain("a.kinde.com").client_id("app").build()?)?;
/// assert_eq!(kinde.session_keys().tokens, "kinde.tokens:app@https://a.kinde.com");
/// assert_eq!(kinde.session_keys().key(SessionSlot::Tokens), kinde.session_keys().tokens);
/// # Ok::<(), kinde_core::KindeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionKeys {
    /// Where the [`TokenSet`](crate::TokenSet) goes.
    pub tokens: String,
    /// Where the pending logins go.
    pub pending: String,
}

impl SessionKeys {
    pub(crate) fn for_client(issuer: &str, client_id: &str) -> Self {
        SessionKeys {
            tokens: format!("kinde.tokens:{client_id}@{issuer}"),
            pending: format!("kinde.pending:{client_id}@{issuer}"),
        }
    }

    /// The key of `slot`.
    pub fn key(&self, slot: SessionSlot) -> &str {
        match slot {
            SessionSlot::Tokens => &self.tokens,
            SessionSlot::PendingLogins => &self.pending,
        }
    }
}
