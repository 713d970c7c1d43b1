//! In-process cost of one request through the bench routers of both adapters (see
//! `kinde_examples::bench`): the same handler without auth (`/plain`), behind the
//! bearer extractor (`/bearer`, the same token every time), behind the session layer
//! alone (`/session-plain`), and behind the session layer with the session extractor
//! (`/session`, one signed-in session). No sockets: what the SDK and the framework cost,
//! without the kernel's share of an HTTP request (see `scripts/bench-http.sh` for that).
//!
//! `cargo bench -p kinde-examples --bench requests`

mod support;

use std::hint::black_box;

use axum::http::StatusCode;
use criterion::{Criterion, criterion_group, criterion_main};
use kinde_core::testing::TestKinde;

fn bench_axum(c: &mut Criterion) {
    let local = TestKinde::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let app = rt.block_on(support::axum_app(&local));
    let mut group = c.benchmark_group("axum");
    for path in support::ROUTES {
        assert_eq!(rt.block_on((app.send)(path)), StatusCode::OK, "{path}");
        group.bench_function(path.trim_start_matches('/'), |b| {
            b.to_async(&rt)
                .iter(|| async { black_box((app.send)(path).await) })
        });
    }
    group.finish();
}

fn bench_actix(c: &mut Criterion) {
    let local = TestKinde::start();
    let rt = actix_web::rt::System::new();
    let app = rt.block_on(support::actix_app(&local));
    let mut group = c.benchmark_group("actix");
    for path in support::ROUTES {
        assert_eq!(rt.block_on((app.send)(path)), StatusCode::OK, "{path}");
        group.bench_function(path.trim_start_matches('/'), |b| {
            b.iter(|| rt.block_on(async { black_box((app.send)(path).await) }))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_axum, bench_actix);
criterion_main!(benches);
