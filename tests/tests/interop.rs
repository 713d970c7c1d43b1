//! The sign-in flow of `axum-app` and `actix-app` against an independent OpenID
//! provider (panva/oidc-provider). Run through `scripts/interop.sh`:
//!
//! ```sh
//! bash scripts/interop.sh 'cargo test -p kinde-e2e --test interop -- --ignored'
//! ```

use kinde_e2e::interop::sign_in_against_oidc_provider;
use kinde_e2e::starters::{actix_start, axum_start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the oidc-provider of scripts/interop.sh"]
async fn axum_app_signs_in_against_oidc_provider() {
    sign_in_against_oidc_provider(axum_start).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the oidc-provider of scripts/interop.sh"]
async fn actix_app_signs_in_against_oidc_provider() {
    sign_in_against_oidc_provider(actix_start).await;
}
