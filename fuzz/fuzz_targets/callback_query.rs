//! The callback's query (`state`, `code`, `error`, `reauth_state`) and the other route
//! queries: parsed or refused, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|query: &str| {
    let _ = kinde_core::web::parse_query::<kinde_core::CallbackParams>(Some(query));
    let _ = kinde_core::web::parse_query::<serde_json::Value>(Some(query));
});
