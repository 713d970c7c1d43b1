//! A flow's result: the session writes in order, and the reply.

use crate::client::Kinde;
use crate::error::KindeError;
use crate::login::PendingLogins;
use crate::session::{SessionAccess, SessionSlot, SessionWrite};
use crate::web::Reply;

/// What a route answers: apply [`writes`](Self::writes) to the session in order, then
/// send [`reply`](Self::reply). `Debug` shows no secret (see [`SessionWrite`] and
/// [`Reply`]).
#[derive(Debug)]
pub struct RoutePlan {
    /// The session writes, in the order they must be applied.
    pub writes: Vec<SessionWrite>,
    /// The answer once the writes are done.
    pub reply: Reply,
}

impl RoutePlan {
    /// A reply and no session write.
    pub(crate) fn reply_only(reply: Reply) -> Self {
        RoutePlan {
            writes: Vec::new(),
            reply,
        }
    }
}

impl Kinde {
    /// Apply `plan` to `session`: its writes in order, then its reply. A write that
    /// fails stops there and answers with the error page of an unavailable session
    /// store (503, the detail logged, never shown).
    pub async fn apply_plan(&self, plan: RoutePlan, session: &impl SessionAccess) -> Reply {
        match self.write_session(plan.writes, session).await {
            Ok(()) => plan.reply,
            Err(e) => self.route_error(&e),
        }
    }

    /// A plan that only shows the page of a failed route.
    pub(crate) fn error_plan(&self, err: &KindeError) -> RoutePlan {
        RoutePlan::reply_only(self.route_error(err))
    }
}

/// The write that keeps `pending` (or removes the record when nothing is pending: a
/// signed-in session stores only its tokens).
pub(crate) fn pending_write(pending: &PendingLogins) -> SessionWrite {
    if pending.is_empty() {
        SessionWrite::Remove(SessionSlot::PendingLogins)
    } else {
        SessionWrite::Set {
            slot: SessionSlot::PendingLogins,
            value: pending.to_json(),
        }
    }
}
