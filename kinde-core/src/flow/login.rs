//! `/login`, `/register` and `/create-org`: start a login and keep it pending.

use super::plan::{RoutePlan, pending_write};
use crate::client::Kinde;
use crate::error::Result;
use crate::login::PendingLogins;
use crate::web::{LoginQuery, Reply, Route, parse_query};

impl Kinde {
    /// Start the login of `route` (`Login`, `Register` or `CreateOrg`; any other route
    /// starts a plain login) with the visitor's `query` (`returnTo`, `org_code`,
    /// `login_hint`, …; see the README for the list), given the session's pending logins
    /// as stored. The plan keeps the new pending login beside the others (several tabs
    /// may sign in at once) and redirects to Kinde.
    pub async fn begin_login(
        &self,
        route: Route,
        query: Option<&str>,
        stored_pending: Option<&str>,
    ) -> RoutePlan {
        self.try_begin_login(route, query, stored_pending)
            .await
            .unwrap_or_else(|e| self.error_plan(&e))
    }

    async fn try_begin_login(
        &self,
        route: Route,
        query: Option<&str>,
        stored_pending: Option<&str>,
    ) -> Result<RoutePlan> {
        let query: LoginQuery = parse_query(query)?;
        let login = self.login_url(query.into_options(route)).await?;
        let mut pending = PendingLogins::from_stored(stored_pending);
        pending.insert(login.pending, self.inner.config.login_ttl);
        Ok(RoutePlan::new(
            vec![pending_write(&pending)],
            Reply::redirect(login.url),
        ))
    }
}
