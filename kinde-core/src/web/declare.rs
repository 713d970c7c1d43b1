//! What every web adapter declares alike, declared once: the extractors (what each
//! takes out of the signed-in [`Caller`](super::Caller)), the guards (what each
//! demands), the rejection type, the handle's settings methods and the session layer's
//! cookie setters. An adapter invokes the macros here, and only implements its
//! framework's traits for what they declare (for the extractors and guards, through a
//! macro of its own that the declaring macro calls for each type).
//!
//! The macros are exported for kinde's adapters and hidden from the docs; what they
//! declare is documented where it lands (`kinde_axum::KindeUser`, …).

/// Declares the extractor types in the invoking crate, each with `from_signed_in` (its
/// value out of a signed-in caller), and invokes `$impl!([generics] Type)` for each,
/// which implements the framework's extractor trait.
#[doc(hidden)]
#[macro_export]
macro_rules! __declare_extractors {
    ($impl:ident) => {
        $crate::__declare_extractors!(@one $impl,
            /// The signed-in user. Rejects when nobody is signed in (see the crate docs
            /// for pages that work either way). From a session, the profile comes from
            /// the ID token; from a bearer token, only what the access token carries is
            /// filled. The user is built once per verified session or token and shared:
            /// extracting it copies nothing.
            KindeUser(::std::sync::Arc<$crate::KindeUser>) deref $crate::KindeUser,
            |caller| caller.user()
        );
        $crate::__declare_extractors!(@one $impl,
            /// The permissions of the signed-in user.
            Permissions($crate::Permissions) deref $crate::Permissions,
            |caller| caller.access_claims().map($crate::Claims::permissions)
        );
        $crate::__declare_extractors!(@one $impl,
            /// The roles of the signed-in user.
            Roles($crate::Roles) deref $crate::Roles,
            |caller| caller.access_claims().map($crate::Claims::roles)
        );
        $crate::__declare_extractors!(@one $impl,
            /// The feature flags of the signed-in user.
            FeatureFlags($crate::FeatureFlags) deref $crate::FeatureFlags,
            |caller| caller.access_claims().map($crate::Claims::feature_flags)
        );
        $crate::__declare_extractors!(@one $impl,
            /// The organisation the user signed in to (`None` if the token names none).
            CurrentOrganization(::std::option::Option<$crate::Organization>)
                deref ::std::option::Option<$crate::Organization>,
            |caller| caller.access_claims().map($crate::Claims::organization)
        );
        $crate::__declare_extractors!(@one $impl,
            /// The verified claims of the request: the access token's, and the ID
            /// token's for a browser session. For anything the typed extractors do not
            /// cover.
            KindeClaims($crate::web::CallerClaims) deref $crate::web::CallerClaims,
            |caller| caller.claims()
        );
        $crate::__declare_extractors!(@one $impl,
            /// The access token of the request, to call other APIs on the user's behalf
            /// (`.secret()`). `Debug` never prints it.
            AccessToken($crate::AccessToken) deref $crate::AccessToken,
            |caller| caller.access_token().cloned()
        );
    };
    (@one $impl:ident, $(#[$doc:meta])* $name:ident($inner:ty) deref $target:ty,
        |$caller:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub $inner);

        impl ::std::ops::Deref for $name {
            type Target = $target;
            fn deref(&self) -> &$target {
                &self.0
            }
        }

        impl $name {
            /// Its value out of a signed-in caller.
            fn from_signed_in(
                $caller: &$crate::web::Caller,
            ) -> ::std::result::Result<Self, $crate::KindeError> {
                let value: ::std::option::Option<$inner> = $body;
                value.map($name).ok_or($crate::KindeError::NotSignedIn)
            }
        }

        $impl!([] $name);
    };
}

/// Declares the guard types `RequirePermission<P>` and `RequireRole<R>` in the invoking
/// crate, each with `from_signed_in` (the guard on a signed-in caller: `Ok`, or the 403
/// error), and invokes `$impl!([generics] Type)` for each, which implements the
/// framework's extractor trait.
#[doc(hidden)]
#[macro_export]
macro_rules! __declare_guards {
    ($impl:ident) => {
        $crate::__declare_guards!(@one $impl,
            /// Guard: the signed-in user must hold permission `P` (declared with
            /// [`permission!`](crate::permission)). Not signed in → the usual
            /// 401/redirect; signed in without `P` → 403, never a login loop.
            RequirePermission, PermissionKey, require_permission
        );
        $crate::__declare_guards!(@one $impl,
            /// Guard: the signed-in user must have role `R` (declared with
            /// [`role!`](crate::role)). Not signed in → the usual 401/redirect; signed in
            /// without `R` → 403, never a login loop.
            RequireRole, RoleKey, require_role
        );
    };
    (@one $impl:ident, $(#[$doc:meta])* $name:ident, $key:ident, $require:ident) => {
        $(#[$doc])*
        pub struct $name<K>(::std::marker::PhantomData<K>);

        impl<K: $crate::$key> ::std::fmt::Debug for $name<K> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}({})", stringify!($name), K::KEY)
            }
        }

        impl<K: $crate::$key> $name<K> {
            /// The guard on a signed-in caller: `Ok`, or the 403 naming what is missing.
            fn from_signed_in(
                caller: &$crate::web::Caller,
            ) -> ::std::result::Result<Self, $crate::KindeError> {
                caller
                    .$require(K::KEY)
                    .map(|()| $name(::std::marker::PhantomData))
            }
        }

        $impl!([K: $crate::$key] $name<K>);
    };
}

