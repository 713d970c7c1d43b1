//! The routers of `bench-app`, the app that `scripts/bench-http.sh` drives with a load
//! generator (see BENCHMARKS.md). Not an example to copy: it exists to compare a
//! guarded route with the same route without auth, under the same load.
//!
//! | route | auth |
//! |---|---|
//! | `GET /plain` | none |
//! | `GET /bearer` | `KindeUser` from `Authorization: Bearer` ([`TokenSource::Bearer`](kinde_axum::TokenSource::Bearer)) |
//! | `GET /session` | `KindeUser` from the in-memory session store ([`TokenSource::Session`](kinde_axum::TokenSource::Session)) |
//! | `GET /session-plain` | none, behind the same session layer/middleware as `/session` |
//!
//! plus Kinde's `/login` and `/callback` (so a script can sign in once with `curl`).
//! The handlers return the same small JSON body ([`BODY`]); the guarded ones
//! differ from `/plain` only by the `KindeUser` extractor (and, for `/session`, the
//! session layer/middleware, which is part of what session auth costs).

use std::net::TcpListener;

/// The body every bench route returns.
pub const BODY: &str = r#"{"ok":true,"message":"hello"}"#;

// ---------------------------------------------------------------------------------
// axum
// ---------------------------------------------------------------------------------

fn axum_body() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        BODY,
    )
}

async fn axum_plain() -> impl axum::response::IntoResponse {
    axum_body()
}

async fn axum_guarded(_user: kinde_axum::KindeUser) -> impl axum::response::IntoResponse {
    axum_body()
}

/// The axum bench router: `/plain`, `/bearer`, `/session`, `/session-plain` (no auth,
/// behind the same session layer as `/session`), and `/login`, `/callback`; sessions in
/// the handle's memory store.
pub fn axum_router(kinde: kinde_axum::KindeAuth) -> axum::Router {
    let store = kinde.memory_store().clone();
    axum_router_with_store(kinde, store)
}

/// [`axum_router`] with the sessions in `store` (Redis, for `scripts/bench-http.sh`'s
/// Redis mode).
pub fn axum_router_with_store<St>(kinde: kinde_axum::KindeAuth, store: St) -> axum::Router
where
    St: tower_sessions::SessionStore + Clone,
{
    use axum::Router;
    use axum::routing::get;
    use kinde_axum::TokenSource;

    let bearer = kinde.clone().with_token_source(TokenSource::Bearer);
    let session = kinde.with_token_source(TokenSource::Session);
    let plain = Router::new().route("/plain", get(axum_plain));
    let bearer = Router::new()
        .route("/bearer", get(axum_guarded))
        .with_state(bearer);
    let session = Router::new()
        .route("/session", get(axum_guarded))
        .route("/session-plain", get(axum_plain))
        .merge(session.routes())
        .layer(session.session_layer_with(store))
        .with_state(session);
    plain.merge(bearer).merge(session)
}

// ---------------------------------------------------------------------------------
// actix-web
// ---------------------------------------------------------------------------------

fn actix_body() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("application/json")
        .body(BODY)
}

async fn actix_plain() -> actix_web::HttpResponse {
    actix_body()
}

async fn actix_guarded(_user: kinde_actix::KindeUser) -> actix_web::HttpResponse {
    actix_body()
}

/// The actix bench routes (`/plain`, `/bearer`, `/session`, `/session-plain`,
/// `/login`, `/callback`), to `App::configure` on every worker; the session middleware
/// wraps only the session scope, over the handle's memory store.
pub fn actix_routes(
    kinde: kinde_actix::KindeAuth,
) -> impl Fn(&mut actix_web::web::ServiceConfig) + Clone + Send + 'static {
    let store = kinde.memory_store().clone();
    actix_routes_with_store(kinde, store)
}

/// [`actix_routes`] with the sessions in `store`.
pub fn actix_routes_with_store<St>(
    kinde: kinde_actix::KindeAuth,
    store: St,
) -> impl Fn(&mut actix_web::web::ServiceConfig) + Clone + Send + 'static
where
    St: actix_session::storage::SessionStore + Clone + Send + 'static,
{
    use actix_web::web;
    use kinde_actix::TokenSource;

    let bearer = kinde.clone().with_token_source(TokenSource::Bearer);
    let session = kinde.with_token_source(TokenSource::Session);
    move |cfg| {
        cfg.route("/plain", web::get().to(actix_plain))
            .service(
                web::resource("/bearer")
                    .app_data(web::Data::new(bearer.clone()))
                    .route(web::get().to(actix_guarded)),
            )
            .service(
                web::scope("")
                    .configure(session.configure())
                    .route("/session", web::get().to(actix_guarded))
                    .route("/session-plain", web::get().to(actix_plain))
                    .wrap(session.session_middleware_with(store.clone())),
            );
    }
}

/// Serve [`actix_routes`] on `listener` with `workers` workers.
pub fn actix_serve(
    kinde: kinde_actix::KindeAuth,
    listener: TcpListener,
    workers: usize,
) -> std::io::Result<actix_web::dev::Server> {
    let store = kinde.memory_store().clone();
    actix_serve_with_store(kinde, store, listener, workers)
}

/// [`actix_serve`] with the sessions in `store`.
pub fn actix_serve_with_store<St>(
    kinde: kinde_actix::KindeAuth,
    store: St,
    listener: TcpListener,
    workers: usize,
) -> std::io::Result<actix_web::dev::Server>
where
    St: actix_session::storage::SessionStore + Clone + Send + 'static,
{
    use actix_web::{App, HttpServer};

    let routes = actix_routes_with_store(kinde, store);
    Ok(
        HttpServer::new(move || App::new().configure(routes.clone()))
            .workers(workers)
            // The process is stopped with a signal: no graceful shutdown of one server while
            // the other keeps the process alive.
            .disable_signals()
            .listen(listener)?
            .run(),
    )
}
