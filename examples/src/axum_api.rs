//! `axum-api`: the same `/me`, `/todos` and `/admin` as `axum-app`, under `/api`, for
//! bearer tokens only (no sessions, no login routes).

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use kinde_axum::{
    FeatureFlags, KindeAuth, KindeUser, Permissions, RequirePermission, RequireRole, Roles,
    TokenSource,
};
use serde_json::{Value, json};

use crate::axum_app::{Admin, ReadTodos, WriteTodos};
use crate::todos::{Todos, me_json, title_of};

/// The API's state.
#[derive(Clone)]
pub struct ApiState {
    /// Kinde, bearer-only.
    pub kinde: KindeAuth,
    /// To-dos.
    pub todos: Todos,
}

impl FromRef<ApiState> for KindeAuth {
    fn from_ref(state: &ApiState) -> Self {
        state.kinde.clone()
    }
}

impl FromRef<ApiState> for Todos {
    fn from_ref(state: &ApiState) -> Self {
        state.todos.clone()
    }
}

/// The API router (bearer tokens only).
pub fn router(kinde: KindeAuth) -> Router {
    let state = ApiState {
        kinde: kinde.with_token_source(TokenSource::Bearer),
        todos: Todos::default(),
    };
    let api = Router::new()
        .route("/me", get(me))
        .route("/todos", get(list_todos).post(add_todo))
        .route("/admin", get(admin));
    Router::new().nest("/api", api).with_state(state)
}

async fn me(user: KindeUser, perms: Permissions, roles: Roles, flags: FeatureFlags) -> Json<Value> {
    Json(me_json(&user, &perms, &roles, &flags))
}

async fn list_todos(
    _: RequirePermission<ReadTodos>,
    user: KindeUser,
    State(todos): State<Todos>,
) -> Json<Value> {
    Json(json!({ "todos": todos.list(&user.id) }))
}

async fn add_todo(
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

async fn admin(_: RequireRole<Admin>, user: KindeUser) -> Json<Value> {
    Json(json!({ "admin": true, "id": user.id }))
}
