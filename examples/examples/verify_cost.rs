//! Verifies one RS256 access token `N` times, either with `jsonwebtoken::decode` alone
//! (`raw`) or with `Kinde::verify_access_token` and its verified-token cache off
//! (`kinde`: the cost of a token seen for the first time). Under callgrind, the count of
//! [`measured`] divided by N is the instructions per verification: the cold-path ratio
//! of issue 6 (≤ 1.15× raw) without the machine's noise (see BENCHMARKS.md).
//!
//! ```text
//! cargo build --release -p kinde-examples --example verify_cost
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='verify_cost::measured*' \
//!     target/release/examples/verify_cost kinde 200
//! ```

use std::hint::black_box;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use kinde_core::Kinde;
use kinde_core::testing::{MintOptions, TestKinde};
use serde_json::{Map, Value};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(mode), Some(n)) = (args.first(), args.get(1)) else {
        eprintln!("usage: verify_cost raw|kinde N");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("a count");
    let server = TestKinde::start();
    let token = server.mint_access_token(&server.users()[0], MintOptions::default());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match mode.as_str() {
        "raw" => {
            // The same key and the checks jsonwebtoken can do itself (as the criterion
            // bench `access_token/raw_jsonwebtoken_decode`).
            let jwks = server.jwks();
            let jwk = &jwks["keys"][0];
            let key = DecodingKey::from_rsa_components(
                jwk["n"].as_str().expect("n"),
                jwk["e"].as_str().expect("e"),
            )
            .expect("RSA key");
            let mut validation = Validation::new(Algorithm::RS256);
            validation.validate_aud = false;
            validation.set_issuer(&[server.issuer()]);
            let decode = || {
                jsonwebtoken::decode::<Map<String, Value>>(black_box(&token), &key, &validation)
                    .expect("valid token");
            };
            decode();
            measured(|| (0..n).for_each(|_| decode()));
        }
        "kinde" => {
            let config = server.config_builder().verified_token_cache(0).build();
            let kinde = Kinde::new(config.expect("config")).expect("client");
            let verify = || {
                rt.block_on(kinde.verify_access_token(black_box(&token)))
                    .expect("valid token");
            };
            // The first call fetches discovery and the JWKS.
            verify();
            measured(|| (0..n).for_each(|_| verify()));
        }
        other => panic!("unknown mode `{other}`"),
    }
}

/// The part that callgrind counts (`--toggle-collect`).
#[inline(never)]
fn measured(f: impl FnOnce()) {
    f()
}
