//! The `Authorization` header: any bytes give a token, nothing, or an error; never a
//! panic, and a token is always a part of the header without spaces.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|header: &[u8]| {
    if let Ok(Some(token)) = kinde_core::web::bearer_token(Some(header)) {
        assert!(!token.is_empty() && !token.contains(' '));
    }
});
