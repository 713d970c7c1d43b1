//! The adapter starters: serve an example app of either adapter on a listener, on a
//! thread of its own, for the scenario table.

use std::net::TcpListener;

use kinde_core::Kinde;
use kinde_examples::{actix_app, axum_api, axum_app};

use crate::{AppKind, RunningApp};

/// Serve the axum example app of `kind` (`axum-app` or `axum-api`) on `listener`.
pub fn axum_start(kind: AppKind, kinde: Kinde, listener: TcpListener) -> RunningApp {
    let auth = kinde_axum::KindeAuth::new(kinde);
    let router = match kind {
        AppKind::Browser => axum_app::router(auth),
        AppKind::Api => axum_api::router(auth),
    };
    RunningApp::tokio_thread(listener, move |listener| async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        axum::serve(listener, router).await.expect("axum server");
    })
}

/// Serve the actix example app of `kind` (`actix-app` or its bearer-only API twin) on
/// `listener`, in an actix `System` on its own thread.
pub fn actix_start(kind: AppKind, kinde: Kinde, listener: TcpListener) -> RunningApp {
    let auth = kinde_actix::KindeAuth::new(kinde);
    let (handle_tx, handle_rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("e2e-actix".into())
        .spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = match kind {
                    AppKind::Browser => actix_app::serve(auth, listener),
                    AppKind::Api => actix_app::serve_api(auth, listener),
                }
                .expect("actix server");
                handle_tx
                    .send(server.handle())
                    .expect("hand over the server handle");
                server.await.expect("actix server ran");
            })
        })
        .expect("actix thread");
    let handle = handle_rx.recv().expect("actix server started");
    RunningApp::new(move || {
        // Stop from a plain thread: the guard may be dropped inside the test's runtime.
        std::thread::spawn(move || futures::executor::block_on(handle.stop(false)))
            .join()
            .ok();
        thread.join().ok();
    })
}
