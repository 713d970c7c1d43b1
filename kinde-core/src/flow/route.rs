//! One entry point for every built-in route.

use super::plan::RoutePlan;
use crate::client::Kinde;
use crate::error::KindeError;
use crate::web::{Caller, Route};

/// What the adapter read for a route. `Debug` shows what is there, never the values
/// (a callback's query holds its code; the stored value, tokens or PKCE verifiers).
pub struct RouteInput<'a> {
    /// The raw query string.
    pub query: Option<&'a str>,
    /// The session value [`Route::reads`] names, as stored (`Ok(None)`: absent; an
    /// error: the store failed, see [`KindeError::session_store`]).
    pub stored: Result<Option<String>, KindeError>,
    /// The resolved caller, for a route that [needs one](Route::needs_caller).
    pub caller: Option<&'a Caller>,
}

impl std::fmt::Debug for RouteInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let stored = match &self.stored {
            Ok(Some(_)) => "Ok(Some([redacted]))",
            Ok(None) => "Ok(None)",
            Err(_) => "Err(session store)",
        };
        f.debug_struct("RouteInput")
            .field("query", &self.query.map(|_| "[redacted]"))
            .field("stored", &stored)
            .field("caller", &self.caller)
            .finish()
    }
}

impl Kinde {
    /// The plan of `route` for `input`: [`begin_login`](Self::begin_login),
    /// [`finish_callback`](Self::finish_callback), [`logout`](Self::logout),
    /// [`portal`](Self::portal) or [`switch_org`](Self::switch_org). A session store that failed to read is the error page
    /// (503), except on `/logout`, which goes on without the stored tokens (clearing
    /// the session then fails the same way, or succeeds).
    pub async fn run_route(&self, route: Route, input: RouteInput<'_>) -> RoutePlan {
        let stored = match input.stored {
            Ok(stored) => stored,
            Err(_) if route == Route::Logout => None,
            Err(e) => return self.error_plan(&e),
        };
        let stored = stored.as_deref();
        match route {
            Route::Login | Route::Register | Route::CreateOrg => {
                self.begin_login(route, input.query, stored).await
            }
            Route::Callback => self.finish_callback(input.query, stored).await,
            Route::Logout => self.logout(stored).await,
            Route::Portal => match input.caller {
                Some(caller) => self.portal(input.query, caller).await,
                None => self.error_plan(&KindeError::NotSignedIn),
            },
            Route::SwitchOrg => match input.caller {
                Some(caller) => self.switch_org(input.query, caller, stored).await,
                None => self.error_plan(&KindeError::NotSignedIn),
            },
        }
    }
}
