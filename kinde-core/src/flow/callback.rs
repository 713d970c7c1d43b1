//! `/callback`: finish a login, in the order that keeps it safe.

use super::plan::{RoutePlan, pending_write};
use crate::client::Kinde;
use crate::error::{CallbackError, KindeError};
use crate::login::{CallbackOutcome, CallbackParams, PendingLogins};
use crate::session::{SessionSlot, SessionWrite};
use crate::trace::{span, traced};
use crate::web::{Reply, location_value, parse_query};

impl Kinde {
    /// Finish a login: Kinde's callback `query` (`code`, `state`, or `error`), given the
    /// session's pending logins as stored.
    ///
    /// The plan, in order: keep the pending logins without the one this callback used
    /// (or that expired), whatever happens next, so a `state` is never accepted twice;
    /// then, signed in, move the session to a new id (session fixation) and store the
    /// tokens, and redirect to the login's `returnTo` (or the post-login URL). When
    /// Kinde asks to start over (`login_link_expired`), the restarted login is kept
    /// instead and the visitor goes back to Kinde. A failure (a bad or replayed state,
    /// `error=access_denied`, a refused code, tokens that fail verification, Kinde
    /// unreachable) is an error page, and no session is established.
    pub async fn finish_callback(
        &self,
        query: Option<&str>,
        stored_pending: Option<&str>,
    ) -> RoutePlan {
        let plan = self.callback_plan(query, stored_pending);
        traced(span!(INFO, "kinde.callback", self), plan).await
    }

    async fn callback_plan(&self, query: Option<&str>, stored_pending: Option<&str>) -> RoutePlan {
        let params: CallbackParams = match parse_query(query) {
            Ok(params) => params,
            Err(e) => return self.error_plan(&e),
        };
        let mut pending = PendingLogins::from_stored(stored_pending);
        let outcome = self.complete_login(&params, &mut pending).await;
        if stored_pending.is_none()
            && matches!(
                &outcome,
                Err(KindeError::Callback(CallbackError::UnknownState))
            )
        {
            tracing::warn!(
                "a sign-in came back to a session with no login in progress: is the session \
                 kept between requests (the session middleware in place, its cookie sent back)?"
            );
        }
        match outcome {
            Ok(CallbackOutcome::SignedIn { session, return_to }) => RoutePlan::new(
                vec![
                    pending_write(&pending),
                    SessionWrite::CycleId,
                    SessionWrite::Set {
                        slot: SessionSlot::Tokens,
                        value: session.tokens.to_json(),
                    },
                ],
                Reply::redirect(location_value(&return_to)),
            ),
            Ok(CallbackOutcome::Restart(login)) => {
                pending.insert(login.pending, self.inner.config.login_ttl);
                RoutePlan::new(vec![pending_write(&pending)], Reply::redirect(login.url))
            }
            Err(e) => RoutePlan::new(vec![pending_write(&pending)], self.route_error(&e)),
        }
    }
}
