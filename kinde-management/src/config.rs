//! The configuration of a Management API client from the environment, with the variable
//! names Kinde's other SDKs use for an M2M application beside the one that signs users in.

use kinde_core::{KindeConfig, KindeError};

/// A `KindeConfig` for the Management API, read from the environment: `KINDE_DOMAIN`
/// (or `KINDE_HOST`, `KINDE_ISSUER_URL`) and the M2M application's credentials,
/// `KINDE_MANAGEMENT_CLIENT_ID` and `KINDE_MANAGEMENT_CLIENT_SECRET` (the names Kinde's
/// Python SDK and `@kinde/management-api-js` read), falling back to `KINDE_CLIENT_ID` and
/// `KINDE_CLIENT_SECRET` when those are not set. An app that signs users in with one
/// application and calls the Management API with another sets both pairs.
///
/// [`Client::from_env`](crate::Client::from_env) makes the client from it.
pub fn config_from_env() -> Result<KindeConfig, KindeError> {
    config_from_lookup(|name| std::env::var(name).ok())
}

/// Like [`config_from_env`], reading variables through `lookup`.
///
/// ```
/// let vars = [
///     ("KINDE_DOMAIN", "https://myapp.kinde.com"),
///     ("KINDE_CLIENT_ID", "web-app"),
///     ("KINDE_CLIENT_SECRET", "web-secret"),
///     ("KINDE_MANAGEMENT_CLIENT_ID", "m2m-app"),
///     ("KINDE_MANAGEMENT_CLIENT_SECRET", "m2m-secret"),
/// ];
/// let config = kinde_management::config_from_lookup(|name| {
///     vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
/// })?;
/// assert_eq!(config.client_id(), "m2m-app");
/// # Ok::<(), kinde_core::KindeError>(())
/// ```
pub fn config_from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<KindeConfig, KindeError> {
    let set = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    KindeConfig::from_lookup(|name| match name {
        "KINDE_CLIENT_ID" => set("KINDE_MANAGEMENT_CLIENT_ID").or_else(|| lookup(name)),
        "KINDE_CLIENT_SECRET" => set("KINDE_MANAGEMENT_CLIENT_SECRET").or_else(|| lookup(name)),
        _ => lookup(name),
    })
}
