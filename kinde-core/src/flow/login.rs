//! `/login`, `/register` and `/create-org`: start a login and keep it pending.

use super::plan::{RoutePlan, pending_write};
use crate::client::Kinde;
use crate::error::Result;
use crate::login::{LoginRequest, PendingLogins};
use crate::trace::{span, traced};
use crate::web::{LoginQuery, Reply, Route, parse_query};

impl Kinde {
    /// Start the login of `route` (`Login`, `Register` or `CreateOrg`; any other route
    /// starts a plain login) with the visitor's `query` (`returnTo`, `org_code`,
    /// `login_hint`, `prompt`, …: every login option, see the README for the list) laid
    /// over the route's defaults (`audience` and `scope` only where the app allows them
    /// from a visitor, see [`LoginPolicy`](crate::LoginPolicy)), given the session's
    /// pending logins as stored. The plan keeps the new pending login beside the others (several tabs
    /// may sign in at once) and redirects to Kinde.
    pub async fn begin_login(
        &self,
        route: Route,
        query: Option<&str>,
        stored_pending: Option<&str>,
    ) -> RoutePlan {
        let plan = async {
            self.try_begin_login(route, query, stored_pending)
                .await
                .unwrap_or_else(|e| self.error_plan(&e))
        };
        traced(span!(INFO, "kinde.login", self, route = ?route), plan).await
    }

    async fn try_begin_login(
        &self,
        route: Route,
        query: Option<&str>,
        stored_pending: Option<&str>,
    ) -> Result<RoutePlan> {
        let query: LoginQuery = parse_query(query)?;
        let options = query.into_options(route, &self.inner.config.login_policy)?;
        let login = self.login_url(options).await?;
        Ok(self.keep_pending(login, stored_pending))
    }

    /// The plan of a started login: keep it beside the session's other pending logins
    /// (`stored_pending`), then redirect to Kinde.
    pub(crate) fn keep_pending(
        &self,
        login: LoginRequest,
        stored_pending: Option<&str>,
    ) -> RoutePlan {
        let mut pending = PendingLogins::from_stored(stored_pending);
        pending.insert(login.pending, self.inner.config.login_ttl);
        RoutePlan::new(vec![pending_write(&pending)], Reply::redirect(login.url))
    }
}
