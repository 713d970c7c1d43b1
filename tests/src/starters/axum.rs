//! The kinde-axum starter: the example apps `axum-app` and `axum-api`, and the test
//! apps built here from kinde-axum's API.

use std::collections::HashSet;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::middleware::from_extractor_with_state;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use kinde_axum::{
    AccessToken, AuthRejection, CurrentOrganization, FeatureFlags, KindeAuth, KindeClaims,
    KindeUser, MemorySessionStore, Permissions, RequirePermission, RequireRole, Roles, RoutePaths,
    SessionLayer, permission, role,
};
use kinde_core::Kinde;
use kinde_examples::{axum_api, axum_app};
use serde_json::{Value, json};
use tower_sessions::session::{Id, Record};
use tower_sessions::{SessionStore, session_store};

use super::{CUSTOM_REJECTION_HEADER, custom_rejection_body};
use crate::{AppKind, RunningApp, SESSION_COOKIE, TenantSessions, TestApp};

permission!(WriteTodos = "write:todos");
role!(Admin = "admin");

/// Serve the app of `kind` with the client `kinde` on `listener`.
pub fn start(kind: AppKind, kinde: Kinde, listener: TcpListener) -> RunningApp {
    let auth = KindeAuth::new(kinde);
    let router = match kind {
        AppKind::Browser => axum_app::router(auth),
        AppKind::Api => axum_api::router(auth),
        AppKind::Test(app) => test_app(auth, app),
        AppKind::TwoTenants(two) => two_tenants(auth, KindeAuth::new(two.b), two.sessions),
    };
    serve(listener, router)
}

/// Serve `router` on `listener` (own thread and runtime; dropping the guard stops it).
pub fn serve(listener: TcpListener, router: Router) -> RunningApp {
    RunningApp::tokio_thread(listener, move |listener| async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        axum::serve(listener, router).await.expect("axum server");
    })
}

/// The session layer over the handle's own store, with the session cookie `cookie`.
fn session(auth: &KindeAuth, cookie: &'static str) -> SessionLayer<MemorySessionStore> {
    auth.session_layer().with_cookie_name(cookie)
}

// ---------------------------------------------------------------------------------
// The test app
// ---------------------------------------------------------------------------------

fn test_app(auth: KindeAuth, app: TestApp) -> Router {
    let mut auth = auth.with_paths(app.paths);
    if app.custom_rejections {
        auth = auth.render_rejections_with(custom_rejection);
    }
    // Guards as route layers of nested routers: they guard every route of the group.
    let write: Router<KindeAuth> = Router::new()
        .route("/x", get(|| async { "write ok" }))
        .route_layer(from_extractor_with_state::<RequirePermission<WriteTodos>, _>(auth.clone()));
    let admin: Router<KindeAuth> = Router::new()
        .route("/x", get(|| async { "admin ok" }))
        .route_layer(from_extractor_with_state::<RequireRole<Admin>, _>(
            auth.clone(),
        ));
    let passed = app.passed_store.then(CountedStore::default);
    let counted = passed.clone();
    let routes = Router::new()
        .route("/me", get(me))
        .route("/page", get(page))
        .route("/optional", get(optional))
        .route("/token", get(x_token))
        .route("/claims", get(x_claims))
        .route("/permissions", get(x_permissions))
        .route("/roles", get(x_roles))
        .route("/flags", get(x_flags))
        .route("/org", get(x_org))
        .route("/five", get(x_five))
        .route(
            "/ext/write",
            get(|_: RequirePermission<WriteTodos>| async { "write ok" }),
        )
        .route(
            "/ext/admin",
            get(|_: RequireRole<Admin>| async { "admin ok" }),
        )
        .nest("/group/write", write)
        .nest("/group/admin", admin)
        .route("/admin", get(|_: RequireRole<Admin>| async { "admin" }))
        .route("/admin-default", get(admin_default))
        .route("/me-default", get(me_default))
        .route(
            "/store",
            get(move |State(auth): State<KindeAuth>| async move {
                let passed = match &counted {
                    Some(store) => Some(store.live().await),
                    None => None,
                };
                Json(json!({ "passed": passed, "handle": auth.memory_store().len() }))
            }),
        )
        .merge(auth.routes());
    let routes = match passed {
        Some(store) => routes.layer(auth.session_layer_with(store)),
        None => routes.layer(auth.session_layer()),
    };
    routes.with_state(auth)
}

fn custom_rejection(r: &AuthRejection) -> Response {
    let status = r.default_response().status();
    (
        status,
        [(CUSTOM_REJECTION_HEADER, "1")],
        custom_rejection_body(status.as_u16(), r.is_api),
    )
        .into_response()
}

async fn me(user: KindeUser, claims: KindeClaims) -> Json<Value> {
    Json(json!({ "id": user.id, "iss": claims.access.issuer() }))
}

async fn page(user: KindeUser) -> String {
    format!("hello {}", user.display_name())
}

async fn optional(user: Option<KindeUser>) -> Json<Value> {
    Json(json!({ "user": user.map(|u| u.id.clone()) }))
}

