//! The end-to-end scenario table against the axum adapter (`axum-app`, `axum-api`).

use std::net::TcpListener;

use kinde_axum::KindeAuth;
use kinde_core::Kinde;
use kinde_e2e::{AppKind, RunningApp};
use kinde_examples::{axum_api, axum_app};

/// Serve the axum example app of `kind` on `listener`, on its own thread and runtime.
fn axum_start(kind: AppKind, kinde: Kinde, listener: TcpListener) -> RunningApp {
    let auth = KindeAuth::new(kinde);
    let router = match kind {
        AppKind::Browser => axum_app::router(auth),
        AppKind::Api => axum_api::router(auth),
    };
    RunningApp::tokio_thread(listener, move |listener| async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        axum::serve(listener, router).await.expect("axum server");
    })
}

kinde_e2e::e2e_suite!(axum_start);
