//! Who made a request, as resolved once per request.

use std::fmt;
use std::sync::Arc;

use crate::claims::{Claims, KindeUser};
use crate::error::KindeError;
use crate::session::VerifiedSession;
use crate::tokens::AccessToken;

/// Where an adapter takes credentials from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenSource {
    /// Browser sessions only; `Authorization` headers are ignored.
    Session,
    /// `Authorization: Bearer` only (APIs); no session needed. Rejections are always
    /// API-style (401 + JSON), never a login redirect: a login could not satisfy it.
    Bearer,
    /// A bearer token when the request has one, else the session (default).
    #[default]
    Both,
}

/// Who made a request, as resolved once per request by
/// [`Kinde::resolve_request`](crate::Kinde::resolve_request) (and, for a browser, the
/// session). `Debug` never prints a token.
#[derive(Clone)]
pub enum Caller {
    /// Nobody is signed in.
    Anonymous,
    /// A browser session with verified (possibly refreshed) tokens.
    Session(Arc<VerifiedSession>),
    /// A verified bearer token.
    Bearer {
        /// The token the request presented.
        token: AccessToken,
        /// Its verified claims.
        claims: Claims,
    },
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Caller::Anonymous => f.write_str("Anonymous"),
            Caller::Session(s) => f.debug_tuple("Session").field(s).finish(),
            Caller::Bearer { token, claims } => f
                .debug_struct("Bearer")
                .field("token", token)
                .field("claims", claims)
                .finish(),
        }
    }
}

/// The verified claims of a caller: the access token's, and the ID token's for a
/// browser session.
#[derive(Debug, Clone)]
pub struct CallerClaims {
    /// Access-token claims.
    pub access: Claims,
    /// ID-token claims (browser sessions only).
    pub id: Option<Claims>,
}

impl Caller {
    /// Whether somebody is signed in.
    pub fn is_signed_in(&self) -> bool {
        !matches!(self, Caller::Anonymous)
    }

    /// The verified access-token claims, unless anonymous.
    pub fn access_claims(&self) -> Option<&Claims> {
        match self {
            Caller::Anonymous => None,
            Caller::Session(s) => Some(&s.access),
            Caller::Bearer { claims, .. } => Some(claims),
        }
    }

    /// The verified ID-token claims (browser sessions only).
    pub fn id_claims(&self) -> Option<&Claims> {
        match self {
            Caller::Session(s) => s.id.as_ref(),
            _ => None,
        }
    }

    /// Both verified claims, unless anonymous.
    pub fn claims(&self) -> Option<CallerClaims> {
        Some(CallerClaims {
            access: self.access_claims()?.clone(),
            id: self.id_claims().cloned(),
        })
    }

    /// The signed-in user (profile from the ID token for sessions; from the access
    /// token for bearer requests). Built once per verified session and per verified
    /// token, and shared: every request of that session or token gets the same `Arc`.
    pub fn user(&self) -> Option<Arc<KindeUser>> {
        match self {
            Caller::Anonymous => None,
            Caller::Session(s) => s.user(),
            Caller::Bearer { claims, .. } => claims.user_alone(),
        }
    }

    /// The access token, unless anonymous.
    pub fn access_token(&self) -> Option<&AccessToken> {
        match self {
            Caller::Anonymous => None,
            Caller::Session(s) => Some(s.tokens.access_token()),
            Caller::Bearer { token, .. } => Some(token),
        }
    }

    /// Whether the signed-in user holds `permission`.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.access_claims()
            .is_some_and(|c| c.permissions().is_granted(permission))
    }

    /// Whether the signed-in user has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.access_claims().is_some_and(|c| c.roles().has(role))
    }

    /// `Ok` if the signed-in user holds `permission`, else [`KindeError::Forbidden`]
    /// naming it (a guard's 403).
    pub fn require_permission(&self, permission: &str) -> Result<(), KindeError> {
        if self.has_permission(permission) {
            Ok(())
        } else {
            Err(KindeError::Forbidden(format!(
                "missing permission {permission}"
            )))
        }
    }

    /// `Ok` if the signed-in user has `role`, else [`KindeError::Forbidden`] naming it.
    pub fn require_role(&self, role: &str) -> Result<(), KindeError> {
        if self.has_role(role) {
            Ok(())
        } else {
            Err(KindeError::Forbidden(format!("missing role {role}")))
        }
    }

    /// `Ok(self)` when somebody is signed in, else [`KindeError::NotSignedIn`]: what an
    /// extractor that needs a user answers for an anonymous request.
    pub fn signed_in(self) -> Result<Caller, KindeError> {
        if self.is_signed_in() {
            Ok(self)
        } else {
            Err(KindeError::NotSignedIn)
        }
    }
}
