//! `Cookie` headers: the session cookie's value, if any, is a part of one of them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let headers: Vec<&[u8]> = data.split(|b| *b == b'\n').collect();
    if let Some(value) = kinde_core::web::cookie_value(headers.iter().copied(), "kinde_session") {
        assert!(!value.contains(';'));
    }
});
