//! `axum-api`: the same `/me`, `/todos` and `/admin` as `axum-app`, under `/api`, for
//! bearer tokens only (no sessions, no login routes).

use axum::extract::FromRef;
use axum::routing::get;
use axum::{Json, Router};
use kinde_axum::{KindeAuth, KindeUser, RequireRole, TokenSource};
use serde_json::{Value, json};

use crate::axum_app::{Admin, add_todo, list_todos, me};
use crate::todos::Todos;

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

async fn admin(_: RequireRole<Admin>, user: KindeUser) -> Json<Value> {
    Json(json!({ "admin": true, "id": user.id }))
}
