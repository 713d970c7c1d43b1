//! Helpers shared by the suites that build apps of their own (not the scenario table's):
//! a loopback listener, a Kinde client for it, and serving an axum router or an actix
//! app factory through the starters' servers.

#![allow(dead_code, unused_macros, unused_imports)]

use std::net::TcpListener;

use kinde_core::Kinde;
use kinde_core::testing::TestKinde;

/// A listener on `127.0.0.1:0`, its port and `http://127.0.0.1:PORT`.
pub fn bind() -> (TcpListener, u16, String) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local address").port();
    (listener, port, format!("http://127.0.0.1:{port}"))
}

/// A client of `tk` for an app on `base` whose callback route is `callback_path`.
pub fn kinde_for(tk: &TestKinde, base: &str, callback_path: &str) -> Kinde {
    let config = tk
        .config_builder()
        .redirect_uri(format!("{base}{callback_path}"))
        .post_logout_redirect_url(format!("{base}/"))
        .build()
        .expect("valid Kinde configuration");
    Kinde::new(config).expect("Kinde client")
}

pub use kinde_e2e::starters::axum::serve as serve_axum;

/// Serve an actix app factory on a listener, in an actix `System` on a thread of its
/// own; evaluates to a [`RunningApp`](kinde_e2e::RunningApp) whose drop stops the server.
macro_rules! serve_actix {
    ($listener:expr, $factory:expr) => {{
        let factory = $factory;
        kinde_e2e::starters::actix::run($listener, move |listener| {
            Ok(actix_web::HttpServer::new(factory)
                .workers(2)
                .listen(listener)?
                .run())
        })
    }};
}
pub(crate) use serve_actix;
