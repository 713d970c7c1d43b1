//! Sends `N` requests of one route to an adapter's bench app in-process (see
//! `benches/support/mod.rs`), after one warm-up request. Under callgrind, the difference
//! count of [`measured`] divided by N is that route's instruction cost per request, a
//! figure the machine's load cannot move (see BENCHMARKS.md):
//!
//! ```text
//! cargo build --release -p kinde-examples --example request_cost
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='request_cost::measured*' \
//!     target/release/examples/request_cost axum /session 1000
//! ```

#[path = "../benches/support/mod.rs"]
mod support;

use axum::http::StatusCode;
use kinde_core::testing::TestKinde;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(adapter), Some(route), Some(n)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!(
            "usage: request_cost axum|actix ROUTE N   (ROUTE: {:?})",
            support::ROUTES
        );
        std::process::exit(2);
    };
    let route = support::ROUTES
        .into_iter()
        .find(|r| r == route)
        .expect("one of the bench routes");
    let n: usize = n.parse().expect("a count");
    let local = TestKinde::start();
    match adapter.as_str() {
        "axum" => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let app = rt.block_on(support::axum_app(&local));
            // The first requests warm the caches (verification, session, JWKS).
            rt.block_on(requests(&app, route, 10));
            measured(|| rt.block_on(requests(&app, route, n)));
        }
        "actix" => {
            let rt = actix_web::rt::System::new();
            let app = rt.block_on(support::actix_app(&local));
            rt.block_on(requests(&app, route, 10));
            measured(|| rt.block_on(requests(&app, route, n)));
        }
        other => panic!("unknown adapter `{other}`"),
    }
}

async fn requests(app: &support::App, route: &'static str, n: usize) {
    for _ in 0..n {
        assert_eq!((app.send)(route).await, StatusCode::OK);
    }
}

/// The part that callgrind counts (`--toggle-collect`): the requests, not the set-up.
#[inline(never)]
fn measured(f: impl FnOnce()) {
    f()
}
