//! A flow's result: the session writes in order, and the reply.

use crate::client::Kinde;
use crate::error::KindeError;
use crate::login::PendingLogins;
use crate::session::{SessionAccess, SessionSlot, SessionWrite};
use crate::tokens::TokenSet;
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
    /// Tokens whose refresh token is revoked at Kinde once the writes are done (a
    /// logout's): in the background, best effort, never before the session is cleared.
    pub revoke: Option<TokenSet>,
}

impl RoutePlan {
    /// `writes`, then `reply`.
    pub(crate) fn new(writes: Vec<SessionWrite>, reply: Reply) -> Self {
        RoutePlan {
            writes,
            reply,
            revoke: None,
        }
    }

    /// A reply and no session write.
    pub(crate) fn reply_only(reply: Reply) -> Self {
        Self::new(Vec::new(), reply)
    }
}

impl Kinde {
    /// Apply `plan` to `session`: its writes in order, then its reply (and, for a
    /// logout, the revocation of the refresh token). A write that fails stops there and
    /// answers with the error page of an unavailable session store (503, the detail
    /// logged, never shown).
    pub async fn apply_plan(&self, plan: RoutePlan, session: &impl SessionAccess) -> Reply {
        match self.write_session(plan.writes, session).await {
            Ok(()) => {
                if let Some(tokens) = &plan.revoke {
                    self.revoke_in_background(tokens);
                }
                plan.reply
            }
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
