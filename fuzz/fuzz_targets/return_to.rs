//! `returnTo` validation: whatever is accepted, resolved against the app's URL as a
//! browser resolves a `Location`, stays on the app's origin.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    if let Some(path) = kinde_core::safe_return_to(raw) {
        let app = url::Url::parse("https://app.example.com/base/").unwrap();
        if let Ok(landed) = app.join(path) {
            assert_eq!(landed.origin(), app.origin(), "{raw:?} left the origin");
        }
    }
});
