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
//!
//! plus Kinde's `/login`, `/register`, `/create-org`, `/callback`, `/logout`, `/portal`.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use kinde_axum::{
    CurrentOrganization, FeatureFlags, KindeAuth, KindeUser, Permissions, RequirePermission,
    RequireRole, Roles, permission, role,
};
use kinde_core::web::escape_html;
use serde_json::{Value, json};

use crate::todos::{Todos, me_json, title_of};

permission!(pub ReadTodos = "read:todos");
permission!(pub WriteTodos = "write:todos");
role!(pub Admin = "admin");

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

/// The whole app, with Kinde's routes and the session layer.
pub fn router(kinde: KindeAuth) -> Router {
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
        .merge(kinde.routes())
        .layer(kinde.session_layer())
        .with_state(state)
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;color:#222}}\
         nav a{{margin-right:1rem}}</style></head><body><h1>{t}</h1>{body}</body></html>",
        t = escape_html(title)
    ))
}

async fn home(user: Option<KindeUser>) -> Html<String> {
    match user {
        Some(u) => page(
            "kinde-rs demo",
            &format!(
                "<p>Signed in as <strong>{}</strong>.</p><nav><a href=\"/dashboard\">Dashboard</a>\
                 <a href=\"/me\">/me</a><a href=\"/todos\">To-dos</a><a href=\"/admin\">Admin</a>\
                 <a href=\"/portal\">Account</a><a href=\"/logout\">Sign out</a></nav>",
                escape_html(&u.display_name())
            ),
        ),
        None => page(
            "kinde-rs demo",
            "<p>You are not signed in.</p><nav><a href=\"/login?returnTo=/dashboard\">Sign in</a>\
             <a href=\"/register\">Sign up</a><a href=\"/create-org?org_name=My%20Org\">Create an organisation</a></nav>",
        ),
    }
}

async fn dashboard(
    user: KindeUser,
    perms: Permissions,
    roles: Roles,
    org: CurrentOrganization,
) -> Html<String> {
    let org = org
        .0
        .map(|o| o.name.unwrap_or(o.code))
        .unwrap_or_else(|| "none".into());
    page(
        "Dashboard",
        &format!(
            "<p>Welcome, {}.</p><ul><li>Email: {}</li><li>Organisation: {}</li><li>Permissions: {}</li><li>Roles: {}</li></ul>\
             <nav><a href=\"/\">Home</a><a href=\"/logout\">Sign out</a></nav>",
            escape_html(&user.display_name()),
            escape_html(user.email.as_deref().unwrap_or("-")),
            escape_html(&org),
            escape_html(&perms.keys().join(", ")),
            escape_html(&roles.keys().collect::<Vec<_>>().join(", ")),
        ),
    )
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

async fn admin(_: RequireRole<Admin>, user: KindeUser) -> Html<String> {
    page(
        "Admin",
        &format!("<p>Hello admin {}.</p>", escape_html(&user.display_name())),
    )
}
