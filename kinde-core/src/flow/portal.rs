//! `/portal`: a signed-in user's one-time link into Kinde's self-serve portal.

use super::plan::RoutePlan;
use crate::account::PortalPage;
use crate::client::Kinde;
use crate::error::{KindeError, Result};
use crate::web::{Caller, PortalQuery, Reply, parse_query};

impl Kinde {
    /// Send `caller` to their Kinde portal, opened at `?subnav=` and returning to
    /// `?returnTo=` (a local path of this app) afterwards. An anonymous caller gets the
    /// error page of [`KindeError::NotSignedIn`]; adapters answer that case with their
    /// usual rejection before calling this.
    pub async fn portal(&self, query: Option<&str>, caller: &Caller) -> RoutePlan {
        match self.portal_reply(query, caller).await {
            Ok(reply) => RoutePlan::reply_only(reply),
            Err(e) => self.error_plan(&e),
        }
    }

    async fn portal_reply(&self, query: Option<&str>, caller: &Caller) -> Result<Reply> {
        let token = caller.access_token().ok_or(KindeError::NotSignedIn)?;
        let q: PortalQuery = parse_query(query)?;
        let page = q
            .subnav
            .as_deref()
            .map(str::parse::<PortalPage>)
            .transpose()?;
        let return_url = self
            .app_url(q.return_to.as_deref().unwrap_or("/"))
            .ok_or_else(|| {
                KindeError::Config("KINDE_REDIRECT_URI: needed for the portal route".into())
            })?;
        let link = self.portal_link(token, return_url.as_str(), page).await?;
        Ok(Reply::redirect(link))
    }
}
