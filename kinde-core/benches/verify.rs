//! Token verification, claim extraction, session (de)serialization and resuming a
//! stored session.
//!
//! `cargo bench -p kinde-core --bench verify`
//!
//! The verification rows verify the same RS256 access token with the same key in the
//! same run: raw `jsonwebtoken::decode` alone, kinde-core with its verified-token cache
//! off (every call checks the signature: the cost of a token seen for the first time),
//! and with the cache on (the same token repeated).

use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use kinde_core::SessionState;
use kinde_core::testing::{MintOptions, TestKinde};
use kinde_core::{Kinde, KindeUser, TokenSet};
use serde_json::{Map, Value};
use std::hint::black_box;

fn bench_verify(c: &mut Criterion) {
    let server = TestKinde::start();
    let uncached = Kinde::new(
        server
            .config_builder()
            .verified_token_cache(0)
            .build()
            .unwrap(),
    )
    .unwrap();
    let cached = Kinde::new(server.config_builder().build().unwrap()).unwrap();
    let user = server.users()[0].clone();
    let token = server.mint_access_token(&user, MintOptions::default());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Warm the key caches (and discovery) once.
    rt.block_on(uncached.verify_access_token(&token))
        .expect("valid token");
    rt.block_on(cached.verify_access_token(&token))
        .expect("valid token");

    // The raw baseline: the same key, the same checks jsonwebtoken can do itself.
    let jwks = server.jwks();
    let jwk = &jwks["keys"][0];
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    validation.set_issuer(&[server.issuer()]);

    let mut group = c.benchmark_group("access_token");
    group.bench_function("raw_jsonwebtoken_decode", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<Map<String, Value>>(black_box(&token), &key, &validation)
                .unwrap()
        })
    });
    group.bench_function("kinde_verify_signature_checked", |b| {
        b.iter(|| {
            rt.block_on(uncached.verify_access_token(black_box(&token)))
                .unwrap()
        })
    });
    group.bench_function("kinde_verify_cached", |b| {
        b.iter(|| {
            rt.block_on(cached.verify_access_token(black_box(&token)))
                .unwrap()
        })
    });
    group.finish();

    let claims = rt.block_on(cached.verify_access_token(&token)).unwrap();
    let id_token = server.mint_id_token(&user, MintOptions::default());
    let id_claims = rt
        .block_on(cached.verify_id_token(&id_token, None))
        .unwrap();
    let mut group = c.benchmark_group("claims");
    group.bench_function("permissions_is_granted", |b| {
        b.iter(|| black_box(&claims).permissions().is_granted("write:todos"))
    });
    group.bench_function("feature_flags_bool", |b| {
        b.iter(|| black_box(&claims).feature_flags().bool("dark_mode"))
    });
    group.bench_function("kinde_user_from_claims", |b| {
        b.iter(|| KindeUser::from_claims(black_box(&claims), Some(&id_claims)))
    });
    group.finish();

    let tokens = TokenSet::new(
        token.clone(),
        Some(id_token.clone()),
        Some("r".repeat(43)),
        4_102_444_800,
    );
    let stored = tokens.to_json();
    println!(
        "stored session bytes (the session format, demo admin user): {}",
        stored.len()
    );
    // A client whose verified-session cache is off: every resume parses the stored
    // form and checks both tokens (each a verified-token cache hit).
    let no_session_cache = Kinde::new(
        server
            .config_builder()
            .verified_session_cache(0)
            .build()
            .unwrap(),
    )
    .unwrap();
    for kinde in [&cached, &no_session_cache] {
        let state = rt.block_on(kinde.resume_session(Some(&stored)));
        assert!(matches!(state, Ok(SessionState::Active(_))), "{state:?}");
    }
    let mut group = c.benchmark_group("session");
    group.bench_function("token_set_serialize", |b| {
        b.iter(|| black_box(&tokens).to_json())
    });
    group.bench_function("token_set_deserialize", |b| {
        b.iter(|| TokenSet::from_json(black_box(&stored)).unwrap())
    });
    group.bench_function("resume_session_parsed_and_checked", |b| {
        b.iter(|| {
            rt.block_on(no_session_cache.resume_session(Some(black_box(&stored))))
                .unwrap()
        })
    });
    group.bench_function("resume_session_cached", |b| {
        b.iter(|| {
            rt.block_on(cached.resume_session(Some(black_box(&stored))))
                .unwrap()
        })
    });
    let session = match rt.block_on(cached.resume_session(Some(&stored))) {
        Ok(SessionState::Active(s)) => s,
        other => panic!("{other:?}"),
    };
    group.bench_function("user_of_a_verified_session", |b| {
        b.iter(|| black_box(&session).user())
    });
    group.finish();
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
