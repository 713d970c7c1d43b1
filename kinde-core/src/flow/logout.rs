//! `/logout`: end the session here and at Kinde.

use super::plan::RoutePlan;
use crate::client::Kinde;
use crate::session::SessionWrite;
use crate::tokens::TokenSet;
use crate::trace::{span, traced};
use crate::web::Reply;

impl Kinde {
    /// Sign out, given the session's tokens as stored: the plan clears the session (its
    /// record and cookie), then redirects to Kinde's logout, which ends the session
    /// there and sends the visitor to the post-logout URL; once the session is cleared,
    /// the refresh token is revoked in the background (best effort, `RoutePlan::revoke`).
    /// Tokens that no longer parse are still signed out of, without an ID token hint.
    pub async fn logout(&self, stored_tokens: Option<&str>) -> RoutePlan {
        let plan = async {
            let tokens = stored_tokens.and_then(|stored| TokenSet::from_json(stored).ok());
            let url = self.end_session_url(tokens.as_ref()).await;
            let mut plan = RoutePlan::new(vec![SessionWrite::Clear], Reply::redirect(url));
            plan.revoke = tokens;
            plan
        };
        traced(span!(INFO, "kinde.logout", self), plan).await
    }
}
