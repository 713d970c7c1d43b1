//! Black-box tests of `kinde_core::testing::TestKinde` over real HTTP.
//!
//! One test binary; each module is one behaviour, the shared helpers are in `support`.

mod account_api;
mod authorize;
mod bad_token_requests;
mod client_auth;
mod code_exchange;
mod discovery;
mod fault_knobs;
mod introspection;
mod lifecycle;
mod login;
mod logout;
mod machine_to_machine;
mod refresh;
mod signing;
mod support;
