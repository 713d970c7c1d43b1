//! What a session store hands back (written by another version, or corrupted): the
//! token set and the pending logins parse or are refused, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|stored: &str| {
    let _ = kinde_core::TokenSet::from_json(stored);
    let _ = kinde_core::PendingLogins::from_stored(Some(stored));
});
