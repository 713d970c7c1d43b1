//! Access-token verification with a warm key cache, next to a raw
//! `jsonwebtoken::decode` of the same token with the same key, in the same run.
//!
//! `cargo bench -p kinde-core --bench verify`

use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use kinde_core::Kinde;
use kinde_core::testing::{MintOptions, TestKinde};
use serde_json::{Map, Value};

fn bench_verify(c: &mut Criterion) {
    let server = TestKinde::start();
    let kinde = Kinde::new(server.config_builder().build().unwrap()).unwrap();
    let user = server.users()[0].clone();
    let token = server.mint_access_token(&user, MintOptions::default());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    // Warm the JWKS cache (and discovery) once.
    rt.block_on(kinde.verify_access_token(&token)).expect("valid token");

    // The raw baseline: the same key, the same checks jsonwebtoken can do itself.
    let jwks = server.jwks();
    let jwk = &jwks["keys"][0];
    let key = DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    validation.set_issuer(&[server.issuer()]);

    let mut group = c.benchmark_group("access_token");
    group.bench_function("raw_jsonwebtoken_decode", |b| {
        b.iter(|| jsonwebtoken::decode::<Map<String, Value>>(std::hint::black_box(&token), &key, &validation).unwrap())
    });
    group.bench_function("kinde_verify_access_token_warm", |b| {
        b.iter(|| rt.block_on(kinde.verify_access_token(std::hint::black_box(&token))).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
