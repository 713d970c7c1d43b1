//! JWT header and claims parsing and verification, against the local Kinde server's real
//! keys (fetched once, then cached): no input but the server's own tokens verifies, and
//! none panics.
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
        // Fetch the keys once, so that inputs are checked against them without I/O.
        let user = &server.users()[0];
        let token = server.mint_access_token(user, Default::default());
        rt.block_on(kinde.verify_access_token(&token)).unwrap();
        Verifier {
            _server: server,
            kinde,
            rt,
        }
    })
}

fuzz_target!(|token: &str| {
    let v = verifier();
    let verdict = v.rt.block_on(v.kinde.verify_access_token(token));
    assert!(verdict.is_err(), "a fuzzed token verified: {token:?}");
});
