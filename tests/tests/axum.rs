//! The end-to-end scenario table against the axum adapter: `axum-app`, `axum-api` and
//! the test apps of `kinde_e2e::starters::axum`.

kinde_e2e::e2e_suite!(kinde_e2e::starters::axum_start);
