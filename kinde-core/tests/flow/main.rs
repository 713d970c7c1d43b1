//! Integration tests of kinde-core's whole flow against the local `TestKinde` server,
//! over real HTTP on loopback: login, verification, refresh, the Account API, logout,
//! several tenants, machine tokens, and the errors a caller sees when things go wrong.
//!
//! One test binary; each module is one behaviour, the shared helpers are in `support`.

mod account_api;
mod account_lists;
mod callback;
mod debug_output;
mod jwks_cache;
mod login;
mod login_options;
mod logout;
mod machine_to_machine;
mod outages;
mod refresh;
mod route_plans;
mod shared_refresh;
mod stored_sessions;
mod support;
mod tenants;
mod verification;
mod webhooks;
