//! The local Kinde server's form and query parsing (what a browser or a client posts to
//! it): the token endpoint's grants, the sign-in page's user pick, introspection,
//! revocation and the authorize query, answered in process. Whatever the bytes, the
//! server answers, and never with a 5xx (every refusal is a 4xx naming the problem).
#![no_main]

use std::sync::OnceLock;

use kinde_core::testing::{LoginMode, TestKinde};
use libfuzzer_sys::fuzz_target;

struct Server {
    kinde: TestKinde,
    rt: tokio::runtime::Runtime,
}

fn server() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| Server {
        // The person-facing page: a valid authorize query stores a sign-in in progress
        // (its id is random, so `/oauth2/auth/select` meets only ids it does not know).
        kinde: TestKinde::builder().login_mode(LoginMode::Page).start(),
        rt: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
    })
}

/// The endpoints a first byte picks, with their method.
const ENDPOINTS: [(&str, &str); 5] = [
    ("POST", "/oauth2/token"),
    ("POST", "/oauth2/auth/select"),
    ("POST", "/oauth2/introspect"),
    ("POST", "/oauth2/revoke"),
    ("GET", "/oauth2/auth"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let (method, path) = ENDPOINTS[usize::from(pick) % ENDPOINTS.len()];
    let basic = pick & 0x80 != 0;
    let s = server();
    let status = s.rt.block_on(s.kinde.__answer(method, path, body, basic));
    assert!(
        status < 500,
        "{method} {path} answered {status} for {:?}",
        String::from_utf8_lossy(body)
    );
});