async fn x_token(token: AccessToken) -> Json<Value> {
    Json(json!({ "token": token.secret(), "debug": format!("{token:?}") }))
}

async fn x_claims(claims: KindeClaims) -> Json<Value> {
    Json(json!({
        "org_code": claims.access.get("org_code"),
        "sub": claims.access.subject(),
        "has_id": claims.id.is_some(),
    }))
}

async fn x_permissions(p: Permissions) -> Json<Value> {
    Json(json!({ "keys": p.keys(), "write": p.is_granted("write:todos") }))
}

async fn x_roles(r: Roles) -> Json<Value> {
    Json(json!({ "keys": r.keys().collect::<Vec<_>>(), "admin": r.has("admin") }))
}

async fn x_flags(f: FeatureFlags) -> Json<Value> {
    Json(json!({
        "theme": f.string("theme").ok(),
        "dark_mode": f.bool("dark_mode").ok(),
        "todo_limit": f.integer("todo_limit").ok(),
        "missing": f.bool_or("missing_flag", true).ok(),
        "wrong_type": f.integer("theme").is_err(),
    }))
}

async fn x_org(org: CurrentOrganization, user: KindeUser) -> Json<Value> {
    Json(json!({
        "code": org.as_ref().map(|o| o.code.clone()),
        "name": org.as_ref().and_then(|o| o.name.clone()),
        "all": user.organizations.iter().map(|o| o.code.clone()).collect::<Vec<_>>(),
    }))
}

async fn x_five(
    user: KindeUser,
    p: Permissions,
    r: Roles,
    f: FeatureFlags,
    org: CurrentOrganization,
) -> Json<Value> {
    Json(json!({
        "id": user.id,
        "write": p.is_granted("write:todos"),
        "admin": r.has("admin"),
        "theme": f.string("theme").ok(),
        "org": org.as_ref().map(|o| o.code.clone()),
    }))
}

async fn me_default(user: Result<KindeUser, AuthRejection>) -> Response {
    match user {
        Ok(u) => Json(json!({ "id": u.id })).into_response(),
        Err(r) => r.default_response(),
    }
}

async fn admin_default(guard: Result<RequireRole<Admin>, AuthRejection>) -> Response {
    match guard {
        Ok(_) => "admin".into_response(),
        Err(r) => r.default_response(),
    }
}

/// tower-sessions' own `MemoryStore`, which cannot be listed, remembering the ids it
/// was given so that `/store` can count the sessions it still holds.
#[derive(Debug, Clone, Default)]
struct CountedStore {
    inner: tower_sessions::MemoryStore,
    ids: Arc<Mutex<HashSet<Id>>>,
}

impl CountedStore {
    fn remember(&self, id: Id) {
        self.ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id);
    }

    /// How many of the sessions it was given the store still holds.
    async fn live(&self) -> usize {
        let ids: Vec<Id> = self
            .ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .copied()
            .collect();
        let mut live = 0;
        for id in ids {
            if self.inner.load(&id).await.ok().flatten().is_some() {
                live += 1;
            }
        }
        live
    }
}

#[async_trait::async_trait]
impl SessionStore for CountedStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.inner.create(record).await?;
        self.remember(record.id);
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.inner.save(record).await?;
        self.remember(record.id);
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.inner.load(id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.inner.delete(id).await
    }
}

// ---------------------------------------------------------------------------------
// Two tenants
// ---------------------------------------------------------------------------------

/// Tenant `name`'s part of the app: its pages nested under `/name`, and its built-in
/// routes under `/name/auth` (absolute paths, so merged, not nested), with its own
/// state.
fn tenant(auth: &KindeAuth, name: &str) -> Router<KindeAuth> {
    let pages = Router::new()
        .route("/me", get(me))
        .route("/page", get(page));
    Router::new()
        .nest(&format!("/{name}"), pages)
        .merge(auth.routes())
}

fn two_tenants(a: KindeAuth, b: KindeAuth, sessions: TenantSessions) -> Router {
    let a = a.with_paths(RoutePaths::default().with_prefix("/a/auth"));
    let b = b.with_paths(RoutePaths::default().with_prefix("/b/auth"));
    let (part_a, part_b) = (tenant(&a, "a"), tenant(&b, "b"));
    match sessions {
        TenantSessions::OwnCookies | TenantSessions::OneCookieName => {
            let (cookie_a, cookie_b) = match sessions {
                TenantSessions::OwnCookies => ("kinde_session_a", "kinde_session_b"),
                _ => (SESSION_COOKIE, SESSION_COOKIE),
            };
            let part_a = part_a.layer(session(&a, cookie_a)).with_state(a);
            let part_b = part_b.layer(session(&b, cookie_b)).with_state(b);
            part_a.merge(part_b)
        }
        TenantSessions::OneSession => {
            let layer = a.session_layer();
            part_a
                .with_state(a)
                .merge(part_b.with_state(b))
                .layer(layer)
        }
    }
}
