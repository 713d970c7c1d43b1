//! The flows driven end to end through an adapter's [`SessionAccess`]: what an adapter
//! calls so that it only translates (its session type, its request, its response).

use crate::client::Kinde;
use crate::error::{KindeError, Result};
use crate::session::{SessionAccess, SessionSlot};
use crate::web::{Caller, Reply, Route};

use super::route::RouteInput;

impl Kinde {
    /// Serve `route` end to end: read what it [reads](Route::reads) from `session`, run
    /// its flow ([`run_route`](Self::run_route)), apply the plan's writes in order and
    /// give the reply. `caller` is the resolved caller of a route that
    /// [needs one](Route::needs_caller) (the adapter answers an anonymous request with
    /// its usual rejection first). `session` is the request's session, or why there is
    /// none (the adapter's session layer is missing): an error page for the routes that
    /// use the session; `/portal` does without.
    pub async fn serve_route(
        &self,
        route: Route,
        query: Option<&str>,
        caller: Option<&Caller>,
        session: Result<&impl SessionAccess>,
    ) -> Reply {
        let session = match (session, route.reads()) {
            (Ok(session), _) => Some(session),
            (Err(_), None) => None,
            (Err(e), Some(_)) => return self.route_error(&e),
        };
        let stored = match (route.reads(), session) {
            (Some(slot), Some(session)) => self.read_session(slot, session).await,
            _ => Ok(None),
        };
        let plan = self
            .run_route(
                route,
                RouteInput {
                    query,
                    stored,
                    caller,
                },
            )
            .await;
        match session {
            Some(session) => self.apply_plan(plan, session).await,
            // A route that reads nothing from the session writes nothing to it either.
            None => plan.reply,
        }
    }

    /// The second step of resolving a request ([`resolve_request`](Self::resolve_request)
    /// answered [`NeedsSession`](super::Resolution::NeedsSession)): the session's stored
    /// tokens resumed ([`resume_session`](Self::resume_session)), the rotated tokens of
    /// a refresh written back or ended ones removed, and the caller. Kinde or the store
    /// being unreachable is an error (503), never "signed out".
    pub async fn caller_from_session(&self, session: &impl SessionAccess) -> Result<Caller> {
        let stored = self.read_session(SessionSlot::Tokens, session).await?;
        let state = self.resume_session(stored.as_deref()).await?;
        self.write_session(state.write(), session).await?;
        Ok(state.into_caller())
    }

    /// The error page of a built-in route (see [`Reply::route_error`]), linking to the
    /// post-login URL.
    pub fn route_error(&self, err: &KindeError) -> Reply {
        Reply::route_error(err, self.inner.config.post_login_redirect())
    }
}
