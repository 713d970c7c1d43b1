//! `/switch-org`: a signed-in user moves to another of their organisations.

use super::plan::RoutePlan;
use crate::client::Kinde;
use crate::error::{KindeError, Result};
use crate::web::{Caller, SwitchOrgQuery, parse_query};

impl Kinde {
    /// Move `caller` to the organisation `?org_code=` names, landing on `?returnTo=` (a
    /// local path of this app) afterwards: a new authorization request with
    /// `prompt=none` and that `org_code` ([`switch_org_url`](Self::switch_org_url)),
    /// kept pending like any login, so the callback stores tokens for that
    /// organisation. Kinde decides whether the user belongs to it (the token's list of
    /// organisations may predate a new membership); Kinde's answer for one they do not
    /// belong to comes back to the callback.
    ///
    /// A missing or malformed `org_code` is a 400. An anonymous caller gets the error
    /// page of [`KindeError::NotSignedIn`]; adapters answer that case with their usual
    /// rejection (a login redirect, 401) before calling this.
    pub async fn switch_org(
        &self,
        query: Option<&str>,
        caller: &Caller,
        stored_pending: Option<&str>,
    ) -> RoutePlan {
        self.try_switch_org(query, caller, stored_pending)
            .await
            .unwrap_or_else(|e| self.error_plan(&e))
    }

    async fn try_switch_org(
        &self,
        query: Option<&str>,
        caller: &Caller,
        stored_pending: Option<&str>,
    ) -> Result<RoutePlan> {
        if !caller.is_signed_in() {
            return Err(KindeError::NotSignedIn);
        }
        let q: SwitchOrgQuery = parse_query(query)?;
        let (org_code, options) = q.into_switch(&self.inner.config.login_policy)?;
        let login = self.switch_org_url(&org_code, options).await?;
        Ok(self.keep_pending(login, stored_pending))
    }
}