/// Declares `AuthRejection` in the invoking crate: kinde-core's
/// [`Rejection`](super::Rejection) (through `Deref`) with the app's renderer, if any, of
/// responses of type `$response`; and `Renderer`, the renderer's type. The adapter
/// implements its framework's response trait for it.
#[doc(hidden)]
#[macro_export]
macro_rules! __declare_rejection {
    ($response:ty) => {
        /// An app's own rendering of rejections.
        pub(crate) type Renderer =
            ::std::sync::Arc<dyn Fn(&AuthRejection) -> $response + Send + Sync>;

        /// Why an extractor or guard refused a request. Renders as a login redirect
        /// (browser, not signed in), 401 + `WWW-Authenticate` (API), 403, 400 or 503, or
        /// as the app's renderer says. Its fields (the `error`, `is_api`, the
        /// `login_redirect`) are kinde-core's `Rejection`, through `Deref`.
        pub struct AuthRejection {
            rejection: $crate::web::Rejection,
            renderer: ::std::option::Option<Renderer>,
        }

        impl ::std::fmt::Debug for AuthRejection {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct("AuthRejection")
                    .field("error", &self.rejection.error)
                    .field("is_api", &self.rejection.is_api)
                    .finish_non_exhaustive()
            }
        }

        impl ::std::ops::Deref for AuthRejection {
            type Target = $crate::web::Rejection;

            fn deref(&self) -> &$crate::web::Rejection {
                &self.rejection
            }
        }

        impl AuthRejection {
            pub(crate) fn new(
                rejection: $crate::web::Rejection,
                renderer: ::std::option::Option<Renderer>,
            ) -> Self {
                AuthRejection {
                    rejection,
                    renderer,
                }
            }

            /// The rejection, for a renderer that takes it apart.
            pub fn into_rejection(self) -> $crate::web::Rejection {
                self.rejection
            }

            /// The app's renderer, if it has one.
            fn renderer(&self) -> ::std::option::Option<&Renderer> {
                self.renderer.as_ref()
            }
        }
    };
}

