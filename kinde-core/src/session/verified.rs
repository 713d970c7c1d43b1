//! A session whose tokens were verified: what a request of a signed-in visitor sees.

use std::sync::{Arc, OnceLock};

use crate::claims::{Claims, FeatureFlags, KindeUser, Organization, Permissions, Roles};
use crate::tokens::TokenSet;

/// A session whose tokens were verified (and refreshed if they were about to expire).
///
/// If [`refreshed`](Self::refreshed) is true, the adapter must write
/// [`tokens`](Self::tokens) back to the session store: Kinde rotated the refresh token.
#[derive(Debug, Clone)]
pub struct VerifiedSession {
    /// The current tokens.
    pub tokens: TokenSet,
    /// Verified access-token claims.
    pub access: Claims,
    /// Verified ID-token claims (absent if Kinde issued no ID token).
    pub id: Option<Claims>,
    /// Whether the tokens were refreshed while verifying.
    pub refreshed: bool,
    /// The user, built on first use: a cached session serves many requests.
    user: OnceLock<Option<Arc<KindeUser>>>,
}

impl VerifiedSession {
    pub(crate) fn new(tokens: TokenSet, access: Claims, id: Option<Claims>) -> Self {
        VerifiedSession {
            tokens,
            access,
            id,
            refreshed: false,
            user: OnceLock::new(),
        }
    }

    /// The signed-in user, built once per verified session and shared (a cached session
    /// serves many requests; handing out a clone of the `Arc` copies nothing).
    pub fn user(&self) -> Option<Arc<KindeUser>> {
        self.user
            .get_or_init(|| KindeUser::from_claims(&self.access, self.id.as_ref()).map(Arc::new))
            .clone()
    }

    /// Permissions from the access token.
    pub fn permissions(&self) -> Permissions {
        self.access.permissions()
    }

    /// Roles from the access token.
    pub fn roles(&self) -> Roles {
        self.access.roles()
    }

    /// The current organisation.
    pub fn organization(&self) -> Option<Organization> {
        self.access.organization()
    }

    /// Feature flags from the access token.
    pub fn feature_flags(&self) -> FeatureFlags {
        self.access.feature_flags()
    }
}
