//! Webhook bodies, against the local Kinde server's real keys: none verifies (the fuzzer
//! cannot sign), none panics, and the event typing never fails on any `data`.
#![no_main]

use std::sync::OnceLock;

use kinde_core::testing::TestKinde;
use libfuzzer_sys::fuzz_target;

struct Verifier {
    _server: TestKinde,
    kinde: kinde_core::Kinde,
    rt: tokio::runtime::Runtime,
}

fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| {
        let server = TestKinde::start();
        let kinde = kinde_core::Kinde::new(server.config_builder().build().unwrap()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let hook = server.webhook_token("user.created", serde_json::json!({}));
        rt.block_on(kinde.verify_webhook(hook.as_bytes())).unwrap();
        Verifier {
            _server: server,
            kinde,
            rt,
        }
    })
}

fuzz_target!(|body: &[u8]| {
    let v = verifier();
    assert!(v.rt.block_on(v.kinde.verify_webhook(body)).is_err());
    if let Ok(data) = serde_json::from_slice::<serde_json::Value>(body) {
        let _ = kinde_core::webhook::Event::of("user.created", &data);
    }
});