/// Declares an adapter's `KindeAuth`, the handle that keeps its settings: the core
/// client, the route paths, the token source, the renderer of rejections (with
/// responses of type `$response`; `Renderer` comes from
/// [`__declare_rejection!`](crate::__declare_rejection)) and the adapter's `extras`
/// (each starting at its `Default`); with `new`, `from_env`, `with_paths`,
/// `with_token_source`, `render_rejections_with`, the getters, and `map` for the
/// adapter's own settings methods. The doc attributes given are the handle's.
#[doc(hidden)]
#[macro_export]
macro_rules! __declare_handle {
    (
        $(#[$doc:meta])*
        response: $response:ty;
        extras { $($(#[$field_doc:meta])* $field:ident: $type:ty),* $(,)? }
    ) => {
        #[derive(Clone)]
        struct Settings {
            kinde: $crate::Kinde,
            paths: $crate::web::RoutePaths,
            source: $crate::web::TokenSource,
            renderer: ::std::option::Option<Renderer>,
            $($(#[$field_doc])* $field: $type,)*
        }

        $(#[$doc])*
        #[derive(Clone)]
        pub struct KindeAuth {
            inner: ::std::sync::Arc<Settings>,
        }

        impl ::std::fmt::Debug for KindeAuth {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct("KindeAuth")
                    .field("kinde", &self.inner.kinde)
                    .field("paths", &self.inner.paths)
                    .field("source", &self.inner.source)
                    .finish_non_exhaustive()
            }
        }

        impl KindeAuth {
            /// Wrap a core client with the default paths and `TokenSource::Both`.
            pub fn new(kinde: $crate::Kinde) -> Self {
                KindeAuth {
                    inner: ::std::sync::Arc::new(Settings {
                        kinde,
                        paths: ::std::default::Default::default(),
                        source: ::std::default::Default::default(),
                        renderer: None,
                        $($field: ::std::default::Default::default(),)*
                    }),
                }
            }

            /// Read `KINDE_*` variables and wrap the client.
            pub fn from_env() -> ::std::result::Result<Self, $crate::KindeError> {
                Ok(Self::new($crate::Kinde::from_env()?))
            }

            /// A handle with `f` applied to a copy of these settings.
            fn map(self, f: impl FnOnce(&mut Settings)) -> Self {
                let mut settings = (*self.inner).clone();
                f(&mut settings);
                KindeAuth {
                    inner: ::std::sync::Arc::new(settings),
                }
            }

            /// Use other route paths (or switch routes off).
            pub fn with_paths(self, paths: $crate::web::RoutePaths) -> Self {
                self.map(|s| s.paths = paths)
            }

            /// Choose where credentials come from (default `TokenSource::Both`).
            pub fn with_token_source(self, source: $crate::web::TokenSource) -> Self {
                self.map(|s| s.source = source)
            }

            /// Render rejections yourself (login redirects, 401/403/503 answers).
            pub fn render_rejections_with(
                self,
                render: impl Fn(&AuthRejection) -> $response + Send + Sync + 'static,
            ) -> Self {
                self.map(|s| s.renderer = Some(::std::sync::Arc::new(render)))
            }

            /// The core client (for the Account API, verification outside HTTP, …).
            pub fn kinde(&self) -> &$crate::Kinde {
                &self.inner.kinde
            }

            /// The configured route paths.
            pub fn paths(&self) -> &$crate::web::RoutePaths {
                &self.inner.paths
            }

            /// Where credentials come from.
            pub fn token_source(&self) -> $crate::web::TokenSource {
                self.inner.source
            }

            /// Refuse a request with `error`, given what a rejection needs to know of it,
            /// with the login route at `login_path` as the browser sees it.
            fn reject_with(
                &self,
                error: $crate::KindeError,
                request: &$crate::web::RequestView<'_>,
                login_path: ::std::option::Option<&str>,
            ) -> AuthRejection {
                let settings = &self.inner;
                AuthRejection::new(
                    $crate::web::Rejection::new(
                        error,
                        request,
                        login_path,
                        settings.source,
                        settings.kinde.config().post_login_redirect(),
                    ),
                    settings.renderer.clone(),
                )
            }
        }
    };
}

/// The cookie setters of an adapter's session layer, inside its `impl` block. The
/// layer must have `fn cookie(self, f: impl FnOnce(SessionCookie) -> SessionCookie) ->
/// Self`.
#[doc(hidden)]
#[macro_export]
macro_rules! __session_cookie_setters {
    () => {
        /// The cookie's name (default `kinde_session`); give each app (or tenant)
        /// sharing a host its own.
        pub fn with_cookie_name(self, name: impl Into<::std::borrow::Cow<'static, str>>) -> Self {
            self.cookie(|c| c.with_name(name))
        }

        /// Whether the cookie is `Secure` (default: yes, unless the app's redirect URI
        /// is http on loopback).
        pub fn with_secure(self, secure: bool) -> Self {
            self.cookie(|c| c.with_secure(secure))
        }

        /// The cookie's `SameSite` (default `Lax`; `None` makes it `Secure` as well).
        pub fn with_same_site(self, same_site: $crate::web::SameSite) -> Self {
            self.cookie(|c| c.with_same_site(same_site))
        }

        /// The cookie's path (default `/`).
        pub fn with_path(self, path: impl Into<::std::borrow::Cow<'static, str>>) -> Self {
            self.cookie(|c| c.with_path(path))
        }

        /// The cookie's domain (default: none, so only the host that set it).
        pub fn with_domain(self, domain: impl Into<::std::borrow::Cow<'static, str>>) -> Self {
            self.cookie(|c| c.with_domain(domain))
        }

        /// How long a session lives after its last change (default 14 days): the
        /// store's expiry and the cookie's `Max-Age`.
        pub fn with_ttl(self, ttl: ::std::time::Duration) -> Self {
            self.cookie(|c| c.with_ttl(ttl))
        }
    };
}

/// Declares, in an adapter, `KindeWebhook` (a webhook received for the first time,
/// dereferencing to [`ReceivedWebhook`](crate::webhook::ReceivedWebhook)), documented by
/// the adapter's own docs, and `WebhookRejection` (kinde-core's reply when the webhook
/// does not reach the handler). The adapter implements its framework's extractor and
/// response traits for them, reading the body up to
/// [`WebhookOptions::max_body_bytes`](crate::webhook::WebhookOptions::max_body_bytes)
/// and calling [`Kinde::receive_webhook`](crate::Kinde::receive_webhook).
#[doc(hidden)]
#[macro_export]
macro_rules! __declare_webhook {
    ($(#[$doc:meta])*) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct KindeWebhook(pub $crate::webhook::ReceivedWebhook);

        impl ::std::ops::Deref for KindeWebhook {
            type Target = $crate::webhook::ReceivedWebhook;

            fn deref(&self) -> &$crate::webhook::ReceivedWebhook {
                &self.0
            }
        }

        /// Why [`KindeWebhook`] did not reach the handler, as kinde-core answers it (a
        /// `200` for a delivery already received).
        #[derive(Debug, Clone)]
        pub struct WebhookRejection(pub $crate::web::Reply);
    };
}
