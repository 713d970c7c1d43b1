//! `actix-app`: the same site as `axum-app`, on actix-web.
//!
//! `GET /` (everyone), `GET /dashboard` and `GET /me` (signed in), `GET /todos`
//! (`read:todos`), `POST /todos` (`write:todos`), `GET /admin` (role `admin`), `GET
//! /health` (everyone, `ok`, no session: for a load balancer), `POST /webhooks/kinde`
//! (Kinde's signed webhooks, logged, each `webhook-id` once), plus Kinde's `/login`,
//! `/register`, `/create-org`, `/callback`, `/logout`, `/portal`.

use actix_session::storage::SessionStore;
use actix_web::dev::Server;
use actix_web::{App, HttpResponse, HttpServer, web};
use kinde_actix::KindeWebhook;
use kinde_actix::{
    CurrentOrganization, FeatureFlags, KindeAuth, KindeUser, MaybeKindeUser, Permissions,
    RequirePermission, RequireRole, Roles,
};
use serde_json::{Value, json};

use crate::pages;
use crate::todos::{Todos, me_json, title_of};

pub use crate::todos::{Admin, ReadTodos, WriteTodos};

/// Register the app's routes, its to-do store and Kinde's routes.
pub fn configure(
    kinde: &KindeAuth,
    todos: Todos,
) -> impl Fn(&mut web::ServiceConfig) + Clone + 'static {
    let kinde_routes = kinde.configure();
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(web::Data::new(todos.clone()))
            .configure(kinde_routes.clone())
            .route("/", web::get().to(home))
            .route("/dashboard", web::get().to(dashboard))
            .route("/me", web::get().to(me))
            .route("/todos", web::get().to(list_todos))
            .route("/todos", web::post().to(add_todo))
            .route("/admin", web::get().to(admin))
            .route("/health", web::get().to(|| async { "ok" }))
            .route("/webhooks/kinde", web::post().to(webhook));
    }
}

/// Serve the app on `listener` (with in-memory sessions shared by all workers).
pub fn serve(kinde: KindeAuth, listener: std::net::TcpListener) -> std::io::Result<Server> {
    let store = kinde.memory_store().clone();
    serve_with_store(kinde, store, listener)
}

/// Serve the app on `listener` with its sessions in `store` (e.g.
/// `kinde_actix::RedisSessionStore`, for several instances).
pub fn serve_with_store<St>(
    kinde: KindeAuth,
    store: St,
    listener: std::net::TcpListener,
) -> std::io::Result<Server>
where
    St: SessionStore + Clone + Send + 'static,
{
    let app = configure(&kinde, Todos::default());
    Ok(HttpServer::new(move || {
        App::new()
            .configure(app.clone())
            .wrap(kinde.session_middleware_with(store.clone()))
    })
    .workers(2)
    .listen(listener)?
    .run())
}

/// Serve the bearer-only JSON API (`/api/me`, `/api/todos`, `/api/admin`), the actix
/// twin of `axum-api`.
pub fn serve_api(kinde: KindeAuth, listener: std::net::TcpListener) -> std::io::Result<Server> {
    let kinde = kinde.with_token_source(kinde_actix::TokenSource::Bearer);
    let todos = Todos::default();
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(kinde.clone()))
            .app_data(web::Data::new(todos.clone()))
            .service(
                web::scope("/api")
                    .route("/me", web::get().to(me))
                    .route("/todos", web::get().to(list_todos))
                    .route("/todos", web::post().to(add_todo))
                    .route("/admin", web::get().to(admin_json)),
            )
    })
    .workers(2)
    .listen(listener)?
    .run())
}

async fn admin_json(_: RequireRole<Admin>, user: KindeUser) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "admin": true, "id": user.id }))
}

fn html(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// `POST /webhooks/kinde`: Kinde's webhooks, verified and each handled once.
async fn webhook(hook: KindeWebhook) -> HttpResponse {
    HttpResponse::Ok().json(crate::webhooks::received(&hook))
}

async fn home(user: MaybeKindeUser) -> HttpResponse {
    html(pages::home(user.0.as_deref()))
}

async fn dashboard(
    user: KindeUser,
    perms: Permissions,
    roles: Roles,
    org: CurrentOrganization,
) -> HttpResponse {
    html(pages::dashboard(&user, &perms, &roles, org.0.as_ref()))
}

async fn me(
    user: KindeUser,
    perms: Permissions,
    roles: Roles,
    flags: FeatureFlags,
) -> HttpResponse {
    HttpResponse::Ok().json(me_json(&user, &perms, &roles, &flags))
}

async fn list_todos(
    _: RequirePermission<ReadTodos>,
    user: KindeUser,
    todos: web::Data<Todos>,
) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "todos": todos.list(&user.id) }))
}

async fn add_todo(
    _: RequirePermission<WriteTodos>,
    user: KindeUser,
    todos: web::Data<Todos>,
    body: web::Bytes,
) -> HttpResponse {
    match serde_json::from_slice::<Value>(&body)
        .ok()
        .as_ref()
        .and_then(title_of)
    {
        Some(title) => HttpResponse::Created().json(json!({ "todos": todos.add(&user.id, title) })),
        None => HttpResponse::BadRequest()
            .json(json!({ "error": "bad_request", "message": "expected {\"title\": \"…\"}" })),
    }
}

async fn admin(_: RequireRole<Admin>, user: KindeUser) -> HttpResponse {
    html(pages::admin(&user))
}
