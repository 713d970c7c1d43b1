//! The built-in routes an adapter mounts, and the paths it mounts them at.

use crate::config::KindeConfig;
use crate::login::LoginKind;
use crate::session::SessionSlot;

/// One of the built-in routes. Each is served by a flow of [`crate::flow`]: the adapter
/// reads what [`reads`](Self::reads) names from the session, resolves the caller if
/// [`needs_caller`](Self::needs_caller), and calls [`Kinde::run_route`](crate::Kinde::run_route).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// `GET /login`: sign in (or register, with an `invitation_code`).
    Login,
    /// `GET /register`: sign up (`prompt=create`).
    Register,
    /// `GET /create-org`: sign up and create an organisation.
    CreateOrg,
    /// `GET /callback`: where Kinde sends the visitor back.
    Callback,
    /// `GET /logout`.
    Logout,
    /// `GET /portal`: a signed-in user's Kinde self-serve portal.
    Portal,
    /// `GET /switch-org?org_code=…`: a signed-in user moves to another of their
    /// organisations (a new authorization request with `prompt=none`).
    SwitchOrg,
}

impl Route {
    /// The session value this route takes as `stored`, if any.
    ///
    /// ```
    /// use kinde_core::SessionSlot;
    /// use kinde_core::web::Route;
    /// assert_eq!(Route::Callback.reads(), Some(SessionSlot::PendingLogins));
    /// assert_eq!(Route::Logout.reads(), Some(SessionSlot::Tokens));
    /// assert_eq!(Route::Portal.reads(), None);
    /// ```
    pub fn reads(self) -> Option<SessionSlot> {
        match self {
            Route::Login
            | Route::Register
            | Route::CreateOrg
            | Route::Callback
            | Route::SwitchOrg => Some(SessionSlot::PendingLogins),
            Route::Logout => Some(SessionSlot::Tokens),
            Route::Portal => None,
        }
    }

    /// Whether the route serves only a signed-in caller: the adapter resolves the
    /// request first and answers with its usual rejection (a login redirect, 401)
    /// when nobody is signed in.
    ///
    /// ```
    /// use kinde_core::web::Route;
    /// assert!(Route::Portal.needs_caller() && Route::SwitchOrg.needs_caller());
    /// assert!(!Route::Login.needs_caller());
    /// ```
    pub fn needs_caller(self) -> bool {
        matches!(self, Route::Portal | Route::SwitchOrg)
    }

    /// The login this route starts, whose defaults it takes (see
    /// [`LoginPolicy`](crate::LoginPolicy)); `None` for the routes that start none.
    pub fn login_kind(self) -> Option<LoginKind> {
        match self {
            Route::Login => Some(LoginKind::Login),
            Route::Register => Some(LoginKind::Register),
            Route::CreateOrg => Some(LoginKind::CreateOrg),
            Route::SwitchOrg => Some(LoginKind::SwitchOrg),
            Route::Callback | Route::Logout | Route::Portal => None,
        }
    }
}

/// The paths of the built-in routes, as seen by the browser. `None` switches a route
/// off (mount your own handler there instead).
///
/// ```
/// use kinde_core::web::{Route, RoutePaths};
/// let mut paths = RoutePaths::default().with_prefix("/auth");
/// assert_eq!(paths.login.as_deref(), Some("/auth/login"));
/// paths.portal = None;
/// assert!(paths.routes().all(|(route, _)| route != Route::Portal));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePaths {
    /// `GET /login`.
    pub login: Option<String>,
    /// `GET /register`.
    pub register: Option<String>,
    /// `GET /create-org`.
    pub create_org: Option<String>,
    /// `GET /callback` (must match the path of `KINDE_REDIRECT_URI`).
    pub callback: Option<String>,
    /// `GET /logout`.
    pub logout: Option<String>,
    /// `GET /portal`: redirects a signed-in user to their Kinde self-serve portal.
    pub portal: Option<String>,
    /// `GET /switch-org?org_code=…`: moves a signed-in user to another organisation.
    pub switch_org: Option<String>,
}

impl Default for RoutePaths {
    fn default() -> Self {
        RoutePaths {
            login: Some("/login".into()),
            register: Some("/register".into()),
            create_org: Some("/create-org".into()),
            callback: Some("/callback".into()),
            logout: Some("/logout".into()),
            portal: Some("/portal".into()),
            switch_org: Some("/switch-org".into()),
        }
    }
}

impl RoutePaths {
    /// Put every route under `prefix` (e.g. `/auth`).
    pub fn with_prefix(self, prefix: &str) -> Self {
        let prefix = prefix.trim_end_matches('/');
        let p = |o: Option<String>| o.map(|path| format!("{prefix}{path}"));
        RoutePaths {
            login: p(self.login),
            register: p(self.register),
            create_org: p(self.create_org),
            callback: p(self.callback),
            logout: p(self.logout),
            portal: p(self.portal),
            switch_org: p(self.switch_org),
        }
    }

    /// The routes that are switched on, with their paths: what an adapter mounts.
    pub fn routes(&self) -> impl Iterator<Item = (Route, &str)> {
        [
            (Route::Login, &self.login),
            (Route::Register, &self.register),
            (Route::CreateOrg, &self.create_org),
            (Route::Callback, &self.callback),
            (Route::Logout, &self.logout),
            (Route::Portal, &self.portal),
            (Route::SwitchOrg, &self.switch_org),
        ]
        .into_iter()
        .filter_map(|(route, path)| Some((route, path.as_deref()?)))
    }

    /// Log a warning when the callback route cannot be where Kinde sends visitors back
    /// (the path of `KINDE_REDIRECT_URI`). `nested`: the routes are mounted under a
    /// prefix the adapter does not know (an actix-web scope), so the redirect URI's path
    /// need only end with the callback path.
    pub fn warn_if_callback_unreachable(&self, config: &KindeConfig, nested: bool) {
        let (Some(callback), Some(uri)) = (&self.callback, config.redirect_uri()) else {
            return;
        };
        let reachable = if nested {
            uri.path().ends_with(callback.as_str())
        } else {
            uri.path() == callback
        };
        if !reachable {
            tracing::warn!(route = %callback, redirect_uri_path = uri.path(), "the callback route does not match KINDE_REDIRECT_URI");
        }
    }
}
