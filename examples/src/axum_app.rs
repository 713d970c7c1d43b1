//! `axum-app`: a small server-rendered site with browser sessions.
//!
//! | route | who |
//! |---|---|
//! | `GET /` | everyone (sign-in links, or the user's name) |
//! | `GET /dashboard` | signed-in users (HTML) |
//! | `GET /me` | signed-in users (JSON) |
//! | `GET /todos` | permission `read:todos` |
//! | `POST /todos` | permission `write:todos` |
//! | `GET /admin` | role `admin` |
//! | `GET /health` | everyone (`ok`; touches no session: for a load balancer) |
//! | `POST /webhooks/kinde` | Kinde (a signed webhook; logged, each `webhook-id` once) |
//!
//! plus Kinde's `/login`, `/register`, `/create-org`, `/callback`, `/logout`, `/portal`.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use kinde_axum::KindeWebhook;
use kinde_axum::{
    CurrentOrganization, FeatureFlags, KindeAuth, KindeUser, Permissions, RequirePermission,
    RequireRole, Roles,
};
use serde_json::{Value, json};
use tower_sessions::SessionStore;

use crate::pages;
use crate::todos::{Todos, me_json, title_of};

pub use crate::todos::{Admin, ReadTodos, WriteTodos};

/// The app's state: the Kinde handle (found by the extractors through `FromRef`) and
/// the to-do store.
#[derive(Clone)]
pub struct AppState {
    /// Kinde.
    pub kinde: KindeAuth,
    /// To-dos.
    pub todos: Todos,
}

impl FromRef<AppState> for KindeAuth {
    fn from_ref(state: &AppState) -> Self {
        state.kinde.clone()
    }
}

impl FromRef<AppState> for Todos {
    fn from_ref(state: &AppState) -> Self {
        state.todos.clone()
    }
}

/// The whole app, with Kinde's routes and the session layer (sessions in this
/// process's memory).
pub fn router(kinde: KindeAuth) -> Router {
    let layer = kinde.session_layer();
    routes(kinde).layer(layer)
}

/// The whole app with its sessions in `store` (e.g. `kinde_axum::RedisSessionStore`,
/// for several instances).
pub fn router_with_store<St: SessionStore + Clone>(kinde: KindeAuth, store: St) -> Router {
    let layer = kinde.session_layer_with(store);
    routes(kinde).layer(layer)
}

/// The app's routes and Kinde's, without a session layer.
fn routes(kinde: KindeAuth) -> Router {
    let state = AppState {
        kinde: kinde.clone(),
        todos: Todos::default(),
    };
    Router::new()
        .route("/", get(home))
        .route("/dashboard", get(dashboard))
        .route("/me", get(me))
        .route("/todos", get(list_todos).post(add_todo))
        .route("/admin", get(admin))
        .route("/health", get(|| async { "ok" }))
        .route("/webhooks/kinde", post(webhook))
        .merge(kinde.routes())
        .with_state(state)
}

/// `POST /webhooks/kinde`: Kinde's webhooks, verified and each handled once.
async fn webhook(hook: KindeWebhook) -> Json<Value> {
    Json(crate::webhooks::received(&hook))
}

async fn home(user: Option<KindeUser>) -> Html<String> {
    Html(pages::home(user.as_deref()))
}

async fn dashboard(
    user: KindeUser,
    perms: Permissions,
    roles: Roles,
    org: CurrentOrganization,
) -> Html<String> {
    Html(pages::dashboard(&user, &perms, &roles, org.0.as_ref()))
}

pub(crate) async fn me(
    user: KindeUser,
    perms: Permissions,
    roles: Roles,
    flags: FeatureFlags,
) -> Json<Value> {
    Json(me_json(&user, &perms, &roles, &flags))
}

pub(crate) async fn list_todos(
    _: RequirePermission<ReadTodos>,
    user: KindeUser,
    State(todos): State<Todos>,
) -> Json<Value> {
    Json(json!({ "todos": todos.list(&user.id) }))
}

pub(crate) async fn add_todo(
    _: RequirePermission<WriteTodos>,
    user: KindeUser,
    State(todos): State<Todos>,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> impl IntoResponse {
    match body.ok().and_then(|Json(b)| title_of(&b)) {
        Some(title) => (
            StatusCode::CREATED,
            Json(json!({ "todos": todos.add(&user.id, title) })),
        ),
        None => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "bad_request", "message": "expected {\"title\": \"…\"}" })),
        ),
    }
}

async fn admin(_: RequireRole<Admin>, user: KindeUser) -> Html<String> {
    Html(pages::admin(&user))
}
